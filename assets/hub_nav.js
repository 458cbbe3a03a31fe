/* The navbar marks the page being shown: its link, or its item in a dropdown and the dropdown's toggle.
 * Dash's page routing keeps the shell when the page changes, so this follows the pathname in the browser. */
(function () {
  "use strict";

  function within(pathname, href) {  // /funding/grants/3 is under /funding
    return pathname === href || pathname.indexOf(href + "/") === 0;
  }

  // dbc's NavLink and DropdownMenuItem take no aria attributes: the current page's link gets aria-current
  // from its "active" class, including a dropdown's items, which React renders only when the menu opens.
  function syncCurrent(navbar) {
    navbar.querySelectorAll("a.nav-link, a.dropdown-item").forEach(function (link) {
      if (link.classList.contains("active")) { link.setAttribute("aria-current", "page"); }
      else { link.removeAttribute("aria-current"); }
    });
  }

  function watch() {
    var navbar = document.getElementById("shell-navbar");
    if (!navbar || navbar.dataset.hubWatched) { return navbar; }
    navbar.dataset.hubWatched = "1";
    new MutationObserver(function () { syncCurrent(navbar); })
      .observe(navbar, {subtree: true, childList: true, attributes: true, attributeFilter: ["class"]});
    return navbar;
  }

  // groups: {dropdown id: [[item id, href], ...]} for the dropdowns this user's navbar has.
  function markCurrent(pathname, groups) {
    var setProps = window.dash_clientside.set_props;
    Object.keys(groups || {}).forEach(function (group) {
      var inGroup = false;
      groups[group].forEach(function (item) {
        var here = within(pathname || "/", item[1]);
        inGroup = inGroup || here;
        setProps(item[0], {active: here});
      });
      setProps(group, {toggle_class_name: inGroup ? "hub-nav-group active" : "hub-nav-group"});
    });
    var navbar = watch();
    if (navbar) { syncCurrent(navbar); }
    return window.dash_clientside.no_update;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside);
  window.dash_clientside.hubNav = {markCurrent: markCurrent};
})();
