"""OGC API - Features at /ogc: the documents Core asks for, paging, filters, access rules, and GDAL reading it."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from werkzeug.serving import make_server

from models import Layer
from models.db import session_scope
from models.enums import Role
from services import layers
from services.access import Principal
from services.tokens import create_token
from services.users import get_by_username
from tests.factories import shapefile_zip


@pytest.fixture
def published(server, make_user, natural_earth) -> Iterator[str]:
    """A committed, published countries layer (the app reads it through its own connections)."""
    factory = server.extensions["hub"].session_factory
    username, _ = make_user("gis_editor")
    with session_scope(factory) as s:
        user = get_by_username(s, username)
        editor = Principal(user.id, username, Role.GIS_EDITOR)
        report = layers.import_layer(s, editor, shapefile_zip(natural_earth), "countries.zip",
                                     layers.ImportOptions(title="OGC countries", slug="ogc-countries"))
        layers.publish(s, editor, report.slug)
        layers.set_metadata(s, editor, report.slug, title="OGC countries", keywords=["boundaries"])
    yield report.slug
    with session_scope(factory) as s:
        s.execute(delete(Layer).where(Layer.slug == report.slug))


def _token(server, username: str) -> str:
    with session_scope(server.extensions["hub"].session_factory) as s:
        return create_token(s, username, "ogc test")[1]


def test_landing_conformance_and_collections(logged_in, published) -> None:
    client = logged_in("viewer")
    landing = client.get("/ogc").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "conformance", "data"} <= rels
    conf = client.get("/ogc/conformance").get_json()["conformsTo"]
    assert any(c.endswith("/conf/core") for c in conf) and any(c.endswith("/conf/geojson") for c in conf)
    ids = {c["id"] for c in client.get("/ogc/collections").get_json()["collections"]}
    assert {published, "missions", "sites", "deployments"} <= ids
    one = client.get(f"/ogc/collections/{published}").get_json()
    assert one["extent"]["spatial"]["bbox"][0][0] < -170 and one["keywords"] == ["boundaries"]


def test_items_page_with_next_links_bbox_and_item(logged_in, published) -> None:
    client = logged_in("viewer")
    first = client.get(f"/ogc/collections/{published}/items?limit=50")
    assert first.mimetype == "application/geo+json"
    page = first.get_json()
    assert page["numberMatched"] == 177 and page["numberReturned"] == 50
    seen = [f["id"] for f in page["features"]]
    next_href = next(link["href"] for link in page["links"] if link["rel"] == "next")
    while next_href:
        page = client.get(next_href.replace("http://localhost", "")).get_json()
        seen += [f["id"] for f in page["features"]]
        next_href = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 177
    boxed = client.get(f"/ogc/collections/{published}/items?bbox=10,-5,30,10&limit=1000").get_json()
    names = {f["properties"]["NAME"] for f in boxed["features"]}
    assert "Cameroon" in names and "France" not in names
    fid = boxed["features"][0]["id"]
    feature = client.get(f"/ogc/collections/{published}/items/{fid}").get_json()
    assert feature["type"] == "Feature" and feature["id"] == fid


def test_datetime_filters_hub_tables(logged_in) -> None:
    client = logged_in("viewer")
    everything = client.get("/ogc/collections/deployments/items?limit=1").get_json()["numberMatched"]
    past = client.get("/ogc/collections/deployments/items?limit=1&datetime=../1990-01-01").get_json()
    assert everything > 0 and past["numberMatched"] == 0
    year = client.get("/ogc/collections/deployments/items?limit=1&datetime=2025-01-01/2025-12-31").get_json()
    assert 0 < year["numberMatched"] <= everything


@pytest.mark.parametrize("query, word", [("bbox=1,2,3", "four"), ("limit=abc", "whole number"),
                                         ("datetime=yesterday", "RFC 3339"), ("offset=-1", "at least")])
def test_bad_parameters_answer_problem_json(logged_in, query, word) -> None:
    response = logged_in("viewer").get(f"/ogc/collections/sites/items?{query}")
    assert response.status_code in (400, 422) and response.mimetype == "application/problem+json"
    assert word in response.get_json()["detail"]


def test_access_rules(client, logged_in, published, server, make_user) -> None:
    assert client.get("/ogc/collections").status_code == 401
    assert client.get("/ogc").mimetype == "application/problem+json"
    briefing = logged_in("briefing")
    ids = {c["id"] for c in briefing.get("/ogc/collections").get_json()["collections"]}
    assert "deployments" not in ids and published not in ids
    assert briefing.get("/ogc/collections/deployments/items").status_code == 403
    assert briefing.get(f"/ogc/collections/{published}/items").status_code == 403
    assert logged_in("viewer").get("/ogc/collections/no-such-layer").status_code == 404
    assert logged_in("viewer").get("/ogc/nothing/here").status_code == 404
    username, _ = make_user("planner")
    headers = {"Authorization": f"Bearer {_token(server, username)}"}
    assert server.test_client().get("/ogc/collections", headers=headers).status_code == 200
    assert server.test_client().get("/_dash-layout", headers=headers).status_code == 401


def test_vector_tile_of_a_layer(logged_in, published) -> None:
    response = logged_in("viewer").get(f"/ogc/collections/{published}/tiles/WebMercatorQuad/1/0/1")
    assert response.status_code == 200 and response.mimetype == "application/vnd.mapbox-vector-tile"
    assert len(response.data) > 1000
    assert logged_in("viewer").get(f"/ogc/collections/{published}/tiles/WebMercatorQuad/1/5/5").status_code == 422


def test_vector_tile_holds_at_most_the_tile_setting(logged_in, published, server, monkeypatch) -> None:
    import mapbox_vector_tile

    client = logged_in("viewer")
    path = f"/ogc/collections/{published}/tiles/WebMercatorQuad/0/0/0"
    everything = mapbox_vector_tile.decode(client.get(path).data)[published]["features"]
    monkeypatch.setattr(server.extensions["hub"].settings, "tile_max_features", 3)
    capped = mapbox_vector_tile.decode(client.get(path).data)[published]["features"]
    assert len(everything) > 3 == len(capped)


@pytest.fixture
def live(server) -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()


def test_ogrinfo_reads_the_api_with_a_token(live, published, server, make_user) -> None:
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "ogrinfo (Debian's gdal-bin) is needed: scripts/install-system-deps.sh installs it"
    username, _ = make_user("viewer")
    token = _token(server, username)
    env = {"GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}", "PATH": "/usr/bin:/bin"}
    listing = subprocess.run([ogrinfo, "-ro", "-q", f"OAPIF:{live}/ogc"], capture_output=True, text=True,
                             env=env, timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert published in listing.stdout and "sites" in listing.stdout
    summary = subprocess.run([ogrinfo, "-ro", "-so", f"OAPIF:{live}/ogc", published], capture_output=True,
                             text=True, env=env, timeout=120)
    assert summary.returncode == 0, summary.stderr
    assert "Feature Count: 177" in summary.stdout
    features = subprocess.run([ogrinfo, "-ro", "-q", f"OAPIF:{live}/ogc", published, "-where", "ADM0_A3 = 'FRA'"],
                              capture_output=True, text=True, env=env, timeout=120)
    assert "France" in features.stdout, features.stderr
    anonymous = subprocess.run([ogrinfo, "-ro", "-q", f"OAPIF:{live}/ogc"], capture_output=True, text=True,
                               env={"PATH": "/usr/bin:/bin"}, timeout=120)
    assert anonymous.returncode != 0
