"""What a browser test does on a page, shared by the browser tests (they import it from here, not from conftest)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from playwright.sync_api import Error, Page, expect


def submit_login(page: Page, username: str, password: str) -> None:
    """Logs in through the real login form, as a person would (the page stays where the form sends it)."""
    if "/login" not in page.url:
        page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


# Counts the page's fetches in flight (Dash sends every callback with fetch), installed in each page of the
# tests' browser context before the page's own scripts. Playwright's "networkidle" resolves once per document,
# so after the first load it no longer waited for anything: a click could land while a callback's answer was
# still redrawing the page (CI lost a Save click that way when a card above it grew).
FETCH_COUNTER = """(() => {
  if (window.__hubFetches !== undefined) return;
  window.__hubFetches = 0; window.__hubFetchedAt = 0;
  const fetch = window.fetch;
  window.fetch = function (...args) {
    window.__hubFetches++;
    return fetch.apply(this, args).finally(() => { window.__hubFetches--; window.__hubFetchedAt = performance.now(); });
  };
})();"""
QUIET_MS = 250  # a callback's answer often fires the next callback at once: quiet for this long means done


def settle(page: Page) -> None:
    """Waits until the page's callbacks have answered, its charts are drawn and no section is still opening
    (Bootstrap's .collapsing: a button inside moves until it is open). Each response rewrites the
    session cookie, so one still in flight when a test logs out, clears cookies or switches language would undo
    it; and a click during a redraw may land where the button was."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        """quiet => (window.__hubFetches === undefined
                     || (window.__hubFetches === 0 && performance.now() - window.__hubFetchedAt > quiet))
                    && !document.querySelector('.dash-graph--pending, [data-dash-is-loading="true"], .collapsing')""",
        arg=QUIET_MS, polling=100)


def open_map(page: Page, path: str = "/map") -> None:
    """Opens the map and waits for its first answer to be drawn (figures, status line, layers)."""
    page.goto(path)
    expect(page.locator("#map-kf-deployed")).to_be_visible()
    expect(page.locator("#map-status")).to_contain_text(" · ")
    # Each chart is a placeholder until plotly.js has loaded and been parsed; then it is replaced.
    expect(page.locator("#map-chart-missions .main-svg").first).to_be_attached()
    expect(page.locator(".dash-graph--pending")).to_have_count(0)
    settle(page)


def show_overlay(page: Page, name: str, attempts: int = 3) -> None:
    """Ticks an overlay in the map's layers control. The control is rebuilt when the map's first answers
    arrive; a tick that lands while it is rebuilt is lost (CI saw it), so the tick is retried once settled."""
    control = page.locator("#map-map .leaflet-control-layers")
    box = control.locator(".leaflet-control-layers-overlays label", has_text=name).locator("input")
    for attempt in range(attempts):
        settle(page)
        control.hover()
        try:
            box.check(timeout=5_000)
            expect(box).to_be_checked()
            return
        except (Error, AssertionError):
            if attempt == attempts - 1:
                raise


# --- record forms (dashboard/components/record_form.py) ---------------------------------------------------------
def control(form: str, field: str, *, dbc_control: bool = True) -> str:
    """The CSS selector of a record form's control (Dash writes a dict id as JSON with sorted keys)."""
    kind = "record-input" if dbc_control else "record-control"
    ident = json.dumps({"field": field, "form": form, "type": kind}, separators=(",", ":"))
    return f"[id='{ident}']"


def feedback(form: str, field: str) -> str:
    """The CSS selector of the message under a record form's field."""
    ident = json.dumps({"field": field, "form": form, "type": "record-feedback"}, separators=(",", ":"))
    return f"[id='{ident}']"


def open_part_form(page: Page, page_prefix: str, part: str) -> str:
    """Clicks a record part's add button (``page_prefix`` "expert" or "me") and waits for its form to be open;
    returns the form's name. The callback that opens the form also empties its controls, in the same answer, so
    an open form is a filled one. settle() alone can return before the click's callback has even been sent (on a
    busy machine the click's handling takes longer than settle's quiet period), and the late answer then emptied
    what the test had typed."""
    page.click(f"#{page_prefix}-{part}-add")
    expect(page.locator(f"#{page_prefix}-{part}-save")).to_be_visible()
    settle(page)  # the opening transition over
    return f"{page_prefix}-{part}-form"


def save_absence(page: Page, page_prefix: str, kind: str, start: date, end: date) -> str:
    """Opens the absences' add form of an expert's record page ("expert") or the expert's own ("me"), fills it
    and saves; returns the form's name (for its fields' messages)."""
    form = open_part_form(page, page_prefix, "absences")
    page.select_option(control(form, "kind"), kind)
    page.fill(control(form, "start_date"), start.isoformat())
    page.fill(control(form, "end_date"), end.isoformat())
    page.click(f"#{page_prefix}-absences-save")
    return form


def choose(page: Page, selector: str, text: str) -> None:
    """Picks an option of a dcc.Dropdown by typing its label, as a person would."""
    page.click(selector)
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def record_surge_request(page: Page, body: dict[str, Any]) -> dict[str, Any]:
    """A surge request recorded through the API with the page's logged-in session (committed: the caller
    deletes it); its detail as the API gives it."""
    answer = page.request.post("/api/v1/surge-requests", data=body)
    assert answer.status == 201, answer.text()
    return answer.json()


def candidate_rows(page: Page) -> Any:
    """The rows of a surge request's candidates grid."""
    return page.locator("#surge-req-candidates .ag-center-cols-container .ag-row")
