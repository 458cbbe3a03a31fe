"""The generated demo data set, on the baseline of hub_test and on rolled-back reloads."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import DataLoad, Deployment, Expert, Lesson, SurgeRequest
from models.enums import AssessmentKind, RecommendationStatus, SurgeStatus
from services.demo_data import DemoDataExists, load_demo

TODAY = date(2026, 11, 22)

EXPERTS_SUM = text(
    "SELECT md5(string_agg(concat_ws('|', staff_number, given_name, family_name, gender, nationality_iso3, grade,"
    " entry_on_duty), ',' ORDER BY staff_number)) FROM expert WHERE is_generated")
DEPLOYMENTS_SUM = text(
    "SELECT md5(string_agg(concat_ws('|', e.staff_number, m.acronym, d.start_date, d.end_date, d.status, d.kind,"
    " d.role), ',' ORDER BY e.staff_number, d.start_date)) FROM deployment d JOIN expert e ON e.id = d.expert_id"
    " JOIN mission m ON m.id = d.mission_id WHERE d.is_generated")
OVERLAPS = text(
    "SELECT count(*) FROM deployment a JOIN deployment b ON a.expert_id = b.expert_id AND a.id < b.id"
    " AND a.period && b.period WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'")
ABSENCE_OVERLAPS = text(
    "SELECT count(*) FROM deployment d JOIN unavailability u ON u.expert_id = d.expert_id AND u.period && d.period"
    " WHERE d.status <> 'cancelled'")


def _scalar(session: Session, stmt) -> int:
    return session.execute(stmt).scalar_one()


def test_baseline_has_every_surge_status(session: Session) -> None:
    statuses = set(session.scalars(select(SurgeRequest.status).distinct()))
    assert statuses == set(SurgeStatus)


def test_deployed_requests_have_their_deployments(session: Session) -> None:
    deployed = session.scalars(select(SurgeRequest.id).where(SurgeRequest.status == SurgeStatus.DEPLOYED)).all()
    assert deployed
    linked = set(session.scalars(select(Deployment.surge_request_id).where(Deployment.surge_request_id.in_(deployed))))
    assert linked == set(deployed)
    days = session.execute(text(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d.start_date - r.received_on) FROM surge_request r"
        " JOIN deployment d ON d.surge_request_id = r.id WHERE r.status = 'deployed'")).scalar_one()
    assert 2 <= days <= 15
    # The steps end with 'deployed', in order.
    bad = session.execute(text(
        "SELECT count(*) FROM surge_request r WHERE r.is_generated AND r.status <> (SELECT s.status FROM"
        " surge_request_step s WHERE s.request_id = r.id ORDER BY s.at DESC, s.id DESC LIMIT 1)")).scalar_one()
    assert bad == 0


def test_baseline_has_no_overlaps(session: Session) -> None:
    assert _scalar(session, OVERLAPS) == 0
    assert _scalar(session, ABSENCE_OVERLAPS) == 0


def test_baseline_shape(session: Session) -> None:
    experts = session.scalars(select(Expert).where(Expert.is_generated.is_(True))).all()
    assert len(experts) == 80
    women = sum(1 for e in experts if e.gender == "female") / len(experts)
    assert 0.15 <= women <= 0.5
    for expert in experts:
        codes = {lang.language_code for lang in expert.languages}
        assert codes & {"en", "fr"}, expert.staff_number
        assert all(1 <= s.level <= 5 for s in expert.skills)
    assert session.scalar(select(func.count()).select_from(Deployment).where(Deployment.is_generated.is_(False))) == 0
    expired = session.execute(text("SELECT count(*) FROM expert_clearance WHERE valid_until < CURRENT_DATE"))
    assert expired.scalar_one() > 0
    kinds = set(session.execute(text("SELECT DISTINCT kind FROM assessment")).scalars())
    assert kinds == {str(k) for k in AssessmentKind}
    rec_statuses = set(session.execute(text("SELECT DISTINCT status FROM recommendation")).scalars())
    assert rec_statuses == {str(s) for s in RecommendationStatus}
    overdue = session.execute(text("SELECT count(*) FROM recommendation WHERE due_on < CURRENT_DATE"
                                   " AND status IN ('open', 'in_progress')")).scalar_one()
    assert overdue > 0
    assert session.scalar(select(func.count()).select_from(DataLoad).where(DataLoad.kind == "demo")) >= 1
    # Money adds up: no allocation is bigger than its grant.
    assert session.execute(text(
        "SELECT count(*) FROM (SELECT g.id FROM grant_agreement g JOIN allocation a ON a.grant_id = g.id"
        " GROUP BY g.id, g.amount HAVING sum(a.amount) > g.amount) x")).scalar_one() == 0
    project_sites = session.execute(text(
        "SELECT count(*), count(country_iso3) FROM site WHERE kind = 'project_site'")).one()
    assert project_sites[0] > 0 and project_sites[0] == project_sites[1]


def test_french_lessons_searchable_without_accents(session: Session) -> None:
    french = session.scalars(select(Lesson).where(Lesson.title_fr.is_not(None))).all()
    assert len(french) >= 10 and any("é" in (lesson.title_fr or "") for lesson in french)
    hits = session.execute(text(
        "SELECT count(*) FROM lesson WHERE search_vector @@ to_tsquery('french', hub_unaccent('securite'))"
    )).scalar_one()
    assert hits >= 1


def test_loading_twice_is_refused(session: Session) -> None:
    with pytest.raises(DemoDataExists, match="replace=True"):
        load_demo(session, experts=5)


def _checksums(session: Session) -> tuple[str, str]:
    return _scalar(session, EXPERTS_SUM), _scalar(session, DEPLOYMENTS_SUM)


def test_same_seed_same_rows(session: Session) -> None:
    first = load_demo(session, experts=40, seed=7, today=TODAY, replace=True)
    sums = _checksums(session)
    second = load_demo(session, experts=40, seed=7, today=TODAY, replace=True)
    assert _checksums(session) == sums
    assert first.counts == second.counts
    load_demo(session, experts=40, seed=8, today=TODAY, replace=True)
    assert _checksums(session) != sums


def test_scale_via_copy(session: Session) -> None:
    report = load_demo(session, experts=500, deployments=5000, seed=11, today=TODAY, replace=True)
    assert report.counts["expert"] == 500
    assert report.counts["deployment"] == 5000
    assert session.scalar(select(func.count()).select_from(Deployment)) == 5000
    assert _scalar(session, OVERLAPS) == 0
    assert _scalar(session, ABSENCE_OVERLAPS) == 0
    statuses = set(session.scalars(select(SurgeRequest.status).distinct()))
    assert statuses == set(SurgeStatus)
    # Deployments sit at missions active when they start.
    misplaced = session.execute(text(
        "SELECT count(*) FROM deployment d JOIN mission m ON m.id = d.mission_id WHERE"
        " (m.start_date IS NOT NULL AND d.start_date < m.start_date) OR (m.end_date IS NOT NULL"
        " AND d.start_date > m.end_date)")).scalar_one()
    assert misplaced == 0
    at_sites = session.execute(text("SELECT avg((site_id IS NOT NULL)::int) FROM deployment")).scalar_one()
    assert at_sites > 0.4
