"""Deployments kept by planners: each rule of the rule book, the overlap refusal explained, versions, audit."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from models import Allocation, AuditEvent, Deployment, Mission, Site
from models.enums import ExpertStatus, Role
from services.access import Principal
from services.deployments import records
from services.errors import Forbidden
from services.records import Problems, StaleEdit, VersionRequired, message
from tests.factories import expert, planner

TODAY = date(2031, 2, 20)


def _mission(session) -> str:
    return session.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))


def _data(session, expert_id: int, **kw: Any) -> dict[str, Any]:
    base = {"expert_id": expert_id, "mission": _mission(session), "role": "Corrections adviser",
            "kind": "technical_assistance", "start_date": "2031-03-01", "end_date": "2031-04-30"}
    return {**base, **kw}


def _codes(error: pytest.ExceptionInfo[Problems]) -> set[tuple[str, str]]:
    return {p.as_tuple() for p in error.value.problems}


def test_a_deployment_of_any_kind_is_recorded_and_audited(session) -> None:
    principal = planner(session)
    who = expert(session)
    allocation = session.scalar(select(Allocation.id).order_by(Allocation.id).limit(1))
    made = records.record_deployment(session, principal, _data(
        session, who.id, kind="mission_manager_visit", gender_marker="2", gender_outputs_planned="3",
        allocation_id=allocation), today=TODAY)
    assert (made.status.value, made.gender_marker.value, made.gender_outputs_planned, made.allocation_id) == (
        "planned", "2", 3, allocation)
    event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "deployment",
                                                     AuditEvent.entity_id == str(made.id))).one()
    assert event.action == "deployment_created" and event.detail["created"]["kind"] == "mission_manager_visit"
    # A deployment in the past, recorded as it was planned, is completed with those days as the actual ones.
    past = records.record_deployment(session, principal, _data(session, who.id, start_date="2030-01-10",
                                                               end_date="2030-02-10", kind="assessment"), today=TODAY)
    assert (past.status.value, past.actual_start_date, past.actual_end_date) == (
        "completed", date(2030, 1, 10), date(2030, 2, 10))


def test_every_problem_at_its_field(session) -> None:
    principal = planner(session)
    who = expert(session)
    with pytest.raises(Problems) as error:
        records.record_deployment(session, principal, {
            "expert_id": 999999999, "mission": "NOPE", "role": " ", "kind": "holiday", "start_date": "2031-05-01",
            "end_date": "2031-04-01", "client_rating": 6, "gender_outputs_planned": -1, "allocation_id": 2_000_000_000,
        }, today=TODAY)
    assert _codes(error) == {("expert_id", "unknown"), ("mission", "unknown"), ("role", "required"),
                             ("kind", "one_of"), ("end_date", "date_order"), ("client_rating", "range"),
                             ("gender_outputs_planned", "range"), ("allocation_id", "unknown")}
    with pytest.raises(Problems) as error:
        records.record_deployment(session, principal, _data(session, who.id, start_date="1 March",
                                                            actual_start_date="2031-03-01", client_rating=4),
                                  today=TODAY)
    assert _codes(error) == {("start_date", "not_a_date"), ("actual_start_date", "actual_future")}
    with pytest.raises(Problems) as error:  # a planned deployment has no client rating yet
        records.record_deployment(session, principal, _data(session, who.id, client_rating=4), today=TODAY)
    assert _codes(error) == {("client_rating", "rating_before_start")}


def test_a_site_of_another_mission_and_a_separated_expert_are_refused(session) -> None:
    principal = planner(session)
    acronym = _mission(session)
    other_site = session.scalar(select(Site.id).join(Mission, Mission.id == Site.mission_id)
                                .where(Mission.acronym != acronym).limit(1))
    gone = expert(session, status=ExpertStatus.SEPARATED)
    with pytest.raises(Problems) as error:
        records.record_deployment(session, principal, _data(session, gone.id, site_id=other_site), today=TODAY)
    assert _codes(error) == {("expert_id", "expert_separated"), ("site_id", "site_of_other_mission")}


def test_only_personnel_managers_write(session) -> None:
    who = expert(session)
    with pytest.raises(Forbidden):
        records.record_deployment(session, Principal(0, "v", Role.VIEWER), _data(session, who.id), today=TODAY)


def test_the_database_refuses_an_overlap_and_the_refusal_names_the_other_deployment(session) -> None:
    principal = planner(session)
    who = expert(session)
    first = records.record_deployment(session, principal, _data(session, who.id), today=TODAY)
    with pytest.raises(Problems) as error:
        records.record_deployment(session, principal, _data(session, who.id, start_date="2031-04-15",
                                                            end_date="2031-06-30", kind="training"), today=TODAY)
    (problem,) = error.value.problems
    assert (problem.field, problem.code) == ("start_date", "overlap")
    assert problem.params["other"] == first.id and problem.params["mission"] == _mission(session)
    text = message(problem)
    assert f"Test {who.family_name}" in text and "2031-03-01" in text and "2031-04-30" in text, text
    assert session.get(Deployment, first.id) is not None  # the savepoint kept the session usable
    # Extending into the next deployment: the same refusal, excluding the deployment itself.
    later = records.record_deployment(session, principal, _data(session, who.id, start_date="2031-06-01",
                                                                end_date="2031-06-30"), today=TODAY)
    with pytest.raises(Problems) as error:
        records.extend(session, principal, first.id, "2031-06-10", version=first.version, today=TODAY)
    assert error.value.problems[0].params["other"] == later.id


def test_extend_curtail_complete_with_versions_and_audit(session) -> None:
    principal = planner(session)
    who = expert(session)
    made = records.record_deployment(session, principal, _data(session, who.id, start_date="2031-01-10",
                                                               end_date="2031-03-31"), today=TODAY)
    assert made.status.value == "ongoing"
    with pytest.raises(Problems) as error:
        records.extend(session, principal, made.id, "2031-03-01", version=made.version, today=TODAY)
    assert _codes(error) == {("end_date", "not_longer")}
    records.extend(session, principal, made.id, "2031-04-30", version=made.version, today=TODAY)
    assert made.end_date == date(2031, 4, 30) and made.version == 2
    with pytest.raises(Problems) as error:
        records.curtail(session, principal, made.id, "2031-01-01", version=2, today=TODAY)
    assert _codes(error) == {("end_date", "date_order")}
    records.curtail(session, principal, made.id, "2031-02-15", version=2, today=TODAY)
    with pytest.raises(VersionRequired):
        records.complete(session, principal, made.id, "2031-01-11", "2031-02-14", version=None, today=TODAY)
    with pytest.raises(StaleEdit) as stale:  # someone curtailed it since version 2 was read
        records.complete(session, principal, made.id, "2031-01-11", "2031-02-14", version=2, today=TODAY)
    assert stale.value.by == principal.username and stale.value.fields == ["end_date"]
    with pytest.raises(Problems) as error:
        records.complete(session, principal, made.id, "2031-01-11", "", version=3, today=TODAY)
    assert _codes(error) == {("actual_end_date", "required_when_completed")}
    records.complete(session, principal, made.id, "2031-01-11", "2031-02-14", version=3, today=TODAY)
    assert (made.status.value, made.actual_start_date, made.actual_end_date) == (
        "completed", date(2031, 1, 11), date(2031, 2, 14))
    with pytest.raises(Problems) as error:
        records.extend(session, principal, made.id, "2031-05-01", version=made.version, today=TODAY)
    assert _codes(error) == {("end_date", "finished")}
    records.update_deployment(session, principal, made.id, {"client_rating": "5", "client_feedback": "Superb",
                                                             "gender_outputs_delivered": 2},
                              version=made.version, today=TODAY)
    actions = session.execute(select(AuditEvent.action, AuditEvent.detail).where(
        AuditEvent.entity == "deployment", AuditEvent.entity_id == str(made.id)).order_by(AuditEvent.id)).all()
    assert [a for a, _ in actions] == ["deployment_created", "deployment_extended", "deployment_curtailed",
                                       "deployment_completed", "deployment_updated"]
    assert actions[1][1]["changes"] == {"end_date": {"before": "2031-03-31", "after": "2031-04-30"}}
    assert actions[-1][1]["changes"]["client_rating"] == {"before": None, "after": 5}


def test_an_edit_cannot_leave_the_record_invalid_or_change_its_expert(session) -> None:
    principal = planner(session)
    who, other = expert(session), expert(session)
    made = records.record_deployment(session, principal, _data(session, who.id), today=TODAY)
    with pytest.raises(Problems) as error:  # the new end against the old start
        records.update_deployment(session, principal, made.id, {"end_date": "2031-02-01", "expert_id": other.id},
                                  version=made.version, today=TODAY)
    assert _codes(error) == {("end_date", "date_order"), ("expert_id", "fixed")}


def test_delete_a_deployment_recorded_in_error(session) -> None:
    principal = planner(session)
    made = records.record_deployment(session, principal, _data(session, expert(session).id), today=TODAY)
    made_id = made.id
    records.delete_deployment(session, principal, made_id, version=made.version)
    assert session.get(Deployment, made_id) is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "deployment_deleted",
                                                     AuditEvent.entity_id == str(made_id))).one()
    assert event.detail["deleted"]["role"] == "Corrections adviser"


def test_the_detail_hides_the_expert_from_roles_without_names(session) -> None:
    principal = planner(session)
    made = records.record_deployment(session, principal, _data(session, expert(session).id), today=TODAY)
    assert "expert_name" in records.deployment_detail(session, principal, made.id)
    gis = records.deployment_detail(session, Principal(0, "g", Role.GIS_EDITOR), made.id)
    assert "expert_id" not in gis and "expert_name" not in gis and gis["mission"] == _mission(session)
