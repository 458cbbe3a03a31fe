"""/api/v1/deployments writes and surge request amendments through the API: ETag/If-Match, stale and missing
versions, problem+json errors at their field, role refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Deployment, Expert, Mission, SurgeRequest
from models.enums import ExpertStatus

FAR = date(2040, 1, 10)  # after every generated deployment


def _free_expert(session) -> int:
    return session.scalar(select(Expert.id).where(Expert.status == ExpertStatus.ACTIVE).order_by(Expert.id)
                          .limit(1))


def _body(session, **kw) -> dict:
    acronym = session.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    return {"expert_id": _free_expert(session), "mission": acronym, "role": "Police adviser", "kind": "start_up",
            "start_date": FAR.isoformat(), "end_date": (FAR + timedelta(days=60)).isoformat(), **kw}


def _clean(engine, ids: list[int]) -> None:
    with Session(engine) as clean, clean.begin():
        clean.execute(delete(Deployment).where(Deployment.id.in_(ids)))


def test_planner_records_changes_and_deletes_a_deployment(logged_in, session, engine) -> None:
    client = logged_in("planner")
    made: list[int] = []
    try:
        created = client.post("/api/v1/deployments", json=_body(session, gender_marker="3"))
        assert created.status_code == 201, created.get_json()
        body = created.get_json()
        made.append(body["id"])
        assert created.headers["ETag"] == '"v1"' and body["gender_marker"] == "3" and body["status"] == "planned"
        assert body["expert_name"] and body["start_date"] == FAR.isoformat()
        url = f"/api/v1/deployments/{body['id']}"
        assert client.get(url).headers["ETag"] == '"v1"'
        # No version: 428; a stale If-Match: 412; a stale version in the body: 409 with who changed what.
        assert client.patch(url, json={"role": "Senior adviser"}).status_code == 428
        changed = client.patch(url, json={"role": "Senior adviser", "allocation_id": None},
                               headers={"If-Match": '"v1"'})
        assert changed.status_code == 200 and changed.headers["ETag"] == '"v2"', changed.get_json()
        assert client.patch(url, json={"role": "Other"}, headers={"If-Match": '"v1"'}).status_code == 412
        # An empty ETag names no version: 412, not a server error (werkzeug parses it as None).
        assert client.patch(url, json={"role": "Other"}, headers={"If-Match": '""'}).status_code == 412
        stale = client.patch(url, json={"role": "Other", "version": 1})
        assert stale.status_code == 409 and stale.mimetype == "application/problem+json"
        assert stale.get_json()["fields"] == ["role"] and stale.get_json()["changed_by"].startswith("t-planner")
        # Problems at their fields, every one.
        bad = client.patch(url, json={"end_date": "2039-01-01", "client_rating": 9, "kind": "holiday",
                                      "version": 2})
        assert bad.status_code == 422, bad.get_json()
        assert {(e["field"], e["code"]) for e in bad.get_json()["errors"]} == {
            ("end_date", "date_order"), ("client_rating", "range"), ("kind", "one_of")}
        # The overlap is explained: the other deployment, its mission and dates.
        clash = client.post("/api/v1/deployments", json=_body(session, start_date=(FAR + timedelta(days=30))
                                                              .isoformat(), end_date=(FAR + timedelta(days=90))
                                                              .isoformat(), kind="training"))
        assert clash.status_code == 422
        (error,) = clash.get_json()["errors"]
        assert error["code"] == "overlap" and FAR.isoformat() in error["message"], error
        extended = client.post(f"{url}/extend", json={"end_date": (FAR + timedelta(days=90)).isoformat()},
                               headers={"If-Match": '"v2"'})
        assert extended.status_code == 200 and extended.get_json()["end_date"] == (FAR + timedelta(days=90)) \
            .isoformat()
        curtailed = client.post(f"{url}/curtail", json={"end_date": (FAR + timedelta(days=20)).isoformat(),
                                                        "version": 3})
        assert curtailed.status_code == 200 and curtailed.headers["ETag"] == '"v4"'
        fr = client.post(f"{url}/curtail", json={"end_date": "demain", "version": 4},
                         headers={"Accept-Language": "fr"})
        assert fr.status_code == 422 and fr.get_json()["errors"][0]["field"] == "end_date"
        assert client.delete(url, json={"version": 4}).status_code == 204
        assert client.get(url).status_code == 404
        made.clear()
    finally:
        _clean(engine, made)


def test_roles_that_do_not_manage_personnel_are_refused(logged_in, session, engine) -> None:
    deployment_id = session.scalar(select(Deployment.id).order_by(Deployment.id).limit(1))
    for role in ("viewer", "finance", "gis_editor"):
        client = logged_in(role)
        assert client.post("/api/v1/deployments", json=_body(session)).status_code == 403, role
        assert client.patch(f"/api/v1/deployments/{deployment_id}", json={"role": "x", "version": 1}) \
            .status_code == 403, role
        assert client.delete(f"/api/v1/deployments/{deployment_id}", json={"version": 1}).status_code == 403
    briefing = logged_in("briefing")
    assert briefing.get(f"/api/v1/deployments/{deployment_id}").status_code == 403
    gis = logged_in("gis_editor").get(f"/api/v1/deployments/{deployment_id}").get_json()
    assert "expert_id" not in gis and "expert_name" not in gis


def _request_body(session) -> dict:
    acronym = session.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    start = date.today() + timedelta(days=20)
    return {"mission": acronym, "title": "API amendment", "wanted_start": start.isoformat(), "duration_days": 30,
            "experts_requested": 1, "capacity": "SPC", "priority": "high",
            "received_on": (date.today() - timedelta(days=1)).isoformat()}


def test_a_request_is_amended_and_its_steps_dated_through_the_api(logged_in, session, engine) -> None:
    client = logged_in("planner")
    created = client.post("/api/v1/surge-requests", json=_request_body(session))
    assert created.status_code == 201, created.get_json()
    ref = created.get_json()["reference"]
    try:
        # Received yesterday: its step happened then (the day's start, UTC), recorded now.
        (step,) = created.get_json()["steps"]
        yesterday = datetime.combine(date.today() - timedelta(days=1), datetime.min.time(), UTC)
        assert datetime.fromisoformat(step["occurred_at"]) == yesterday and step["recorded_at"] != step["occurred_at"]
        url = f"/api/v1/surge-requests/{ref}"
        assert client.post(f"{url}/amendments", json={"experts_requested": 2}).status_code == 428
        amended = client.post(f"{url}/amendments", json={"experts_requested": 2, "note": "Cable 12"},
                              headers={"If-Match": created.headers["ETag"]})
        assert amended.status_code == 201, amended.get_json()
        (kept,) = amended.get_json()["amendments"]
        assert kept["changes"] == {"experts_requested": {"before": 1, "after": 2}} and kept["note"] == "Cable 12"
        bad = client.post(f"{url}/amendments", json={"duration_days": 0, "version": 2})
        assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "duration_days"
        stale = client.post(f"{url}/amendments", json={"title": "Other", "version": 1})
        assert stale.status_code == 409 and stale.get_json()["fields"] == ["experts_requested"]
        when = yesterday + timedelta(hours=15, minutes=30)
        dated = client.patch(f"{url}/steps/received", json={"occurred_at": when.isoformat(), "version": 2})
        assert dated.status_code == 200, dated.get_json()
        assert datetime.fromisoformat(dated.get_json()["steps"][0]["occurred_at"]) == when
        future = client.patch(f"{url}/steps/received", json={
            "occurred_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(), "version": 3})
        assert future.status_code == 422 and future.get_json()["errors"][0]["code"] == "future_step"
        viewer = logged_in("viewer")
        assert viewer.post(f"{url}/amendments", json={"title": "x", "version": 3}).status_code == 403
        assert viewer.patch(f"{url}/steps/received", json={"occurred_at": when.isoformat(), "version": 3}) \
            .status_code == 403
    finally:
        with Session(engine) as clean, clean.begin():
            clean.execute(delete(SurgeRequest).where(SurgeRequest.reference == ref))
