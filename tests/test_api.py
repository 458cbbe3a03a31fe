"""The JSON API under /api/v1, through the real app on the real PostGIS (no mocks).

Besides the baseline, the tests commit a small, recognisable world of their own (module fixture
``world``, deleted at the end): a country QZT in the South Atlantic, mission ZZTEST with two sites,
capacity ZZT with three experts (one deployed, one absent, one free on 2030-02-15). Assertions on the
baseline compare with counts computed from the database in the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from geoalchemy2 import WKTElement
from sqlalchemy import delete, func, select

from models import (
    ApiToken,
    Capacity,
    ClearanceType,
    Country,
    Deployment,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    ExpertSkill,
    Language,
    Mission,
    Site,
    Skill,
    Unavailability,
    mission_host_country,
)
from models.db import session_scope
from models.enums import (
    ContractType,
    DeploymentKind,
    DeploymentStatus,
    ExpertStatus,
    Gender,
    LanguageLevel,
    MissionType,
    SiteKind,
    UnavailabilityKind,
)
from services import tokens
from tests.factories import WORLD_TODAY

API = "/api/v1"
PROBLEM = "application/problem+json"
GEOJSON = "application/geo+json"
PERSONNEL_DETAIL = {"email", "grade", "contract_type", "staff_number", "skills", "languages", "clearances"}
NAMES = {"id", "name", "given_name", "family_name"}

# Boxes around the test world (open ocean, so no baseline place falls inside).
WORLD_BBOX = "-30,-40,-29,-39"
SITE_A_BBOX = "-29.6,-39.6,-29.4,-39.4"  # site A only
HQ_BBOX = "-29.9,-39.9,-29.7,-39.7"  # mission HQ only


@dataclass(frozen=True)
class World:
    mission_id: int
    site_a: int
    site_b: int
    deployed: int  # expert deployed Jan-Mar 2030 at site A
    absent: int  # expert on leave in Feb 2030, deployed in June 2030 without a site (HQ)
    free: int  # expert free all of 2030
    deployment_a: int
    deployment_hq: int
    names: tuple[str, ...]


@pytest.fixture(scope="module")
def world(server) -> Any:
    factory = server.extensions["hub"].session_factory
    with session_scope(factory) as s:
        s.add(Country(iso3="QZT", name="Testland", region="Testregion",
                      boundary=WKTElement("MULTIPOLYGON(((-30 -40,-29 -40,-29 -39,-30 -39,-30 -40)))", srid=4326)))
        s.flush()
        mission = Mission(acronym="ZZTEST", name="Zz Test Mission", mission_type=MissionType.SPM, active=True,
                          hq_city="Testville", hq=WKTElement("POINT(-29.8 -39.8)", srid=4326))
        s.add(mission)
        s.flush()
        s.execute(mission_host_country.insert().values(mission_id=mission.id, country_iso3="QZT"))
        site_a = Site(name="Test site A", kind=SiteKind.TEAM_SITE, mission_id=mission.id, country_iso3="QZT",
                      location=WKTElement("POINT(-29.5 -39.5)", srid=4326))
        site_b = Site(name="Test site B", kind=SiteKind.FIELD_OFFICE, mission_id=mission.id, country_iso3="QZT",
                      location=WKTElement("POINT(-29.2 -39.2)", srid=4326))
        capacity = Capacity(code="ZZT", name="Test capacity")
        skill = Skill(code="zz-test-skill", name="Test skill", area="testing")
        language = Language(code="qaa", name="Testish")  # qaa-qtz: reserved for local use
        clearance = ClearanceType(code="ZZ-BSAFE", name="Test clearance", validity_months=36)
        s.add_all([site_a, site_b, capacity, skill, language, clearance])
        s.flush()

        def expert(n: int, given: str, gender: Gender) -> Expert:
            e = Expert(staff_number=f"ZZT-{n}", given_name=given, family_name="Zztester", gender=gender,
                       nationality_iso3="QZT", grade="P-4", capacity_id=capacity.id,
                       contract_type=ContractType.FIXED_TERM, email=f"zz{n}@test.invalid",
                       status=ExpertStatus.ACTIVE)
            s.add(e)
            return e

        deployed = expert(1, "Ada", Gender.FEMALE)
        absent = expert(2, "Bob", Gender.MALE)
        free = expert(3, "Cleo", Gender.FEMALE)
        s.flush()
        s.add_all([
            ExpertSkill(expert_id=deployed.id, skill_id=skill.id, level=4),
            ExpertLanguage(expert_id=deployed.id, language_code="qaa", level=LanguageLevel.C1),
            ExpertClearance(expert_id=deployed.id, clearance_type_id=clearance.id, obtained_on=date(2029, 1, 1),
                            valid_until=date(2032, 1, 1)),
            Unavailability(expert_id=absent.id, kind=UnavailabilityKind.LEAVE, start_date=date(2030, 2, 10),
                           end_date=date(2030, 2, 20)),
        ])
        dep_a = Deployment(expert_id=deployed.id, mission_id=mission.id, site_id=site_a.id, role="Test adviser",
                           kind=DeploymentKind.SURGE, status=DeploymentStatus.PLANNED,
                           start_date=date(2030, 1, 1), end_date=date(2030, 3, 31))
        dep_hq = Deployment(expert_id=absent.id, mission_id=mission.id, role="Test planner",
                            kind=DeploymentKind.ASSESSMENT, status=DeploymentStatus.PLANNED,
                            start_date=date(2030, 6, 1), end_date=date(2030, 6, 30))
        s.add_all([dep_a, dep_hq])
        s.flush()
        data = World(mission.id, site_a.id, site_b.id, deployed.id, absent.id, free.id, dep_a.id, dep_hq.id,
                     ("Ada Zztester", "Bob Zztester", "Cleo Zztester"))
    yield data
    with session_scope(factory) as s:
        experts = [data.deployed, data.absent, data.free]
        s.execute(delete(Deployment).where(Deployment.expert_id.in_(experts)))
        s.execute(delete(Unavailability).where(Unavailability.expert_id.in_(experts)))
        s.execute(delete(Expert).where(Expert.id.in_(experts)))  # skills, languages, clearances cascade
        s.execute(delete(Site).where(Site.mission_id == data.mission_id))
        s.execute(delete(Mission).where(Mission.id == data.mission_id))  # host countries cascade
        s.execute(delete(Country).where(Country.iso3 == "QZT"))
        s.execute(delete(Capacity).where(Capacity.code == "ZZT"))
        s.execute(delete(Skill).where(Skill.code == "zz-test-skill"))
        s.execute(delete(Language).where(Language.code == "qaa"))
        s.execute(delete(ClearanceType).where(ClearanceType.code == "ZZ-BSAFE"))


def _ok(response, mimetype: str = "application/json") -> Any:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == mimetype
    return response.get_json()


def _problem(response, status: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["title"]
    return body


def _query_errors(body: dict) -> dict[str, list[str]]:
    """The problem's ``errors`` (one list of {field, code, message}) of the query string, by parameter."""
    out: dict[str, list[str]] = {}
    for e in body["errors"]:
        location, _, name = e["field"].partition(".")
        if location == "query":
            out.setdefault(name, []).append(e["message"])
    return out


