"""The OGC collections behind one FeatureSource protocol (a published layer, the hub's own tables), each
answering it on PostGIS; layer extents cached per version (counted statements); the binary COPY encoder
refusing lists of different lengths."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import mapbox_vector_tile
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from models.enums import Role
from services import layers
from services.access import Principal
from services.catalog import BBox, Paging
from services.errors import Forbidden, NotFound
from services.layers.copy_binary import COPY_HEAD, binary_copy
from services.layers.intervals import Interval
from services.layers.sources import FeatureSource, HubTableSource, LayerSource, feature_source, feature_sources
from services.users import create_user

VIEWER = Principal(0, "someone-viewer", Role.VIEWER)
BRIEFING = Principal(0, "someone-briefing", Role.BRIEFING)


@pytest.fixture
def editor(session: Session) -> Principal:
    user = create_user(session, "t-gis-sources", Role.GIS_EDITOR, "a-long-enough-password")
    session.flush()
    return Principal(user.id, user.username, Role.GIS_EDITOR)


def _geojson(points: list[tuple[float, float]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"p{i}", "rank": i},
         "geometry": {"type": "Point", "coordinates": list(xy)}} for i, xy in enumerate(points)
    ]}).encode()


def _published(session: Session, editor: Principal, points: list[tuple[float, float]], title: str) -> str:
    report = layers.import_layer(session, editor, _geojson(points), "points.geojson", layers.ImportOptions(title=title))
    layers.publish(session, editor, report.slug)
    return report.slug


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    """Every SQL statement the session's connection sends inside the block."""
    seen: list[str] = []
    connection = session.connection()

    def record(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def _extent_queries(statements: list[str], table: str = "layer_feature") -> int:
    """How many of these statements compute an extent over ``table``."""
    return sum("st_extent" in s.lower() and f"from {table}" in s.lower() for s in statements)


# --- each implementation answers the protocol ----------------------------------------------------------
def test_a_published_layer_answers_the_protocol(session: Session, editor: Principal) -> None:
    slug = _published(session, editor, [(10, 0), (20, 5), (30, -5)], "Source points")
    source = feature_source(session, VIEWER, slug)
    assert isinstance(source, LayerSource) and isinstance(source, FeatureSource) and source.id == slug

    assert source.extent() == [10.0, -5.0, 30.0, 5.0]
    described = source.describe()
    assert (described.id, described.title, described.extent) == (slug, "Source points", [10.0, -5.0, 30.0, 5.0])

    everything = source.features()
    assert everything["type"] == "FeatureCollection" and everything["numberMatched"] == 3
    assert [f["properties"]["name"] for f in everything["features"]] == ["p0", "p1", "p2"]
    page = source.features(paging=Paging(limit=1, offset=1))
    assert (page["numberMatched"], page["numberReturned"]) == (3, 1)
    assert page["features"][0]["properties"]["name"] == "p1"
    boxed = source.features(BBox(15, 0, 25, 10))
    assert [f["properties"]["name"] for f in boxed["features"]] == ["p1"] and boxed["numberMatched"] == 1
    # Layers have no time: an interval filters nothing.
    assert source.features(interval=Interval.parse("../1900-01-01"))["numberMatched"] == 3

    fid = everything["features"][1]["id"]
    one = source.feature(fid)
    assert one["id"] == fid and one["geometry"] == {"type": "Point", "coordinates": [20, 5]}
    assert one["properties"] == {"name": "p1", "rank": 1}
    with pytest.raises(NotFound):
        source.feature(fid + 1000)

    tile = mapbox_vector_tile.decode(source.tile(0, 0, 0))
    assert len(tile[slug]["features"]) == 3


@pytest.mark.parametrize("cid", ["missions", "sites", "deployments"])
def test_each_hub_table_answers_the_protocol(session: Session, cid: str) -> None:
    source = feature_source(session, VIEWER, cid)
    assert isinstance(source, HubTableSource) and isinstance(source, FeatureSource) and source.id == cid

    everything = source.features(paging=Paging(limit=5))
    assert everything["numberMatched"] > 0 and everything["numberReturned"] == min(5, everything["numberMatched"])
    first = everything["features"][0]
    assert source.feature(first["id"]) == {k: first[k] for k in ("type", "id", "geometry", "properties")}
    with pytest.raises(NotFound):
        source.feature(-1)

    extent = source.extent()
    assert extent is not None and extent[0] <= extent[2] and extent[1] <= extent[3]
    lon, lat = first["geometry"]["coordinates"]
    assert extent[0] <= lon <= extent[2] and extent[1] <= lat <= extent[3]
    assert source.describe().extent == extent

    # A box around the first feature finds it; its numberMatched is at most the whole table's.
    near = source.features(BBox(max(-180, lon - 0.01), max(-90, lat - 0.01), min(180, lon + 0.01),
                                min(90, lat + 0.01)), paging=Paging(limit=1000))
    assert first["id"] in {f["id"] for f in near["features"]}
    assert near["numberMatched"] <= everything["numberMatched"]
    with pytest.raises(NotFound):
        source.tile(0, 0, 0)


def test_opening_a_source_checks_access(session: Session, editor: Principal) -> None:
    draft = layers.import_layer(session, editor, _geojson([(1, 1)]), "draft.geojson",
                                layers.ImportOptions(title="Draft source")).slug
    with pytest.raises(NotFound):
        feature_source(session, VIEWER, draft)
    with pytest.raises(NotFound):  # managers see drafts on the layers page, never as an OGC collection
        feature_source(session, editor, draft)
    with pytest.raises(Forbidden):
        feature_source(session, BRIEFING, "deployments")
    slug = _published(session, editor, [(1, 1)], "Listed source")
    listed = {s.id: s for s in feature_sources(session, VIEWER)}
    assert isinstance(listed[slug], LayerSource) and draft not in listed
    assert {"missions", "sites", "deployments"} <= set(listed)
    assert "deployments" not in {s.id for s in feature_sources(session, BRIEFING)}


# --- extents cached per layer version ------------------------------------------------------------------
def test_a_layer_versions_extent_is_computed_once(session: Session, editor: Principal) -> None:
    slug = _published(session, editor, [(10, 0), (20, 5)], "Cached extent")
    with _statements(session) as first:
        assert layers.collection(session, VIEWER, slug).extent == [10.0, 0.0, 20.0, 5.0]
    assert _extent_queries(first) == 1
    with _statements(session) as again:
        assert layers.collection(session, VIEWER, slug).extent == [10.0, 0.0, 20.0, 5.0]
        assert feature_source(session, VIEWER, slug).extent() == [10.0, 0.0, 20.0, 5.0]
        assert slug in {c.id for c in layers.collections(session, VIEWER) if c.extent == [10.0, 0.0, 20.0, 5.0]}
        assert layers.get_layer(session, editor, slug)["bbox"] == [10.0, 0.0, 20.0, 5.0]
    assert _extent_queries(again) == 0 and again  # read, without an ST_Extent

    # A new version has its own extent, computed once too.
    layers.import_layer(session, editor, _geojson([(-40, -20), (-30, 15)]), "moved.geojson",
                        layers.ImportOptions(mode="replace", target=slug))
    with _statements(session) as replaced:
        assert layers.collection(session, VIEWER, slug).extent == [-40.0, -20.0, -30.0, 15.0]
        assert layers.collection(session, VIEWER, slug).extent == [-40.0, -20.0, -30.0, 15.0]
    assert _extent_queries(replaced) == 1


def test_the_hub_tables_extent_follows_their_writes(session: Session) -> None:
    from models import Mission

    source = feature_source(session, VIEWER, "missions")
    before = source.extent()
    assert before is not None
    with _statements(session) as seen:
        assert source.extent() == before
    assert _extent_queries(seen, "mission") == 1  # not cached: these tables change with every edit
    mission = session.query(Mission).filter(Mission.hq.is_not(None)).order_by(Mission.id).first()
    assert mission is not None
    from geoalchemy2.shape import from_shape
    from shapely.geometry import Point

    mission.hq = from_shape(Point(179.5, 89.5), srid=4326)  # beyond every other headquarters
    session.flush()
    after = source.extent()
    assert after is not None and (after[2], after[3]) == (179.5, 89.5)


# --- the binary COPY encoder ---------------------------------------------------------------------------
def test_the_copy_encoder_refuses_lists_of_different_lengths() -> None:
    with pytest.raises(ValueError):
        binary_copy(1, 1, ["{}", "{}"], [b"\x01"])
    with pytest.raises(ValueError):
        binary_copy(1, 1, ["{}"], [b"\x01", b"\x02"])


def test_the_copy_encoder_writes_one_row_a_feature() -> None:
    body = binary_copy(7, 3, ['{"a":1}', "{}"], [b"\x01\x02", b"\x03"])
    assert body.startswith(COPY_HEAD) and body.endswith(struct.pack("!h", -1))
    rows = body[len(COPY_HEAD):-2]
    fixed = struct.pack("!hiiii", 4, 4, 7, 4, 3)
    assert rows.count(fixed) == 2
    first = fixed + struct.pack("!i", 8) + b'\x01{"a":1}' + struct.pack("!i", 2) + b"\x01\x02"
    second = fixed + struct.pack("!i", 3) + b"\x01{}" + struct.pack("!i", 1) + b"\x03"
    assert rows == first + second


def test_an_import_loads_every_row_of_a_file_with_properties(session: Session, editor: Principal) -> None:
    """pandas ends its JSON lines with a newline: the encoder gets exactly one line a feature."""
    slug = _published(session, editor, [(float(i), 0.0) for i in range(7)], "Seven points")
    assert layers.get_layer(session, editor, slug)["feature_count"] == 7
    names = [f["properties"]["name"] for f in layers.items(session, VIEWER, slug)["features"]]
    assert names == [f"p{i}" for i in range(7)]


# --- the package's shape ---------------------------------------------------------------------------------
def _package_imports() -> dict[str, set[str]]:
    """Each module of services/layers and every module it imports (from its source, statically)."""
    import ast
    from pathlib import Path

    folder = Path(layers.__file__).parent
    found: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names |= {f"{node.module}.{alias.name}" for alias in node.names}
        found[f"services.layers.{path.stem}" if path.stem != "__init__" else "services.layers"] = names
    return found


def test_the_layer_package_imports_no_web_code_and_has_no_cycle() -> None:
    imports = _package_imports()
    assert {"services.layers.sources", "services.layers.importing", "services.layers.copy_binary"} <= set(imports)
    for module, names in imports.items():
        assert not {n for n in names if n.split(".")[0] in ("dash", "dashboard", "flask", "flask_login")}, module
    # Inside the package, the modules import one another without a cycle (the package's __init__ aside).
    inner = {m: {n for n in names if n in imports and n != "services.layers"}
             for m, names in imports.items() if m != "services.layers"}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module not in done:
            for other in inner[module]:
                visit(other, (*path, module))
            done.add(module)

    for module in inner:
        visit(module, ())


def test_two_imports_at_once_both_land(server, make_user) -> None:
    """Two GIS editors importing at the same moment: both layers land (their partition DDL once deadlocked)."""
    import secrets
    import threading

    from models import User
    from models.db import session_scope

    factory = server.extensions["hub"].session_factory
    username, _password = make_user("gis_editor")
    with session_scope(factory) as s:
        principal = Principal(s.scalar(select(User.id).where(User.username == username)), username, Role.GIS_EDITOR)
    points = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"n": i}, "geometry": {"type": "Point", "coordinates": [10 + i, 5]}}
        for i in range(3)]}
    data = json.dumps(points).encode()
    tag = secrets.token_hex(3)
    barrier = threading.Barrier(4)
    slugs: list[str] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            with session_scope(factory) as s:
                slugs.append(layers.import_layer(s, principal, data, f"at-once-{i}.geojson",
                                                 layers.ImportOptions(title=f"At once {tag} {i}")).slug)
        except BaseException as error:  # the test reports it below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert errors == [] and len(slugs) == 4
    finally:
        with session_scope(factory) as s:
            for slug in slugs:
                layers.delete_layer(s, principal, slug)
