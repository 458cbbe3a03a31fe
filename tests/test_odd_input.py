"""Odd input never makes a server error: every GET route of the API and of OGC, every path and query
parameter, the map and briefing downloads and the pages' URL parameters, with each odd value of the table.

The outside battery's finds: a NUL byte in any text (``skill=x%00y``), integers past PostgreSQL's range
(``offset=99999999999999999999``, ``/experts/3725100771226011332594``), a non-ASCII digit as a key
(``/surge-requests/%C2%B2``). Each answer must be below 500, and an API or OGC refusal problem+json.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

PROBLEM = "application/problem+json"
ODD = {
    "nul": "x\x00y",
    "huge": "99999999999999999999",
    "huge_negative": "-99999999999999999999",
    "superscript_two": "\u00b2",
    "last_day": "9999-12-31",
}
# A value that exists for each path parameter, so the query parameters reach the view.
# A path parameter not listed here gets "1" (every record's first id).
PATH_SAMPLES = {"expert_id": "1", "key": "1", "acronym": "UNMISS", "iso3": "SSD", "name": "missions",
                "cid": "missions", "fid": "1", "z": "0", "x": "0", "y": "0", "fmt": "xlsx", "part": "skills",
                "code": "deployment_without_allocation", "status": "received"}
OGC_QUERY = ("bbox", "datetime", "limit", "offset")
FILTER_QUERY = ("start", "end", "as_of", "capacity", "mission", "region", "country", "skill", "gender", "kind",
                "source", "marker", "bbox", "area")
BRIEFING_QUERY = ("start", "end", "as_of", "capacity", "mission", "region", "country", "lang")
# Files and pages that read the same filters from their URL (the packs are left out: slow, same parser).
DOWNLOADS = {"/map/download/availability.csv": FILTER_QUERY, "/map/download/deployments.geojson": FILTER_QUERY,
             "/briefing/table/missions.csv": BRIEFING_QUERY}
PAGES = {"/map": FILTER_QUERY, "/briefing": BRIEFING_QUERY, "/experts": ("q",), "/surge": ("status",)}


def _fill(rule: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values.get(m.group(1), "1"), rule)


def _get_routes(server, openapi: dict) -> list[tuple[str, list[str], tuple[str, ...]]]:
    """(rule, its path parameters, its query parameters) for every GET route of the API and OGC."""
    documented = {}
    for path, item in openapi["paths"].items():
        if "get" in item:
            rule = re.sub(r"\{([^}]+)\}", r"<\1>", path)
            documented[rule] = tuple(p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query")
    routes = []
    for rule in server.url_map.iter_rules():
        text = rule.rule
        if "GET" not in (rule.methods or ()) or not text.startswith(("/api/v1", "/ogc")):
            continue
        if rule.endpoint in ("api_not_found", "ogc.not_found") or text.endswith("openapi.json"):
            continue
        plain = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"<\1>", text)
        query = documented.get(plain, OGC_QUERY if text.startswith("/ogc/collections/<cid>/items") else ())
        routes.append((text, sorted(rule.arguments), query))
    return routes


@pytest.mark.parametrize("odd", list(ODD), ids=list(ODD))
def test_odd_values_never_make_a_server_error(logged_in, odd: str) -> None:
    client = logged_in("admin")
    value = ODD[odd]
    openapi = client.get("/api/v1/openapi.json").get_json()
    routes = _get_routes(client.application, openapi)
    assert len(routes) > 25  # every GET operation of the API and the OGC routes
    urls: list[tuple[str, dict[str, str]]] = []
    for rule, path_params, query_params in routes:
        base = _fill(rule, PATH_SAMPLES)
        for name in path_params:
            urls.append((_fill(rule, {**PATH_SAMPLES, name: quote(value, safe="")}), {}))
        urls.extend((base, {name: value}) for name in query_params)
    for path, names in {**DOWNLOADS, **PAGES}.items():
        urls.extend((path, {name: value}) for name in names)
    failures = []
    for url, query in urls:
        response = client.get(url, query_string=query)
        machine = url.startswith(("/api/", "/ogc"))
        if response.status_code >= 500 or (machine and response.status_code >= 400 and response.mimetype != PROBLEM):
            failures.append(f"{response.status_code} {response.mimetype} GET {url} {query!r}")
    assert not failures, f"{len(failures)} of {len(urls)} requests:\n" + "\n".join(failures)


def test_the_battery_s_own_examples(logged_in) -> None:
    client = logged_in("admin")
    for url, status in [("/api/v1/experts?skill=x%00y", 422), ("/api/v1/experts?offset=99999999999999999999", 422),
                        ("/api/v1/experts/3725100771226011332594", 404), ("/api/v1/surge-requests/%C2%B2", 404),
                        ("/ogc/collections/missions/items?offset=99999999999999999999", 422)]:
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:300])
        assert response.mimetype == PROBLEM, url
        assert response.get_json()["status"] == status
    assert client.get("/map?mission=%00").status_code == 400


FAR_PERIOD = "start=9999-01-01&end=9999-12-31"


def test_a_period_past_any_plan_is_refused_not_a_crash(logged_in) -> None:
    """Weekly and quarterly buckets of a period in year 9999 stepped past Python's last year: 500s."""
    client = logged_in("admin")
    for url in ("/api/v1/analytics/availability", "/api/v1/briefing", "/api/v1/analytics/key-figures"):
        response = client.get(f"{url}?{FAR_PERIOD}")
        assert response.status_code == 422 and response.mimetype == PROBLEM, (url, response.status_code)
        assert "2100-12-31" in response.get_json()["detail"]
    for url in ("/map/download/availability.csv", "/briefing/table/periods.csv"):
        assert client.get(f"{url}?{FAR_PERIOD}").status_code == 400, url


def _page(client, path: str, search: str) -> str:
    """The page's layout as Dash builds it from the URL (the pages' own callback)."""
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, (path, search, response.status_code)
    return response.get_data(as_text=True)


def test_the_pages_say_which_parameter_is_wrong(logged_in) -> None:
    client = logged_in("admin")
    assert "NUL character" in _page(client, "/map", "?mission=%00")
    assert "2100-12-31" in _page(client, "/map", "?" + FAR_PERIOD)
    assert "NUL character" in _page(client, "/briefing", "?country=%00")


def test_a_nul_in_a_json_body_is_refused_before_the_database(logged_in) -> None:
    client = logged_in("planner")
    response = client.post("/api/v1/surge-requests", json={"mission": "UNMISS", "title": "a\x00b",
                                                           "wanted_start": "2031-01-01", "duration_days": 10})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert "NUL" in response.get_json()["detail"]


def test_a_wrong_method_is_405_with_allow(logged_in) -> None:
    client = logged_in("admin")
    response = client.patch("/api/v1/missions")
    assert response.status_code == 405 and response.mimetype == PROBLEM
    assert "GET" in response.headers["Allow"]
    assert client.patch("/api/v1/no-such-thing").status_code == 404