UNDOCUMENTED = ("api_not_found", "api-docs.openapi_json")


def _api_rules(server, documented_only: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted({
        r.rule for r in server.url_map.iter_rules()
        if r.rule.startswith(API) and not (documented_only and r.endpoint in UNDOCUMENTED)
    })


# --- authentication, tokens, the OpenAPI document ----------------------------------------------------------
def test_every_api_path_needs_a_login(server, world) -> None:
    rules = _api_rules(server)
    assert {f"{API}/missions", f"{API}/experts/<int:expert_id>", f"{API}/deployments"} <= set(rules)
    client = server.test_client()
    for rule in rules:
        path = re.sub(r"<int:[^>]+>", "1", re.sub(r"<(string:)?[^>]+>", "X", rule))
        response = client.get(path)
        body = _problem(response, 401)
        assert "Bearer" in body["detail"], rule


def test_openapi_document_lists_every_path_and_the_bearer_scheme(server, logged_in) -> None:
    client = logged_in("viewer")
    doc = _ok(client.get(f"{API}/openapi.json"))
    assert doc["openapi"].startswith("3.")
    documented = set(doc["paths"])
    for rule in _api_rules(server, documented_only=True):
        assert re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule) in documented, rule  # <any(a, b):x> too
    bearer = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert {"bearerAuth": []} in doc["security"]
    deployments = doc["paths"][f"{API}/deployments"]["get"]
    assert {"application/json", GEOJSON} <= set(deployments["responses"]["200"]["content"])
    assert "403" in deployments["responses"] and "422" in deployments["responses"]
    assert {p["name"] for p in deployments["parameters"]} >= {"mission", "start", "end", "bbox", "status", "kind",
                                                               "capacity", "limit", "offset", "format"}
    # The briefing role gets suppressed key figures as null: the document says so.
    figures = doc["components"]["schemas"]["KeyFigures"]["properties"]
    assert all(figures[name].get("nullable") for name in
               ("experts_deployed", "experts_available", "experts_total", "open_surge_requests"))


