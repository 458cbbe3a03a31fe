/* Pages whose view lives in the URL (the operations map, briefing mode) mirror their filter into the address
 * bar with this client-side callback: no reload and no history entry per click, so the link can be copied.
 * Dash's router does not hear replaceState, so the page is not rebuilt. `path` is the page's own path: after
 * the user has navigated away, a late update must not rewrite another page's address. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  hubUrl: {
    write: function (query, path) {
      if (!query || window.location.pathname !== path) { return; }
      var search = "?" + new URLSearchParams(query).toString();
      if (search !== window.location.search) {
        window.history.replaceState(window.history.state, "", window.location.pathname + search);
      }
    }
  }
});
