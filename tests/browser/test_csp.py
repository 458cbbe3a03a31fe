"""Every page works under the Content-Security-Policy: nothing it loads or runs is refused, no script error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import settle

pytestmark = pytest.mark.browser

# Each page, and what shows that it has drawn (its charts, map or grid rows come from scripts and callbacks).
PAGES = {
    "/": ["#home-figures .card"],
    "/map": ["#map-chart-missions .main-svg", "#map-map .leaflet-hub-missions-pane svg path"],
    # The grid's cell style is a {"function": ...} string: dash-ag-grid must not need eval for it.
    "/surge": ["#surge-sl-chart .main-svg", "#surge-list-grid .ag-row"],
    "/layers": ["#layers-upload", "#layers-map .leaflet-control-zoom"],
    "/briefing": ["#briefing-map .leaflet-overlay-pane svg path"],
    "/experts": ["#experts-grid .ag-row"],
    "/missions": ["#missions-grid .ag-row"],
}

# Listens before any script of the page runs, so a refusal during the first render is seen too.
LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') +
                              ':' + e.lineNumber);
});
"""


def test_pages_run_under_the_content_security_policy(page: Page, login_as) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.add_init_script(LISTEN)
    login_as("admin")
    for path, drawn in PAGES.items():
        response = page.goto(path)
        assert response is not None and "script-src" in response.headers["content-security-policy"]
        for selector in drawn:
            expect(page.locator(selector).first).to_be_attached()
        settle(page)
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], f"{path}: {violations}"
    assert errors == []
    assert console == []
