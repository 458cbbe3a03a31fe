"""GET /api/v1/countries and /api/v1/countries/<iso3> (Natural Earth boundaries)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from dashboard.api.guard import require
from dashboard.api.schemas import (
    QUERY_ARGS,
    CountryDetailQuery,
    CountryDetailSchema,
    CountryListSchema,
    CountryQuery,
    also_geojson,
    geojson_response,
    problems,
)
from dashboard.context import db_session
from services import catalog
from services.access import Permission

blp = Blueprint("countries", __name__, description="Countries and their boundaries")

# Public reference data: every role, the briefing role included, may draw a map of countries.
PERMISSION = Permission.VIEW_AGGREGATES


@blp.route("")
class Countries(MethodView):
    @blp.arguments(CountryQuery, **QUERY_ARGS)
    @blp.response(200, CountryListSchema)
    @also_geojson(blp, "A list, or with with_geometry=true a GeoJSON FeatureCollection built by PostGIS.")
    @problems(blp, 401, 403)
    def get(self, query: dict[str, Any]) -> object:
        """List countries (ISO3, name, region), or their boundaries as GeoJSON."""
        require(PERMISSION)
        with db_session() as s:
            if query["with_geometry"]:
                return geojson_response(catalog.countries_feature_collection(s, query["region"]))
            items = catalog.list_countries(s, query["region"])
        return {"items": items, "total": len(items)}


@blp.route("/<string:iso3>")
class CountryDetail(MethodView):
    @blp.arguments(CountryDetailQuery, **QUERY_ARGS)
    @blp.response(200, CountryDetailSchema)
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any], iso3: str) -> object:
        """One country by ISO3 code, with the missions it hosts."""
        require(PERMISSION)
        with db_session() as s:
            return catalog.get_country(s, iso3, with_geometry=query["with_geometry"])
