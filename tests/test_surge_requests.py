"""Surge requests: the form's checks, the dated and attributed workflow, proposals, approval, service level."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import DateTime, cast, literal, select

from models import AuditEvent, Capacity, Deployment, Mission, SurgeRequest, SurgeRequestStep
from models.enums import DeploymentStatus, Gender, Role, SurgeStatus
from services.access import Principal
from services.errors import Conflict, Forbidden, ValidationError
from services.records import StaleEdit
from services.surge import requests as surge
from services.surge.matching import Rule, Weights
from services.surge.requests import LanguageWanted, RequestFilter, SkillWanted
from services.surge.service_level import ServiceLevel, service_level, service_level_by_period
from tests.factories import END, START, expert, planner
from tests.factories import SURGE_TODAY as TODAY
from tests.factories import qualified_expert as qualified
from tests.factories import surge_form as _form


def test_the_form_lists_every_problem(session) -> None:
    principal = planner(session)
    bad = _form(session, mission="NOPE", title=" ", experts_requested=0, wanted_start=date(2031, 1, 1),
                skills=(SkillWanted("no_such_skill"), SkillWanted("prison_security", 20, 9)),
                languages=(LanguageWanted("en", "Z9"),))
    with pytest.raises(ValidationError) as error:
        surge.create_request(session, principal, bad, today=TODAY)
    found = {p.as_tuple() for p in error.value.problems}
    assert found == {("mission", "unknown"), ("title", "required"), ("experts_requested", "range"),
                     ("wanted_start", "past"), ("skills.0.code", "unknown"), ("skills.1.weight", "range"),
                     ("skills.1.min_level", "range"), ("languages.0.min_level", "one_of")}
    text = str(error.value)  # in English, each problem with its field
    for part in ("mission: Unknown: NOPE.", "title: This field is required.",
                 "experts_requested: At least 1 expert, at most 50.", "wanted_start: The start cannot be in the past.",
                 "skills.1.weight: Above 0 and at most 10."):
        assert part in text, part


def test_only_planners_record_requests(session) -> None:
    with pytest.raises(Forbidden):
        surge.create_request(session, Principal(0, "v", Role.VIEWER), _form(session), today=TODAY)


def test_request_goes_from_received_to_deployed_with_dated_attributed_steps(session) -> None:
    principal = planner(session)
    request = surge.create_request(session, principal, _form(session), today=TODAY)
    assert request.reference.startswith("SR-2031-") and request.status == SurgeStatus.RECEIVED
    a = qualified(session, gender=Gender.FEMALE, languages={"en": "C1"})
    b = qualified(session, gender=Gender.MALE, languages={"en": "C1"})
    ranking = surge.candidates(session, principal, request.id)
    assert ranking.explain(a.id).eligible and ranking.explain(b.id).eligible

    made = surge.propose(session, principal, request.reference, [a.id, b.id], version=request.version)
    session.refresh(request)
    deployments = session.scalars(select(Deployment).where(Deployment.id.in_(made))).all()
    assert {d.status for d in deployments} == {DeploymentStatus.PLANNED}
    assert {(d.start_date, d.end_date) for d in deployments} == {(START, END)}
    assert request.status == SurgeStatus.CANDIDATES_PROPOSED

    with pytest.raises(Conflict, match="already in this request's team"):
        surge.propose(session, principal, request.id, [a.id])
    # Stale: refused with who changed the request and what (the proposal moved its status and team).
    with pytest.raises(StaleEdit, match=rf"changed by {principal.username} at .* \(status, team\)") as stale:
        surge.advance(session, principal, request.id, SurgeStatus.APPROVED, version=request.version - 1)
    assert (stale.value.by, stale.value.fields) == (principal.username, ["status", "team"])
    surge.advance(session, principal, request.id, SurgeStatus.APPROVED, version=request.version)
    surge.advance(session, principal, request.id, SurgeStatus.DEPLOYED)
    with pytest.raises(Conflict, match="cannot become"):
        surge.advance(session, principal, request.id, SurgeStatus.WITHDRAWN)
    session.expire_all()
    assert {d.status for d in session.scalars(select(Deployment).where(Deployment.id.in_(made)))} == \
        {DeploymentStatus.ONGOING}
    detail = surge.get_request(session, principal, request.reference, today=TODAY)
    assert [s["status"] for s in detail["steps"]] == ["received", "under_review", "candidates_proposed",
                                                      "approved", "deployed"]
    assert all(s["by"] == principal.username and s["at"] for s in detail["steps"])
    assert {m["expert_id"] for m in detail["team"]} == {a.id, b.id}


def test_an_excluded_or_busy_expert_is_refused_with_the_reason(session) -> None:
    principal = planner(session)
    first = surge.create_request(session, principal, _form(session), today=TODAY)
    second = surge.create_request(session, principal, _form(session, title="Second"), today=TODAY)
    e = qualified(session)
    surge.propose(session, principal, first.id, [e.id])
    with pytest.raises(Conflict, match="already proposed for another request.*" + first.reference):
        surge.propose(session, principal, second.id, [e.id])
    # Withdrawing the first request frees the expert.
    surge.advance(session, principal, first.id, SurgeStatus.WITHDRAWN)
    surge.propose(session, principal, second.id, [e.id])
    with pytest.raises(Conflict, match="no proposed expert"):
        surge.advance(session, principal, first.id, SurgeStatus.APPROVED)


def test_each_request_requires_its_own_clearances(session) -> None:
    principal = planner(session)
    default = surge.create_request(session, principal, _form(session), today=TODAY)
    field = surge.create_request(session, principal, _form(session, clearances=("SSAFE", "MEDICAL")), today=TODAY)
    desk = surge.create_request(session, principal, _form(session, clearances=()), today=TODAY)
    assert surge.get_request(session, principal, default.id, today=TODAY)["clearances"] == ["MEDICAL", "SECURITY"]
    assert surge.get_request(session, principal, field.id, today=TODAY)["clearances"] == ["MEDICAL", "SSAFE"]
    assert surge.get_request(session, principal, desk.id, today=TODAY)["clearances"] == []
    holder = qualified(session, languages={"en": "C1"})  # MEDICAL and SECURITY, no SSAFE
    none = qualified(session, languages={"en": "C1"}, clearances={})
    assert surge.candidates(session, principal, default.id).explain(holder.id).eligible
    assert Rule.CLEARANCE in surge.candidates(session, principal, field.id).explain(holder.id).excluded_by
    assert Rule.CLEARANCE in surge.candidates(session, principal, default.id).explain(none.id).excluded_by
    assert surge.candidates(session, principal, desk.id).explain(none.id).eligible
    with pytest.raises(ValidationError, match=r"clearances\.0: Unknown: NOPE"):
        surge.create_request(session, principal, _form(session, clearances=("NOPE",)), today=TODAY)
    with pytest.raises(ValidationError, match=r"clearances\.1: Listed twice"):
        surge.create_request(session, principal, _form(session, clearances=("MEDICAL", "MEDICAL")), today=TODAY)


def test_weights_saved_for_a_request_rank_it_for_everyone(session) -> None:
    principal = planner(session)
    request = surge.create_request(session, principal, _form(session), today=TODAY)
    qualified(session, languages={"en": "C1"})
    detail = surge.get_request(session, principal, request.id, today=TODAY)
    assert detail["weights"] == Weights().as_dict() and not detail["weights_saved"]
    assert surge.candidates(session, principal, request.id).weights == Weights()

    chosen = Weights(skills=9, rotation=0)
    surge.save_weights(session, principal, request.reference, chosen, version=detail["version"])
    other = Principal(principal.user_id, "another-planner", Role.PLANNER)
    detail = surge.get_request(session, other, request.id, today=TODAY)
    assert detail["weights"] == chosen.as_dict() and detail["weights_saved"]
    # Another planner ranks with the saved weights; weights passed in still win (the page while adjusting).
    assert surge.candidates(session, other, request.id).weights == chosen
    assert surge.candidates(session, other, request.id, Weights()).weights == Weights()
    assert session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "surge_weights_saved",
                                                          AuditEvent.entity_id == str(request.id))
                          )["weights"] == chosen.as_dict()

    with pytest.raises(StaleEdit, match=rf"changed by {principal.username} at .* \(weights\)"):
        surge.save_weights(session, principal, request.id, Weights(), version=detail["version"] - 1)
    with pytest.raises(ValidationError, match="from 0 to 10"):
        surge.save_weights(session, principal, request.id, Weights.from_mapping({"skills": 11}))
    with pytest.raises(Forbidden):
        surge.save_weights(session, Principal(0, "v", Role.VIEWER), request.id, Weights())
    # Saving the defaults clears them; a closed request's ranking no longer changes.
    surge.save_weights(session, principal, request.id, Weights(), version=detail["version"])
    assert session.scalar(select(SurgeRequest.score_weights).where(SurgeRequest.id == request.id)) is None
    surge.advance(session, principal, request.id, SurgeStatus.WITHDRAWN)
    with pytest.raises(Conflict, match="can no longer change"):
        surge.save_weights(session, principal, request.id, chosen)


def test_the_database_has_the_last_word_on_overlaps(session) -> None:
    """Rules checked, then someone else's deployment lands: the constraint refuses, the message explains."""
    principal = planner(session)
    request = surge.create_request(session, principal, _form(session), today=TODAY)
    e = qualified(session)
    real_rank = surge.rank

    def stale_rank(s, need, weights=None):  # the ranking was computed before the other write
        ranking = real_rank(s, need, weights)
        s.add(Deployment(expert_id=e.id, mission_id=need.mission_id, role="Other", kind="surge",
                         start_date=START, end_date=START + timedelta(days=3), status=DeploymentStatus.PLANNED))
        s.flush()
        return ranking

    surge.rank = stale_rank
    try:
        with pytest.raises(Conflict, match="just assigned by someone else"):
            surge.propose(session, principal, request.id, [e.id])
    finally:
        surge.rank = real_rank


