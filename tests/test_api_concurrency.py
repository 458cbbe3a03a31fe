"""Optimistic concurrency is required on every API write to a surge request: GET gives an ETag; a change
without If-Match and without `version` is 428; a stale If-Match is 412, a stale `version` 409; the right one
passes and the answer carries the new ETag. Two writers racing with the same ETag: one wins, one gets 412."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Deployment, Mission, SurgeRequest

PROBLEM = "application/problem+json"
START = date.today() + timedelta(days=20)


@pytest.fixture
def surge_request(logged_in, session, engine):
    client = logged_in("planner")
    acronym = session.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    created = client.post("/api/v1/surge-requests", json={
        "mission": acronym, "title": "Concurrency", "wanted_start": START.isoformat(), "duration_days": 30,
        "capacity": "SPC", "clearances": []})
    assert created.status_code == 201, created.get_json()
    ref = created.get_json()["reference"]
    yield client, ref
    with Session(engine) as clean, clean.begin():
        request_id = clean.scalar(select(SurgeRequest.id).where(SurgeRequest.reference == ref))
        clean.execute(delete(Deployment).where(Deployment.surge_request_id == request_id))
        clean.execute(delete(SurgeRequest).where(SurgeRequest.id == request_id))


def _free_expert(client, ref: str) -> int:
    page = client.get(f"/api/v1/surge-requests/{ref}/candidates?limit=1").get_json()
    assert page["items"], page
    return page["items"][0]["expert_id"]


def _writes(client, ref: str, session) -> list[tuple[str, str, dict]]:
    """(method, url, body without version) of every write to an existing request."""
    return [
        ("put", f"/api/v1/surge-requests/{ref}/weights", {"skills": 7}),
        ("post", f"/api/v1/surge-requests/{ref}/proposals", {"expert_ids": [_free_expert(client, ref)]}),
        ("post", f"/api/v1/surge-requests/{ref}/steps", {"status": "approved"}),
    ]


def test_get_gives_an_etag_of_the_version(surge_request) -> None:
    client, ref = surge_request
    response = client.get(f"/api/v1/surge-requests/{ref}")
    assert response.headers["ETag"] == f'"v{response.get_json()["version"]}"'
    assert client.get(f"/api/v1/surge-requests/{ref}/steps").headers["ETag"] == response.headers["ETag"]


def test_every_write_needs_the_version(surge_request, session) -> None:
    client, ref = surge_request
    # A stale version is told who changed the request and what (the fields of the write before it).
    changed_before = iter([[], ["weights"], ["status", "team"]])
    for method, url, body in _writes(client, ref, session):
        before = client.get(f"/api/v1/surge-requests/{ref}")
        etag, version = before.headers["ETag"], before.get_json()["version"]
        call = getattr(client, method)

        missing = call(url, json=body)
        assert missing.status_code == 428 and missing.mimetype == PROBLEM, (url, missing.get_json())
        assert "If-Match" in missing.get_json()["detail"]
        star = call(url, json=body, headers={"If-Match": "*"})
        assert star.status_code == 428, url
        empty = call(url, json=body, headers={"If-Match": '""'})  # names no version (it was a 500)
        assert empty.status_code == 412 and empty.mimetype == PROBLEM, (url, empty.get_json())
        stale_tag = call(url, json=body, headers={"If-Match": f'"v{version - 1}"'})
        assert stale_tag.status_code == 412 and stale_tag.mimetype == PROBLEM, (url, stale_tag.get_json())
        stale_body = call(url, json={**body, "version": version - 1})
        stale = stale_body.get_json()
        assert stale_body.status_code == 409 and stale["changed_by"] and stale["fields"] == next(changed_before)
        assert f"changed by {stale['changed_by']} at " in stale["detail"], stale
        assert client.get(f"/api/v1/surge-requests/{ref}").get_json()["version"] == version  # nothing changed

        right = call(url, json=body, headers={"If-Match": etag})
        assert right.status_code in (200, 201), (url, right.get_json())
        after = client.get(f"/api/v1/surge-requests/{ref}")
        assert after.get_json()["version"] > version and right.headers["ETag"] == after.headers["ETag"]


def test_the_version_in_the_body_still_works(surge_request) -> None:
    client, ref = surge_request
    version = client.get(f"/api/v1/surge-requests/{ref}").get_json()["version"]
    saved = client.put(f"/api/v1/surge-requests/{ref}/weights", json={"skills": 3, "version": version})
    assert saved.status_code == 200 and saved.get_json()["weights"]["skills"] == 3


def test_two_writers_with_one_etag_one_wins(surge_request, logged_in) -> None:
    client, ref = surge_request
    other = logged_in("planner")
    etag = client.get(f"/api/v1/surge-requests/{ref}").headers["ETag"]
    first = client.put(f"/api/v1/surge-requests/{ref}/weights", json={"skills": 5}, headers={"If-Match": etag})
    second = other.put(f"/api/v1/surge-requests/{ref}/weights", json={"skills": 9}, headers={"If-Match": etag})
    assert first.status_code == 200 and second.status_code == 412
    assert client.get(f"/api/v1/surge-requests/{ref}").get_json()["weights"]["skills"] == 5


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_the_etag_of_a_compressed_answer_works_in_if_match(surge_request, coding: str) -> None:
    """A client accepting compression (every HTTP library does) gets the compressed answer's ETag marked with
    its coding ("v3" then "v3:gzip", flask-compress's doing) and sends back what it got: the same version."""
    client, ref = surge_request
    read = client.get(f"/api/v1/surge-requests/{ref}", headers={"Accept-Encoding": coding})
    assert read.headers["Content-Encoding"] == coding
    version = int(read.headers["ETag"].strip('"').split(":")[0][1:])
    assert read.headers["ETag"] == f'"v{version}:{coding}"'
    saved = client.put(f"/api/v1/surge-requests/{ref}/weights", json={"skills": 4},
                       headers={"If-Match": read.headers["ETag"], "Accept-Encoding": coding})
    assert saved.status_code == 200, saved.get_data(as_text=True)[:300]
    now = client.get(f"/api/v1/surge-requests/{ref}").get_json()  # uncompressed: the test client does not inflate
    assert saved.headers["ETag"] == f'"v{now["version"]}:{coding}"' and now["weights"]["skills"] == 4
    for refused in (f'"v{version + 5}:{coding}"', f'"v{now["version"]}:rot13"'):
        stale = client.put(f"/api/v1/surge-requests/{ref}/weights", json={"skills": 6}, headers={"If-Match": refused})
        assert stale.status_code == 412, refused


def test_the_document_declares_it(logged_in) -> None:
    spec = logged_in("viewer").get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    writes = [("/api/v1/surge-requests/{key}/steps", "post"), ("/api/v1/surge-requests/{key}/weights", "put"),
              ("/api/v1/surge-requests/{key}/proposals", "post")]
    for path, method in writes:
        operation = paths[path][method]
        assert {"409", "412", "428"} <= set(operation["responses"]), path
        assert PROBLEM in operation["responses"]["428"]["content"]
        assert any(p["name"] == "If-Match" and p["in"] == "header" for p in operation["parameters"])
    assert "ETag" in paths["/api/v1/surge-requests/{key}"]["get"]["responses"]["200"]["headers"]