def test_personal_access_token_works_and_a_revoked_or_garbage_one_does_not(server, make_user, world) -> None:
    factory = server.extensions["hub"].session_factory
    username, _ = make_user("planner")
    with session_scope(factory) as s:
        token, plain = tokens.create_token(s, username, name="api-test", days=1)
        token_id = token.id
    try:
        client = server.test_client()  # no cookie: the token alone
        body = _ok(client.get(f"{API}/experts?capacity=ZZT", headers={"Authorization": f"Bearer {plain}"}))
        assert body["total"] == 3 and "email" in body["items"][0]
        with session_scope(factory) as s:
            tokens.revoke_token(s, token_id)
        _problem(client.get(f"{API}/missions", headers={"Authorization": f"Bearer {plain}"}), 401)
        for garbage in ("hub_" + "x" * 43, "not-a-token", ""):
            _problem(client.get(f"{API}/missions", headers={"Authorization": f"Bearer {garbage}"}), 401)
    finally:
        with session_scope(factory) as s:
            s.execute(delete(ApiToken).where(ApiToken.id == token_id))


# --- missions ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["viewer", "planner", "briefing"])
def test_missions_list_filters_and_pages(logged_in, session, server, world, role) -> None:
    client = logged_in(role)
    body = _ok(client.get(f"{API}/missions?limit=1000"))
    assert body["total"] == session.scalar(select(func.count()).select_from(Mission))
    acronyms = [m["acronym"] for m in body["items"]]
    assert acronyms == sorted(acronyms)
    active = _ok(client.get(f"{API}/missions?active=true&limit=1000"))
    assert active["total"] == session.scalar(select(func.count()).where(Mission.active.is_(True)))
    assert all(m["active"] for m in active["items"])
    spm = _ok(client.get(f"{API}/missions?type=special_political_mission&limit=1000"))
    assert spm["total"] == session.scalar(
        select(func.count()).where(Mission.mission_type == MissionType.SPM))
    # q matches the acronym or the name, any case; % is literal, not a wildcard.
    found = _ok(client.get(f"{API}/missions?q=zz test"))
    assert [m["acronym"] for m in found["items"]] == ["ZZTEST"]
    assert found["items"][0]["host_countries"] == ["QZT"] and found["items"][0]["site_count"] == 2
    assert _ok(client.get(f"{API}/missions?q=%25"))["total"] == session.scalar(select(func.count()).where(
        Mission.name.icontains("%", autoescape=True) | Mission.acronym.icontains("%", autoescape=True)))
    page = _ok(client.get(f"{API}/missions?limit=3&offset=2"))
    assert (page["limit"], page["offset"], page["total"]) == (3, 2, body["total"])
    assert [m["acronym"] for m in page["items"]] == acronyms[2:5]
    capped = _ok(client.get(f"{API}/missions?limit=1000000"))
    assert capped["limit"] == server.extensions["hub"].settings.api_max_page_size


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_mission_detail(logged_in, world, role) -> None:
    client = logged_in(role)
    body = _ok(client.get(f"{API}/missions/zztest"))  # any case
    assert body["acronym"] == "ZZTEST" and body["type"] == "special_political_mission"
    assert body["hq"] == {"type": "Point", "coordinates": [-29.8, -39.8]}
    assert body["host_countries"] == [{"iso3": "QZT", "name": "Testland"}]
    assert body["sites"] == {"total": 2, "by_kind": {"team_site": 1, "field_office": 1}}
    missing = _problem(client.get(f"{API}/missions/NOPE-MISSION"), 404)
    assert "NOPE-MISSION" in missing["detail"]