def test_list_flags_overdue_requests(session) -> None:
    principal = planner(session)
    old = surge.create_request(session, principal, _form(session, received_on=date(2031, 2, 10)), today=TODAY)
    new = surge.create_request(session, principal, _form(session, received_on=TODAY), today=TODAY)
    page = surge.list_requests(session, principal, RequestFilter(overdue_only=True), today=TODAY)
    refs = {r["reference"] for r in page.items}
    assert old.reference in refs and new.reference not in refs
    row = next(r for r in page.items if r["reference"] == old.reference)
    assert row["overdue"] and row["days_open"] == 10 and row["target_days"] == 3


def _deployed_request(session, capacity: str, received: datetime, days: float) -> SurgeRequest:
    capacity_id = session.scalar(select(Capacity.id).where(Capacity.code == capacity))
    mission = session.scalar(select(Mission.id).order_by(Mission.id))
    request = SurgeRequest(reference=f"T-SL-{secrets.token_hex(6)}", mission_id=mission,
                           capacity_id=capacity_id, title="t", received_on=received.date(), experts_requested=1,
                           wanted_start=received.date(), duration_days=30, priority="high",
                           status=SurgeStatus.DEPLOYED)
    request.steps = [SurgeRequestStep(status=SurgeStatus.RECEIVED, at=received),
                     SurgeRequestStep(status=SurgeStatus.DEPLOYED, at=received + timedelta(days=days))]
    session.add(request)
    session.flush()
    return request


