"""Vector tiles of a layer, generalised per zoom, the tile cache, the partitions an import makes, and the
EWKB the loader sends: tiles decode (mapbox-vector-tile) and carry the right features at each zoom."""

from __future__ import annotations

import json
import math
import struct

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from sqlalchemy import func, select, text

from geo import layer_files, vector_tiles
from models import Layer, LayerFeature
from models.enums import Role
from services import layers
from services.access import Principal
from services.users import create_user

VIEWER = Principal(0, "someone-viewer", Role.VIEWER)
BIG = [[10, -5], [30, -5], [30, 10], [10, 10], [10, -5]]  # 20 degrees: seen at every zoom
TINY = [[20, 1], [20.5, 1], [20.5, 1.5], [20, 1.5], [20, 1]]  # half a degree: under a pixel at z0 and z1
POINT = [25, 5]


@pytest.fixture
def editor(session) -> Principal:
    user = create_user(session, "t-gis-tiles", Role.GIS_EDITOR, "a-long-enough-password")
    session.flush()
    return Principal(user.id, user.username, Role.GIS_EDITOR)


def _feature(name: str, geometry: dict) -> dict:
    return {"type": "Feature", "properties": {"name": name, "kind": "test"}, "geometry": geometry}


def _layer(session, editor: Principal, title: str = "tiles") -> str:
    data = json.dumps({"type": "FeatureCollection", "features": [
        _feature("big", {"type": "Polygon", "coordinates": [BIG]}),
        _feature("tiny", {"type": "Polygon", "coordinates": [TINY]}),
        _feature("point", {"type": "Point", "coordinates": POINT}),
    ]}).encode()
    report = layers.import_layer(session, editor, data, "tiles.geojson", layers.ImportOptions(title=title))
    layers.publish(session, editor, report.slug)
    return report.slug


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def _names(data: bytes, slug: str) -> dict[str, dict]:
    decoded = mapbox_vector_tile.decode(data)
    return {f["properties"]["name"]: f for f in decoded.get(slug, {}).get("features", [])}


@pytest.mark.parametrize("z", [0, 1, 2, 4, 6, 8, 10, 12])
def test_tile_at_each_zoom_decodes_with_the_features_seen_at_that_zoom(session, editor, z) -> None:
    slug = _layer(session, editor, f"tiles z{z}")
    x, y = tile_of(*POINT, z)
    data = layers.tile(session, VIEWER, slug, z, x, y)
    features = _names(data, slug)
    assert "point" in features  # a point is never left out for its size
    assert features["point"]["properties"]["kind"] == "test"
    ids = set(session.scalars(select(LayerFeature.id).join(Layer).where(Layer.slug == slug)))
    assert {f["id"] for f in features.values()} <= ids
    # The big polygon covers the point's tile at every zoom.
    assert "big" in features
    tx, ty = tile_of(20.25, 1.25, z)
    tiny = _names(layers.tile(session, VIEWER, slug, z, tx, ty), slug)
    if vector_tiles.pixel_degrees(z) > 0.5:
        assert "tiny" not in tiny  # under a pixel at this zoom: left out
    else:
        assert "tiny" in tiny and tiny["tiny"]["geometry"]["type"] == "Polygon"


def test_a_tile_without_features_is_empty_and_a_bad_tile_refused(session, editor) -> None:
    slug = _layer(session, editor, "tiles empty")
    x, y = tile_of(-120, 45, 6)  # North America: nothing there
    assert layers.tile(session, VIEWER, slug, 6, x, y) == b""
    from services.errors import ValidationError

    with pytest.raises(ValidationError, match="No tile"):
        layers.tile(session, VIEWER, slug, 3, 9, 0)


def test_the_cap_keeps_the_largest_features(session, editor) -> None:
    slug = _layer(session, editor, "tiles cap")
    layer = session.scalar(select(Layer).where(Layer.slug == slug))
    x, y = tile_of(20.25, 1.25, 3)
    query = vector_tiles.tile_query(layer.id, layer.current_version, 3, x, y, name=slug, max_features=1)
    features = _names(bytes(session.scalar(query)), slug)
    assert list(features) == ["big"]


