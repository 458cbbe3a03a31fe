"""Mapbox vector tiles of a layer's features, built by PostGIS (ST_AsMVT), for large layers and QGIS.

One SQL statement a tile: the features whose box meets the tile, clipped and quantised to the tile's grid
by ST_AsMVTGeom (which also drops detail finer than a tile unit), encoded by ST_AsMVT. The GiST index on
layer_feature.geom finds the features; the tile envelope is transformed to 4326 once, not every geometry.
"""

from __future__ import annotations

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from models import LayerFeature
from models.errors import ValidationError

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
MAX_FEATURES = 200_000


def check_tile(z: int, x: int, y: int) -> None:
    if not (0 <= z <= MAX_ZOOM) or not (0 <= x < 2**z) or not (0 <= y < 2**z):
        raise ValidationError(f"No tile {z}/{x}/{y}: zoom runs 0..{MAX_ZOOM} and x, y 0..2^zoom-1.")


def layer_tile(session: Session, layer_id: int, version: int, z: int, x: int, y: int, name: str = "features") -> bytes:
    """The tile z/x/y (XYZ, WebMercatorQuad) of one layer version as MVT bytes (empty bytes: no features)."""
    check_tile(z, x, y)
    f = LayerFeature
    envelope = func.ST_TileEnvelope(z, x, y)
    envelope_4326 = func.ST_Transform(envelope, 4326)
    rows = (
        select(f.id.label("fid"), f.properties.label("properties"),
               func.ST_AsMVTGeom(func.ST_Transform(f.geom, 3857), envelope, EXTENT, BUFFER, True).label("geom"))
        .where(f.layer_id == layer_id, f.version == version, f.geom.op("&&")(envelope_4326))
        .limit(MAX_FEATURES)
        .subquery("tile")
    )
    # ST_AsMVT(row, name, extent, geom column, feature id column); properties (jsonb) become attributes.
    tile = session.scalar(
        select(func.ST_AsMVT(literal_column("tile.*"), name, EXTENT, "geom", "fid"))
        .select_from(rows).where(rows.c.geom.is_not(None))
    )
    return bytes(tile or b"")


def bare_tile_sql() -> str:
    """The same tile as hand-written SQL, for the bench's comparison (parameters: layer, version, z, x, y)."""
    return (
        "SELECT ST_AsMVT(t.*, 'features', 4096, 'geom', 'fid') FROM ("
        " SELECT id AS fid, properties, ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s),"
        " 4096, 64, true) AS geom FROM layer_feature WHERE layer_id = %(layer)s AND version = %(version)s"
        " AND geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326)) t WHERE t.geom IS NOT NULL"
    )
