"""Vector tiles (MVT) of layer versions, kept in the tile cache under the version's row id."""

from __future__ import annotations

from sqlalchemy.orm import Session

from geo import vector_tiles


def version_tile(session: Session, layer_id: int, version: int, row_id: int | None, z: int, x: int, y: int,
                 name: str, max_features: int = vector_tiles.MAX_TILE_FEATURES) -> bytes:
    """The tile z/x/y of one layer version, for a caller that checked access; cached by the version's row id
    (see vector_tiles.TileCache: a version's features never change)."""
    vector_tiles.check_tile(z, x, y)
    key = (row_id, z, x, y, name, max_features)
    data = vector_tiles.CACHE.get(key) if row_id is not None else None
    if data is None:
        data = vector_tiles.layer_tile(session, layer_id, version, z, x, y, name=name,
                                         max_features=max_features)
        if row_id is not None:
            vector_tiles.CACHE.put(key, data)
    return data
