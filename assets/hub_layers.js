/* Styling of the hub's GIS layers on dash-leaflet maps, driven by the layer's stored style in `hideout`.
 *
 * Use: dl.GeoJSON(data=..., hideout={"style": <layer style>}, style={"variable": "dashExtensions.hubLayers.style"},
 *      pointToLayer={"variable": "dashExtensions.hubLayers.pointToLayer"},
 *      onEachFeature={"variable": "dashExtensions.hubLayers.onEachFeature"}).
 * The style JSON is services/layers.py's (validate_style): color, weight, opacity, fill, fillColor, fillOpacity,
 * radius, symbol, mode (single | categorised | graduated) with field and categories or breaks/colors, label.
 *
 * Attribute values come from uploaded files and are untrusted: popups and tooltips are built as DOM text
 * (textContent) or escaped with escapeHtml, never parsed as HTML.
 */
(function () {
    "use strict";
    var DEFAULT = {color: "#1f78b4", weight: 2, opacity: 1, fill: true, fillColor: "#1f78b4", fillOpacity: 0.3,
                   radius: 6, symbol: "circle", mode: "single"};

    function escapeHtml(value) { return window.hub.escapeHtml(value); }  // assets/hub.js

    function styleOf(context) {
        var stored = (context && context.hideout && context.hideout.style) || {};
        return Object.assign({}, DEFAULT, stored);
    }

    // The fill colour of one feature: categorised and graduated styles read an attribute.
    function colourFor(feature, s) {
        var props = (feature && feature.properties) || {};
        if (s.mode === "categorised" && s.field && s.categories) {
            var key = String(props[s.field]);
            if (Object.prototype.hasOwnProperty.call(s.categories, key)) { return s.categories[key]; }
            return s.fillColor;
        }
        if (s.mode === "graduated" && s.field && s.breaks && s.colors) {
            var v = Number(props[s.field]);
            if (!isFinite(v)) { return s.fillColor; }
            var i = 0;
            while (i < s.breaks.length && v >= s.breaks[i]) { i += 1; }
            return s.colors[i] || s.fillColor;
        }
        return s.fillColor;
    }

    function style(feature, context) {
        var s = styleOf(context);
        var fill = colourFor(feature, s);
        return {color: s.color, weight: s.weight, opacity: s.opacity, fill: s.fill,
                fillColor: fill, fillOpacity: s.fillOpacity};
    }

    function pointToLayer(feature, latlng, context) {
        var s = styleOf(context);
        var fill = colourFor(feature, s);
        var options = {radius: s.radius, color: s.color, weight: s.weight, opacity: s.opacity,
                       fillColor: fill, fillOpacity: Math.max(s.fillOpacity, 0.6), fill: true};
        if (s.symbol === "marker") { return L.marker(latlng, {title: label(feature, s)}); }
        if (s.symbol === "square" || s.symbol === "triangle") {
            var size = 2 * s.radius;
            var shape = s.symbol === "square" ? "0 0," + size + " 0," + size + " " + size + ",0 " + size
                                              : (size / 2) + " 0," + size + " " + size + ",0 " + size;
            var svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + size + "' height='" + size + "'>" +
                "<polygon points='" + shape + "' fill='" + escapeHtml(fill) + "' stroke='" + escapeHtml(s.color) +
                "' stroke-width='1' fill-opacity='" + Number(options.fillOpacity) + "'/></svg>";
            return L.marker(latlng, {icon: L.divIcon({html: svg, className: "hub-symbol", iconSize: [size, size]})});
        }
        return L.circleMarker(latlng, options);
    }

    function label(feature, s) {
        var props = (feature && feature.properties) || {};
        return s.label && props[s.label] !== undefined && props[s.label] !== null ? String(props[s.label]) : "";
    }

    // A popup table of the attributes, built as DOM nodes whose text is never parsed as HTML.
    function popupContent(feature) {
        var table = document.createElement("table");
        table.className = "table table-sm mb-0 hub-popup";
        var props = (feature && feature.properties) || {};
        Object.keys(props).slice(0, 40).forEach(function (key) {
            var row = table.insertRow();
            var th = document.createElement("th");
            th.textContent = key;
            row.appendChild(th);
            row.insertCell().textContent = props[key] === null ? "" : String(props[key]);
        });
        return table;
    }

    // Labels that would overlap an earlier one are hidden (as GIS labelling does), so a layer of many small
    // features stays readable; zooming in brings them back. Leaflet has no label placement of its own.
    function declutter(map) {
        var kept = [];
        map.getContainer().querySelectorAll(".leaflet-tooltip.hub-layer-label").forEach(function (el) {
            el.style.visibility = "";
            var r = el.getBoundingClientRect();
            var clash = kept.some(function (k) {
                return r.left < k.right && r.right > k.left && r.top < k.bottom && r.bottom > k.top;
            });
            if (clash) { el.style.visibility = "hidden"; } else { kept.push(r); }
        });
    }

    function watchLabels(map) {
        if (!map || map._hubLabels) { return; }
        map._hubLabels = true;
        var pending = null;
        var run = function () {
            if (pending) { window.cancelAnimationFrame(pending); }
            pending = window.requestAnimationFrame(function () { pending = null; declutter(map); });
        };
        map.on("zoomend moveend layeradd layerremove", run);
        run();
    }

    function onEachFeature(feature, layer, context) {
        var s = styleOf(context);
        var text = label(feature, s);
        // A label is the attribute's value written on the map (a permanent tooltip, as GIS labels are),
        // centred on an area and beside a point. bindTooltip parses a string as HTML: it is escaped first.
        if (text) {
            var area = /Polygon/.test((feature.geometry && feature.geometry.type) || "");
            layer.bindTooltip(escapeHtml(text), {permanent: true, direction: area ? "center" : "right",
                                                 offset: area ? [0, 0] : [s.radius, 0],
                                                 className: "hub-layer-label"});
            layer.once("add", function () { watchLabels(layer._map); });
        }
        layer.bindPopup(function () { return popupContent(feature); }, {maxHeight: 300});
    }

    window.dashExtensions = Object.assign({}, window.dashExtensions);
    window.dashExtensions.hubLayers = Object.assign({}, window.dashExtensions.hubLayers, {
        style: style, pointToLayer: pointToLayer, onEachFeature: onEachFeature, tooltip: label,
        escapeHtml: escapeHtml, colourFor: colourFor});
}());