# --- countries ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_countries_list_geojson_and_detail(logged_in, session, world, role) -> None:
    client = logged_in(role)
    countries = session.scalar(select(func.count()).select_from(Country))
    body = _ok(client.get(f"{API}/countries"))
    assert body["total"] == countries == len(body["items"])
    assert {"iso3": "QZT", "name": "Testland", "name_fr": None, "region": "Testregion"} in body["items"]
    fc = _ok(client.get(f"{API}/countries?with_geometry=true"), GEOJSON)
    assert fc["type"] == "FeatureCollection" and fc["numberMatched"] == countries == len(fc["features"])
    test_land = next(f for f in fc["features"] if f["id"] == "QZT")
    assert test_land["geometry"]["type"] == "MultiPolygon"
    assert test_land["properties"]["name"] == "Testland"
    regional = _ok(client.get(f"{API}/countries?with_geometry=true&region=testregion"), GEOJSON)
    assert [f["id"] for f in regional["features"]] == ["QZT"]

    detail = _ok(client.get(f"{API}/countries/qzt"))
    assert detail["missions"] == [{"acronym": "ZZTEST", "name": "Zz Test Mission", "active": True}]
    assert "geometry" not in detail and detail["extent"]["type"] == "Polygon"
    assert _ok(client.get(f"{API}/countries/QZT?with_geometry=true"))["geometry"]["type"] == "MultiPolygon"
    assert "XYZ" in _problem(client.get(f"{API}/countries/XYZ"), 404)["detail"]


def test_unknown_api_paths_are_404_problems_not_the_dash_page(logged_in) -> None:
    client = logged_in("viewer")
    for path in ("experts/abc", "nothing-here", "missions/ZZTEST/extra"):
        _problem(client.get(f"{API}/{path}"), 404)


# --- sites -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_sites_geojson_filters_and_paging(logged_in, session, world, role) -> None:
    client = logged_in(role)
    fc = _ok(client.get(f"{API}/sites?mission=ZZTEST"), GEOJSON)
    assert fc["numberMatched"] == 2 and {f["id"] for f in fc["features"]} == {world.site_a, world.site_b}
    feature = next(f for f in fc["features"] if f["id"] == world.site_a)
    assert feature["geometry"] == {"type": "Point", "coordinates": [-29.5, -39.5]}
    assert feature["properties"]["mission"] == "ZZTEST" and feature["properties"]["kind"] == "team_site"

    boxed = _ok(client.get(f"{API}/sites?bbox={SITE_A_BBOX}"), GEOJSON)
    assert [f["id"] for f in boxed["features"]] == [world.site_a]
    kinds = _ok(client.get(f"{API}/sites?mission=ZZTEST&kind=field_office"), GEOJSON)
    assert [f["id"] for f in kinds["features"]] == [world.site_b]
    page = _ok(client.get(f"{API}/sites?mission=ZZTEST&limit=1&offset=1"), GEOJSON)
    assert (page["numberMatched"], page["numberReturned"], page["limit"], page["offset"]) == (2, 1, 1, 1)
    assert page["features"][0]["id"] == max(world.site_a, world.site_b)

    # A box over Africa: the count matches PostGIS' own answer.
    africa = _ok(client.get(f"{API}/sites?bbox=-20,-35,52,38&limit=1"), GEOJSON)
    expected = session.scalar(select(func.count()).where(
        func.ST_Intersects(Site.location, func.ST_MakeEnvelope(-20, -35, 52, 38, 4326))))
    assert africa["numberMatched"] == expected and africa["numberReturned"] == min(1, expected)
    everything = _ok(client.get(f"{API}/sites?limit=1"), GEOJSON)
    assert everything["numberMatched"] == session.scalar(select(func.count()).select_from(Site))
    assert "NOPE" in _problem(client.get(f"{API}/sites?mission=NOPE"), 404)["detail"]


