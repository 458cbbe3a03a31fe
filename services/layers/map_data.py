"""What the operations map and the layers page read: the published layers to draw, a layer's features as
GeoJSON simplified for the zoom, and its attribute table."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import and_, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from models import Layer, LayerFeature
from models.enums import GeometryType, LayerStatus
from services.access import Principal
from services.catalog import GEOJSON_DECIMALS, BBox
from services.layers.access import layer_for, visible_clause
from services.layers.geojson import feature_collection
from services.layers.styles import DEFAULT_STYLE


def map_layers(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Published layers this principal may see, with what the map needs to draw and zoom to them."""
    f = LayerFeature
    stats = (select(f.layer_id, func.count().label("n"), func.ST_Extent(f.geom).label("ext"))
             .join(Layer, and_(Layer.id == f.layer_id, Layer.current_version == f.version))
             .where(Layer.status == LayerStatus.PUBLISHED).group_by(f.layer_id).subquery())
    rows = session.execute(
        select(Layer.slug, Layer.title, Layer.geometry_type, Layer.style, stats.c.n,
               func.ST_XMin(stats.c.ext), func.ST_YMin(stats.c.ext), func.ST_XMax(stats.c.ext),
               func.ST_YMax(stats.c.ext))
        .outerjoin(stats, stats.c.layer_id == Layer.id)
        .where(Layer.status == LayerStatus.PUBLISHED, visible_clause(principal))
        .order_by(Layer.title)
    ).all()
    return [{"slug": r[0], "title": r[1], "geometry_type": GeometryType(r[2]).value,
             "style": {**DEFAULT_STYLE, **(r[3] or {})}, "feature_count": r[4] or 0,
             "bbox": None if r[5] is None else [float(r[5]), float(r[6]), float(r[7]), float(r[8])]}
            for r in rows]


def zoom_tolerance(zoom: int | None) -> float:
    """Half a screen pixel in degrees at this web-map zoom: detail finer than that is never seen."""
    if zoom is None:
        return 0.0
    zoom = max(0, min(int(zoom), 24))
    return float(360.0 / (256 * 2**zoom) / 2)


def _decimals(zoom: int | None) -> int:
    if zoom is None:
        return GEOJSON_DECIMALS
    return max(1, min(GEOJSON_DECIMALS, math.ceil(math.log10(256 * 2 ** max(0, min(zoom, 24)) / 360)) + 1))


def layer_geojson(session: Session, principal: Principal, slug: str, bbox: BBox | None = None,
                  zoom: int | None = None, limit: int = 5000, version: int | None = None) -> dict[str, Any]:
    """The current (or, for managers, another) version's features inside bbox, simplified for the zoom,
    as one FeatureCollection built by PostGIS. ``truncated`` says when the limit cut it."""
    layer = layer_for(session, principal, slug, manage=version is not None)
    f = LayerFeature
    geom: Any = f.geom
    tolerance = zoom_tolerance(zoom)
    if tolerance:
        geom = func.ST_SimplifyPreserveTopology(f.geom, tolerance)
    where = [f.layer_id == layer.id, f.version == (version or layer.current_version)]
    if bbox is not None:
        where.append(f.geom.op("&&")(bbox.envelope()))
    limit = max(1, min(int(limit), 100_000))
    page = (select(f.id, cast(func.ST_AsGeoJSON(geom, _decimals(zoom)), JSONB).label("geometry"),
                   f.properties, func.row_number().over(order_by=f.id).label("_seq"))
            .where(*where).order_by(f.id).limit(limit + 1).subquery())
    return feature_collection(session, page, limit)


def layer_attributes(session: Session, principal: Principal, slug: str, limit: int = 1000,
                     version: int | None = None) -> dict[str, Any]:
    """Rows for the attribute table: the feature id and its properties (text stays text)."""
    layer = layer_for(session, principal, slug, manage=version is not None)
    f = LayerFeature
    rows = session.execute(select(f.id, f.properties)
                           .where(f.layer_id == layer.id, f.version == (version or layer.current_version))
                           .order_by(f.id).limit(limit)).all()
    columns: list[str] = []
    for _, props in rows:
        for key in props:
            if key not in columns:
                columns.append(key)
    return {"columns": columns, "rows": [{"_fid": fid, **props} for fid, props in rows]}


