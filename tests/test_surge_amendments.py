"""Surge requests made truthful: amendments kept, steps backdated, the service level from when things happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, Deployment, SurgeRequest, SurgeRequestAmendment
from models.enums import SurgeStatus
from services.deployments import records
from services.records import Problems, StaleEdit
from services.surge import amendments
from services.surge import requests as surge
from services.surge.service_level import service_level
from tests.factories import START, planner
from tests.factories import SURGE_TODAY as TODAY
from tests.factories import qualified_expert as qualified
from tests.factories import surge_form as _form


def _codes(error: pytest.ExceptionInfo[Problems]) -> set[tuple[str, str]]:
    return {p.as_tuple() for p in error.value.problems}


def test_an_amendment_is_kept_with_each_fields_before_and_after(session) -> None:
    principal = planner(session)
    request = surge.create_request(session, principal, _form(session), today=TODAY)
    amendments.amend_request(session, principal, request.id, {
        "experts_requested": 3, "wanted_start": (START + timedelta(days=7)).isoformat(),
        "clearances": ["MEDICAL"], "skills": [{"code": "prison_security", "weight": 3, "min_level": 4}],
    }, version=request.version, note="The mission's cable of 19 February", today=TODAY)
    detail = surge.get_request(session, principal, request.id)
    assert (detail["experts_requested"], detail["wanted_start"], detail["clearances"]) == (
        3, START + timedelta(days=7), ["MEDICAL"])
    (kept,) = detail["amendments"]
    assert kept["by"] == principal.username and kept["note"] == "The mission's cable of 19 February"
    assert kept["changes"]["experts_requested"] == {"before": 2, "after": 3}
    assert kept["changes"]["clearances"] == {"before": ["MEDICAL", "SECURITY"], "after": ["MEDICAL"]}
    assert kept["changes"]["skills"]["after"][0]["min_level"] == 4
    assert kept["version"] == detail["version"] == 2
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "surge_request_amended",
                                                     AuditEvent.entity_id == str(request.id))).one()
    assert set(event.detail["changes"]) == {"experts_requested", "wanted_start", "clearances", "skills"}
    # A second planner with the first version is refused, told who amended it and what.
    with pytest.raises(StaleEdit) as stale:
        amendments.amend_request(session, principal, request.id, {"title": "Other"}, version=1, today=TODAY)
    assert "experts_requested" in stale.value.fields


def test_an_amendment_is_checked_like_the_form(session) -> None:
    principal = planner(session)
    request = surge.create_request(session, principal, _form(session), today=TODAY)
    with pytest.raises(Problems) as error:
        amendments.amend_request(session, principal, request.id, {
            "experts_requested": 0, "skills": [{"code": "nope"}], "mission": "OTHER", "title": "x" * 300,
        }, version=request.version, today=TODAY)
    assert _codes(error) == {("experts_requested", "range"), ("mission", "not_amendable"), ("title", "too_long")}
    with pytest.raises(Problems) as error:
        amendments.amend_request(session, principal, request.id, {"skills": [{"code": "nope"}]},
                                 version=request.version, today=TODAY)
    assert _codes(error) == {("skills.0.code", "unknown")}
    with pytest.raises(Problems) as error:
        amendments.amend_request(session, principal, request.id, {"title": request.title},
                                 version=request.version, today=TODAY)
    assert _codes(error) == {("changes", "no_change")}
    assert session.scalars(select(SurgeRequestAmendment).where(
        SurgeRequestAmendment.request_id == request.id)).all() == []


def test_the_proposed_team_moves_with_the_dates_and_an_overlap_is_explained(session) -> None:
    principal = planner(session)
    request = surge.create_request(session, principal, _form(session), today=TODAY)
    member = qualified(session)
    (made,) = surge.propose(session, principal, request.id, [member.id], version=request.version,
                            gender_marker="2")
    assert session.get(Deployment, made).gender_marker.value == "2"
    later = START + timedelta(days=10)
    amendments.amend_request(session, principal, request.id, {"wanted_start": later.isoformat()},
                             version=request.version, today=TODAY)
    assert session.get(Deployment, made).start_date == later
    # The member's next deployment starts the day after the team's end: a longer request runs into it.
    busy_from = session.get(Deployment, made).end_date + timedelta(days=1)
    other = records.record_deployment(session, principal, {
        "expert_id": member.id, "mission": "MINUSCA", "role": "Adviser", "kind": "training",
        "start_date": busy_from.isoformat(), "end_date": (busy_from + timedelta(days=20)).isoformat()}, today=TODAY)
    with pytest.raises(Problems) as error:
        amendments.amend_request(session, principal, request.id, {"duration_days": request.duration_days + 5},
                                 version=request.version, today=TODAY)
    (problem,) = error.value.problems
    assert problem.code == "overlap" and problem.params["other"] == other.id


def _deployed(session, principal, received: datetime) -> SurgeRequest:
    request = surge.create_request(session, principal, _form(session, received_on=received.date(),
                                                             received_at=received), today=TODAY)
    member = qualified(session)
    surge.propose(session, principal, request.id, [member.id], version=request.version)
    surge.advance(session, principal, request.id, SurgeStatus.APPROVED, version=request.version)
    # The planner enters it all afterwards: each step dated when it happened, in the workflow's order.
    for hours, status in enumerate(("under_review", "candidates_proposed", "approved"), start=1):
        amendments.set_step_time(session, principal, request.id, status, received + timedelta(hours=hours),
                                 version=request.version)
    return request


def test_the_service_level_is_computed_from_backdated_steps(session) -> None:
    """A request that came by e-mail, recorded later: its steps are dated when they happened."""
    principal = planner(session)
    received = datetime(2026, 2, 10, 18, 0, tzinfo=UTC)  # in the past of the clock, as steps are
    request = _deployed(session, principal, received)
    received_step = next(s for s in request.steps if s.status == SurgeStatus.RECEIVED)
    assert received_step.occurred_at == received and received_step.at != received  # recorded now, happened then
    surge.advance(session, principal, request.id, SurgeStatus.DEPLOYED, version=request.version,
                  occurred_at=received + timedelta(days=2))
    window = {"capacity_codes": ["JCSC"], "start": received.date(), "end": received.date()}
    assert service_level(session, **window).median_days == 2.0
    # The deployed step really happened half a day earlier: backdated, kept as an amendment.
    amendments.set_step_time(session, principal, request.id, "deployed", received + timedelta(days=1, hours=12),
                             version=request.version, note="Arrival confirmed by the mission")
    assert service_level(session, **window).median_days == 1.5
    detail = surge.get_request(session, principal, request.id)
    assert detail["amendments"][-1]["changes"] == {"steps.deployed.occurred_at": {
        "before": (received + timedelta(days=2)).isoformat(), "after": (received + timedelta(days=1, hours=12))
        .isoformat()}}
    # Once a deployment's actual arrival is recorded, it is the "deployed" time (the day's start, UTC).
    (member,) = detail["team"]
    deployment = session.get(Deployment, member["deployment_id"])
    records.update_deployment(session, principal, deployment.id, {"actual_start_date": "2026-02-13"},
                              version=deployment.version, today=TODAY)
    session.expire_all()
    assert service_level(session, **window).median_days == round((datetime(2026, 2, 13, tzinfo=UTC) - received)
                                                                  .total_seconds() / 86400, 2)


def test_a_step_cannot_be_dated_in_the_future_or_out_of_order(session) -> None:
    principal = planner(session)
    received = datetime(2026, 2, 10, 18, 0, tzinfo=UTC)  # in the past of the clock, as steps are
    request = _deployed(session, principal, received)
    for when, code in [(datetime.now(UTC) + timedelta(days=1), "future_step"),
                       (received - timedelta(hours=1), "before_previous_step"),
                       (datetime(2026, 2, 10, 18, 0), "no_time_zone")]:
        with pytest.raises(Problems) as error:
            amendments.set_step_time(session, principal, request.id, "approved", when, version=request.version)
        assert _codes(error) == {("occurred_at", code)}, code
    with pytest.raises(Problems) as error:
        amendments.set_step_time(session, principal, request.id, "received", received + timedelta(days=30),
                                 version=request.version)
    assert error.value.problems[0].code == "after_next_step"
    with pytest.raises(Problems) as error:
        amendments.set_step_time(session, principal, request.id, "declined", received, version=request.version)
    assert _codes(error) == {("status", "no_step")}


def test_a_closed_request_is_not_amended(session) -> None:
    principal = planner(session)
    request = surge.create_request(session, principal, _form(session), today=TODAY)
    surge.advance(session, principal, request.id, SurgeStatus.WITHDRAWN, version=request.version)
    with pytest.raises(Problems) as error:
        amendments.amend_request(session, principal, request.id, {"title": "Later"}, version=request.version,
                                 today=TODAY)
    assert _codes(error) == {("status", "closed")}


def test_the_page_form_amends_only_what_it_changes(session) -> None:
    """The page's form sends every field; only those that differ become the amendment (an untouched start
    recorded weeks ago is not checked again), and a skill kept keeps its weight and level."""
    principal = planner(session)
    request = surge.create_request(session, principal, _form(session), today=TODAY)
    current = amendments.current_form(session, principal, request)
    values = {"title": current["title"], "wanted_start": current["wanted_start"].isoformat(),
              "duration_days": current["duration_days"], "experts_requested": 3, "note": "",
              "skills": ["prison_security", "investigations"], "clearances": ["SECURITY", "MEDICAL"]}
    changes = amendments.form_changes(current, values)
    assert changes == {"experts_requested": 3, "skills": [
        {"code": "prison_security", "weight": 3.0, "min_level": 3, "required": True}, {"code": "investigations"}]}
    amendments.amend_request(session, principal, request.id, changes, version=request.version, today=TODAY)
    detail = surge.get_request(session, principal, request.id)
    assert {s["code"]: s["min_level"] for s in detail["skills"]} == {"prison_security": 3, "investigations": 1}
    assert amendments.form_changes(amendments.current_form(session, principal, request),
                                   {**values, "experts_requested": "3"}) == {}