@pytest.mark.parametrize(("bbox", "says"), [
    ("1,2,3", "four comma-separated numbers"),
    ("a,b,c,d", "four comma-separated numbers"),
    ("10,0,5,5", "minx < maxx"),
    ("0,-95,5,5", "between -90 and 90"),
    ("-200,0,5,5", "between -180 and 180"),
    ("nan,0,5,5", "finite"),
])
def test_malformed_bbox_is_a_422_naming_bbox(logged_in, world, bbox, says) -> None:
    client = logged_in("viewer")
    for path in ("sites", "deployments"):
        body = _problem(client.get(f"{API}/{path}?bbox={bbox}"), 422)
        assert any(says in message for message in _query_errors(body)["bbox"]), body
        assert "bbox" in body["detail"]


# --- experts ----------------------------------------------------------------------------------------------
def test_viewer_sees_expert_names_but_no_personnel_detail(logged_in, world) -> None:
    client = logged_in("viewer")
    body = _ok(client.get(f"{API}/experts?capacity=ZZT"))
    assert body["total"] == 3
    assert sorted(e["name"] for e in body["items"]) == list(world.names)
    for item in body["items"]:
        assert set(item) >= NAMES
        assert not PERSONNEL_DETAIL & set(item), item
        assert item["capacity"] == "ZZT"
    detail = _ok(client.get(f"{API}/experts/{world.deployed}"))
    assert detail["name"] == "Ada Zztester" and not PERSONNEL_DETAIL & set(detail)


def test_planner_sees_personnel_detail(logged_in, world) -> None:
    client = logged_in("planner")
    detail = _ok(client.get(f"{API}/experts/{world.deployed}"))
    assert detail["email"] == "zz1@test.invalid" and detail["grade"] == "P-4"
    assert detail["contract_type"] == "fixed_term" and detail["staff_number"] == "ZZT-1"
    assert detail["skills"] == [{"code": "zz-test-skill", "name": "Test skill", "area": "testing", "level": 4}]
    assert detail["languages"] == [{"code": "qaa", "name": "Testish", "level": "C1"}]
    assert detail["clearances"] == [{"code": "ZZ-BSAFE", "name": "Test clearance", "is_training": False,
                                     "obtained_on": "2029-01-01", "valid_until": "2032-01-01"}]
    listed = _ok(client.get(f"{API}/experts?capacity=ZZT"))
    assert all(set(item) >= PERSONNEL_DETAIL for item in listed["items"])