def test_the_tile_cap_is_the_callers_and_cached_apart(session, editor) -> None:
    """The cap comes from HUB_TILE_MAX_FEATURES (the OGC route passes it): a tile made under one cap is not
    served for another."""
    slug = _layer(session, editor, "tiles setting")
    x, y = tile_of(20.25, 1.25, 3)
    assert list(_names(layers.tile(session, VIEWER, slug, 3, x, y, max_features=1), slug)) == ["big"]
    assert len(_names(layers.tile(session, VIEWER, slug, 3, x, y), slug)) > 1


def test_tiles_are_cached_by_version_and_a_new_version_gets_new_tiles(session, editor, monkeypatch) -> None:
    slug = _layer(session, editor, "tiles cache")
    x, y = tile_of(*POINT, 5)
    first = layers.tile(session, VIEWER, slug, 5, x, y)
    calls = []
    real = vector_tiles.layer_tile
    monkeypatch.setattr(vector_tiles, "layer_tile", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert layers.tile(session, VIEWER, slug, 5, x, y) == first and calls == []  # from the cache
    only_point = json.dumps({"type": "FeatureCollection", "features": [
        _feature("point", {"type": "Point", "coordinates": POINT})]}).encode()
    layers.import_layer(session, editor, only_point, "p.geojson", layers.ImportOptions(mode="replace", target=slug))
    assert set(_names(layers.tile(session, VIEWER, slug, 5, x, y), slug)) == {"point"} and len(calls) == 1


def _partitions(session, layer_id: int) -> list[str]:
    return list(session.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'layer_feature' AND c.relname LIKE :like "
        "ORDER BY c.relname"), {"like": f"l{layer_id}\\_v%"}))


def test_each_version_is_a_partition_with_its_own_indexes_and_deleting_drops_them(session, editor) -> None:
    slug = _layer(session, editor, "tiles parts")
    layers.import_layer(session, editor, json.dumps({"type": "FeatureCollection", "features": [
        _feature("extra", {"type": "Point", "coordinates": [1, 1]})]}).encode(), "e.geojson",
        layers.ImportOptions(mode="append", target=slug))
    layers.restore(session, editor, slug, 1)
    layer = session.scalar(select(Layer).where(Layer.slug == slug))
    assert _partitions(session, layer.id) == [f"l{layer.id}_v1", f"l{layer.id}_v2", f"l{layer.id}_v3"]
    counts = dict(session.execute(select(LayerFeature.version, func.count()).where(LayerFeature.layer_id == layer.id)
                                  .group_by(LayerFeature.version)).all())
    assert counts == {1: 3, 2: 4, 3: 3}
    indexes = session.scalars(text("SELECT indexdef FROM pg_indexes WHERE schemaname = 'layer_feature_parts' "
                                   "AND tablename = :t"), {"t": f"l{layer.id}_v2"}).all()
    assert any("USING gist (geom)" in d for d in indexes) and any("UNIQUE" in d for d in indexes)
    layers.archive(session, editor, slug)
    layers.delete_layer(session, editor, slug)
    assert _partitions(session, layer.id) == []


def test_ewkb_from_gdal_wkb_carries_the_srid_and_refuses_z() -> None:
    polygon = shapely.Polygon(TINY)
    little, big = shapely.to_wkb(polygon, byte_order=1), shapely.to_wkb(polygon, byte_order=0)
    blobs = layer_files.ewkb(np.array([little, big], dtype=object), 4326)
    assert blobs is not None
    for value in blobs:
        back = shapely.from_wkb(value)
        assert shapely.get_srid(back) == 4326 and back.equals(polygon)
    assert blobs[0][1:9] == struct.pack("<I", 3 | 0x20000000) + struct.pack("<I", 4326)
    z = shapely.to_wkb(shapely.Point(1, 2, 3), flavor="iso")
    assert layer_files.ewkb(np.array([little, z], dtype=object)) is None


def test_three_dimensional_input_is_stored_in_2d(session, editor) -> None:
    data = json.dumps({"type": "FeatureCollection", "features": [
        _feature("high", {"type": "Point", "coordinates": [10, 20, 1500]})]}).encode()
    report = layers.import_layer(session, editor, data, "z.geojson", layers.ImportOptions(title="three d"))
    row = session.execute(select(func.ST_NDims(LayerFeature.geom), func.ST_AsText(LayerFeature.geom),
                                 func.ST_SRID(LayerFeature.geom)).join(Layer).where(Layer.slug == report.slug)).one()
    assert row == (2, "POINT(10 20)", 4326)
