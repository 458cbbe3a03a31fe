"""Assessments, gap registers, recommendations and follow-ups, lessons: the rule books, versions, audit, roles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, Country
from models.enums import Role
from services.errors import Forbidden
from services.knowledge import assessments as A
from services.knowledge import lessons as L
from services.knowledge import recommendations as R
from services.knowledge.attachments import check_file
from services.records.problems import Problems
from services.records.versioning import StaleEdit, VersionRequired
from tests import knowledge_files as files
from tests.knowledge_fixtures import Knowledge, knowledge_fixture  # noqa: F401 - the fixture "knowledge"

GAPS = [{"area": "equipment", "gap": "Radios", "severity": "high", "estimated_cost": "12000"},
        {"area": "software", "gap": "No case-tracking database", "severity": "critical", "estimated_cost": 40000},
        {"area": "personnel", "gap": "No IT officer", "severity": "medium"}]


def _codes(error: Problems) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in error.problems}


def _rec(session, k: Knowledge, **extra):
    data = {"text": "Procure digital radios for the police component.", "priority": "high",
            "addressee": "mission", "addressee_mission": k.mission, "owner": k.owner.username,
            "due_on": (date.today() - timedelta(days=3)).isoformat(), **extra}
    return R.create_recommendation(session, k.officer, k.tna.id, data)


def test_an_assessment_lists_every_problem_at_once(session, knowledge: Knowledge) -> None:
    with pytest.raises(Problems) as caught:
        A.create_assessment(session, knowledge.officer, {
            "kind": "tea_party", "title": "", "mission": "NOPE", "contributing_country": "XX1",
            "start": "2026-05-10", "end": "2026-05-01", "cost": "-3", "expert_ids": ["a", 999999999]})
    assert _codes(caught.value) >= {("kind", "one_of"), ("title", "required"), ("mission", "unknown_mission"),
                                    ("contributing_country", "not_iso3166"), ("end", "date_order"),
                                    ("cost", "range"), ("expert_ids.0", "not_whole"),
                                    ("expert_ids.1", "unknown_record")}


def test_only_assessment_managers_write(session, knowledge: Knowledge) -> None:
    with pytest.raises(Forbidden):
        A.create_assessment(session, knowledge.viewer, {"kind": "mission_manager_visit", "title": "x",
                                                        "start": "2026-01-01"})


def test_a_tna_keeps_a_gap_register_and_other_kinds_do_not(session, knowledge: Knowledge) -> None:
    a = A.set_gaps(session, knowledge.officer, knowledge.tna.id, GAPS, expected=knowledge.tna.version)
    detail = A.get_assessment(session, knowledge.officer, a.id)
    assert [g["area"] for g in detail["gaps"]] == ["equipment", "software", "personnel"]
    assert detail["gap_total"] == 52000
    with pytest.raises(Problems) as caught:
        A.set_gaps(session, knowledge.officer, a.id, [{"area": "moon", "gap": "", "severity": "high"}],
                   expected=a.version)
    assert _codes(caught.value) == {("gaps.0.area", "one_of"), ("gaps.0.gap", "required")}
    with pytest.raises(Problems) as caught:  # a TNA with gaps cannot become another kind
        A.update_assessment(session, knowledge.officer, a.id, {"kind": "mission_manager_visit"}, expected=a.version)
    assert _codes(caught.value) == {("kind", "gaps_only_tna")}
    visit = A.create_assessment(session, knowledge.officer, {"kind": "mission_manager_visit", "title": "Visit",
                                                             "start": "2026-01-01"})
    with pytest.raises(Problems) as caught:
        A.set_gaps(session, knowledge.officer, visit.id, GAPS[:1], expected=visit.version)
    assert _codes(caught.value) == {("gaps", "gaps_only_tna")}


def test_edits_are_versioned_and_audited_with_before_and_after(session, knowledge: Knowledge) -> None:
    a = knowledge.tna
    first = a.version
    with pytest.raises(VersionRequired):
        A.update_assessment(session, knowledge.officer, a.id, {"title": "New"}, expected=None)
    A.update_assessment(session, knowledge.officer, a.id, {"title": "New title", "contributing_country": "SEN"},
                        expected=first)
    assert a.version == first + 1
    assert a.contributing_country_iso3 == session.scalar(select(Country.iso3).where(Country.iso_a3 == "SEN"))
    with pytest.raises(StaleEdit) as caught:
        A.update_assessment(session, knowledge.other_officer, a.id, {"title": "Mine"}, expected=first)
    assert caught.value.by == knowledge.officer.username and "title" in caught.value.fields
    event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "assessment",
                                                     AuditEvent.entity_id == str(a.id))
                            .order_by(AuditEvent.id.desc())).first()
    assert event.detail["changes"]["title"] == {"before": "Police technology needs, test", "after": "New title"}


def test_partial_edit_checks_dates_against_the_stored_one(session, knowledge: Knowledge) -> None:
    with pytest.raises(Problems) as caught:
        A.update_assessment(session, knowledge.officer, knowledge.tna.id, {"end": "2026-01-01"},
                            expected=knowledge.tna.version)
    assert _codes(caught.value) == {("end", "date_order")}


def test_recommendation_addressee_needs_its_own_field(session, knowledge: Knowledge) -> None:
    with pytest.raises(Problems) as caught:
        R.create_recommendation(session, knowledge.officer, knowledge.tna.id, {
            "text": "x", "priority": "urgent", "addressee": "contributing_country", "owner": "nobody-here"})
    assert _codes(caught.value) == {("priority", "one_of"), ("addressee_country", "required"),
                                    ("owner", "unknown_user")}
    rec = R.create_recommendation(session, knowledge.officer, knowledge.tna.id, {
        "text": "Train trainers", "priority": "low", "addressee": "hq_unit", "addressee_unit": "Police Division",
        "addressee_mission": knowledge.mission})
    assert rec.responsible_entity == "Police Division" and rec.addressee_mission_id is None


def test_implemented_only_with_evidence(session, knowledge: Knowledge) -> None:
    rec = _rec(session, knowledge)
    with pytest.raises(Problems) as caught:
        R.add_follow_up(session, knowledge.officer, rec.id, {"status": "implemented", "note": "Done"},
                        expected=rec.version)
    assert _codes(caught.value) == {("evidence", "evidence_required")}
    assert rec.status == "open" and not rec.follow_ups
    with pytest.raises(Problems) as caught:
        R.add_follow_up(session, knowledge.officer, rec.id, {"status": "implemented", "note": "Done"},
                        evidence_links=["javascript:alert(1)"], expected=rec.version)
    assert ("evidence_links.0", "not_a_link") in _codes(caught.value)
    report = check_file(files.pdf("Delivery note: 40 radios"), "delivery.pdf")
    R.add_follow_up(session, knowledge.officer, rec.id, {"status": "implemented", "note": "Radios delivered"},
                    files=[report], expected=rec.version)
    detail = R.get_recommendation(session, knowledge.officer, rec.id)
    assert detail["status"] == "implemented"
    assert detail["follow_ups"][-1]["files"][0]["filename"] == "delivery.pdf"
    assert "not_accepted" not in detail["next_statuses"] and "open" in detail["next_statuses"]


def test_the_owner_follows_up_others_may_not(session, knowledge: Knowledge) -> None:
    rec = _rec(session, knowledge)
    R.add_follow_up(session, knowledge.owner, rec.id, {"status": "in_progress", "note": "Tender launched"},
                    evidence_links=["https://example.org/tender"], expected=rec.version)
    assert rec.status == "in_progress"
    with pytest.raises(Forbidden):
        R.add_follow_up(session, knowledge.viewer, rec.id, {"status": "open", "note": "x"}, expected=rec.version)
    # evidence given earlier counts when it is closed later
    R.add_follow_up(session, knowledge.owner, rec.id, {"status": "implemented", "note": "Done"},
                    expected=rec.version)
    assert rec.status == "implemented"


def test_overdue_due_soon_and_the_owners_list(session, knowledge: Knowledge) -> None:
    late = _rec(session, knowledge)
    soon = _rec(session, knowledge, due_on=(date.today() + timedelta(days=10)).isoformat())
    later = _rec(session, knowledge, due_on=(date.today() + timedelta(days=90)).isoformat())
    mine = R.list_recommendations(session, knowledge.owner, R.RecommendationFilter(owner_id=knowledge.owner.user_id))
    assert [r["id"] for r in mine["items"]] == [late.id, soon.id, later.id]
    assert [r["overdue"] for r in mine["items"]] == [True, False, False]
    overdue = R.list_recommendations(session, knowledge.officer, R.RecommendationFilter(overdue=True))
    assert late.id in {r["id"] for r in overdue["items"]} and soon.id not in {r["id"] for r in overdue["items"]}
    due = R.list_recommendations(session, knowledge.officer, R.RecommendationFilter(due_soon=True))
    assert soon.id in {r["id"] for r in due["items"]} and later.id not in {r["id"] for r in due["items"]}
    with pytest.raises(Forbidden):  # someone else's list needs VIEW_OPERATIONS
        R.list_recommendations(session, knowledge.briefing, R.RecommendationFilter(owner_id=knowledge.owner.user_id))


def test_implementation_rate_by_mission_kind_year_and_country(session, knowledge: Knowledge) -> None:
    A.update_assessment(session, knowledge.officer, knowledge.tna.id, {"contributing_country": "SEN"},
                        expected=knowledge.tna.version)
    recs = [_rec(session, knowledge) for _ in range(4)]
    R.add_follow_up(session, knowledge.officer, recs[0].id, {"status": "implemented", "note": "x"},
                    evidence_links=["https://e.org/1"], expected=recs[0].version)
    R.add_follow_up(session, knowledge.officer, recs[1].id, {"status": "not_accepted", "note": "x"},
                    expected=recs[1].version)
    by_country = {r["key"]: r for r in R.implementation_rate(session, knowledge.officer, "country")}
    sen = by_country["SEN"]
    assert (sen["total"], sen["counted"], sen["implemented"], sen["rate"]) == (4, 3, 1, round(1 / 3, 4))
    assert sen["overdue"] == 2
    years = {r["key"] for r in R.implementation_rate(session, knowledge.officer, "year")}
    assert 2026 in years
    kinds = {r["key"] for r in R.implementation_rate(session, knowledge.officer, "kind")}
    assert "technology_needs_assessment" in kinds


def test_lesson_workflow_needs_a_second_pair_of_eyes(session, knowledge: Knowledge) -> None:
    with pytest.raises(Problems) as caught:
        L.create_lesson(session, knowledge.officer, {"title_en": "Only a title"})
    assert _codes(caught.value) == {("body_en", "required")}
    with pytest.raises(Problems) as caught:
        L.create_lesson(session, knowledge.officer, {})
    assert _codes(caught.value) == {("title_en", "one_language")}
    lesson = L.create_lesson(session, knowledge.officer, {
        "title_en": "Radios first", "body_en": "Procure radios before vehicles.",
        "title_fr": "Les radios d'abord", "body_fr": "Acheter les radios avant les véhicules.",
        "mission": knowledge.mission, "tags": ["equipment", "equipment", "tna"]})
    assert lesson.tags == ["equipment", "tna"] and lesson.status == "draft"
    tagged = L.list_lessons(session, knowledge.officer, L.LessonFilter(tag="tna"))["items"]
    assert [x["id"] for x in tagged] == [lesson.id]
    with pytest.raises(Problems) as caught:
        L.step(session, knowledge.officer, lesson.id, "review", expected=lesson.version)
    assert _codes(caught.value) == {("status", "own_review")}
    with pytest.raises(Problems):
        L.step(session, knowledge.other_officer, lesson.id, "publish", expected=lesson.version)
    L.step(session, knowledge.other_officer, lesson.id, "review", expected=lesson.version)
    L.step(session, knowledge.officer, lesson.id, "publish", expected=lesson.version)
    assert lesson.status == "published" and lesson.published_at is not None
    # a draft is the officers' alone; a published lesson everyone's
    listed = L.list_lessons(session, knowledge.briefing, L.LessonFilter())
    assert lesson.id in {x["id"] for x in listed["items"]}
    L.step(session, knowledge.officer, lesson.id, "withdraw", expected=lesson.version)
    listed = L.list_lessons(session, knowledge.briefing, L.LessonFilter())
    assert lesson.id not in {x["id"] for x in listed["items"]}
    assert knowledge.briefing.role == Role.BRIEFING
