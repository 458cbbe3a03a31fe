// When the session ends (idle timeout, logout elsewhere), Dash's callback requests get a 401.
// Instead of a silently frozen page, send the user to the login page with the reason shown there.
(function () {
  const originalFetch = window.fetch;
  window.fetch = function (...args) {
    return originalFetch.apply(this, args).then(function (response) {
      const url = typeof args[0] === "string" ? args[0] : (args[0] && args[0].url) || "";
      if (response.status === 401 && url.indexOf("/_dash-") !== -1) {
        const next = encodeURIComponent(window.location.pathname + window.location.search);
        window.location.assign("/login?expired=1&next=" + next);
      }
      return response;
    });
  };
})();