def test_a_role_without_names_gets_neither_names_nor_ids(logged_in, world) -> None:
    client = logged_in("gis_editor")
    body = _ok(client.get(f"{API}/experts?capacity=ZZT"))
    assert body["total"] == 3
    for item in body["items"]:
        assert not (NAMES | PERSONNEL_DETAIL) & set(item), item
    deployments = _ok(client.get(f"{API}/deployments?mission=ZZTEST"))
    assert deployments["total"] == 2
    assert all("expert_id" not in d and "expert_name" not in d for d in deployments["items"])
    fc = _ok(client.get(f"{API}/deployments?mission=ZZTEST&format=geojson"), GEOJSON)
    assert all(set(f["properties"]).isdisjoint({"expert_id", "expert_name"}) for f in fc["features"])


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_expert_filters(logged_in, session, world, role) -> None:
    client = logged_in(role)

    def ids(query: str) -> set[int]:
        return {e["id"] for e in _ok(client.get(f"{API}/experts?capacity=zzt&{query}"))["items"]}

    if role == "planner":
        assert ids("skill=zz-test-skill") == {world.deployed}
        assert ids("language=QAA") == {world.deployed}
    else:  # the viewer sees no skills or languages, so may not filter by them (services.access.EXPERT_FIELD_RULES)
        for query in ("skill=zz-test-skill", "language=QAA"):
            assert client.get(f"{API}/experts?capacity=zzt&{query}").status_code == 403
    assert ids("gender=female") == {world.deployed, world.free}
    # 15 Feb 2030: Ada is deployed, Bob on leave, Cleo free.
    assert ids("available_on=2030-02-15") == {world.free}
    assert ids("available_on=2030-06-15") == {world.deployed, world.free}
    # Across the baseline: the same "available" as the key figures, counted in the test.
    from services.key_figures import key_figures

    everyone = _ok(client.get(f"{API}/experts?limit=1"))
    assert everyone["total"] == session.scalar(select(func.count()).select_from(Expert))
    today = WORLD_TODAY
    available = _ok(client.get(f"{API}/experts?available_on={today.isoformat()}&limit=1"))
    assert available["total"] == key_figures(session, today).experts_available
    unknown = [("capacity=NOPE", "NOPE")]
    if role == "planner":
        unknown += [("skill=no-such-skill", "no-such-skill"), ("language=xx", "xx")]
    for query, what in unknown:
        assert what in _problem(client.get(f"{API}/experts?{query}"), 404)["detail"]
    body = _problem(client.get(f"{API}/experts?gender=robot&available_on=tomorrow"), 422)
    assert set(_query_errors(body)) == {"gender", "available_on"}
    assert "999999999" in _problem(client.get(f"{API}/experts/999999999"), 404)["detail"]


def test_briefing_role_gets_403_on_people_and_no_person_fields_in_key_figures(logged_in, world) -> None:
    client = logged_in("briefing")
    for path in ("experts", f"experts/{world.deployed}", "deployments", "deployments?format=geojson"):
        body = _problem(client.get(f"{API}/{path}"), 403)
        assert "briefing" in body["detail"]
    response = client.get(f"{API}/key-figures")
    figures = _ok(response)
    assert set(figures) == {"as_of", "experts_deployed", "experts_available", "experts_total",
                            "open_surge_requests", "active_missions"}
    assert all(isinstance(v, int) for k, v in figures.items() if k != "as_of")
    text = response.get_data(as_text=True)
    assert not any(name in text for name in world.names)


