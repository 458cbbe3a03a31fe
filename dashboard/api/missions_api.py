"""GET /api/v1/missions and /api/v1/missions/<acronym>: the UN missions the capacities work with."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from dashboard.api.guard import require
from dashboard.api.schemas import QUERY_ARGS, MissionDetailSchema, MissionPageSchema, MissionQuery, paging, problems
from dashboard.context import db_session, hub
from services import catalog
from services.access import Permission

blp = Blueprint("missions", __name__, description="UN missions: peace operations, political missions, others")

# Missions are public reference data (UN sources): the briefing role's maps need them too.
PERMISSION = Permission.VIEW_AGGREGATES


@blp.route("")
class Missions(MethodView):
    @blp.arguments(MissionQuery, **QUERY_ARGS)
    @blp.response(200, MissionPageSchema)
    @problems(blp, 401, 403)
    def get(self, query: dict[str, Any]) -> object:
        """List missions, filtered and paged."""
        require(PERMISSION)
        filt = catalog.MissionFilter(
            active=query["active"], mission_type=query["type"], q=query["q"],
            paging=paging(query, hub().settings.api_max_page_size),
        )
        with db_session() as s:
            return catalog.list_missions(s, filt)


@blp.route("/<string:acronym>")
class MissionDetail(MethodView):
    @blp.response(200, MissionDetailSchema)
    @problems(blp, 401, 403, 404)
    def get(self, acronym: str) -> object:
        """One mission by acronym (any case), with its HQ as GeoJSON, host countries and site counts."""
        require(PERMISSION)
        with db_session() as s:
            return catalog.get_mission(s, acronym)
