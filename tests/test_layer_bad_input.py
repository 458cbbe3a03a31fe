"""Each bad file gets a clear message naming the problem and leaves the database exactly as it was."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Layer, LayerFeature, LayerVersion
from models.enums import Role
from services import layers
from services.access import Principal
from services.errors import ValidationError
from services.users import create_user
from tests.factories import NE, shapefile_zip


@pytest.fixture
def editor(session) -> Principal:
    user = create_user(session, "t-gis-bad", Role.GIS_EDITOR, "a-long-enough-password")
    session.flush()
    return Principal(user.id, user.username, Role.GIS_EDITOR)


def _counts(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Layer, LayerVersion, LayerFeature))


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _geojson(props: dict, coords: list) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": coords}}]}).encode()


def _ne(shared: Path, ext: str) -> bytes:
    return (shared / f"{NE}.{ext}").read_bytes()


def bad_files(shared: Path) -> dict[str, tuple[bytes, str, str]]:
    shp = _ne(shared, "shp")
    return {
        "truncated shapefile": (_zip({"a.shp": shp[: len(shp) // 2], "a.shx": _ne(shared, "shx"),
                                      "a.dbf": _ne(shared, "dbf"), "a.prj": _ne(shared, "prj")}), "a.zip",
                                "truncated"),
        "truncated geojson": (_geojson({"a": 1}, [1, 2])[:60], "a.geojson", "truncated"),
        "truncated gpkg": (b"SQLite format 3\x00" + b"\x00" * 200, "a.gpkg", "truncated"),
        "gpkg named geojson": (b"SQLite format 3\x00" + b"\x00" * 200, "a.geojson", "content is a GPKG"),
        "zip named gpkg": (shapefile_zip(shared), "a.gpkg", "content is a ZIP"),
        "json named csv": (_geojson({"a": 1}, [1, 2]), "a.csv", "looks like JSON"),
        "no shx": (shapefile_zip(shared, drop="shx"), "a.zip", "missing its .shx"),
        "no dbf": (shapefile_zip(shared, drop="dbf"), "a.zip", "missing its .dbf"),
        "no prj": (shapefile_zip(shared, drop="prj"), "a.zip", "missing its .prj"),
        "unknown crs": (_zip({"a.shp": shp, "a.shx": _ne(shared, "shx"), "a.dbf": _ne(shared, "dbf"),
                              "a.prj": b'LOCAL_CS["nowhere",UNIT["metre",1]]'}), "a.zip", "unknown CRS"),
        "garbage crs": (_zip({"a.shp": shp, "a.shx": _ne(shared, "shx"), "a.dbf": _ne(shared, "dbf"),
                              "a.prj": b"not a crs at all"}), "a.zip", "unknown CRS"),
        "zip bomb": (_zip({"a.shp": b"\x00" * 50_000_000}), "a.zip", "zip bomb"),
        "zip slip": (_zip({"../../etc/a.shp": shp}), "a.zip", "leaves its folder"),
        "absolute path": (_zip({"/etc/a.shp": shp}), "a.zip", "leaves its folder"),
        "kml entity": (b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                       b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&x;</name>'
                       b"<Point><coordinates>1,2</coordinates></Point></Placemark></kml>", "a.kml", "entities"),
        "kml network link": (b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><NetworkLink><Link>'
                             b"<href>http://evil.example/x.kml</href></Link></NetworkLink></Document></kml>",
                             "a.kml", "network links"),
        "latin-1 geojson": (_geojson({"name": "Côte"}, [1, 2]).replace(b"C\\u00f4te", "Côte".encode("latin-1")),
                            "a.geojson", "not UTF-8"),
        "latin-1 shapefile": (_zip({"a.shp": shp, "a.shx": _ne(shared, "shx"), "a.prj": _ne(shared, "prj"),
                                    "a.cpg": b"UTF-8", "a.dbf": _ne(shared, "dbf").replace(
                                        "Côte d'Ivoire".encode(), "Côte d'Ivoire".encode("latin-1") + b" ")}),
                              "a.zip", "not UTF-8"),
        "nan coordinates": (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                            b'"geometry":{"type":"Point","coordinates":[NaN,1]}}]}', "a.geojson", "NaN"),
        "nan csv": (b"name,lon,lat\na,nan,3\n", "a.csv", "not numbers"),
        "out of range": (_geojson({"a": 1}, [500, 2]), "a.geojson", "out of range"),
        "invalid geometry": (json.dumps({"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
                [[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]]}}]}).encode(), "a.geojson", "invalid geometr"),
        "empty": (b"", "a.geojson", "empty"),
        "unsupported": (b"hello", "a.docx", "unsupported"),
        "csv without coordinates": (b"name,town\na,b\n", "a.csv", "no coordinates"),
    }


CASES = [
    "truncated shapefile", "truncated geojson", "truncated gpkg", "gpkg named geojson", "zip named gpkg",
    "json named csv", "no shx", "no dbf", "no prj", "unknown crs", "garbage crs", "zip bomb", "zip slip",
    "absolute path", "kml entity", "kml network link", "latin-1 geojson", "latin-1 shapefile", "nan coordinates",
    "nan csv", "out of range", "invalid geometry", "empty", "unsupported", "csv without coordinates",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_file_is_refused_with_a_clear_message(session, editor, natural_earth, case) -> None:
    data, name, expected = bad_files(natural_earth)[case]
    before = _counts(session)
    with pytest.raises(ValidationError) as caught:
        layers.import_layer(session, editor, data, name, layers.ImportOptions(title=f"bad {case}"))
    message = str(caught.value)
    assert expected.lower() in message.lower(), message
    assert "/tmp/" not in message  # the user's file name, never our temporary path
    assert _counts(session) == before


def test_a_failure_after_loading_rolls_back_everything(session, editor, natural_earth) -> None:
    # An upsert with a key the file lacks fails after the read: nothing of it may stay.
    report = layers.import_layer(session, editor, shapefile_zip(natural_earth), "c.zip",
                                 layers.ImportOptions(title="base"))
    before = _counts(session)
    with pytest.raises(ValidationError, match="key column"):
        layers.import_layer(session, editor, shapefile_zip(natural_earth), "c.zip",
                            layers.ImportOptions(mode="upsert", target=report.slug, key="no_such_column"))
    assert _counts(session) == before


def test_size_limit_is_enforced_on_the_server(session, editor) -> None:
    with pytest.raises(ValidationError, match="limit"):
        layers.import_layer(session, editor, b"{" + b" " * 2_000_000 + b"}", "big.geojson",
                            layers.ImportOptions(title="big"), max_bytes=1_000_000)


def test_invalid_geometry_is_repaired_only_with_consent(session, editor, natural_earth) -> None:
    data, name, _ = bad_files(natural_earth)["invalid geometry"]
    report = layers.import_layer(session, editor, data, name, layers.ImportOptions(title="bowtie", repair=True))
    assert report.repaired == 1
    valid = session.scalar(select(func.bool_and(func.ST_IsValid(LayerFeature.geom))).join(Layer)
                           .where(Layer.slug == report.slug))
    assert valid is True


def test_html_in_attributes_is_stored_as_text(session, editor) -> None:
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    report = layers.import_layer(session, editor, _geojson({"name": evil}, [1, 2]), "x.geojson",
                                 layers.ImportOptions(title="html"))
    rows = layers.layer_attributes(session, editor, report.slug)["rows"]
    assert rows[0]["name"] == evil  # unchanged text: the page and the map's JS show it as text
    js = (Path(__file__).resolve().parents[1] / "assets" / "hub_layers.js").read_text()
    assert "escapeHtml" in js and "innerHTML" not in js.replace("textContent", "")
