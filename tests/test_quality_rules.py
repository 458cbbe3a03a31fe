"""The data-quality rules on hand-made rows: each rule counts a record it should, and the failing record is
reachable from the score (the drill-down is the score's own query, filtered)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select, text

from models import (
    Capacity,
    ClearanceType,
    Deployment,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    Mission,
    Site,
    SurgeRequest,
    SurgeRequestStep,
)
from models.enums import ContractType, DeploymentKind, DeploymentStatus, Gender, Priority, Role, SiteKind, SurgeStatus
from models.quality import QualitySnapshot
from services.access import Principal
from services.errors import Forbidden
from services.quality import scorecard
from services.quality.rules import RULES, Dimension

DAY = date(2031, 6, 15)  # the rules are judged on this day, after every demo record
PLANNER = Principal(user_id=None, username="quality-test", role=Role.PLANNER)  # type: ignore[arg-type]


@pytest.fixture
def world(session):
    """A mission whose host country is known, one capacity, and a way to make experts and deployments."""
    mission = session.scalars(select(Mission).where(Mission.host_countries.any()).order_by(Mission.id)).first()
    capacity = session.scalars(select(Capacity).order_by(Capacity.id)).first()
    counter = iter(range(1, 1000))

    def expert(**fields):
        n = next(counter)
        e = Expert(staff_number=f"QT{n:05d}", given_name=fields.pop("given_name", f"Given{n}"),
                   family_name=fields.pop("family_name", f"Family{n}"), gender=Gender.FEMALE,
                   capacity_id=capacity.id, contract_type=ContractType.FIXED_TERM,
                   nationality_iso3=fields.pop("nationality_iso3", "ITA"), **fields)
        session.add(e)
        session.flush()
        return e

    def deployment(e, **fields):
        d = Deployment(expert_id=e.id, mission_id=mission.id, role="Adviser", kind=DeploymentKind.SURGE,
                       start_date=fields.pop("start_date", DAY - timedelta(days=10)),
                       end_date=fields.pop("end_date", DAY + timedelta(days=30)),
                       status=fields.pop("status", DeploymentStatus.ONGOING), **fields)
        session.add(d)
        session.flush()
        return d

    return mission, capacity, expert, deployment


def _delta(session, build, rule_code: str) -> tuple[int, int, list[int]]:
    before = scorecard.compute(session, DAY).rules[rule_code]
    record_id = build()
    after = scorecard.compute(session, DAY).rules[rule_code]
    failing = [r.id for r in scorecard.failing_records(session, PLANNER, rule_code, day=DAY, limit=10**6)]
    assert record_id in failing, (rule_code, record_id)
    return after.checked - before.checked, after.failing - before.failing, failing


def test_every_rule_has_a_dimension_and_a_sentence() -> None:
    assert {r.dimension for r in RULES} == set(Dimension)
    assert len({r.code for r in RULES}) == len(RULES)
    assert all(r.sentence.endswith(".") for r in RULES)


def test_deployment_without_allocation_is_incomplete(session, world) -> None:
    _m, _c, expert, deployment = world
    assert _delta(session, lambda: deployment(expert()).id, "deployment_without_allocation")[:2] == (1, 1)


def test_deployed_with_an_expired_clearance_is_inconsistent_unless_renewed(session, world) -> None:
    _m, _c, expert, deployment = world
    kind = session.scalars(select(ClearanceType).order_by(ClearanceType.id)).first()

    def build() -> int:
        e = expert()
        session.add(ExpertClearance(expert_id=e.id, clearance_type_id=kind.id, obtained_on=DAY - timedelta(days=800),
                                    valid_until=DAY - timedelta(days=1)))
        return deployment(e).id

    assert _delta(session, build, "deployed_with_expired_clearance")[:2] == (1, 1)
    renewed = expert()
    session.add_all([ExpertClearance(expert_id=renewed.id, clearance_type_id=kind.id,
                                     obtained_on=DAY - timedelta(days=800), valid_until=DAY - timedelta(days=1)),
                     ExpertClearance(expert_id=renewed.id, clearance_type_id=kind.id,
                                     obtained_on=DAY - timedelta(days=2), valid_until=DAY + timedelta(days=700))])
    ok = deployment(renewed)
    assert ok.id not in [r.id for r in scorecard.failing_records(session, PLANNER, "deployed_with_expired_clearance",
                                                                 day=DAY)]


def test_a_completed_deployment_whose_end_is_to_come_is_inconsistent(session, world) -> None:
    _m, _c, expert, deployment = world
    assert _delta(session, lambda: deployment(expert(), status=DeploymentStatus.COMPLETED).id,
                  "completed_before_its_end")[:2] == (1, 1)


def test_a_completion_not_recorded_within_a_week_is_untimely(session, world) -> None:
    _m, _c, expert, deployment = world
    late = _delta(session, lambda: deployment(expert(), start_date=DAY - timedelta(days=60),
                                              end_date=DAY - timedelta(days=8)).id, "completion_not_recorded")
    assert late[:2] == (1, 1)
    recent = deployment(expert(), start_date=DAY - timedelta(days=60), end_date=DAY - timedelta(days=6))
    assert recent.id not in late[2]


def test_a_step_recorded_more_than_7_days_after_it_happened_is_untimely(session, world) -> None:
    mission, capacity, *_ = world
    request = SurgeRequest(reference="QT-LATE-STEPS", mission_id=mission.id, capacity_id=capacity.id,
                           title="Quality test: late steps", received_on=DAY - timedelta(days=30), experts_requested=1,
                           wanted_start=DAY + timedelta(days=10), duration_days=60, priority=Priority.HIGH)
    session.add(request)
    session.flush()
    recorded = datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=UTC) - timedelta(days=1)
    steps: dict[str, SurgeRequestStep] = {}

    def step(status: SurgeStatus, late: timedelta, at: datetime = recorded) -> SurgeRequestStep:
        s = SurgeRequestStep(request_id=request.id, status=status, at=at, occurred_at=at - late)
        session.add(s)
        session.flush()
        return s

    def build() -> int:
        steps["on time"] = step(SurgeStatus.RECEIVED, timedelta(hours=2))
        steps["7 days"] = step(SurgeStatus.UNDER_REVIEW, timedelta(days=7))
        steps["8 days"] = step(SurgeStatus.CANDIDATES_PROPOSED, timedelta(days=8))
        return steps["8 days"].id

    checked, failing, rows = _delta(session, build, "step_recorded_late")
    assert (checked, failing) == (3, 1)  # three steps checked; only the one 8 days late fails
    assert steps["on time"].id not in rows and steps["7 days"].id not in rows
    found = next(r for r in scorecard.failing_records(session, PLANNER, "step_recorded_late", day=DAY,
                                                      mission=mission.id) if r.id == steps["8 days"].id)
    assert found.link == "/surge/requests/QT-LATE-STEPS"  # fixed on its request's page
    assert found.label.startswith("QT-LATE-STEPS · ") and found.mission == mission.acronym
    # A step recorded after the card's day is not that day's.
    future = step(SurgeStatus.APPROVED, timedelta(days=30), at=recorded + timedelta(days=5))
    assert future.id not in {r.id for r in scorecard.failing_records(session, PLANNER, "step_recorded_late",
                                                                     day=DAY, limit=10**6)}
    # The card's timely dimension, its scores by mission and capacity and the daily snapshot include the rule.
    card = scorecard.take_snapshot(session, DAY)
    assert card.by_mission["step_recorded_late"][mission.id].failing >= 1
    assert card.by_capacity["step_recorded_late"][capacity.id].failing >= 1
    assert card.by_dimension()[Dimension.TIMELY].failing >= card.rules["step_recorded_late"].failing >= 1
    kept = session.scalars(select(QualitySnapshot).where(QualitySnapshot.day == DAY,
                                                         QualitySnapshot.rule == "step_recorded_late",
                                                         QualitySnapshot.scope == "mission",
                                                         QualitySnapshot.scope_id == mission.id)).one()
    assert (kept.checked, kept.failing) == (card.by_mission["step_recorded_late"][mission.id].checked,
                                            card.by_mission["step_recorded_late"][mission.id].failing)


def test_the_same_person_twice_is_not_unique(session, world) -> None:
    _m, _c, expert, _d = world
    first = expert(given_name="Zoë", family_name="Quality-Twin")
    before = scorecard.compute(session, DAY).rules["expert_recorded_twice"]
    second = expert(given_name="ZOE", family_name="quality-twin")
    after = scorecard.compute(session, DAY).rules["expert_recorded_twice"]
    assert (after.checked - before.checked, after.failing - before.failing) == (1, 2)  # both are flagged
    failing = {r.id for r in scorecard.failing_records(session, PLANNER, "expert_recorded_twice", day=DAY)}
    assert {first.id, second.id} <= failing
    other_country = expert(given_name="Zoë", family_name="Quality-Twin", nationality_iso3="FRA")
    assert other_country.id not in {r.id for r in scorecard.failing_records(session, PLANNER,
                                                                            "expert_recorded_twice", day=DAY)}


def test_a_site_outside_its_missions_host_countries_is_inaccurate(session, world) -> None:
    mission, *_ = world

    def build() -> int:
        site = Site(name="Quality test: off the map", kind=SiteKind.TEAM_SITE, mission_id=mission.id,
                    location=from_shape(Point(-150.0, -45.0), srid=4326))  # the South Pacific
        session.add(site)
        session.flush()
        return site.id

    assert _delta(session, build, "site_outside_host_countries")[:2] == (1, 1)
    inside = session.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(c.boundary) p FROM country c "
                                  "JOIN mission_host_country h ON h.country_iso3 = c.iso3 WHERE h.mission_id = :m "
                                  "AND c.boundary IS NOT NULL LIMIT 1) x"), {"m": mission.id}).one()
    good = Site(name="Quality test: inside", kind=SiteKind.TEAM_SITE, mission_id=mission.id,
                location=from_shape(Point(*inside), srid=4326))
    session.add(good)
    session.flush()
    assert good.id not in {r.id for r in scorecard.failing_records(session, PLANNER, "site_outside_host_countries",
                                                                   day=DAY)}


def test_a_language_code_that_is_not_iso_639_is_invalid(session, world) -> None:
    _m, _c, expert, _d = world
    session.execute(text("INSERT INTO language (code, name, is_un_official) VALUES ('qqq', 'Not a language', false) "
                         "ON CONFLICT DO NOTHING"))

    def build() -> int:
        e = expert()
        session.add_all([ExpertLanguage(expert_id=e.id, language_code="qqq", level="B2"),
                         ExpertLanguage(expert_id=e.id, language_code="fr", level="C1")])
        session.flush()
        return e.id

    checked, failing, rows = _delta(session, build, "language_not_iso639")
    assert (checked, failing) == (2, 1)  # two languages checked, the made-up code fails
    link = next(r for r in scorecard.failing_records(session, PLANNER, "language_not_iso639", day=DAY)
                if r.id == rows[-1] or r.label.endswith("qqq"))
    assert link.link.startswith("/experts/")


def test_low_rating_without_feedback_and_missing_nationality(session, world) -> None:
    _m, _c, expert, deployment = world
    assert _delta(session, lambda: deployment(expert(), client_rating=1).id,
                  "low_rating_without_feedback")[:2] == (1, 1)
    assert _delta(session, lambda: expert(nationality_iso3=None).id, "expert_without_nationality")[:2] == (1, 1)


def test_scores_by_mission_capacity_dimension_and_the_snapshot(session, world) -> None:
    mission, capacity, expert, deployment = world
    deployment(expert())
    card = scorecard.take_snapshot(session, DAY)
    rule = card.rules["deployment_without_allocation"]
    assert rule.checked >= 1 and rule.failing >= 1
    assert sum(s.checked for s in card.by_mission["deployment_without_allocation"].values()) == rule.checked
    assert card.by_mission["deployment_without_allocation"][mission.id].failing >= 1
    assert card.by_capacity["deployment_without_allocation"][capacity.id].failing >= 1
    dims = card.by_dimension()
    assert dims[Dimension.COMPLETE].checked >= rule.checked and 0 <= dims[Dimension.COMPLETE].rate <= 1
    assert card.overall.checked == sum(s.checked for s in card.rules.values())
    kept = session.scalars(select(QualitySnapshot).where(QualitySnapshot.day == DAY,
                                                         QualitySnapshot.rule == "deployment_without_allocation",
                                                         QualitySnapshot.scope == "all")).one()
    assert (kept.checked, kept.failing) == (rule.checked, rule.failing)
    scorecard.take_snapshot(session, DAY)  # the same day again replaces, never duplicates
    trend = scorecard.trend(session, DAY)
    assert trend[Dimension.COMPLETE][-1][0] == DAY


def test_the_lists_are_for_those_who_keep_the_records(session) -> None:
    viewer = Principal(user_id=None, username="v", role=Role.VIEWER)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        scorecard.failing_records(session, viewer, "deployment_without_allocation", day=DAY)
