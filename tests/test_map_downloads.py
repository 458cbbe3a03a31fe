"""The operations map's downloads: /map/download/<chart>.<csv|xlsx> and deployments.<geojson|gpkg>.

Through the real app on the baseline demo data; expected contents come from the same services called in the
test with the same filter. One test commits a formula-looking role on a deployment (restored after it).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from sqlalchemy import select, update

from models import AuditEvent, Deployment
from models.db import session_scope
from models.enums import DeploymentStatus, Role
from services.access import Principal
from services.analytics import exports
from services.analytics.filters import MapFilter
from tests.factories import WORLD_TODAY, world_filter

PERSON_FIELDS = {"staff_number", "email", "expert_id", "id", "given_name", "family_name"}


def _principal(role: Role) -> Principal:
    return Principal(user_id=0, username=f"test-{role.value}", role=role)


def _csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _xlsx(response) -> list[list[object]]:  # type: ignore[no-untyped-def]
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def _query(filt: MapFilter) -> str:
    from urllib.parse import urlencode

    return urlencode(filt.to_query())


@pytest.mark.parametrize("chart", exports.CHARTS)
def test_each_chart_downloads_as_csv_with_the_services_rows(logged_in, session, server, chart: str) -> None:
    client = logged_in("viewer")
    filt = world_filter()
    response = client.get(f"/map/download/{chart}.csv?{_query(filt)}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and date.today().isoformat() in disposition
    assert f"{chart}" in disposition and disposition.endswith('.csv"')
    expected = exports.chart_rows(session, _principal(Role.VIEWER), chart, filt)
    rows = _csv(response)
    assert len(rows) == len(expected)
    if expected:
        assert list(rows[0]) == list(expected[0])
        assert [str(v) if v is not None else "" for v in expected[0].values()] == list(rows[0].values())


def test_chart_xlsx_is_a_workbook_with_the_same_rows(logged_in, session, server) -> None:
    client = logged_in("viewer")
    filt = world_filter()
    response = client.get(f"/map/download/missions.xlsx?{_query(filt)}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    table = _xlsx(response)
    expected = exports.chart_rows(session, _principal(Role.VIEWER), "missions", filt)
    assert table[0] == list(expected[0])
    assert len(table) - 1 == len(expected)
    assert [r[0] for r in table[1:]] == [e["acronym"] for e in expected]


def test_a_filter_narrows_the_download(logged_in, session) -> None:
    client = logged_in("viewer")
    everything = _csv(client.get("/map/download/missions.csv"))
    first = everything[0]["acronym"]
    narrowed = _csv(client.get(f"/map/download/missions.csv?mission={first}"))
    assert narrowed and {r["acronym"] for r in narrowed} == {first}
    assert len(narrowed) <= len(everything)


@pytest.mark.parametrize("query", ["start=31-01-2026", "kind=holiday", "colour=red", "bbox=1,2,3",
                                   "start=2026-02-01&end=2026-01-01"])
def test_a_bad_parameter_is_a_400_with_one_plain_line(logged_in, query: str) -> None:
    client = logged_in("viewer")
    for path in ("/map/download/availability.csv", "/map/download/deployments.geojson"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert response.mimetype == "text/plain"
        text = response.get_data(as_text=True)
        assert text.count("\n") == 1 and len(text.strip()) > 10


def test_unknown_chart_or_format_is_404(logged_in) -> None:
    client = logged_in("viewer")
    assert client.get("/map/download/salaries.csv").status_code == 404
    assert client.get("/map/download/availability.pdf").status_code == 404
    assert client.get("/map/download/deployments.csv").status_code == 404


def test_roles(logged_in) -> None:
    # briefing: aggregates only, never a map download
    briefing = logged_in("briefing")
    for path in ("availability.csv", "missions.xlsx", "gender.csv", "funding.csv", "deployments.geojson"):
        assert briefing.get(f"/map/download/{path}").status_code == 403, path
    gis = logged_in("gis_editor")
    assert gis.get("/map/download/funding.csv").status_code == 403
    assert gis.get("/map/download/gender.csv").status_code == 200
    for role in ("finance", "planner", "viewer"):
        client = logged_in(role)
        assert client.get("/map/download/funding.xlsx").status_code == 200, role


def test_anonymous_is_refused(client) -> None:
    response = client.get("/map/download/availability.csv")
    assert response.status_code in (302, 401)


def _deployments(client, fmt: str, filt: MapFilter):  # type: ignore[no-untyped-def]
    response = client.get(f"/map/download/deployments.{fmt}?{_query(filt)}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_deployments_geojson_matches_the_service_and_role_fields(logged_in, session) -> None:
    filt = world_filter()
    viewer = logged_in("viewer")
    response = _deployments(viewer, "geojson", filt)
    assert response.mimetype == "application/geo+json"
    collection = json.loads(response.data)
    expected = exports.deployments_rows(session, _principal(Role.VIEWER), filt)
    assert len(collection["features"]) == len(expected) > 0
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"]["expert_name"]  # the viewer may see names
    assert not (set(feature["properties"]) & PERSON_FIELDS)
    assert "id" not in feature
    text = response.get_data(as_text=True)
    for forbidden in ("staff_number", "email", "expert_id"):
        assert forbidden not in text
    assert {f["properties"]["mission"] for f in collection["features"]} == {r["mission"] for r in expected}

    gis = _deployments(logged_in("gis_editor"), "geojson", filt)
    props = json.loads(gis.data)["features"][0]["properties"]
    assert "expert_name" not in props and not (set(props) & PERSON_FIELDS)


def test_deployments_geopackage_is_readable_points(logged_in, session, tmp_path: Path) -> None:
    filt = world_filter()
    response = _deployments(logged_in("gis_editor"), "gpkg", filt)
    assert response.headers["Content-Disposition"].endswith('.gpkg"')
    path = tmp_path / "d.gpkg"
    path.write_bytes(response.data)
    frame = pyogrio.read_dataframe(path)
    expected = exports.deployments_rows(session, _principal(Role.GIS_EDITOR), filt)
    assert len(frame) == len(expected)
    assert set(frame.geom_type) == {"Point"}
    assert "expert_name" not in frame.columns and not (set(frame.columns) & PERSON_FIELDS)
    assert {"mission", "place", "country", "capacity", "kind", "status", "start_date", "gender_marker",
            "funding_source"} <= set(frame.columns)


def test_a_narrow_filter_narrows_the_deployments(logged_in, session) -> None:
    viewer = logged_in("viewer")
    filt = world_filter()
    everything = json.loads(_deployments(viewer, "geojson", filt).data)["features"]
    mission = everything[0]["properties"]["mission"]
    narrow = json.loads(_deployments(viewer, "geojson", filt.with_changes(mission=(mission,))).data)["features"]
    assert narrow and {f["properties"]["mission"] for f in narrow} == {mission}
    assert len(narrow) < len(everything)


@pytest.fixture
def formula_role(server):  # type: ignore[no-untyped-def]
    """A deployment in the default period whose role looks like a formula (committed, restored after)."""
    factory = server.extensions["hub"].session_factory
    today = WORLD_TODAY
    with session_scope(factory) as s:
        row = s.execute(
            select(Deployment.id, Deployment.role)
            .where(Deployment.status != DeploymentStatus.CANCELLED, Deployment.start_date <= today,
                   Deployment.end_date >= today - timedelta(days=300))
            .order_by(Deployment.id).limit(1)).one()
        s.execute(update(Deployment).where(Deployment.id == row.id).values(role="=HYPERLINK(\"x\")"))
    yield row.id
    with session_scope(factory) as s:
        s.execute(update(Deployment).where(Deployment.id == row.id).values(role=row.role))


def test_formula_cells_are_escaped(formula_role, logged_in) -> None:
    client = logged_in("viewer")
    geo = json.loads(client.get(f"/map/download/deployments.geojson?{_query(world_filter())}").data)
    # GeoJSON (like GeoPackage) is data for GIS, not a spreadsheet: the text is kept as it is.
    assert '=HYPERLINK("x")' in {f["properties"]["role"] for f in geo["features"]}
    rows = exports.spreadsheet_safe([{"a": "=1+2", "b": "+1", "c": "-1", "d": "@SUM(A1)", "e": -1, "f": "ok"}])
    assert rows == [{"a": "'=1+2", "b": "'+1", "c": "'-1", "d": "'@SUM(A1)", "e": -1, "f": "ok"}]


def test_formula_cells_are_escaped_in_csv_and_xlsx(logged_in, monkeypatch) -> None:
    """A chart row with formula-looking text comes out with a leading ' in both formats."""
    evil = [{"acronym": "=cmd|' /C calc'!A0", "name": "+SUM(1)", "capacity": "-x", "experts": -3,
             "note": "@here"}]
    monkeypatch.setattr(exports, "chart_rows", lambda *a, **k: evil)
    client = logged_in("viewer")
    rows = _csv(client.get("/map/download/missions.csv"))
    assert rows[0]["acronym"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["name"] == "'+SUM(1)" and rows[0]["capacity"] == "'-x" and rows[0]["note"] == "'@here"
    assert rows[0]["experts"] == "-3"  # numbers are numbers
    table = _xlsx(client.get("/map/download/missions.xlsx"))
    assert table[1][:3] == ["'=cmd|' /C calc'!A0", "'+SUM(1)", "'-x"] and table[1][3] == -3


def test_every_export_is_audited(logged_in, session, make_user) -> None:
    client = logged_in("finance")
    filt = world_filter().with_changes(capacity=("SPC",))
    before = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    for path in ("funding.csv", "gender.xlsx", "deployments.geojson", "deployments.gpkg"):
        assert client.get(f"/map/download/{path}?{_query(filt)}").status_code == 200
    events = session.scalars(select(AuditEvent).where(AuditEvent.id > before, AuditEvent.action == "export")
                             .order_by(AuditEvent.id)).all()
    assert [(e.entity_id, e.detail["format"]) for e in events] == [
        ("funding", "csv"), ("gender", "xlsx"), ("deployments", "geojson"), ("deployments", "gpkg")]
    assert all(e.username.startswith("t-finance") and e.detail["filters"]["capacity"] == "SPC" for e in events)
    assert all(e.entity == "operations_map" and isinstance(e.detail["rows"], int) for e in events)
