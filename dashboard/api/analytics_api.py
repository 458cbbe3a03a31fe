"""GET /api/v1/analytics/...: the operations map's aggregates, with the page's filter as query parameters.

The same services and role rules as the page and its downloads: every answer needs VIEW_OPERATIONS (the
briefing role gets 403), funding VIEW_FUNDING, and names in the map's places only VIEW_PERSON_NAMES.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from dashboard.api.guard import require
from dashboard.api.schemas import (
    GEOJSON_MEDIA_TYPE,
    QUERY_ARGS,
    AnalyticsMapQuery,
    AnalyticsQuery,
    Money,
    PlacesCollectionSchema,
    ServiceLevelSchema,
    geojson_response,
    problems,
)
from dashboard.context import db_session, hub
from services.access import Permission
from services.analytics.figures import map_figures
from services.analytics.filters import MapFilter
from services.analytics.funding import funding_summary
from services.analytics.gender import gender_summary
from services.analytics.personnel import availability, by_mission
from services.analytics.view import places_for

blp = Blueprint(
    "analytics", __name__,
    description="The operations map's aggregates for a filter (the page's URL parameters). Needs a role that "
                "sees operations; funding needs a role that sees funding.",
)

MAP_ONLY = ("view", "zoom")


def _filter() -> MapFilter:
    """The filter from the raw query string: one parser (MapFilter.from_query) for the page, files and API.

    webargs has already refused unknown names and malformed dates (422); from_query checks the values.
    """
    return MapFilter.from_query({k: v for k, v in request.args.items() if k not in MAP_ONLY})


# --- documents ---------------------------------------------------------------------------------------------
class _Answer(Schema):
    filter = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "The filter applied, as query parameters (defaults filled)."})


class AvailabilityPointSchema(Schema):
    bucket = fields.Date(metadata={"description": "First day of the week, month or quarter."})
    bucket_end = fields.Date()
    capacity = fields.String()
    deployed = fields.Float(metadata={"description": "Average head count deployed in scope."})
    deployed_elsewhere = fields.Float()
    unavailable = fields.Float()
    available = fields.Float()
    pool = fields.Integer()


class AvailabilitySchema(_Answer):
    items = fields.List(fields.Nested(AvailabilityPointSchema))


class MissionCountSchema(Schema):
    acronym = fields.String()
    name = fields.String()
    capacity = fields.String()
    experts = fields.Integer()
    deployments = fields.Integer()
    expert_days = fields.Integer()


class MissionsSchema(_Answer):
    items = fields.List(fields.Nested(MissionCountSchema))


class FundingRowSchema(Schema):
    donor = fields.String()
    source = fields.String()
    committed_usd = Money()
    spent_usd = Money()
    burn_rate = fields.Float(allow_none=True)


class MissingRateSchema(Schema):
    currency = fields.String()
    month = fields.String(metadata={"description": "YYYY-MM"})
    amount = Money(metadata={"description": "In the currency, not converted"})


class FundingSchema(_Answer):
    rows = fields.List(fields.Nested(FundingRowSchema))
    committed_usd = Money()
    spent_usd = Money()
    burn_rate = fields.Float(allow_none=True)
    unconverted = fields.List(fields.String(), metadata={
        "description": "Currency-months without a rate of exchange (\"EUR 2026-11\"): their amounts are left out of "
                       "the USD totals, never converted with another month's rate."})
    missing_rates = fields.List(fields.Nested(MissingRateSchema), metadata={
        "description": "What the USD totals leave out: per currency and month without a rate, the amount."})


class GenderSchema(_Answer):
    by_marker = fields.Dict(keys=fields.String(), values=fields.Integer())
    experts_by_gender = fields.Dict(keys=fields.String(), values=fields.Integer())
    women_share = fields.Float(allow_none=True)
    outputs_planned = fields.Integer()
    outputs_delivered = fields.Integer()


class UtilisationSchema(Schema):
    capacity = fields.String()
    pool = fields.Integer()
    deployed_expert_days = fields.Integer()
    available_expert_days = fields.Integer()
    share = fields.Float(allow_none=True)


class MapFiguresSchema(_Answer):
    deployed_now = fields.Integer()
    open_surge_requests = fields.Integer()
    service_level = fields.Nested(ServiceLevelSchema)
    utilisation = fields.List(fields.Nested(UtilisationSchema))


# --- views ---------------------------------------------------------------------------------------------------
def _answer(filt: MapFilter, **parts: Any) -> dict[str, Any]:
    return {"filter": filt.to_query(), **parts}


@blp.route("/availability")
class Availability(MethodView):
    @blp.arguments(AnalyticsQuery, **QUERY_ARGS)
    @blp.response(200, AvailabilitySchema)
    @problems(blp, 401, 403)
    def get(self, _query: dict[str, Any]) -> object:
        """Personnel available, deployed and unavailable over time, by capacity (average head counts)."""
        require(Permission.VIEW_OPERATIONS)
        filt = _filter()
        with db_session() as s:
            return _answer(filt, items=availability(s, filt))


@blp.route("/missions")
class Missions(MethodView):
    @blp.arguments(AnalyticsQuery, **QUERY_ARGS)
    @blp.response(200, MissionsSchema)
    @problems(blp, 401, 403)
    def get(self, _query: dict[str, Any]) -> object:
        """Experts and deployments in scope by mission and capacity, the 20 busiest missions."""
        require(Permission.VIEW_OPERATIONS)
        filt = _filter()
        with db_session() as s:
            return _answer(filt, items=by_mission(s, filt))


@blp.route("/funding")
class Funding(MethodView):
    @blp.arguments(AnalyticsQuery, **QUERY_ARGS)
    @blp.response(200, FundingSchema)
    @problems(blp, 401, 403)
    def get(self, _query: dict[str, Any]) -> object:
        """Committed and spent (USD) by source and donor, with burn rates."""
        require(Permission.VIEW_OPERATIONS)
        require(Permission.VIEW_FUNDING)
        filt = _filter()
        with db_session() as s:
            summary = funding_summary(s, filt)
        rows = [{**asdict(r), "burn_rate": r.burn_rate} for r in summary.rows]
        return _answer(filt, rows=rows, committed_usd=summary.committed_usd, spent_usd=summary.spent_usd,
                       burn_rate=summary.burn_rate, unconverted=summary.unconverted,
                       missing_rates=[{"currency": m.currency, "month": m.month.strftime("%Y-%m"),
                                       "amount": m.amount} for m in summary.missing])


@blp.route("/gender")
class GenderResponsiveness(MethodView):
    @blp.arguments(AnalyticsQuery, **QUERY_ARGS)
    @blp.response(200, GenderSchema)
    @problems(blp, 401, 403)
    def get(self, _query: dict[str, Any]) -> object:
        """Deployments by gender marker, deployed experts by gender, gender-specific outputs."""
        require(Permission.VIEW_OPERATIONS)
        filt = _filter()
        with db_session() as s:
            return _answer(filt, **asdict(gender_summary(s, filt)))


@blp.route("/key-figures")
class KeyFigures(MethodView):
    @blp.arguments(AnalyticsQuery, **QUERY_ARGS)
    @blp.response(200, MapFiguresSchema)
    @problems(blp, 401, 403)
    def get(self, _query: dict[str, Any]) -> object:
        """Experts deployed on the day, open surge requests, days from request to deployment, utilisation."""
        require(Permission.VIEW_OPERATIONS)
        filt = _filter()
        with db_session() as s:
            return _answer(filt, **asdict(map_figures(s, filt)))


@blp.route("/map")
class MapPlaces(MethodView):
    @blp.arguments(AnalyticsMapQuery, **QUERY_ARGS)
    @blp.response(200, PlacesCollectionSchema, content_type=GEOJSON_MEDIA_TYPE,
                  description="Points: n (experts), by_capacity, missions, place; names only for roles that may "
                              "see them; clustered=true when places were merged on a grid for the zoom.")
    @problems(blp, 401, 403)
    def get(self, query: dict[str, Any]) -> object:
        """Experts in scope deployed on the map's day, by place, inside the view box."""
        principal = require(Permission.VIEW_OPERATIONS)
        filt = _filter()
        with db_session() as s:
            collection = places_for(s, principal, filt, query["view"], query["zoom"], columnar=hub().columnar)
        return geojson_response({**collection, "filter": filt.to_query()})
