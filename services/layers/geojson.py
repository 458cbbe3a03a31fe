"""GeoJSON built by PostGIS for the map and the OGC API: a page of rows becomes one FeatureCollection value."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Text, cast, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from services.catalog import EMPTY_JSON_ARRAY, json_object


def feature_collection(session: Session, page: Any, limit: int) -> dict[str, Any]:
    """The first ``limit`` rows of ``page`` (id, geometry as JSON, properties, _seq: their order) as a
    FeatureCollection; ``truncated`` says whether ``page`` held more."""
    feature = json_object([("type", literal("Feature")), ("id", page.c.id), ("geometry", page.c.geometry),
                           ("properties", page.c.properties)])
    features = session.scalar(
        select(func.coalesce(func.json_agg(aggregate_order_by(feature, page.c._seq)), EMPTY_JSON_ARRAY))
        .where(page.c._seq <= limit)
    ) or []
    more = session.scalar(select(func.count()).where(page.c._seq > limit)) or 0
    return {"type": "FeatureCollection", "features": features, "numberReturned": len(features),
            "truncated": bool(more)}


def props_object(columns: list[Any]) -> ColumnElement[Any]:
    """jsonb_build_object('name', value, ...) of these columns; the keys are bound text parameters."""
    return func.jsonb_build_object(*[part for c in columns for part in (cast(literal(c.name), Text), c)])
