// Dash's renderer shows nothing when a callback request fails. Two failures matter to users:
// - 401: the session ended (idle timeout, logout elsewhere): go to the login page, which says why;
// - 403: the server refused the action for this role: say so in the page instead of freezing silently.
(function () {
  function showRefusal(message) {
    let box = document.getElementById("hub-refusal");
    if (!box) {
      box = document.createElement("div");
      box.id = "hub-refusal";
      box.setAttribute("role", "alert");
      box.className = "alert alert-warning shadow position-fixed bottom-0 end-0 m-3";
      box.style.zIndex = 2000;
      document.body.appendChild(box);
    }
    box.textContent = message; // textContent: the message is shown, never parsed as HTML
  }
  const originalFetch = window.fetch;
  window.fetch = function (...args) {
    return originalFetch.apply(this, args).then(function (response) {
      const url = typeof args[0] === "string" ? args[0] : (args[0] && args[0].url) || "";
      if (url.indexOf("/_dash-") === -1) {
        return response;
      }
      if (response.status === 401) {
        const next = encodeURIComponent(window.location.pathname + window.location.search);
        window.location.assign("/login?expired=1&next=" + next);
      } else if (response.status === 403) {
        response.clone().json().then(function (body) {
          showRefusal((body && body.error) || "Refused.");
        }).catch(function () { showRefusal("Refused."); });
      }
      return response;
    });
  };
})();
