"""Downloads of what the operations map shows: each chart's data as CSV or XLSX, the deployments in scope
as GeoJSON or GeoPackage. ``/map/download/<name>.<fmt>?<MapFilter.to_query()>``, behind the login guard.

The query string is the page's filter, so a link downloads exactly the view it was made from. The role rules
are the services' (services/analytics/exports.py); every file written is an audit event. Errors are one plain
line (a browser shows it as the page), not problem+json: these are file links, not the API.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Flask, Response, abort
from flask import request as flask_request
from flask_login import current_user

from dashboard.context import db_session, hub, request_origin
from dashboard.file_responses import attachment, plain_error, spreadsheet
from services.analytics import exports
from services.analytics.filters import MapFilter
from services.errors import HubError

CHART_FORMATS = ("csv", "xlsx")
DEPLOYMENT_FORMATS = ("geojson", "gpkg")
def _geopackage(rows: list[dict[str, Any]]) -> bytes:
    import geopandas as gpd

    frame = pd.DataFrame(rows)  # not a spreadsheet: GIS tools read text as text, so no formula escaping
    if frame.empty:
        frame = pd.DataFrame(columns=["mission", "longitude", "latitude"])
    geometry = gpd.points_from_xy(frame.pop("longitude").astype(float), frame.pop("latitude").astype(float))
    for column in ("start_date", "end_date"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).dt.date
    gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)
    # GDAL writes GeoPackage only to a file (a SQLite database), so through a temporary directory.
    with tempfile.TemporaryDirectory(prefix="hub-map-") as tmp:
        path = Path(tmp) / "deployments.gpkg"
        gdf.to_file(path, driver="GPKG", layer="deployments", engine="pyogrio")
        return path.read_bytes()


def download(name: str) -> Response:
    stem, _dot, fmt = name.rpartition(".")
    known = (stem == "deployments" and fmt in DEPLOYMENT_FORMATS) or (stem in exports.CHARTS and fmt in CHART_FORMATS)
    if not known:
        abort(404)
    principal = current_user.principal
    try:
        filt = MapFilter.from_query(flask_request.args)
        with db_session() as s:
            if stem == "deployments" and fmt == "geojson":
                collection = exports.deployments_geojson(s, principal, filt, hub().settings.export_max_rows)
                count = len(collection["features"])
                body = json.dumps(collection, separators=(",", ":"), default=str).encode("utf-8")
            elif stem == "deployments":
                rows = exports.deployments_rows(s, principal, filt, hub().settings.export_max_rows)
                count = len(rows)
                body = _geopackage(rows)
            else:
                rows = exports.chart_rows(s, principal, stem, filt)
                count = len(rows)
                body = spreadsheet(rows, fmt, stem)
            exports.record_export(s, principal, stem, fmt, filt, count, request_origin())
    except HubError as error:
        return plain_error(error)
    return attachment(body, f"map-{stem}", fmt)


def init_map_downloads(server: Flask) -> None:
    server.add_url_rule("/map/download/<name>", "map_download", download)
