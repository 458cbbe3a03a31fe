"""Files the operations map loads by URL: the offline base map (and, from map_downloads, the downloads).

Behind the same login guard as every route. The base map is the same for everyone and changes only when
the reference data is reloaded, so the browser may keep it for an hour.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request
from flask_login import current_user

from dashboard.context import db_session
from services.access import Permission
from services.analytics import map_layers
from services.errors import Forbidden


def basemap_geojson() -> Response:
    if not current_user.principal.can(Permission.VIEW_AGGREGATES):
        raise Forbidden("Your role does not allow the map.")
    with db_session() as s:
        body = json.dumps(map_layers.basemap(s), separators=(",", ":"))
    response = Response(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.add_etag()
    return response.make_conditional(request)


def init_map_files(server: Flask) -> None:
    server.add_url_rule("/map/basemap.geojson", "map_basemap", basemap_geojson)
    from dashboard.map_downloads import init_map_downloads  # the downloads' routes live in their own module

    init_map_downloads(server)
    from dashboard.briefing_files import init_briefing_files  # the briefing's pack and tables

    init_briefing_files(server)
