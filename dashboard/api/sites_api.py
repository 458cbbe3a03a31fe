"""GET /api/v1/sites: mission sites as a GeoJSON FeatureCollection, capped and paged."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from dashboard.api.guard import require
from dashboard.api.schemas import QUERY_ARGS, FeatureCollectionSchema, SiteQuery, geojson_response, paging, problems
from dashboard.context import db_session, hub
from services import catalog
from services.access import Permission

blp = Blueprint("sites", __name__, description="Team sites, field offices, project sites (Geo-PKO and the hub's own)")

# Sites are places, not people (Geo-PKO publishes them): the briefing role's maps need them too.
PERMISSION = Permission.VIEW_AGGREGATES


@blp.route("")
class Sites(MethodView):
    @blp.arguments(SiteQuery, **QUERY_ARGS)
    @blp.response(200, FeatureCollectionSchema, content_type="application/geo+json")
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any]) -> object:
        """Sites as GeoJSON, filtered by mission, kind and bounding box; numberMatched counts all pages."""
        require(PERMISSION)
        filt = catalog.SiteFilter(
            mission=query["mission"], kind=query["kind"], bbox=query["bbox"],
            paging=paging(query, hub().settings.api_max_page_size),
        )
        with db_session() as s:
            return geojson_response(catalog.sites_feature_collection(s, filt))
