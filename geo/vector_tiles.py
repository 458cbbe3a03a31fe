"""Mapbox vector tiles of a layer's features, built by PostGIS (ST_AsMVT), for large layers and QGIS.

One SQL statement a tile, generalised for its zoom so that a layer of 100,000 features stays quick at the
zooms where a tile covers thousands of them:

- a feature whose box is smaller than a screen pixel of this zoom is left out (a point never is): it would
  draw as a speck at most, and at low zoom most of the work and bytes go to such features;
- what is kept is simplified to half a pixel (ST_Simplify, keeping collapsed shapes) before ST_AsMVTGeom
  clips it to the tile (plus a buffer) and snaps it to the tile's grid;
- at most MAX_TILE_FEATURES a tile, the largest first, as tile builders such as tippecanoe cap their low
  zooms: a tile stays a few hundred KB, and zooming in shows the rest.

The features are found through the version's own partition (migration 0004) and its GiST index, with the
tile envelope transformed to 4326 once rather than every geometry to 3857 for the test.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sqlalchemy import func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from models import LayerFeature
from models.errors import ValidationError

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
TILE_PIXELS = 256  # a tile's size on screen
MAX_TILE_FEATURES = 5000
WORLD_METRES = 40075016.685578488  # the width of the Web Mercator world (EPSG:3857)


class TileCache:
    """Tiles kept in memory, least recently used dropped past ``max_bytes``: panning back over a map asks
    for the same tiles again. Keys must name data that never changes (services.layers keys by the layer
    version's row id: a version's features are never edited, and an id is never reused, even after a
    rollback). A few lines rather than a dependency: functools.lru_cache cannot budget by bytes."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key: Hashable, tile: bytes) -> None:
        if len(tile) > self.max_bytes // 8:
            return
        with self._lock:
            old = self._tiles.pop(key, None)
            self._size += len(tile) - (len(old) if old is not None else 0)
            self._tiles[key] = tile
            while self._size > self.max_bytes:
                self._size -= len(self._tiles.popitem(last=False)[1])

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
            self._size = 0


CACHE = TileCache()


def check_tile(z: int, x: int, y: int) -> None:
    if not (0 <= z <= MAX_ZOOM) or not (0 <= x < 2**z) or not (0 <= y < 2**z):
        raise ValidationError(f"No tile {z}/{x}/{y}: zoom runs 0..{MAX_ZOOM} and x, y 0..2^zoom-1.")


def pixel_metres(z: int) -> float:
    """A screen pixel at this zoom in Web Mercator metres."""
    return float(WORLD_METRES / 2**z / TILE_PIXELS)


def pixel_degrees(z: int) -> float:
    """A screen pixel at this zoom in degrees of longitude (of latitude too at the equator, less elsewhere,
    so that leaving out what is smaller than that never drops what shows as a pixel or more)."""
    return float(360.0 / 2**z / TILE_PIXELS)


def tile_query(layer_id: int, version: int, z: int, x: int, y: int, name: str = "features",
               max_features: int = MAX_TILE_FEATURES) -> Any:
    """The SELECT that makes the tile z/x/y of one layer version (one bytea column, NULL: no features)."""
    f = LayerFeature
    envelope = func.ST_TileEnvelope(z, x, y)
    size = func.greatest(func.ST_XMax(f.geom) - func.ST_XMin(f.geom), func.ST_YMax(f.geom) - func.ST_YMin(f.geom))
    shape = func.ST_Simplify(func.ST_Transform(f.geom, 3857), pixel_metres(z) / 2, True)
    rows = (
        select(f.id.label("fid"), f.properties.label("properties"),
               func.ST_AsMVTGeom(shape, envelope, EXTENT, BUFFER, True).label("geom"))
        .where(f.layer_id == layer_id, f.version == version, f.geom.op("&&")(func.ST_Transform(envelope, 4326)),
               or_(func.ST_Dimension(f.geom) == 0, size >= pixel_degrees(z)))
        .order_by(size.desc(), f.id)
        .limit(max_features)
        .subquery("tile")
    )
    # ST_AsMVT(row, name, extent, geom column, feature id column); properties (jsonb) become attributes.
    return (select(func.ST_AsMVT(literal_column("tile.*"), name, EXTENT, "geom", "fid"))
            .select_from(rows).where(rows.c.geom.is_not(None)))


def layer_tile(session: Session, layer_id: int, version: int, z: int, x: int, y: int, name: str = "features") -> bytes:
    """The tile z/x/y (XYZ, WebMercatorQuad) of one layer version as MVT bytes (empty bytes: no features)."""
    check_tile(z, x, y)
    # A tile is one of many small requests a map makes at once: parallel workers (planned for the sort of a
    # low-zoom tile) cost more to start than they save, and take the cores the other tiles need.
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    tile = session.scalar(tile_query(layer_id, version, z, x, y, name))
    return bytes(tile or b"")


def bare_tile_sql() -> str:
    """The same tile as hand-written SQL without generalisation (every feature, full detail), the bench's
    yardstick (parameters: layer, version, z, x, y)."""
    return (
        "SELECT ST_AsMVT(t.*, 'features', 4096, 'geom', 'fid') FROM ("
        " SELECT id AS fid, properties, ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s),"
        " 4096, 64, true) AS geom FROM layer_feature WHERE layer_id = %(layer)s AND version = %(version)s"
        " AND geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326)) t WHERE t.geom IS NOT NULL"
    )
