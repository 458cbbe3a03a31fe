/* While the database is unreachable the server answers Dash's requests with 503 and a translated message
 * (dashboard/errors.py). Dash's renderer would only log it and leave the old page on screen as if it were current,
 * so this shows the message in a banner; the next callback that succeeds removes it. */
(function () {
  "use strict";

  var BANNER_ID = "hub-outage";

  function showOutage(message) {
    var box = document.getElementById(BANNER_ID);
    if (!box) {
      box = document.createElement("div");
      box.id = BANNER_ID;
      box.setAttribute("role", "alert");
      // A full-width strip above the page (outside Dash's React tree), so it hides none of the page's controls.
      box.className = "alert alert-danger rounded-0 border-0 mb-0 py-2 text-center";
      document.body.prepend(box);
    }
    box.textContent = message; // textContent: the server's message is shown, never parsed as HTML
  }

  function clearOutage() {
    var box = document.getElementById(BANNER_ID);
    if (box) {
      box.remove();
    }
  }

  function watch(url, response) {
    if (url.indexOf("/_dash-") === -1) {
      return;
    }
    if (response.status === 503) {
      // The hub's 503 always carries its translated message; a proxy's bare 503 shows its status line.
      var fallback = ("503 " + (response.statusText || "")).trim();
      response.clone().json().then(function (body) {
        showOutage((body && body.error) || fallback);
      }).catch(function () { showOutage(fallback); });
    } else if (response.ok) {
      clearOutage();
    }
  }

  var originalFetch = window.fetch;
  window.fetch = function () {
    var args = arguments;
    return originalFetch.apply(this, args).then(function (response) {
      var url = typeof args[0] === "string" ? args[0] : (args[0] && args[0].url) || "";
      watch(url, response);
      return response;
    });
  };

  window.hub = Object.assign({}, window.hub, {showOutage: showOutage, clearOutage: clearOutage});
})();