def test_service_level_in_sql(session) -> None:
    t0 = datetime(2035, 1, 10, 9, tzinfo=UTC)
    for days in (1, 2, 3, 5):
        _deployed_request(session, "JCSC", t0, days)
    _deployed_request(session, "SPC", t0, 10)
    open_one = _deployed_request(session, "JCSC", t0, 1)
    open_one.status = SurgeStatus.UNDER_REVIEW
    session.execute(SurgeRequestStep.__table__.delete().where(
        SurgeRequestStep.request_id == open_one.id, SurgeRequestStep.status == SurgeStatus.DEPLOYED))
    window = dict(start=date(2035, 1, 1), end=date(2035, 1, 31))
    jcsc = service_level(session, capacity_codes=["JCSC"], **window)
    assert jcsc == ServiceLevel(requests=5, deployed=4, median_days=2.5, p90_days=4.4, within_target=3,
                                target_days=3)
    both = service_level(session, **window)
    assert both.requests == 6 and both.deployed == 5 and both.target_days == 3 and both.within_target == 3
    spc = session.scalar(select(Capacity.target_days_to_deploy).where(Capacity.code == "SPC"))
    assert service_level(session, capacity_codes=["SPC"], **window).target_days == spc
    assert service_level(session, start=date(2036, 1, 1)).requests == 0
    rows = service_level_by_period(session, unit="month", **window)
    assert {r.capacity: r.level.deployed for r in rows} == {"JCSC": 4, "SPC": 1}


