"""The data-quality page: leadership sees the scores, a planner drills from a rule to its failing records and
follows a record's link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

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


@pytest.fixture
def late_step(server) -> Iterator[str]:
    """A committed surge request whose "received" step was recorded 9 days after it happened; removed after."""
    from models import Capacity, Mission, SurgeRequest, SurgeRequestStep
    from models.enums import Priority, SurgeStatus

    factory = server.extensions["hub"].session_factory
    now = datetime.now(UTC)
    with session_scope(factory) as s:
        request = SurgeRequest(reference="QT-LATE-BROWSER", title="Quality test: a late step",
                               mission_id=s.scalars(select(Mission.id).order_by(Mission.id)).first(),
                               capacity_id=s.scalars(select(Capacity.id).order_by(Capacity.id)).first(),
                               received_on=(now - timedelta(days=9)).date(), wanted_start=date.today(),
                               duration_days=30, priority=Priority.LOW)
        s.add(request)
        s.flush()
        s.add(SurgeRequestStep(request_id=request.id, status=SurgeStatus.RECEIVED, at=now,
                               occurred_at=now - timedelta(days=9)))
    yield "QT-LATE-BROWSER"
    with session_scope(factory) as s:
        s.execute(delete(SurgeRequest).where(SurgeRequest.reference == "QT-LATE-BROWSER"))


def test_a_planner_finds_a_step_recorded_late_in_french(page: Page, login_as, forget_snapshot, late_step) -> None:
    login_as("planner")
    page.goto("/lang/fr?next=/quality")
    rule = page.locator("#quality-rules .ag-center-cols-container .ag-row[row-id='step_recorded_late']")
    expect(rule).to_contain_text("Une étape de demande de renfort enregistrée plus de 7 jours")
    expect(rule).to_contain_text("Étapes des demandes de renfort")
    rule.click()
    expect(page.locator(f"#quality-failing a[href='/surge/requests/{late_step}']")).to_have_count(1)


def test_leadership_sees_scores_not_records(page: Page, login_as, forget_snapshot) -> None:
    login_as("viewer")
    page.goto("/quality")
    expect(page.locator("#quality-card-valid")).to_contain_text("%")
    expect(page.get_by_text("Planners and administrators see the failing records")).to_be_visible()
    expect(page.locator("#quality-failing")).to_have_count(0)
