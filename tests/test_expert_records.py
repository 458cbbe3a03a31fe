"""The expert record's rules (services.experts): each part's rule book, versions, audit, separation, erasure."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AuditEvent, Deployment, Expert, ExpertLanguage, Mission, Unavailability
from models.enums import DeploymentKind, DeploymentStatus, Role
from services import experts
from services.access import Principal
from services.errors import Forbidden, NotFound
from services.records import Problems
from services.records.versioning import StaleEdit, VersionRequired
from tests.factories import planner


def _profile(**overrides: Any) -> dict[str, Any]:
    return {"staff_number": f"T{secrets.token_hex(4)}", "given_name": "Amina", "family_name": "Diallo",
            "gender": "female", "nationality": "SEN", "capacity": "jcsc", "contract_type": "fixed_term",
            "email": f"a.{secrets.token_hex(3)}@un.org", "entry_on_duty": "2021-03-01", **overrides}


def _codes(error: pytest.ExceptionInfo[Problems]) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in error.value.problems}


@pytest.fixture
def who(session: Session) -> Principal:
    return planner(session)


@pytest.fixture
def expert(session: Session, who: Principal) -> Expert:
    return experts.create_expert(session, who, _profile())


def _events(session: Session, expert_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.entity == "expert",
                                                         AuditEvent.entity_id == str(expert_id))
                                .order_by(AuditEvent.id)))


# --- profile ------------------------------------------------------------------------------------------------
def test_create_cleans_looks_up_and_audits(session: Session, who: Principal) -> None:
    made = experts.create_expert(session, who, _profile(given_name="  Amina ", capacity="jcsc"))
    assert made.given_name == "Amina" and made.capacity.code == "JCSC" and made.version == 1
    assert made.nationality_iso3 == session.scalar(select(Expert.nationality_iso3).where(Expert.id == made.id))
    events = _events(session, made.id)
    assert [e.action for e in events] == ["expert.create"]
    assert events[0].detail["created"]["family_name"] == "Diallo"


def test_create_refuses_with_every_problem(session: Session, who: Principal, expert: Expert) -> None:
    with pytest.raises(Problems) as refused:
        experts.create_expert(session, who, _profile(staff_number=expert.staff_number, given_name="",
                                                     gender="x", email="not-an-email", nationality="ZZZ",
                                                     capacity="NOPE", entry_on_duty="01/03/2021"))
    codes = _codes(refused)
    assert {("given_name", "required"), ("gender", "one_of"), ("email", "not_email"),
            ("entry_on_duty", "not_a_date")} <= codes
    # Lookups and uniqueness are checked too once the fields themselves are valid.
    with pytest.raises(Problems) as refused:
        experts.create_expert(session, who, _profile(staff_number=expert.staff_number, email=expert.email,
                                                     nationality="ZZZ", capacity="NOPE"))
    assert _codes(refused) == {("staff_number", "taken"), ("email", "taken"), ("nationality", "unknown_country"),
                               ("capacity", "unknown_capacity")}


def test_a_viewer_may_not_write(session: Session, expert: Expert) -> None:
    viewer = Principal(0, "t-viewer", Role.VIEWER)
    with pytest.raises(Forbidden):
        experts.create_expert(session, viewer, _profile())
    with pytest.raises(Forbidden):
        experts.update_expert(session, viewer, expert.id, {"grade": "P-4"}, version=expert.version)
    with pytest.raises(Forbidden):
        experts.add_part(session, viewer, expert.id, "languages", {"language": "fr", "level": "B2"}, version=1)


def test_update_is_partial_versioned_and_audited_with_before_and_after(session: Session, who: Principal,
                                                                        expert: Expert) -> None:
    experts.update_expert(session, who, expert.id, {"grade": "P-4", "functional_title": "Judicial officer"},
                          version=1)
    assert expert.version == 2 and expert.grade == "P-4" and expert.family_name == "Diallo"
    event = _events(session, expert.id)[-1]
    assert event.action == "expert.update"
    assert event.detail["changes"] == {"grade": {"before": None, "after": "P-4"},
                                       "functional_title": {"before": None, "after": "Judicial officer"}}


def test_a_stale_edit_is_refused_with_who_changed_what(session: Session, who: Principal, expert: Expert) -> None:
    experts.update_expert(session, who, expert.id, {"grade": "P-4"}, version=1)
    with pytest.raises(StaleEdit) as stale:
        experts.update_expert(session, who, expert.id, {"grade": "P-5"}, version=1)
    assert stale.value.by == who.username and stale.value.fields == ["grade"]
    assert expert.grade == "P-4"
    with pytest.raises(VersionRequired):
        experts.update_expert(session, who, expert.id, {"grade": "P-5"}, version=None)


def test_a_part_change_bumps_the_version_so_a_stale_profile_edit_is_told(session: Session, who: Principal,
                                                                         expert: Expert) -> None:
    experts.add_part(session, who, expert.id, "languages", {"language": "fr", "level": "C1"}, version=1)
    assert expert.version == 2
    with pytest.raises(StaleEdit) as stale:
        experts.update_expert(session, who, expert.id, {"grade": "P-5"}, version=1)
    assert stale.value.fields == ["languages.fr.level"]


def test_separation_needs_its_date_and_only_with_the_status(session: Session, who: Principal,
                                                            expert: Expert) -> None:
    with pytest.raises(Problems) as refused:
        experts.update_expert(session, who, expert.id, {"status": "separated"}, version=1)
    assert _codes(refused) == {("separated_on", "separated_needs_date")}
    with pytest.raises(Problems) as refused:
        experts.update_expert(session, who, expert.id, {"separated_on": "2025-01-01"}, version=1)
    assert _codes(refused) == {("separated_on", "date_needs_separated")}
    with pytest.raises(Problems) as refused:
        experts.separate_expert(session, who, expert.id, "2020-01-01", version=1)  # before entry on duty
    assert _codes(refused) == {("separated_on", "date_order")}
    experts.separate_expert(session, who, expert.id, "2025-06-30", version=1)
    assert expert.status.value == "separated" and expert.separated_on == date(2025, 6, 30)


def _deploy(session: Session, expert_id: int) -> None:
    mission = session.scalar(select(Mission.id).where(Mission.hq.is_not(None)).order_by(Mission.id).limit(1))
    session.add(Deployment(expert_id=expert_id, mission_id=mission, role="Adviser", kind=DeploymentKind.SURGE,
                           start_date=date(2024, 1, 1), end_date=date(2024, 3, 31),
                           status=DeploymentStatus.COMPLETED))
    session.flush()


def test_an_expert_with_history_is_never_deleted(session: Session, who: Principal, expert: Expert) -> None:
    _deploy(session, expert.id)
    with pytest.raises(experts.HasHistory) as refused:
        experts.delete_expert(session, who, expert.id, version=1)
    assert refused.value.problems[0].params == {"deployments": 1}
    assert session.get(Expert, expert.id) is not None


def test_an_expert_entered_by_mistake_is_deleted_with_its_parts(session: Session, who: Principal,
                                                                expert: Expert) -> None:
    experts.add_part(session, who, expert.id, "languages", {"language": "fr", "level": "C1"}, version=1)
    experts.delete_expert(session, who, expert.id, version=2)
    assert session.get(Expert, expert.id) is None
    assert session.scalar(select(func.count()).select_from(ExpertLanguage)
                          .where(ExpertLanguage.expert_id == expert.id)) == 0
    assert _events(session, expert.id)[-1].detail["deleted"]["family_name"] == "Diallo"


def test_erasure_keeps_anonymous_history_only(session: Session, who: Principal, expert: Expert) -> None:
    _deploy(session, expert.id)
    experts.add_part(session, who, expert.id, "absences", {"kind": "medical", "start_date": "2025-02-01",
                                                          "end_date": "2025-02-10", "note": "surgery"}, version=1)
    with pytest.raises(Problems) as refused:
        experts.erase_expert(session, who, expert.id, version=2)
    assert _codes(refused) == {("status", "erase_not_separated")}
    experts.separate_expert(session, who, expert.id, "2025-06-30", version=2)
    experts.erase_expert(session, who, expert.id, version=3)
    session.expire_all()
    erased = session.get(Expert, expert.id)
    assert erased is not None and erased.erased_at is not None
    assert (erased.given_name, erased.family_name, erased.staff_number, erased.email) == \
        ("Erased", f"#{expert.id}", f"ERASED-{expert.id}", None)
    assert erased.gender.value == "female" and erased.capacity.code == "JCSC"  # anonymous history stays
    assert session.scalar(select(func.count()).select_from(Deployment).where(Deployment.expert_id == expert.id)) == 1
    assert session.scalar(select(func.count()).select_from(Unavailability)
                          .where(Unavailability.expert_id == expert.id)) == 0
    assert "Diallo" not in str(_events(session, expert.id)[-1].detail)
    with pytest.raises(Problems) as refused:  # an erased record is closed
        experts.update_expert(session, who, expert.id, {"given_name": "Amina"}, version=erased.version)
    assert _codes(refused) == {("expert", "erased")}


# --- parts --------------------------------------------------------------------------------------------------
def test_skill_rules(session: Session, who: Principal, expert: Expert) -> None:
    with pytest.raises(Problems) as refused:
        experts.add_part(session, who, expert.id, "skills", {"skill": "", "level": 9}, version=1)
    assert _codes(refused) == {("skill", "required"), ("level", "range")}
    with pytest.raises(Problems) as refused:
        experts.add_part(session, who, expert.id, "skills", {"skill": "basket_weaving", "level": 3}, version=1)
    assert _codes(refused) == {("skill", "unknown_skill")}
    experts.add_part(session, who, expert.id, "skills", {"skill": "investigations", "level": 3}, version=1)
    with pytest.raises(Problems) as refused:
        experts.add_part(session, who, expert.id, "skills", {"skill": "investigations", "level": 4}, version=2)
    assert _codes(refused) == {("skill", "already_listed")}
    after = experts.change_part(session, who, expert.id, "skills", "investigations", {"level": 5}, version=2)
    assert after == {"skill": "investigations", "level": 5}
    experts.remove_part(session, who, expert.id, "skills", "investigations", version=3)
    assert [e.action for e in _events(session, expert.id)][-3:] == \
        ["expert.skills.add", "expert.skills.change", "expert.skills.remove"]
    with pytest.raises(NotFound):
        experts.remove_part(session, who, expert.id, "skills", "investigations", version=4)


def test_language_rules_with_cefr_levels(session: Session, who: Principal, expert: Expert) -> None:
    with pytest.raises(Problems) as refused:
        experts.add_part(session, who, expert.id, "languages",
                         {"language": "french", "level": "B3", "reading": "Z9"}, version=1)
    assert _codes(refused) == {("language", "not_iso639"), ("level", "one_of"), ("reading", "one_of")}
    with pytest.raises(Problems) as refused:  # ISO 639-1, but not one the hub lists
        experts.add_part(session, who, expert.id, "languages", {"language": "zu", "level": "B1"}, version=1)
    assert _codes(refused) == {("language", "unknown_language")}
    added = experts.add_part(session, who, expert.id, "languages",
                             {"language": "FR", "level": "c1", "reading": "C2", "writing": "B2"}, version=1)
    assert added == {"language": "fr", "level": "C1", "reading": "C2", "writing": "B2", "speaking": None}
    changed = experts.change_part(session, who, expert.id, "languages", "fr", {"speaking": "C1"}, version=2)
    assert changed["speaking"] == "C1" and changed["reading"] == "C2"


def test_clearance_and_training_validity(session: Session, who: Principal, expert: Expert) -> None:
    with pytest.raises(Problems) as refused:
        experts.add_part(session, who, expert.id, "clearances",
                         {"clearance": "nope", "obtained_on": "2025-01-01", "valid_until": "2024-01-01"}, version=1)
    assert _codes(refused) == {("valid_until", "date_order")}
    with pytest.raises(Problems) as refused:
        experts.add_part(session, who, expert.id, "clearances", {"clearance": "nope", "obtained_on": "2025-01-01"},
                         version=1)
    assert _codes(refused) == {("clearance", "unknown_clearance")}
    row = experts.add_part(session, who, expert.id, "clearances",
                           {"clearance": "bsafe", "obtained_on": "2025-01-01", "valid_until": "2028-01-01"}, version=1)
    assert row["clearance"] == "BSAFE"
    with pytest.raises(Problems) as refused:
        experts.add_part(session, who, expert.id, "trainings",
                         {"name": "", "completed_on": "2025-05-01", "valid_until": "2025-04-01"}, version=2)
    assert _codes(refused) == {("name", "required"), ("valid_until", "date_order")}
    training = experts.add_part(session, who, expert.id, "trainings",
                                {"name": "Prison security", "provider": "UNITAR", "completed_on": "2025-05-01",
                                 "valid_until": "2027-05-01"}, version=2)
    changed = experts.change_part(session, who, expert.id, "trainings", training["id"], {"valid_until": None},
                                  version=3)
    assert changed["valid_until"] is None and changed["provider"] == "UNITAR"


def test_absences_do_not_overlap(session: Session, who: Principal, expert: Expert) -> None:
    first = experts.add_part(session, who, expert.id, "absences",
                             {"kind": "leave", "start_date": "2026-07-01", "end_date": "2026-07-20"}, version=1)
    with pytest.raises(Problems) as refused:
        experts.add_part(session, who, expert.id, "absences",
                         {"kind": "training", "start_date": "2026-07-20", "end_date": "2026-07-25"}, version=2)
    assert refused.value.problems[0].code == "absence_overlap"
    assert refused.value.problems[0].params == {"start": "2026-07-01", "end": "2026-07-20", "kind": "leave"}
    with pytest.raises(Problems) as refused:
        experts.add_part(session, who, expert.id, "absences",
                         {"kind": "holiday", "start_date": "2026-08-05", "end_date": "2026-08-01"}, version=2)
    assert _codes(refused) == {("kind", "one_of"), ("end_date", "date_order")}
    # Moving an absence does not collide with itself.
    moved = experts.change_part(session, who, expert.id, "absences", first["id"], {"end_date": "2026-07-25"},
                                version=2)
    assert moved["end_date"] == "2026-07-25"


def test_the_database_has_the_last_word_on_overlapping_absences(session: Session, expert: Expert) -> None:
    from sqlalchemy.exc import IntegrityError

    session.add(Unavailability(expert_id=expert.id, kind="leave", start_date=date(2026, 1, 1),
                               end_date=date(2026, 1, 10)))
    session.flush()
    with pytest.raises(IntegrityError, match="unavailability_no_overlap"), session.begin_nested():
        session.add(Unavailability(expert_id=expert.id, kind="leave", start_date=date(2026, 1, 10),
                                   end_date=date(2026, 1, 12)))
        session.flush()


def test_the_record_reads_by_role(session: Session, who: Principal, expert: Expert) -> None:
    experts.add_part(session, who, expert.id, "absences",
                     {"kind": "leave", "start_date": (date.today() + timedelta(days=3)).isoformat(),
                      "end_date": (date.today() + timedelta(days=9)).isoformat()}, version=1)
    _deploy(session, expert.id)
    full = experts.expert_record(session, who, expert.id)
    assert full["version"] == 2 and len(full["absences"]) == 1 and full["deployments"][0]["lat"] is not None
    gis = experts.expert_record(session, Principal(0, "t-gis", Role.GIS_EDITOR), expert.id)
    assert "family_name" not in gis and "absences" not in gis and "skills" not in gis
    with pytest.raises(Forbidden):
        experts.expert_record(session, Principal(0, "t-brief", Role.BRIEFING), expert.id)


def test_a_page_writes_the_overlapping_absence_in_its_language(server) -> None:
    """The service names the other absence in the API's form (ISO dates, the kind's code); the page writes it
    the reader's way: "31 déc. 2030" and "Congé", not 2030-12-31 and "leave"."""
    from flask_babel import force_locale

    from dashboard.components.record_form import problem_text
    from services.records import Problem

    overlap = Problem("start_date", "absence_overlap", {"start": "2030-12-01", "end": "2030-12-31", "kind": "leave"})
    with server.test_request_context(), force_locale("fr"):
        french = problem_text(overlap)
    with server.test_request_context(), force_locale("en"):
        english = problem_text(overlap)
    assert "2030-12" not in french and "31 déc. 2030" in french.replace("\u00a0", " ") and "Congé" in french, french
    assert "Dec 31, 2030" in english and "(Leave)" in english, english
    # A date-like value that is no date stays as given; another problem's "kind" is not an absence's.
    odd = Problem("start_date", "absence_overlap", {"start": "2030-13-45", "end": "x", "kind": "mystery"})
    with server.test_request_context(), force_locale("en"):
        assert "2030-13-45" in problem_text(odd) and "(mystery)" in problem_text(odd)
