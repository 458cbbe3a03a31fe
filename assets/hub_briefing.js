/* The briefing page's map: aggregates only (a label and a count a point; no popup), and its URL mirror.
 * Referenced from Python as {"variable": "hubBriefing.NAME"}; text is escaped with hub.escapeHtml (assets/hub.js). */
(function () {
  "use strict";
  function esc(value) { return window.hub.escapeHtml(value); }

  window.hubBriefing = Object.assign({}, window.hubBriefing, {
    point: function (feature, latlng) {
      var p = feature.properties;
      var mission = p.kind === "mission";
      var n = p.n === null || p.n === undefined ? 0 : p.n;
      return L.circleMarker(latlng, {
        radius: mission ? 5 + 3 * Math.sqrt(n || 1) : 4,
        color: "#ffffff", weight: 1.2,
        fillColor: mission ? (p.n === null ? "#9aa5b1" : "#1f5fa8") : "#5b8cc4",
        fillOpacity: mission ? 0.8 : 0.5
      });
    },

    each: function (feature, layer) {
      var p = feature.properties;
      var count = p.n === null || p.n === undefined ? "*" : p.n;
      layer.bindTooltip(esc(p.label) + ": " + esc(count));
    }
  });
})();
