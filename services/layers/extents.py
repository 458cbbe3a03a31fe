"""Layer versions' extents, computed once a version.

A version's features never change and its row id is never reused (a sequence, even after a rollback), so
an extent kept under the version's row id never goes stale: the OGC API and the layers page read it from
process memory instead of running an ST_Extent over the whole layer on every call. Bounded (cachelib's
SimpleCache drops the oldest entries past its threshold); each worker keeps its own.
"""

from __future__ import annotations

from typing import Any

from cachelib import SimpleCache
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import LayerFeature, LayerVersion

MAX_CACHED_EXTENTS = 4096

# default_timeout=0: entries never expire (versions never change); they only make room for newer ones.
_CACHE = SimpleCache(threshold=MAX_CACHED_EXTENTS, default_timeout=0)


def version_id(session: Session, layer_id: int, version: int) -> int | None:
    """The row id of a layer version (None while the version is being written: its row comes last)."""
    return session.scalar(select(LayerVersion.id).where(LayerVersion.layer_id == layer_id,
                                                        LayerVersion.version == version))


def extent_of(session: Session, geom: Any, *where: Any) -> list[float] | None:
    """[minx, miny, maxx, maxy] of a geometry column (where ``where`` holds), by PostGIS; None: no rows."""
    box = func.ST_Extent(geom)
    row = session.execute(select(func.ST_XMin(box), func.ST_YMin(box), func.ST_XMax(box), func.ST_YMax(box))
                          .where(*where)).one()
    return None if row[0] is None else [float(v) for v in row]


def compute_extent(session: Session, layer_id: int, version: int) -> list[float] | None:
    """A layer version's extent in degrees, computed (None: no features)."""
    return extent_of(session, LayerFeature.geom, LayerFeature.layer_id == layer_id, LayerFeature.version == version)


def layer_extent(session: Session, layer_id: int, version: int, row_id: int | None = None) -> list[float] | None:
    """The version's extent, from the cache when it was computed before; ``row_id`` saves looking it up."""
    row_id = row_id if row_id is not None else version_id(session, layer_id, version)
    if row_id is None:  # not a version yet (its row is written after its features): nothing to key it by
        return compute_extent(session, layer_id, version)
    key = str(row_id)
    kept = _CACHE.get(key)
    if kept is not None:  # a tuple; empty for a version without features
        return list(kept) or None
    extent = compute_extent(session, layer_id, version)
    _CACHE.set(key, tuple(extent or ()))
    return extent


def clear() -> None:
    _CACHE.clear()