# --- deployments ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_deployments_filters(logged_in, session, world, role) -> None:
    client = logged_in(role)

    def ids(query: str) -> list[int]:
        return [d["id"] for d in _ok(client.get(f"{API}/deployments?mission=ZZTEST&{query}"))["items"]]

    body = _ok(client.get(f"{API}/deployments?mission=zztest"))
    assert body["total"] == 2
    by_id = {d["id"]: d for d in body["items"]}
    assert [d["id"] for d in body["items"]] == [world.deployment_hq, world.deployment_a]  # latest start first
    assert by_id[world.deployment_a]["expert_name"] == "Ada Zztester"
    assert by_id[world.deployment_a]["expert_id"] == world.deployed
    assert by_id[world.deployment_a]["site_name"] == "Test site A" and by_id[world.deployment_a]["capacity"] == "ZZT"
    assert by_id[world.deployment_hq]["site_id"] is None
    assert by_id[world.deployment_a]["start_date"] == "2030-01-01"

    # Overlap with [start, end], both days included; one bound alone is open on the other side.
    assert ids("start=2030-02-01&end=2030-02-28") == [world.deployment_a]
    assert ids("start=2030-03-31&end=2030-06-01") == [world.deployment_hq, world.deployment_a]
    assert ids("start=2030-04-01") == [world.deployment_hq]
    assert ids("end=2030-05-31") == [world.deployment_a]
    assert ids("start=2030-04-01&end=2030-05-31") == []
    # Where: the site, else the mission's HQ.
    assert ids(f"bbox={SITE_A_BBOX}") == [world.deployment_a]
    assert ids(f"bbox={HQ_BBOX}") == [world.deployment_hq]
    assert ids("kind=assessment") == [world.deployment_hq]
    assert ids("status=planned&capacity=zzt") == [world.deployment_hq, world.deployment_a]
    assert ids("status=completed") == []
    assert ids("limit=1&offset=1") == [world.deployment_a]

    everything = _ok(client.get(f"{API}/deployments?limit=1"))
    assert everything["total"] == session.scalar(select(func.count()).select_from(Deployment))
    # The same overlap rule, counted by hand over the baseline.
    day = WORLD_TODAY
    overlapping = _ok(client.get(f"{API}/deployments?start={day}&end={day}&limit=1"))
    assert overlapping["total"] == session.scalar(select(func.count()).where(
        Deployment.start_date <= day, Deployment.end_date >= day))


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_deployments_as_geojson(logged_in, world, role) -> None:
    client = logged_in(role)
    fc = _ok(client.get(f"{API}/deployments?bbox={WORLD_BBOX}&format=geojson"), GEOJSON)
    assert fc["type"] == "FeatureCollection" and fc["numberMatched"] == 2 == fc["numberReturned"]
    by_id = {f["id"]: f for f in fc["features"]}
    assert by_id[world.deployment_a]["geometry"] == {"type": "Point", "coordinates": [-29.5, -39.5]}
    assert by_id[world.deployment_hq]["geometry"] == {"type": "Point", "coordinates": [-29.8, -39.8]}
    props = by_id[world.deployment_a]["properties"]
    assert props["expert_name"] == "Ada Zztester" and props["mission"] == "ZZTEST"
    assert props["start_date"] == "2030-01-01" and props["kind"] == "surge"
    paged = _ok(client.get(f"{API}/deployments?bbox={WORLD_BBOX}&format=geojson&limit=1"), GEOJSON)
    assert (paged["numberMatched"], paged["numberReturned"]) == (2, 1)


def test_bad_deployment_queries(logged_in, world) -> None:
    client = logged_in("viewer")
    body = _problem(client.get(f"{API}/deployments?start=2030-02-01&end=2030-01-01"), 422)
    assert "end" in _query_errors(body) and "start" in _query_errors(body)["end"][0]
    body = _problem(client.get(f"{API}/deployments?start=01/02/2030"), 422)
    assert "start" in _query_errors(body) and "start" in body["detail"]
    for limit in ("0", "-5", "ten"):
        body = _problem(client.get(f"{API}/deployments?limit={limit}"), 422)
        assert "limit" in _query_errors(body), body
    body = _problem(client.get(f"{API}/deployments?offset=-1&status=lost&format=xml"), 422)
    assert set(_query_errors(body)) == {"offset", "status", "format"}
    assert "planned" in _query_errors(body)["status"][0]  # says what is expected
    body = _problem(client.get(f"{API}/deployments?mision=ZZTEST"), 422)  # a typo is not silently ignored
    assert "mision" in _query_errors(body) and "mision" in body["detail"]
    assert "NOPE" in _problem(client.get(f"{API}/deployments?mission=NOPE"), 404)["detail"]
    assert "NOPE" in _problem(client.get(f"{API}/deployments?capacity=NOPE"), 404)["detail"]

