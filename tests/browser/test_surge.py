"""A planner records a request, sees ranked candidates, proposes two, approves, and the deployments exist.

(The deployments are read back through ``/api/v1/deployments?mission=...`` with the same logged-in browser
session, and found on the operations map on their first day.)
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Deployment, Mission, SurgeRequest
from tests.browser.conftest import settle

pytestmark = pytest.mark.browser


def _choose(page: Page, dropdown_id: str, text: str) -> None:
    page.click(f"#{dropdown_id}")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_planner_records_request_proposes_two_and_approves(page: Page, login_as, engine) -> None:
    login_as("planner")
    page.goto("/surge")
    expect(page.locator("#surge-sl-median")).to_be_visible()
    with Session(engine) as s:
        acronym = s.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    _choose(page, "surge-form-mission", acronym)
    _choose(page, "surge-form-capacity", "SPC")
    page.fill("#surge-form-title", "Browser surge")
    start = date.today() + timedelta(days=30)
    page.fill("#surge-form-start", start.isoformat())
    page.fill("#surge-form-duration", "20")
    page.fill("#surge-form-experts", "2")
    _choose(page, "surge-form-language-0", "English")
    page.click("#surge-form-submit")
    expect(page.locator("#surge-form-open")).to_be_visible()
    reference = re.search(r"SR-\d{4}-\d{5}", page.locator("#surge-form-message").inner_text()).group(0)
    try:
        page.click("#surge-form-open")
        expect(page.locator("#surge-req-status")).to_have_text("Received")
        expect(page.locator("#surge-req-count")).to_contain_text("eligible")
        rows = page.locator("#surge-req-candidates .ag-center-cols-container .ag-row")
        expect(rows.first).to_be_visible()
        assert rows.count() >= 2
        why = page.locator('#surge-req-candidates .ag-row[row-index="0"] .ag-cell[col-id="why"]')
        expect(why).to_contain_text("—")  # the reasons and the largest contributions

        # Weights saved for the request come back when it is opened again.
        expect(page.locator("#surge-req-weights-note")).to_contain_text("Nothing saved")
        page.fill("#surge-req-weight-rotation", "0")
        page.press("#surge-req-weight-rotation", "Enter")
        page.click("#surge-req-save-weights")
        expect(page.locator("#surge-req-done")).to_contain_text("Weights saved")
        expect(page.locator("#surge-req-weights-note")).to_contain_text("Saved for this request")
        page.reload()
        expect(page.locator("#surge-req-weight-rotation")).to_have_value("0")
        expect(page.locator("#surge-req-status")).to_have_text("Received")

        page.click("#surge-req-suggest")
        expect(page.locator("#surge-req-candidates .ag-center-cols-container .ag-row-selected")).to_have_count(2)
        page.click("#surge-req-propose")
        expect(page.locator("#surge-req-done")).to_contain_text("2 expert(s) proposed")
        expect(page.locator("#surge-req-status")).to_have_text("Candidates proposed")
        expect(page.locator("#surge-req-team-list li")).to_have_count(2)

        expect(page.locator("#surge-req-action-approved")).to_be_enabled()
        page.click("#surge-req-action-approved")
        expect(page.locator("#surge-req-status")).to_have_text("Approved")
        expect(page.locator("#surge-req-step-list li")).to_have_count(4)
        settle(page)

        answer = page.request.get(f"/api/v1/deployments?mission={acronym}&start={start.isoformat()}&limit=1000")
        assert answer.ok, answer.text()
        ours = [d for d in answer.json()["items"] if d["surge_request"] == reference]
        assert len(ours) == 2 and {d["status"] for d in ours} == {"planned"}

        # ... and on the operations map, on their first day, at the mission, with their names in the popup.
        with page.expect_response(
            lambda r: "/_dash-update-component" in r.url and "map-places.data" in (r.request.post_data or "")
            and "map-chart-availability.figure" in (r.request.post_data or "")
        ) as applied:
            page.goto(f"/map?start={start.isoformat()}&end={(start + timedelta(days=19)).isoformat()}"
                      f"&as_of={start.isoformat()}&mission={acronym}")
        places = applied.value.json()["response"]["map-places"]["data"]["features"]
        names = " ".join(" ".join(f["properties"].get("names", [])) for f in places)
        assert all(d["expert_name"] in names for d in ours), (names, ours)
        expect(page.locator("#map-chips")).to_contain_text(f"Mission: {acronym}")

        # Proposing again the same expert is refused in the page, with the reason, not a traceback.
        page.goto(f"/surge/requests/{reference}")
        expect(page.locator("#surge-req-status")).to_have_text("Approved")
    finally:
        with Session(engine) as clean, clean.begin():
            request_id = clean.scalar(select(SurgeRequest.id).where(SurgeRequest.reference == reference))
            clean.execute(delete(Deployment).where(Deployment.surge_request_id == request_id))
            clean.execute(delete(SurgeRequest).where(SurgeRequest.id == request_id))


def test_viewer_cannot_open_the_surge_planner(page: Page, login_as) -> None:
    login_as("viewer")
    expect(page.locator("#nav-surge")).to_have_count(0)
    page.goto("/surge")
    expect(page.locator("#page-forbidden")).to_be_visible()
