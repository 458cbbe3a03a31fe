/* Helpers shared by the hub's other assets, under the one `window.hub` namespace.
 * Dash loads assets in name order, so this file ("hub.js") comes before "hub_*.js"; they call it at run time
 * anyway. Every asset extends its namespace (Object.assign) instead of replacing it, so none clobbers another. */
(function () {
  "use strict";

  // The one HTML escape: Leaflet's bindTooltip/bindPopup and the layers control parse strings as HTML, so every
  // text from the database (titles, names, attribute values) goes through this before it is put in one.
  function escapeHtml(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  window.hub = Object.assign({}, window.hub, {escapeHtml: escapeHtml});
})();
