"""GET /api/v1/briefing...: the briefing view's aggregates, every count suppressed (null = suppressed).

Open to every role with VIEW_AGGREGATES (the briefing role's only permission); the answer is the same
suppressed view whatever the role, so the API never hands the briefing role more than the page shows.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from dashboard.api.guard import require
from dashboard.api.schemas import (
    DATE_ERRORS,
    GEOJSON_MEDIA_TYPE,
    QUERY_ARGS,
    FilteredCollectionSchema,
    _listed,
    geojson_response,
    problems,
)
from dashboard.context import db_session, hub
from services.access import Permission, Principal
from services.briefing.aggregates import TABLES, BriefingView, briefing_filter, briefing_view, table_rows

blp = Blueprint(
    "briefing", __name__,
    description="Member-state briefings: aggregates only, counts under the suppression threshold (and cells "
                "that would reveal them) are null. Filter by period, capacity, mission, region and country.",
)


class BriefingQuery(Schema):
    start = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                        metadata={"description": "YYYY-MM-DD, first day of the period (default: a year ago)."})
    end = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                      metadata={"description": "YYYY-MM-DD, last day of the period (default: today)."})
    as_of = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                        metadata={"description": "YYYY-MM-DD, the day of 'deployed on the day'."})
    capacity = _listed("Capacity codes, e.g. SPC,JCSC.")
    mission = _listed("Mission acronyms, e.g. MINUSCA,UNMISS.")
    region = _listed("Regions, e.g. Africa.")
    country = _listed("ISO3 codes, e.g. CAF,SSD.")
    lang = fields.String(load_default="en", validate=validate.OneOf(["en", "fr"]),
                         metadata={"description": "Language of country names."})


class BriefingSchema(Schema):
    filter = fields.Dict(keys=fields.String(), values=fields.String())
    threshold = fields.Integer(metadata={"description": "Counts from 1 to threshold - 1 are suppressed."})
    data_as_of = fields.DateTime()
    figures = fields.Dict(metadata={"description": "Key figures; null where suppressed."})
    service_level = fields.Dict()
    gender = fields.Dict()
    funding = fields.Dict(metadata={"description": "USD, not suppressed (money is not a person's data)."})
    tables = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()),
                         metadata={"description": "missions, countries, regions, periods, service_level."})


class TableSchema(Schema):
    filter = fields.Dict(keys=fields.String(), values=fields.String())
    rows = fields.List(fields.Dict())


def _principal_and_view() -> tuple[Principal, BriefingView]:
    """The principal and the view."""
    principal = require(Permission.VIEW_AGGREGATES)
    # The raw query string: one parser (MapFilter.from_query behind briefing_filter) for page, files and API.
    filt = briefing_filter({k: v for k, v in request.args.items() if k != "lang"})
    settings = hub().settings
    with db_session() as s:
        view = briefing_view(s, principal, filt, threshold=settings.suppression_threshold,
                             locale=request.args.get("lang", "en"))
    return principal, view


def _rows(view: BriefingView, name: str) -> Any:
    return _jsonable(table_rows(view, name))  # countries by ISO 3166-1 alpha-3, as in the files


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return getattr(value, "value", value)


@blp.route("")
class Briefing(MethodView):
    @blp.arguments(BriefingQuery, **QUERY_ARGS)
    @blp.response(200, BriefingSchema)
    @problems(blp, 401, 403)
    def get(self, _query: dict[str, Any]) -> object:
        """The briefing view: key figures, service level, gender, funding and the tables, suppressed."""
        _principal, view = _principal_and_view()
        funding = view.funding
        return {
            "filter": view.filter.to_query(), "threshold": view.threshold, "data_as_of": view.data_as_of,
            "figures": asdict(view.figures), "service_level": asdict(view.service_level),
            "gender": asdict(view.gender),
            "funding": _jsonable({"committed_usd": funding.committed_usd, "spent_usd": funding.spent_usd,
                                  "rows": table_rows(view, "funding"), "unconverted": funding.unconverted}),
            "tables": {name: _rows(view, name)
                       for name in ("missions", "countries", "regions", "periods", "service_level")},
        }


@blp.route("/tables/<string:name>")
class BriefingTable(MethodView):
    @blp.arguments(BriefingQuery, **QUERY_ARGS)
    @blp.response(200, TableSchema)
    @problems(blp, 401, 403, 404)
    def get(self, _query: dict[str, Any], name: str) -> object:
        """One briefing table (missions, countries, regions, periods, gender, funding, service_level)."""
        if name not in TABLES:
            from services.errors import NotFound

            raise NotFound(f"No briefing table {name!r}; choose one of {', '.join(TABLES)}.")
        _principal, view = _principal_and_view()
        return {"filter": view.filter.to_query(), "rows": _rows(view, name)}


@blp.route("/map")
class BriefingMap(MethodView):
    @blp.arguments(BriefingQuery, **QUERY_ARGS)
    @blp.response(200, FilteredCollectionSchema, content_type=GEOJSON_MEDIA_TYPE,
                  description="Points: mission HQs and host countries, each with kind, label and n (experts "
                              "deployed in the period; null when suppressed). No other properties.")
    @problems(blp, 401, 403)
    def get(self, _query: dict[str, Any]) -> object:
        """The briefing map's aggregates as GeoJSON."""
        _principal, view = _principal_and_view()
        return geojson_response({**view.map, "filter": view.filter.to_query()})