def test_the_request_keeps_its_step_times_whoever_writes_the_steps(session) -> None:
    """The trigger of migration 0010 copies the received and deployed steps' times onto the request, for ORM
    inserts, plain SQL updates and deletes alike; the service level reads only those."""
    t0 = datetime(2035, 3, 1, 8, tzinfo=UTC)
    request = _deployed_request(session, "JCSC", t0, 2)

    def times() -> tuple[datetime | None, datetime | None]:
        row = session.execute(select(SurgeRequest.received_at, SurgeRequest.deployed_at)
                              .where(SurgeRequest.id == request.id)).one()
        return row[0], row[1]

    assert times() == (t0, t0 + timedelta(days=2))
    steps = SurgeRequestStep.__table__
    session.execute(steps.update().where(steps.c.request_id == request.id, steps.c.status == SurgeStatus.DEPLOYED)
                    .values(occurred_at=t0 + timedelta(days=4)))
    assert times() == (t0, t0 + timedelta(days=4))
    assert service_level(session, capacity_codes=["JCSC"], start=t0.date(), end=t0.date()).median_days == 4.0
    session.execute(steps.delete().where(steps.c.request_id == request.id, steps.c.status == SurgeStatus.DEPLOYED))
    assert times() == (t0, None)
    session.execute(steps.delete().where(steps.c.request_id == request.id))
    assert times() == (None, None)
    # Without a received step, the start of the day the request was received counts (in the server's zone).
    deployed = datetime(2035, 3, 2, 12, tzinfo=UTC)
    session.execute(steps.insert().values(request_id=request.id, status=SurgeStatus.DEPLOYED, at=deployed))
    assert times() == (None, deployed)
    midnight = session.scalar(select(cast(literal(t0.date()), DateTime(timezone=True))))
    expected = round((deployed - midnight).total_seconds() / 86400, 2)
    assert service_level(session, capacity_codes=["JCSC"], start=t0.date(), end=t0.date()).median_days == expected


def test_proposing_an_expert_the_new_rules_exclude_is_refused_with_the_reason(session) -> None:
    principal = planner(session)
    request = surge.create_request(session, principal, _form(session), today=TODAY)  # JCSC, prison security >= 3
    police = qualified(session, capacity="SPC")
    novice = expert(session)  # JCSC, without the skill
    with pytest.raises(Conflict, match="is of the other capacity"):
        surge.propose(session, principal, request.id, [police.id])
    with pytest.raises(Conflict, match="below a required skill's minimum level"):
        surge.propose(session, principal, request.id, [novice.id])


def test_a_request_may_accept_either_capacity_and_desirable_skills(session) -> None:
    principal = planner(session)
    form = _form(session, accept_any_capacity=True,
                 skills=(SkillWanted("prison_security", 3, 3), SkillWanted("investigations", 1, 4, required=False)))
    request = surge.create_request(session, principal, form, today=TODAY)
    detail = surge.get_request(session, principal, request.id)
    assert detail["accept_any_capacity"] and [s["required"] for s in detail["skills"]] == [True, False]
    police = qualified(session, capacity="SPC")  # the request says JCSC, but accepts either
    ranking = surge.candidates(session, principal, request.id)
    assert ranking.explain(police.id).eligible  # and without investigations, only desirable
    assert [(s.code, s.required) for s in ranking.need.skills] == [("prison_security", True),
                                                                   ("investigations", False)]
