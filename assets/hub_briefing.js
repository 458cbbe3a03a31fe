/* The briefing page's map: aggregates only (a label and a count a point; no popup), and its URL mirror.
 * Referenced from Python as {"variable": "hubBriefing.NAME"}; text is escaped with hubMap.esc. */
(function () {
  "use strict";
  function esc(value) {
    return window.hubMap ? window.hubMap.esc(value) : String(value === null || value === undefined ? "" : value);
  }

  // Leaflet sizes its vector renderer from the map's size and re-measures only on a window resize. The map's
  // container settles after the page's columns and cards are laid out (no window resize), so the circles were
  // clipped to the old, smaller renderer as half-discs until the next pan. Re-measure whenever the container's
  // size changes, once per map.
  function followContainer(map) {
    if (!map || map._hubFollowsContainer || typeof ResizeObserver === "undefined") { return; }
    map._hubFollowsContainer = true;
    new ResizeObserver(function () { map.invalidateSize({pan: false}); }).observe(map.getContainer());
    map.invalidateSize({pan: false});
  }

  window.hubBriefing = {
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
      layer.once("add", function () { followContainer(layer._map); });
    }
  };
})();

