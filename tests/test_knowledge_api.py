"""The knowledge API: role rules, ETag/If-Match, problem+json errors at their fields, files checked by content
and served only as downloads, the search answering any query. Writes commit: what a test made is deleted."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import delete, func, select

from models import Assessment, AuditEvent, Lesson, Mission
from models.db import session_scope
from tests import knowledge_files as files


@pytest.fixture
def cleanup(server):
    factory = server.extensions["hub"].session_factory
    with session_scope(factory) as s:
        last = {m: s.scalar(select(func.coalesce(func.max(m.id), 0))) for m in (Assessment, Lesson)}
        mission = s.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    yield mission
    with session_scope(factory) as s:
        for model, top in last.items():
            s.execute(delete(model).where(model.id > top))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_assessment_lifecycle_with_versions_and_errors(logged_in, cleanup) -> None:
    client = logged_in("assessment_officer")
    bad = client.post("/api/v1/assessments", json={"kind": "nope", "title": "", "start": "31/02/2026"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {(e["field"], e["code"]) for e in bad.get_json()["errors"]} == {
        ("kind", "one_of"), ("title", "required"), ("start", "not_a_date")}
    made = client.post("/api/v1/assessments", json={
        "kind": "technology_needs_assessment", "title": "API TNA", "start": "2026-02-01", "mission": cleanup})
    assert made.status_code == 201, made.get_json()
    aid, tag = made.get_json()["id"], made.headers["ETag"]
    assert client.patch(f"/api/v1/assessments/{aid}", json={"title": "x"}).status_code == 428
    assert client.patch(f"/api/v1/assessments/{aid}", json={"title": "x"},
                        headers={"If-Match": '"v99"'}).status_code == 412
    changed = client.patch(f"/api/v1/assessments/{aid}", json={"findings": "Radios missing"},
                           headers={"If-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    stale = client.patch(f"/api/v1/assessments/{aid}", json={"title": "late", "version": 1})
    assert stale.status_code == 409 and stale.get_json()["fields"] == ["findings"]
    gaps = client.put(f"/api/v1/assessments/{aid}/gaps", headers={"If-Match": changed.headers["ETag"]}, json={
        "gaps": [{"area": "equipment", "gap": "Radios", "severity": "high", "estimated_cost": "1000.50"},
                 {"area": "software", "gap": "Case database", "severity": "critical"}]})
    assert gaps.status_code == 200 and gaps.get_json()["gap_total"] == "1000.50"


def test_reports_are_checked_and_downloaded_only_as_attachments(logged_in, cleanup, server) -> None:
    client = logged_in("assessment_officer")
    aid = client.post("/api/v1/assessments", json={"kind": "mission_manager_visit", "title": "API visit",
                                                   "start": "2026-02-01"}).get_json()["id"]
    refused = client.post(f"/api/v1/assessments/{aid}/attachments",
                          json={"filename": "r.pdf", "content_base64": _b64(files.encrypted_pdf("x"))})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["code"] == "pdf_encrypted"
    assert client.post(f"/api/v1/assessments/{aid}/attachments",
                       json={"filename": "r.pdf", "content_base64": "%%%"}).get_json()["errors"][0]["code"] \
        == "not_base64"
    assert client.get(f"/api/v1/assessments/{aid}").get_json()["attachments"] == []
    ok = client.post(f"/api/v1/assessments/{aid}/attachments",
                     json={"filename": "visit.docx", "content_base64": _b64(files.docx("Visit report text"))})
    assert ok.status_code == 201, ok.get_json()
    got = client.get(f"/api/v1/attachments/{ok.get_json()['id']}")
    assert got.status_code == 200 and got.data.startswith(b"PK")
    assert got.headers["Content-Disposition"].startswith('attachment; filename="visit.docx"')
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    with session_scope(server.extensions["hub"].session_factory) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "attachment_downloaded",
            AuditEvent.entity_id == str(ok.get_json()["id"]))) == 1


def test_follow_up_needs_evidence_to_close_as_implemented(logged_in, cleanup) -> None:
    client = logged_in("assessment_officer")
    aid = client.post("/api/v1/assessments", json={"kind": "mission_manager_visit", "title": "API visit 2",
                                                   "start": "2026-02-01"}).get_json()["id"]
    rec = client.post(f"/api/v1/assessments/{aid}/recommendations", json={
        "text": "Fix radios", "priority": "high", "addressee": "mission", "addressee_mission": cleanup,
        "due_on": "2026-01-01"})
    assert rec.status_code == 201, rec.get_json()
    rid, tag = rec.get_json()["id"], rec.headers["ETag"]
    refused = client.post(f"/api/v1/recommendations/{rid}/follow-ups", headers={"If-Match": tag},
                          json={"status": "implemented", "note": "Done"})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "evidence"
    done = client.post(f"/api/v1/recommendations/{rid}/follow-ups", headers={"If-Match": tag}, json={
        "status": "implemented", "note": "Done", "evidence_files": [
            {"filename": "proof.pdf", "content_base64": _b64(files.pdf("Delivered"))}]})
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["status"] == "implemented"
    assert done.get_json()["follow_ups"][-1]["files"][0]["filename"] == "proof.pdf"
    overdue = client.get("/api/v1/recommendations?overdue=true&limit=1000").get_json()["items"]
    assert rid not in {r["id"] for r in overdue}
    rates = client.get("/api/v1/recommendations/implementation-rate?by=kind").get_json()
    assert any(r["key"] == "mission_manager_visit" and r["implemented"] >= 1 for r in rates)


def test_roles_and_search(logged_in, cleanup) -> None:
    officer = logged_in("assessment_officer")
    lesson = officer.post("/api/v1/lessons", json={"title_fr": "Réforme des polices", "body_fr": "Les policiers."})
    assert lesson.status_code == 201, lesson.get_json()
    hits = officer.get("/api/v1/knowledge/search", query_string={"q": "policier", "kind": "lesson"}).get_json()
    assert lesson.get_json()["id"] in {h["id"] for h in hits["items"]}
    assert "<mark>policiers</mark>" in hits["items"][0]["extract_html"]
    briefing = logged_in("briefing")  # the same test client, now logged in as a briefing user
    assert briefing.get("/api/v1/assessments").status_code == 403
    assert briefing.post("/api/v1/lessons", json={"title_en": "x", "body_en": "y"}).status_code == 403
    assert briefing.get(f"/api/v1/lessons/{lesson.get_json()['id']}").status_code == 404  # a draft
    for q in ["reforme", "", "'\"\\", "a" * 3000, "<b>x</b>"]:
        answer = briefing.get("/api/v1/knowledge/search", query_string={"q": q})
        assert answer.status_code == 200, (q, answer.get_json())
        assert {h["kind"] for h in answer.get_json()["items"]} <= {"lesson"}
        assert lesson.get_json()["id"] not in {h["id"] for h in answer.get_json()["items"]}  # a draft
