"""The data-quality page: leadership sees the scores, a planner drills from a rule to its failing records and
follows a record's link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from models.db import session_scope
from models.quality import QualitySnapshot

pytestmark = pytest.mark.browser


@pytest.fixture
def forget_snapshot(server) -> Iterator[None]:
    """The page takes today's snapshot when none exists: remove it afterwards if this test made it."""
    factory = server.extensions["hub"].session_factory
    with session_scope(factory) as s:
        had = s.scalar(select(QualitySnapshot.day).where(QualitySnapshot.day == date.today()).limit(1))
    yield
    if had is None:
        with session_scope(factory) as s:
            s.execute(delete(QualitySnapshot).where(QualitySnapshot.day == date.today()))


def test_a_planner_drills_from_a_rule_to_a_record(page: Page, login_as, forget_snapshot,
                                                  unfunded_deployment) -> None:
    login_as("planner")
    page.goto("/quality")
    expect(page.locator("#quality-card-complete")).to_contain_text("%")
    rule = page.locator("#quality-rules .ag-center-cols-container .ag-row[row-id='deployment_without_allocation']")
    expect(rule).to_be_visible()
    rule.click()
    expect(page.locator("#quality-failing-title")).to_contain_text("funding allocation")
    link = page.locator(f"#quality-failing a[href='/deployments/{unfunded_deployment[1]}']")
    expect(link).to_have_count(1)
    expect(page.locator("#quality-trend .scatterlayer .trace").first).to_be_attached()


def test_leadership_sees_scores_not_records(page: Page, login_as, forget_snapshot) -> None:
    login_as("viewer")
    page.goto("/quality")
    expect(page.locator("#quality-card-valid")).to_contain_text("%")
    expect(page.get_by_text("Planners and administrators see the failing records")).to_be_visible()
    expect(page.locator("#quality-failing")).to_have_count(0)
