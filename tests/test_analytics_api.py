"""GET /api/v1/analytics/...: the operations map's aggregates, equal to what the services give for the filter,
with the same role rules, and problem+json for bad parameters. On the baseline demo data."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from models.enums import Role
from services.access import Principal
from services.analytics import map_layers
from services.analytics.figures import map_figures
from services.analytics.filters import MapFilter
from services.analytics.funding import funding_summary
from services.analytics.gender import gender_summary
from services.analytics.personnel import availability, by_mission
from services.catalog import BBox

API = "/api/v1/analytics"
PROBLEM = "application/problem+json"
ENDPOINTS = ("availability", "missions", "funding", "gender", "key-figures", "map")
PERSON_FIELDS = {"staff_number", "email", "expert_id", "given_name", "family_name", "names", "more_names"}


def _get(client, endpoint: str, filt: MapFilter | None = None, **extra: object):  # type: ignore[no-untyped-def]
    query = {**(filt.to_query() if filt else {}), **{k: str(v) for k, v in extra.items()}}
    return client.get(f"{API}/{endpoint}?{urlencode(query)}")


def _ok(response) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _keys(value: object) -> set[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


@pytest.fixture(scope="module")
def filt() -> MapFilter:
    return MapFilter.default()


def test_availability_equals_the_service(logged_in, session, filt: MapFilter) -> None:
    body = _ok(_get(logged_in("viewer"), "availability", filt))
    expected = availability(session, filt)
    assert body["filter"] == filt.to_query()
    assert len(body["items"]) == len(expected) > 0
    for got, want in zip(body["items"], expected, strict=True):
        assert got == {**asdict(want), "bucket": want.bucket.isoformat(), "bucket_end": want.bucket_end.isoformat()}


def test_missions_equal_the_service(logged_in, session, filt: MapFilter) -> None:
    body = _ok(_get(logged_in("viewer"), "missions", filt))
    assert body["items"] == [asdict(m) for m in by_mission(session, filt)]
    assert body["items"]


def test_funding_equals_the_service(logged_in, session, server, filt: MapFilter) -> None:
    body = _ok(_get(logged_in("viewer"), "funding", filt))
    summary = funding_summary(session, filt)
    assert Decimal(body["committed_usd"]) == summary.committed_usd
    assert Decimal(body["spent_usd"]) == summary.spent_usd
    assert [(r["donor"], r["source"], Decimal(r["committed_usd"]), Decimal(r["spent_usd"])) for r in body["rows"]] \
        == [(r.donor, r.source.value, r.committed_usd, r.spent_usd) for r in summary.rows]


def test_gender_equals_the_service(logged_in, session, filt: MapFilter) -> None:
    body = _ok(_get(logged_in("viewer"), "gender", filt))
    body.pop("filter")
    assert body == asdict(gender_summary(session, filt))


def test_key_figures_equal_the_service(logged_in, session, filt: MapFilter) -> None:
    body = _ok(_get(logged_in("viewer"), "key-figures", filt))
    body.pop("filter")
    assert body == asdict(map_figures(session, filt))


def test_map_equals_the_service(logged_in, session, filt: MapFilter) -> None:
    view = BBox(-20, -40, 60, 40)
    response = _get(logged_in("viewer"), "map", filt, view="-20,-40,60,40", zoom=4)
    assert response.mimetype == "application/geo+json"
    body = _ok(response)
    expected = map_layers.deployment_places(session, filt, view=view, zoom=4, with_names=True)
    assert body["features"] == expected["features"] and body["features"]
    assert body["clustered"] == expected["clustered"] and body["day"] == expected["day"]


def test_a_filter_narrows_the_answers(logged_in, session, filt: MapFilter) -> None:
    client = logged_in("viewer")
    missions = _ok(_get(client, "missions", filt))["items"]
    first = missions[0]["acronym"]
    narrowed = _ok(_get(client, "missions", filt, mission=first))["items"]
    assert {m["acronym"] for m in narrowed} == {first}
    spc = _ok(_get(client, "availability", filt, capacity="SPC"))["items"]
    assert {p["capacity"] for p in spc} == {"SPC"}
    everyone = _ok(_get(client, "gender", filt))
    women = _ok(_get(client, "gender", filt, gender="female"))
    assert women["experts_by_gender"]["male"] == 0
    assert sum(women["by_marker"].values()) <= sum(everyone["by_marker"].values())
    # Comma-separated multi-values, the same as the page's URL.
    both = _ok(_get(client, "gender", filt, marker="0,1"))
    assert set(k for k, v in both["by_marker"].items() if v) <= {"0", "1"}
    assert both["filter"]["marker"] == "0,1"
    assert both["by_marker"] == {**everyone["by_marker"], "2": 0, "3": 0}


@pytest.mark.parametrize(("query", "status", "names"), [
    ("start=31-01-2026", 422, "start"),
    ("as_of=tomorrow", 422, "as_of"),
    ("colour=red", 422, "colour"),
    ("kind=holiday", 422, "kind"),
    ("bbox=1,2,3", 422, "bbox"),
    ("start=2026-02-01&end=2026-01-01", 422, "ends"),
    ("gender=female,robot", 422, "gender"),
])
def test_bad_parameters_are_problem_json(logged_in, query: str, status: int, names: str) -> None:
    client = logged_in("viewer")
    for endpoint in ("availability", "map"):
        response = client.get(f"{API}/{endpoint}?{query}")
        assert response.status_code == status, (endpoint, query, response.get_data(as_text=True))
        assert response.mimetype == PROBLEM
        body = response.get_json()
        assert body["status"] == status and names in body["detail"]


def test_map_view_and_zoom_are_checked(logged_in) -> None:
    client = logged_in("viewer")
    for query in ("view=1,2,3", "zoom=99", "zoom=x"):
        response = client.get(f"{API}/map?{query}")
        assert response.status_code == 422 and response.mimetype == PROBLEM, query
    # view and zoom belong to the map only
    assert client.get(f"{API}/missions?zoom=3").status_code == 422


def test_briefing_gets_403_everywhere(logged_in) -> None:
    client = logged_in("briefing")
    for endpoint in ENDPOINTS:
        response = client.get(f"{API}/{endpoint}")
        assert response.status_code == 403, endpoint
        assert response.mimetype == PROBLEM


def test_funding_needs_view_funding(logged_in) -> None:
    assert logged_in("gis_editor").get(f"{API}/funding").status_code == 403
    for role in ("viewer", "finance", "planner"):
        assert logged_in(role).get(f"{API}/funding").status_code == 200, role


def test_anonymous_is_refused(client) -> None:
    for endpoint in ENDPOINTS:
        assert client.get(f"{API}/{endpoint}").status_code == 401


@pytest.mark.parametrize("role", ["viewer", "gis_editor"])
def test_answers_carry_no_field_the_role_may_not_see(logged_in, session, role: str, filt: MapFilter) -> None:
    client = logged_in(role)
    endpoints = [e for e in ENDPOINTS if not (e == "funding" and role == "gis_editor")]
    for endpoint in endpoints:
        body = _ok(_get(client, endpoint, filt))
        assert not (_keys(body) & {"staff_number", "email", "expert_id", "given_name", "family_name"}), endpoint
    places = _ok(_get(client, "map", filt, view="-180,-85,180,85", zoom=8))
    features = places["features"]
    assert features
    principal = Principal(0, "t", Role(role))
    if role == "gis_editor":  # no names at all for a role without VIEW_PERSON_NAMES
        assert not (_keys(places) & PERSON_FIELDS)
    else:
        assert not places["clustered"] and any(f["properties"].get("names") for f in features)
    assert principal.role.value == role


def test_openapi_documents_the_filter(client, logged_in) -> None:
    spec = logged_in("viewer").get("/api/v1/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/api/v1/analytics/availability"]["get"]["parameters"]}
    assert {"start", "end", "as_of", "capacity", "mission", "region", "country", "skill", "gender", "kind",
            "source", "marker", "bbox", "area"} <= params
    map_params = {p["name"] for p in spec["paths"]["/api/v1/analytics/map"]["get"]["parameters"]}
    assert {"view", "zoom"} <= map_params
    assert date.today()  # the spec is served to a logged-in user
