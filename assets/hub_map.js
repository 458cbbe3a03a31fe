/* Styling and popups of the operations map, referenced from Python as {"variable": "hubMap.NAME"}.
 * Restyling (selection highlight) reads `context.hideout`, so it costs no round trip.
 * Every text that came from the database is escaped before it reaches a popup or tooltip.
 * Each layer sits in its own pane (operations_map.PANE_*), given as `context.pane`: Leaflet does not pass a
 * GeoJSON layer's pane on to the markers pointToLayer makes, so each function here does. Capacity colours come
 * in `hideout.capacityColours` from services/palette.py (one palette for the map and the charts). */
(function () {
  "use strict";

  function esc(value) { return window.hub.escapeHtml(value); }  // assets/hub.js

  function label(context, key, fallback) {
    var labels = (context && context.hideout && context.hideout.labels) || {};
    return labels[key] || fallback;
  }

  function pane(context) {
    return (context && context.pane) || "overlayPane";
  }

  function majority(byCapacity) {
    var best = null, n = -1;
    Object.keys(byCapacity || {}).forEach(function (k) {
      if (byCapacity[k] > n) { best = k; n = byCapacity[k]; }
    });
    return best;
  }

  window.hubMap = Object.assign({}, window.hubMap, {
    basemapStyle: function () {
      return {color: "#ffffff", weight: 0.7, fillColor: "#e4e7eb", fillOpacity: 1};
    },

    areaStyle: function (feature) {
      var selected = feature.properties.selected;
      return {color: selected ? "#0b3d75" : "#5b8cc4", weight: selected ? 2 : 1,
              fillColor: "#5b8cc4", fillOpacity: selected ? 0.35 : 0.15, dashArray: selected ? null : "3"};
    },

    areaEach: function (feature, layer, context) {
      var p = feature.properties;
      layer.bindTooltip(esc(p.name) + ": " + esc((p.missions || []).join(", ")), {sticky: true});
    },

    placePoint: function (feature, latlng, context) {
      var p = feature.properties;
      // The hub's palette (services/palette.py), passed in the layer's hideout: one definition for all.
      var palette = (context && context.hideout && context.hideout.capacityColours) || {};
      var colour = palette[majority(p.by_capacity)] || palette._other || "#777777";
      return L.circleMarker(latlng, {radius: 5 + 3 * Math.sqrt(p.n || 1), color: "#ffffff", weight: 1.5,
                                     fillColor: colour, fillOpacity: 0.85, pane: pane(context)});
    },

    placeEach: function (feature, layer, context) {
      var p = feature.properties;
      var count = p.label || (p.n + " experts");  // worded with the language's plural forms by the server
      var html = "<strong>" + esc(count) + "</strong>";
      if (p.place) { html += "<br>" + esc(p.place); }
      else if (p.places > 1) { html += "<br>" + esc(p.places) + " " + esc(label(context, "places", "places")); }
      html += "<br>" + esc((p.missions || []).join(", "));
      var caps = p.by_capacity || {};
      html += "<br>" + Object.keys(caps).filter(function (k) { return caps[k] > 0; })
        .map(function (k) { return esc(k) + ": " + esc(caps[k]); }).join(" · ");
      if (p.names && p.names.length) {
        html += "<ul class='hub-popup-names'>" + p.names.map(function (n) { return "<li>" + esc(n) + "</li>"; })
          .join("") + "</ul>";
        if (p.more_names > 0) { html += esc(label(context, "more", "and more") + " " + p.more_names); }
      }
      layer.bindPopup(html);
      layer.bindTooltip(esc(count) + (p.hq ? " · " + esc(p.hq) : ""));
    },

    missionPoint: function (feature, latlng, context) {
      var selected = feature.properties.selected;
      return L.circleMarker(latlng, {radius: selected ? 8 : 6, color: selected ? "#b8452e" : "#222222",
                                     weight: selected ? 3 : 2, fillColor: "#ffffff", fillOpacity: 1,
                                     pane: pane(context)});
    },

    missionEach: function (feature, layer, context) {
      var p = feature.properties;
      layer.bindTooltip(esc(p.acronym));
      layer.bindPopup("<strong>" + esc(p.acronym) + "</strong><br>" + esc(p.name) + "<br>" + esc(p.hq_city) +
                      "<br>" + esc(p.label || p.deployed));
    },

    sitePoint: function (feature, latlng, context) {
      return L.circleMarker(latlng, {radius: 5, color: "#1b6e3c", weight: 2, fillColor: "#9ad1a9",
                                     fillOpacity: 0.9, pane: pane(context)});
    },

    siteEach: function (feature, layer) {
      var p = feature.properties;
      var html = "<strong>" + esc(p.name) + "</strong>";
      (p.projects || []).forEach(function (project) {
        html += "<br>" + esc(project.code) + ": " + esc(project.name) + " (GM" + esc(project.gender_marker) + ")";
      });
      layer.bindPopup(html);
      layer.bindTooltip(esc(p.name));
    }
  });
})();
