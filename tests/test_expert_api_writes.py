"""API writes of the expert record (/api/v1/experts...): every write, its version (ETag / If-Match, 412 stale,
428 missing, 409 stale body version with who changed what), problem+json errors per field, and role refusals."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, select

from models import Deployment, Expert, Mission
from models.db import session_scope
from models.enums import DeploymentKind, DeploymentStatus

API = "/api/v1/experts"


def _profile(**overrides: Any) -> dict[str, Any]:
    return {"staff_number": f"T{secrets.token_hex(4)}", "given_name": "Kofi", "family_name": "Mensah",
            "gender": "male", "nationality": "GHA", "capacity": "SPC", "contract_type": "continuing",
            "email": f"k.{secrets.token_hex(3)}@un.org", **overrides}


@pytest.fixture
def made(server) -> Iterator[list[int]]:
    """Ids of experts the test created through the API (committed: the API owns its transaction); deleted
    after, with their deployments and audit events."""
    ids: list[int] = []
    yield ids
    factory = server.extensions["hub"].session_factory
    with session_scope(factory) as s:
        s.execute(delete(Deployment).where(Deployment.expert_id.in_(ids)))
        s.execute(delete(Expert).where(Expert.id.in_(ids)))


@pytest.fixture
def planner(logged_in):
    return logged_in("planner")


def _create(client, made: list[int], **overrides: Any) -> tuple[int, str]:
    answer = client.post(API, json=_profile(**overrides))
    assert answer.status_code == 201, answer.get_json()
    made.append(answer.get_json()["id"])
    return answer.get_json()["id"], answer.headers["ETag"]


def _fields(answer) -> set[tuple[str, str]]:
    assert answer.mimetype == "application/problem+json", answer.get_data(as_text=True)
    return {(e["field"], e["code"]) for e in answer.get_json()["errors"]}


def test_create_answers_the_record_with_its_etag(planner, made) -> None:
    expert_id, tag = _create(planner, made)
    assert tag == '"v1"'
    got = planner.get(f"{API}/{expert_id}")
    assert got.status_code == 200 and got.headers["ETag"] == tag and got.get_json()["family_name"] == "Mensah"
    record = planner.get(f"{API}/{expert_id}/record").get_json()
    assert record["version"] == 1 and record["absences"] == [] and record["deployments"] == []


def test_create_refused_lists_each_field(planner, made) -> None:
    answer = planner.post(API, json=_profile(given_name="", gender="x", email="nope", entry_on_duty="31/12/2020"))
    assert answer.status_code == 422
    assert _fields(answer) == {("given_name", "required"), ("gender", "one_of"), ("email", "not_email"),
                               ("entry_on_duty", "not_a_date")}
    assert all(e["message"] for e in answer.get_json()["errors"])
    planner.get("/lang/fr")
    french = planner.post(API, json=_profile(given_name=""))
    assert french.get_json()["errors"] == [{"field": "given_name", "code": "required",
                                            "message": "Ce champ est obligatoire."}]
    unknown = planner.post(API, json={**_profile(), "shoe_size": 44})
    assert unknown.status_code == 422


def test_patch_needs_a_current_version(planner, made) -> None:
    expert_id, tag = _create(planner, made)
    assert planner.patch(f"{API}/{expert_id}", json={"grade": "P-4"}).status_code == 428
    changed = planner.patch(f"{API}/{expert_id}", json={"grade": "P-4"}, headers={"If-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"v2"' and changed.get_json()["grade"] == "P-4"
    stale = planner.patch(f"{API}/{expert_id}", json={"grade": "P-5"}, headers={"If-Match": tag})
    assert stale.status_code == 412
    body_stale = planner.patch(f"{API}/{expert_id}", json={"grade": "P-5", "version": 1})
    assert body_stale.status_code == 409
    assert body_stale.get_json()["fields"] == ["grade"] and body_stale.get_json()["changed_by"]
    bad = planner.patch(f"{API}/{expert_id}", json={"status": "separated"}, headers={"If-Match": '"v2"'})
    assert bad.status_code == 422 and _fields(bad) == {("separated_on", "separated_needs_date")}


def test_every_part_is_written_through_the_api(planner, made) -> None:
    expert_id, _tag = _create(planner, made)
    version = 1
    writes = [
        ("post", "skills", {"skill": "investigations", "level": 4}),
        ("patch", "skills/investigations", {"level": 5}),
        ("post", "languages", {"language": "fr", "level": "B2", "speaking": "C1"}),
        ("patch", "languages/fr", {"reading": "B1"}),
        ("post", "clearances", {"clearance": "MEDICAL", "obtained_on": "2025-01-10", "valid_until": "2027-01-10"}),
        ("post", "trainings", {"name": "Community policing", "provider": "UNPOL", "completed_on": "2024-05-01"}),
        ("post", "absences", {"kind": "leave", "start_date": "2026-08-01", "end_date": "2026-08-15"}),
    ]
    for method, path, body in writes:
        answer = getattr(planner, method)(f"{API}/{expert_id}/{path}", json=body, headers={"If-Match": f'"v{version}"'})
        assert answer.status_code in (200, 201), (path, answer.get_json())
        version += 1
        assert answer.headers["ETag"] == f'"v{version}"'
    record = answer.get_json()
    assert record["skills"][0]["level"] == 5
    assert record["languages"] == [{"code": "fr", "name": "French", "level": "B2", "reading": "B1", "writing": None,
                                    "speaking": "C1"}]
    ids = {part: record[part][0]["id"] for part in ("clearances", "trainings", "absences")}
    overlap = planner.post(f"{API}/{expert_id}/absences", json={"kind": "medical", "start_date": "2026-08-10",
                                                                "end_date": "2026-08-20", "version": version})
    assert overlap.status_code == 422 and _fields(overlap) == {("start_date", "absence_overlap")}
    assert "2026-08-01" in overlap.get_json()["errors"][0]["message"]
    for part, row in (*ids.items(), ("skills", "investigations"), ("languages", "fr")):
        gone = planner.delete(f"{API}/{expert_id}/{part}/{row}", headers={"If-Match": f'"v{version}"'})
        assert gone.status_code == 200, (part, gone.get_json())
        version += 1
    assert planner.delete(f"{API}/{expert_id}/skills/investigations",
                          headers={"If-Match": f'"v{version}"'}).status_code == 404


def test_separation_erasure_and_deletion(planner, made, server) -> None:
    expert_id, _tag = _create(planner, made)
    factory = server.extensions["hub"].session_factory
    with session_scope(factory) as s:
        mission = s.scalar(select(Mission.id).order_by(Mission.id).limit(1))
        s.add(Deployment(expert_id=expert_id, mission_id=mission, role="Adviser", kind=DeploymentKind.ASSESSMENT,
                         start_date=date(2023, 1, 1), end_date=date(2023, 2, 1), status=DeploymentStatus.COMPLETED))
    refused = planner.delete(f"{API}/{expert_id}", headers={"If-Match": '"v1"'})
    assert refused.status_code == 409 and _fields(refused) == {("expert", "has_history")}
    not_yet = planner.post(f"{API}/{expert_id}/erasure", json={"version": 1})
    assert not_yet.status_code == 422 and _fields(not_yet) == {("status", "erase_not_separated")}
    separated = planner.post(f"{API}/{expert_id}/separation", json={"separated_on": "2025-12-31"},
                             headers={"If-Match": '"v1"'})
    assert separated.status_code == 200 and separated.get_json()["status"] == "separated"
    erased = planner.post(f"{API}/{expert_id}/erasure", json={}, headers={"If-Match": '"v2"'})
    assert erased.status_code == 200
    body = erased.get_json()
    assert body["erased"] and body["family_name"] == f"#{expert_id}" and body["email"] is None
    assert len(body["deployments"]) == 1
    # An expert without history is deleted.
    other, tag = _create(planner, made)
    assert planner.delete(f"{API}/{other}", headers={"If-Match": tag}).status_code == 204
    assert planner.get(f"{API}/{other}").status_code == 404


@pytest.mark.parametrize("role", ["viewer", "finance", "gis_editor", "briefing"])
def test_roles_without_manage_personnel_are_refused(logged_in, role: str, server) -> None:
    client = logged_in(role)
    factory = server.extensions["hub"].session_factory
    with session_scope(factory) as s:
        expert_id = s.scalar(select(Expert.id).order_by(Expert.id).limit(1))
    tag = {"If-Match": '"v1"'}
    answers = [
        client.post(API, json=_profile()),
        client.patch(f"{API}/{expert_id}", json={"grade": "P-4"}, headers=tag),
        client.delete(f"{API}/{expert_id}", headers=tag),
        client.post(f"{API}/{expert_id}/languages", json={"language": "fr", "level": "B2"}, headers=tag),
        client.patch(f"{API}/{expert_id}/languages/fr", json={"level": "B2"}, headers=tag),
        client.delete(f"{API}/{expert_id}/absences/1", headers=tag),
        client.post(f"{API}/{expert_id}/separation", json={"separated_on": "2025-01-01"}, headers=tag),
        client.post(f"{API}/{expert_id}/erasure", json={}, headers=tag),
    ]
    assert [a.status_code for a in answers] == [403] * len(answers)


def test_the_record_follows_the_field_rule(logged_in, server) -> None:
    factory = server.extensions["hub"].session_factory
    with session_scope(factory) as s:
        expert_id = s.scalar(select(Expert.id).order_by(Expert.id).limit(1))
    viewer = logged_in("viewer").get(f"{API}/{expert_id}/record").get_json()
    assert "family_name" in viewer and "email" not in viewer and "absences" not in viewer
    assert logged_in("briefing").get(f"{API}/{expert_id}/record").status_code == 403


def test_an_empty_if_match_tag_is_a_precondition_failure_not_a_crash(planner, made) -> None:
    """schemathesis found If-Match: "" (werkzeug reads it as None) a 500."""
    expert_id, _tag = _create(planner, made)
    answer = planner.patch(f"{API}/{expert_id}", json={"grade": "P-3"}, headers={"If-Match": '""'})
    assert answer.status_code == 412, answer.get_data(as_text=True)
