"""/api/v1/projects: writes by programme staff with ETag/If-Match, problem+json refusals listing each field, role
refusals, the IATI file."""

from __future__ import annotations

import secrets

import pytest
from lxml import etree
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Project
from services.projects import iati
from tests.factories import DATA_DIR

PROBLEM = "application/problem+json"


@pytest.fixture
def project(logged_in, engine):
    client = logged_in("programme")
    code = f"API-{secrets.token_hex(3)}"
    created = client.post("/api/v1/projects", json={
        "code": code, "name": "API project", "name_fr": "Projet API", "capacity": "JCSC", "budget": "5000.00",
        "currency": "USD", "start_date": "2030-01-01", "end_date": "2030-12-31", "status": "active",
        "gender_marker": "2", "missions": []})
    assert created.status_code == 201, created.get_json()
    assert created.headers["ETag"] == '"v1"'
    yield client, created.get_json()["id"]
    with Session(engine) as clean, clean.begin():
        clean.execute(delete(Project).where(Project.code == code))


def test_create_refused_with_every_field_problem(logged_in) -> None:
    client = logged_in("programme")
    answer = client.post("/api/v1/projects", json={"code": "", "name": "x" * 300, "capacity": "NOPE",
                                                   "budget": "-3", "currency": "USD", "start_date": "2030-05-01",
                                                   "end_date": "2030-01-01", "status": "maybe",
                                                   "gender_marker": "1"})
    assert answer.status_code == 422 and answer.mimetype == PROBLEM
    errors = {(e["field"], e["code"]) for e in answer.get_json()["errors"]}
    assert errors == {("code", "required"), ("name", "too_long"), ("capacity", "unknown"), ("budget", "at_least"),
                      ("end_date", "date_order"), ("status", "one_of")}


def test_french_messages(logged_in) -> None:
    client = logged_in("programme")
    client.get("/lang/fr?next=/projects")  # the language the user chose, as the page's switch does
    answer = client.post("/api/v1/projects", json={"code": ""})
    messages = {e["field"]: e["message"] for e in answer.get_json()["errors"]}
    assert messages["code"] == "Ce champ est obligatoire."


def test_writes_need_the_version_and_refuse_stale_ones(project) -> None:
    client, pid = project
    url = f"/api/v1/projects/{pid}"
    assert client.patch(url, json={"name": "No version"}).status_code == 428
    ok = client.patch(url, json={"name": "Renamed"}, headers={"If-Match": '"v1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"v2"' and ok.get_json()["name"] == "Renamed"
    stale = client.patch(url, json={"name": "Late"}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    conflict = client.patch(url, json={"name": "Late", "version": 1})
    assert conflict.status_code == 409
    assert conflict.get_json()["fields"] == ["name"] and conflict.get_json()["changed_by"].startswith("t-programme")


def test_parts_milestone_result_actual_site(project) -> None:
    client, pid = project
    base = f"/api/v1/projects/{pid}"
    milestone = client.post(f"{base}/milestones", json={"title": "Plan", "due_on": "2030-03-01",
                                                        "status": "planned"})
    assert milestone.status_code == 201, milestone.get_json()
    mid = milestone.get_json()["id"]
    refused = client.patch(f"{base}/milestones/{mid}", json={"status": "achieved"}, headers={"If-Match": '"v1"'})
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.get_json()["errors"]] == [("achieved_on", "required")]
    done = client.patch(f"{base}/milestones/{mid}", json={"status": "achieved", "achieved_on": "2030-03-02"},
                        headers={"If-Match": '"v1"'})
    assert done.status_code == 200 and done.headers["ETag"] == '"v2"'
    outcome = client.post(f"{base}/results", json={"level": "outcome", "statement": "S", "indicator": "I",
                                                   "unit": "count", "target": "10"}).get_json()
    output = client.post(f"{base}/results", json={"level": "output", "parent_id": outcome["id"], "statement": "T",
                                                  "indicator": "People trained", "unit": "count", "target": "50",
                                                  "about_people": True}).get_json()
    url = f"{base}/results/{output['id']}/actuals"
    unsplit = client.post(url, json={"period_start": "2030-01-01", "period_end": "2030-03-31", "value": "12"})
    assert unsplit.status_code == 422
    assert {e["code"] for e in unsplit.get_json()["errors"]} == {"split_by_sex"}
    actual = client.post(url, json={"period_start": "2030-01-01", "period_end": "2030-03-31", "value": "12",
                                    "women": "5", "men": "7"})
    assert actual.status_code == 201 and actual.get_json()["women"] == "5.00"
    # another project's path does not reach this result
    assert client.post(f"/api/v1/projects/{pid + 100000}/results/{output['id']}/actuals",
                       json={"period_start": "2030-04-01", "period_end": "2030-06-30", "value": "1"}
                       ).status_code == 404
    site = client.post(f"{base}/sites", json={"name": "Court", "geometry": {"type": "Point",
                                                                            "coordinates": [18.55, 4.36]}})
    assert site.status_code == 201
    detail = client.get(base).get_json()
    assert [f["properties"]["name"] for f in detail["sites"]["features"]] == ["Court"]
    assert detail["results"][1]["actuals"][0]["men"] == "7.00"
    assert client.delete(f"{base}/sites/{site.get_json()['id']}").status_code == 204


@pytest.mark.parametrize("role", ["viewer", "finance", "planner", "briefing"])
def test_roles_without_manage_projects_cannot_write(logged_in, role: str) -> None:
    client = logged_in(role)
    answer = client.post("/api/v1/projects", json={"code": "NOPE"})
    assert answer.status_code == 403 and answer.mimetype == PROBLEM


def test_briefing_cannot_read_projects(logged_in) -> None:
    assert logged_in("briefing").get("/api/v1/projects").status_code == 403


def test_iati_file_download_is_valid(logged_in) -> None:
    client = logged_in("programme")
    answer = client.get("/api/v1/projects/iati.xml")
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    assert "attachment" in answer.headers["Content-Disposition"]
    schema = iati.schema(DATA_DIR / "iati-2.03")  # the official schema, shipped in geo/data
    doc = etree.fromstring(answer.get_data())
    assert schema.validate(doc), schema.error_log
    assert len(doc.findall("iati-activity")) >= 1


def test_project_list_has_money_only_for_roles_that_see_it(logged_in, session, make_user) -> None:
    from sqlalchemy import func

    rows = logged_in("programme").get("/api/v1/projects").get_json()["items"]
    assert len(rows) == session.scalar(select(func.count()).select_from(Project))
    assert all("money" in r for r in rows)
    gis = logged_in("gis_editor").get("/api/v1/projects").get_json()["items"]
    assert gis and not any("money" in r for r in gis)


def test_a_change_to_a_record_that_is_not_there_is_a_404_naming_it(logged_in) -> None:
    """The version a change is compared with is read through one helper (dashboard/api/records.current_version):
    an unknown id is a 404 that names the record, before any version is asked for."""
    projects = logged_in("programme")
    gone = projects.patch("/api/v1/projects/987654321", json={"name": "x"}, headers={"If-Match": '"v1"'})
    assert gone.status_code == 404 and "No project 987654321." in gone.get_json()["detail"]
    closed = projects.post("/api/v1/projects/987654321/close", json={"version": 1})
    assert closed.status_code == 404 and "No project 987654321." in closed.get_json()["detail"]
    experts = logged_in("planner")
    gone = experts.patch("/api/v1/experts/987654321", json={"grade": "P-3"}, headers={"If-Match": '"v1"'})
    assert gone.status_code == 404 and "No expert with id 987654321." in gone.get_json()["detail"]
