"""A layer (any version, for managers) or one of the hub's tables exported as a file."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo import layer_files
from models import LayerFeature
from services import audit
from services.access import Principal
from services.audit import RequestOrigin
from services.errors import ValidationError
from services.layers.access import layer_for
from services.layers.hub_tables import HUB_TABLES, hub_select
from services.layers.sources import feature_source
from services.spreadsheet_cells import escape_formula


def export(session: Session, principal: Principal, cid: str, fmt: str, version: int | None = None,
           origin: RequestOrigin | None = None) -> tuple[bytes, str, str]:
    """A layer (any version, for managers) or a hub table as a file: (bytes, file name, media type)."""
    if fmt not in layer_files.EXPORT_FORMATS:
        raise ValidationError(f"Unknown export format {fmt!r}; choose one of {', '.join(layer_files.EXPORT_FORMATS)}.")
    if cid in HUB_TABLES:
        feature_source(session, principal, cid)  # Forbidden outside the role
        stmt = hub_select(cid)[0]
    else:
        layer = layer_for(session, principal, cid, manage=version is not None)
        f = LayerFeature
        stmt = select(f.id.label("fid"), f.properties.label("_props"), f.geom.label("geom")).where(
            f.layer_id == layer.id, f.version == (version or layer.current_version)).order_by(f.id)
    frame = gpd.read_postgis(stmt, session.connection(), geom_col="geom", crs=4326)
    if "_props" in frame.columns:
        props = pd.json_normalize(list(frame["_props"]), max_level=0)
        props.index = frame.index
        frame = gpd.GeoDataFrame(pd.concat([frame[["fid"]], props, frame[["geom"]]], axis=1),
                                 geometry="geom", crs=4326)
    for name in frame.columns:  # enums and the like become their text
        if frame[name].dtype == object and name != "geom":
            frame[name] = frame[name].map(lambda v: v.value if hasattr(v, "value") else v)
    if frame.empty:
        raise ValidationError(f"{cid} has no features to export.")
    if fmt == "csv":  # GDAL writes text as it is: escape what a spreadsheet would run, as every other export does
        frame = _spreadsheet_safe_frame(frame)
    result = layer_files.write_export(frame, fmt, cid)
    audit.record(session, "export", principal=principal, entity="layer" if cid not in HUB_TABLES else cid,
                 entity_id=cid, detail={"format": fmt, "features": len(frame), "version": version}, origin=origin)
    return result


def _spreadsheet_safe_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Text cells and column names escaped with the hub's one formula escape (the geometry is left alone)."""
    frame = frame.copy()
    for name in frame.columns:
        if name != frame.geometry.name and frame[name].dtype == object:
            frame[name] = frame[name].map(escape_formula)
    return frame.rename(columns={c: escape_formula(c) for c in frame.columns if c != frame.geometry.name})
