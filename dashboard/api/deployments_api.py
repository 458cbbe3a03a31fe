"""GET /api/v1/deployments: who is (or was, or will be) where, as a page of items or as GeoJSON."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from dashboard.api.guard import require
from dashboard.api.schemas import (
    QUERY_ARGS,
    DeploymentPageSchema,
    DeploymentQuery,
    also_geojson,
    geojson_response,
    paging,
    problems,
)
from dashboard.context import db_session, hub
from services import deployments
from services.access import Permission

blp = Blueprint(
    "deployments", __name__,
    description="Deployments of experts to missions. expert_id and expert_name only for roles that may see "
                "names; the briefing role gets 403.",
)


@blp.route("")
class Deployments(MethodView):
    @blp.arguments(DeploymentQuery, **QUERY_ARGS)
    @blp.response(200, DeploymentPageSchema)
    @also_geojson(blp, "A page of deployments, or with format=geojson a FeatureCollection of the same page "
                       "(points: the site, else the mission HQ).")
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any]) -> object:
        """List deployments overlapping a date range, in a box, by mission, status, kind or capacity."""
        principal = require(Permission.VIEW_OPERATIONS)
        filt = deployments.DeploymentFilter(
            mission=query["mission"], start=query["start"], end=query["end"], bbox=query["bbox"],
            status=query["status"], kind=query["kind"], capacity=query["capacity"],
            paging=paging(query, hub().settings.api_max_page_size),
        )
        with db_session() as s:
            if query["format"] == "geojson":
                return geojson_response(deployments.deployments_feature_collection(s, principal, filt))
            return deployments.list_deployments(s, principal, filt)
