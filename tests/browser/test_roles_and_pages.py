"""What each role sees: the navbar, the pages, and whether expert names reach the browser at all."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Expert
from models.enums import ExpertStatus
from services.mission_overview import mission_overview

pytestmark = pytest.mark.browser


def grid_update(page: Page, path: str, grid_id: str) -> dict[str, Any]:
    """Opens ``path`` and returns the props the server sent to the grid ``grid_id`` (its data, not the DOM)."""
    with page.expect_response(
        lambda r: "/_dash-update-component" in r.url and grid_id in (r.request.post_data or "")
    ) as response:
        page.goto(path)
    assert response.value.ok, response.value.text()
    return response.value.json()["response"][grid_id]


def test_briefing_sees_home_only_and_no_experts(page: Page, login_as) -> None:
    login_as("briefing")
    expect(page.locator("#nav-home")).to_be_visible()
    expect(page.locator("#nav-missions")).to_have_count(0)
    expect(page.locator("#nav-experts")).to_have_count(0)

    page.goto("/experts")
    expect(page.locator("#page-forbidden")).to_be_visible()
    expect(page.locator("#page-forbidden")).to_contain_text("Not available to your role")
    expect(page.locator("#experts-grid")).to_have_count(0)
    expect(page.locator(".ag-row")).to_have_count(0)


def test_viewer_sees_expert_names(page: Page, login_as, session: Session) -> None:
    login_as("viewer")
    expect(page.locator("#nav-experts")).to_be_visible()
    data = grid_update(page, "/experts", "experts-grid")
    names = {
        f"{family}, {given}"
        for family, given in session.execute(
            select(Expert.family_name, Expert.given_name).where(Expert.status != ExpertStatus.SEPARATED)
        )
    }
    assert data["rowData"], "no experts in the grid"
    # Each name is a markdown link to the expert's page (special characters escaped).
    links = [re.fullmatch(r"\[(.*)\]\(/experts/(\d+)\)", row["name"]) for row in data["rowData"]]
    assert all(links)
    assert {re.sub(r"\\(.)", r"\1", link.group(1)) for link in links if link} == names

    expect(page.locator('.ag-header-cell[col-id="name"]')).to_be_visible()
    first_name = page.locator('.ag-row[row-index="0"] .ag-cell[col-id="name"]')
    expect(first_name).to_have_text(re.compile(r"\S"))
    assert first_name.inner_text() in names
    first_name.locator("a").click()
    page.wait_for_url(re.compile(r"/experts/\d+$"))
    expect(page.locator("#expert-header h1")).to_have_text(re.compile(r"\S"))


def test_gis_editor_receives_no_names(page: Page, login_as, session: Session) -> None:
    login_as("gis_editor")
    data = grid_update(page, "/experts", "experts-grid")
    assert data["rowData"], "no experts in the grid"
    assert all("name" not in row for row in data["rowData"])
    assert all(col["field"] != "name" for col in data["columnDefs"])
    families = {f for (f,) in session.execute(select(Expert.family_name))}
    body = str(data["rowData"])
    assert not any(f"'{family}," in body for family in families)

    expect(page.locator('.ag-header-cell[col-id="capacity"]')).to_be_visible()
    expect(page.locator('.ag-header-cell[col-id="name"]')).to_have_count(0)


def test_missions_grid_filters(page: Page, login_as, session: Session) -> None:
    login_as("viewer")
    active = mission_overview(session, active_only=True)
    every = mission_overview(session)
    assert active, "the baseline data has no active mission"
    page.click("#nav-missions")
    count = page.locator("#missions-count")
    expect(count).to_have_text(re.compile(rf"^{len(active)} missions?$"))

    page.locator("#missions-active-only").uncheck()
    expect(count).to_have_text(re.compile(rf"^{len(every)} missions?$"))

    target = active[0]
    page.fill("#missions-quick-filter", target.acronym)
    expect(page.locator(f'.ag-center-cols-container .ag-row[row-id="{target.acronym}"]')).to_be_visible()
    visible = page.locator(".ag-pinned-left-cols-container .ag-row").all_inner_texts()
    assert target.acronym in visible
    if len(every) > 1:
        assert len(visible) < len(every)
