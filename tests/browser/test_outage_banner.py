"""The banner a page shows when its callbacks are answered 503 (the database unreachable, dashboard/errors.py),
instead of leaving the old page on screen as if it were current; the next callback that succeeds removes it.
The 503 is the browser's own interception of Dash's callback requests: the server's side of an outage (the real
cluster stopped) is tests/test_outage.py."""

from __future__ import annotations

import json

from playwright.sync_api import Page, Route, expect

from tests.browser.actions import settle

MESSAGE = "The database is not reachable; try again in a minute."
CALLBACKS = "**/_dash-update-component*"  # Dash 4 adds a query (?endId=...)


def _unreachable(route: Route) -> None:
    route.fulfill(status=503, content_type="application/json", headers={"Retry-After": "30"},
                  body=json.dumps({"error": MESSAGE, "reason": "database_unreachable"}))


def test_a_callback_answered_503_shows_the_banner_until_one_succeeds(page: Page, login_as) -> None:
    login_as("admin")
    expect(page.locator("#hub-outage")).to_have_count(0)

    page.route(CALLBACKS, _unreachable)
    page.locator("a.nav-link[href='/missions']").click()
    banner = page.locator("#hub-outage")
    expect(banner).to_have_text(MESSAGE)
    expect(banner).to_have_attribute("role", "alert")
    expect(banner).to_be_in_viewport()

    page.unroute(CALLBACKS, _unreachable)
    page.locator("a.nav-link[href='/']").click()
    expect(banner).to_have_count(0)
    settle(page)
