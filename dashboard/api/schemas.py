"""Marshmallow schemas of the API: query parameters in, documents out (and so the OpenAPI document).

Output schemas declare every field a role *might* see, none required: the services leave out what a
principal may not see, and marshmallow skips a missing key instead of inventing one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from dashboard.api.input_guard import DbInteger
from models.enums import DeploymentKind, DeploymentStatus, FundType, Gender, GenderMarker, MissionType, SiteKind
from services import errors
from services.catalog import DEFAULT_PAGE_SIZE, BBox, Paging

GEOJSON_MEDIA_TYPE = "application/geo+json"
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_DESCRIPTIONS = {
    401: "Not logged in and no valid personal access token.",
    403: "Your role does not allow this.",
    404: "No such record (the detail names what was asked).",
    409: "The record's state refuses this (the detail says why); also a stale `version` in the body.",
    412: "The `If-Match` ETag is not the record's current one: someone changed it; reload and retry.",
    422: "Invalid input: the detail and `errors` name each parameter or field and what is wrong.",
    428: "A change needs the record's version: send `If-Match` with the ETag from GET, or `version`.",
}


class BBoxField(fields.String):
    """``minx,miny,maxx,maxy`` in degrees (EPSG:4326); parsed and checked by services.catalog.BBox."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "description": "Bounding box minx,miny,maxx,maxy in degrees (EPSG:4326), e.g. 20.5,-5,31,5.",
            "example": "20.5,-5,31,5",
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> BBox:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return BBox.parse(text)
        except errors.ValidationError as error:
            raise ValidationError(str(error)) from error


def _enum(enum_cls: Any, description: str) -> fields.Enum:
    return fields.Enum(enum_cls, by_value=True, load_default=None, metadata={"description": description})


# Query parameters for @blp.arguments: a misspelt filter (?mision=...) is a 422, not silently ignored.
QUERY_ARGS: dict[str, Any] = {"location": "query", "unknown": RAISE}
DATE_ERRORS = {"invalid": "Not a valid date: use YYYY-MM-DD, e.g. 2030-02-15."}


# --- queries --------------------------------------------------------------------------------------------
class PagingQuery(Schema):
    limit = DbInteger(
        load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1),
        metadata={"description": "Page size; larger values are capped at the server's maximum page size "
                                 "(HUB_API_MAX_PAGE_SIZE, 1000 by default)."},
    )
    offset = DbInteger(load_default=0, validate=validate.Range(min=0),
                            metadata={"description": "Rows to skip."})


class MissionQuery(PagingQuery):
    active = fields.Boolean(load_default=None, metadata={"description": "Only active (true) or past (false)."})
    type = _enum(MissionType, "Mission type.")
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                      metadata={"description": "Part of the acronym or the name, any case."})


class CountryQuery(Schema):
    with_geometry = fields.Boolean(
        load_default=False,
        metadata={"description": "true: a GeoJSON FeatureCollection of the boundaries instead of a list."},
    )
    region = fields.String(load_default=None, validate=validate.Length(min=1, max=60),
                           metadata={"description": "Only this region (e.g. Africa), any case."})


class CountryDetailQuery(Schema):
    with_geometry = fields.Boolean(load_default=False, metadata={"description": "Add the boundary (GeoJSON)."})


class SiteQuery(PagingQuery):
    limit = DbInteger(
        load_default=500, validate=validate.Range(min=1),
        metadata={"description": "Features per page; larger values are capped at the server's maximum."},
    )
    mission = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                            metadata={"description": "Mission acronym."})
    kind = _enum(SiteKind, "Kind of site.")
    bbox = BBoxField(load_default=None)


class ExpertQuery(PagingQuery):
    capacity = fields.String(load_default=None, validate=validate.Length(min=1, max=20),
                             metadata={"description": "Capacity code, e.g. SPC or JCSC."})
    skill = fields.String(load_default=None, validate=validate.Length(min=1, max=60),
                          metadata={"description": "Skill code from the taxonomy."})
    language = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z]{2,3}$"),
                             metadata={"description": "ISO 639 language code, e.g. fr."})
    gender = _enum(Gender, "Gender.")
    available_on = fields.Date(
        load_default=None, error_messages=DATE_ERRORS,
        metadata={"description": "YYYY-MM-DD: only experts active, not deployed and not absent that day."},
    )


class DeploymentQuery(PagingQuery):
    mission = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                            metadata={"description": "Mission acronym."})
    start = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                        metadata={"description": "YYYY-MM-DD: deployments ending on or after this day."})
    end = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                      metadata={"description": "YYYY-MM-DD: deployments starting on or before this day."})
    bbox = BBoxField(load_default=None)
    status = _enum(DeploymentStatus, "Deployment status.")
    kind = _enum(DeploymentKind, "Kind of deployment.")
    capacity = fields.String(load_default=None, validate=validate.Length(min=1, max=20),
                             metadata={"description": "Capacity code of the expert, e.g. SPC or JCSC."})
    format = fields.String(
        load_default="json", validate=validate.OneOf(["json", "geojson"]),
        metadata={"description": "json: a page of items; geojson: a FeatureCollection of the same page."},
    )

    @validates_schema
    def _dates_ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError("end must be on or after start (YYYY-MM-DD).", field_name="end")


def _listed(description: str, allowed: Any = None) -> fields.String:
    """A multi-valued filter, comma-separated (checked by MapFilter.from_query, which names a bad value).
    With ``allowed`` (an enum) the document also says which values, as a pattern a client can check."""
    checks: list[Any] = [validate.Length(min=1, max=2000)]
    if allowed is not None:
        values = [str(v.value) for v in allowed]
        description += " One or more of: " + ", ".join(values) + "."
        one = "(" + "|".join(re.escape(v) for v in values) + ")"
        checks.append(validate.Regexp(f"^{one}(,{one})*$", error="Not one of: " + ", ".join(values) + "."))
    return fields.String(load_default=None, validate=checks,
                         metadata={"description": description + " Comma-separated for several."})


class AnalyticsQuery(Schema):
    """The operations map's filter (services.analytics.filters.MapFilter) as query parameters: the same names
    and forms as the page's URL, so a view's query string works here unchanged."""

    start = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                        metadata={"description": "YYYY-MM-DD, first day of the period (default: a year ago)."})
    end = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                      metadata={"description": "YYYY-MM-DD, last day of the period (default: today)."})
    as_of = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                        metadata={"description": "YYYY-MM-DD, the day the map shows (default: the period's end, "
                                                 "or today if earlier)."})
    capacity = _listed("Capacity codes, e.g. SPC,JCSC.")
    mission = _listed("Mission acronyms, e.g. MINUSCA,UNMISS.")
    region = _listed("Regions of where the deployment is (Natural Earth), e.g. Africa.")
    country = _listed("ISO3 codes of where the deployment is, e.g. CAF,SSD.")
    skill = _listed("Skill codes from the taxonomy (experts holding any of them).")
    gender = _listed("Experts' gender.", Gender)
    kind = _listed("Kind of deployment.", DeploymentKind)
    source = _listed("What pays the deployment.", FundType)
    marker = _listed("The deployment's gender marker.", GenderMarker)
    bbox = fields.String(load_default=None, metadata={
        "description": "Only deployments whose place is in this box: minx,miny,maxx,maxy in degrees (EPSG:4326).",
        "example": "14,2,28,11"})
    area = fields.String(load_default=None, validate=validate.Length(max=100_000), metadata={
        "description": "Only deployments whose place is in this GeoJSON Polygon or MultiPolygon (EPSG:4326)."})


class AnalyticsMapQuery(AnalyticsQuery):
    view = BBoxField(load_default=None)
    zoom = DbInteger(load_default=3, validate=validate.Range(min=0, max=20), metadata={
        "description": "The map's zoom: past a cap, places merge into grid cells sized for it."})


# --- documents --------------------------------------------------------------------------------------------
def _geometry(description: str) -> fields.Dict:
    return fields.Dict(allow_none=True, metadata={"description": description})


class ProblemSchema(Schema):
    """RFC 9457 problem details, served as application/problem+json."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    # One shape for every 422 (dashboard/api/records.py): each problem at its field, whether a record's rule book
    # refused it or the query string was malformed (field "query.bbox").
    errors = fields.List(fields.Dict(), metadata={
        "description": "Each problem at its field: {field, code, message}; an import's also has row and column. "
                       "Malformed parameters are named by location: query.bbox, json.title.",
        "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"},
            "row": {"type": "integer"}, "column": {"type": "string"}}}})
    # A stale edit's 409 (dashboard/api/records.stale_response): who changed the record, when, which fields.
    changed_by = fields.String(allow_none=True, metadata={"description": "A stale edit: who changed the record."})
    changed_at = fields.String(allow_none=True, metadata={"description": "A stale edit: when (ISO 8601)."})
    fields_changed = fields.List(fields.String(), data_key="fields",
                                 metadata={"description": "A stale edit: the fields they changed."})
    current_version = fields.Integer(metadata={"description": "A stale edit: the record's version now."})


class PageSchema(Schema):
    total = fields.Integer(required=True, metadata={"description": "Rows matching the filters, all pages."})
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


class FeatureCollectionSchema(Schema):
    type = fields.String(required=True, metadata={"example": "FeatureCollection"})
    features = fields.List(fields.Dict(), required=True)
    numberMatched = fields.Integer(metadata={"description": "Features matching the filters, all pages."})
    numberReturned = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class FilteredCollectionSchema(FeatureCollectionSchema):
    filter = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "The filter applied, as query parameters (defaults filled)."})


class PlacesCollectionSchema(FilteredCollectionSchema):
    clustered = fields.Boolean(metadata={"description": "True when places were merged into grid cells."})
    day = fields.Date(metadata={"description": "The day the places are counted on (the filter's as_of)."})


class Money(fields.Decimal):
    """An amount as a decimal string ("5188371.54"): exact, where a JSON number would pass through a binary
    float in most clients. Documented as ``type: string, format: decimal``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(as_string=True, **kwargs)


class FeatureSchema(Schema):
    type = fields.String(required=True, metadata={"example": "Feature"})
    id = fields.Raw()
    geometry = _geometry("A GeoJSON geometry (EPSG:4326).")
    properties = fields.Dict()


class MissionSchema(Schema):
    acronym = fields.String(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True, metadata={"enum": [m.value for m in MissionType]})
    lead_department = fields.String(allow_none=True)
    hq_city = fields.String(allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    active = fields.Boolean()
    host_countries = fields.List(fields.String(), metadata={"description": "ISO3 codes."})
    site_count = fields.Integer()


class MissionPageSchema(PageSchema):
    items = fields.List(fields.Nested(MissionSchema), required=True)


class CountryRefSchema(Schema):
    iso3 = fields.String()
    name = fields.String()


class SiteCountsSchema(Schema):
    total = fields.Integer()
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())


class MissionDetailSchema(MissionSchema):
    source = fields.String(allow_none=True)
    hq = _geometry("HQ location, a GeoJSON Point (EPSG:4326).")
    area_extent = _geometry("Envelope of the area of operations, a GeoJSON Polygon.")
    host_countries = fields.List(fields.Nested(CountryRefSchema))  # type: ignore[assignment]
    sites = fields.Nested(SiteCountsSchema)


class CountrySchema(Schema):
    iso3 = fields.String(required=True)
    name = fields.String(required=True)
    name_fr = fields.String(allow_none=True)
    region = fields.String(allow_none=True)


class CountryListSchema(Schema):
    items = fields.List(fields.Nested(CountrySchema), required=True)
    total = fields.Integer(required=True)


class MissionRefSchema(Schema):
    acronym = fields.String()
    name = fields.String()
    active = fields.Boolean()


class CountryDetailSchema(CountrySchema):
    subregion = fields.String(allow_none=True)
    continent = fields.String(allow_none=True)
    extent = _geometry("Envelope of the boundary, a GeoJSON Polygon.")
    geometry = _geometry("Boundary, a GeoJSON MultiPolygon (only with ?with_geometry=true).")
    missions = fields.List(fields.Nested(MissionRefSchema))


class SkillLevelSchema(Schema):
    code = fields.String()
    name = fields.String()
    area = fields.String()
    level = fields.Integer(metadata={"description": "1 basic ... 5 authority in the field."})


class LanguageLevelSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"description": "A1 ... C2, native."})


class ClearanceSchema(Schema):
    code = fields.String()
    name = fields.String()
    is_training = fields.Boolean()
    # Built as JSON by PostgreSQL, so already ISO dates (strings).
    obtained_on = fields.String(metadata={"format": "date"})
    valid_until = fields.String(allow_none=True, metadata={"format": "date"})


class ExpertSchema(Schema):
    """Fields by permission: names need VIEW_PERSON_NAMES; staff number to clearances need
    VIEW_PERSONNEL_DETAIL. Fields a role may not see are absent, not null."""

    id = fields.Integer()
    given_name = fields.String()
    family_name = fields.String()
    name = fields.String()
    capacity = fields.String()
    team = fields.String(allow_none=True)
    gender = fields.String()
    nationality_iso3 = fields.String(allow_none=True)
    duty_station = fields.String()
    functional_title = fields.String(allow_none=True)
    status = fields.String()
    staff_number = fields.String()
    grade = fields.String(allow_none=True)
    contract_type = fields.String()
    email = fields.String(allow_none=True)
    entry_on_duty = fields.Date(allow_none=True)
    skills = fields.List(fields.Nested(SkillLevelSchema))
    languages = fields.List(fields.Nested(LanguageLevelSchema))
    clearances = fields.List(fields.Nested(ClearanceSchema))


class ExpertPageSchema(PageSchema):
    items = fields.List(fields.Nested(ExpertSchema), required=True)


class DeploymentSchema(Schema):
    """``expert_id`` and ``expert_name`` are present only for roles that may see names."""

    id = fields.Integer(required=True)
    mission = fields.String()
    mission_name = fields.String()
    site_id = fields.Integer(allow_none=True)
    site_name = fields.String(allow_none=True)
    site_kind = fields.String(allow_none=True)
    role = fields.String()
    kind = fields.String()
    status = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    capacity = fields.String()
    gender_marker = fields.String()
    surge_request = fields.String(allow_none=True, metadata={"description": "Reference of the surge request."})
    expert_id = fields.Integer()
    expert_name = fields.String()


class DeploymentPageSchema(PageSchema):
    items = fields.List(fields.Nested(DeploymentSchema), required=True)


# --- view helpers ------------------------------------------------------------------------------------------
def paging(query: dict[str, Any], max_page_size: int) -> Paging:
    """The page a query asks for, with the limit capped rather than refused (the answer echoes the cap)."""
    return Paging(query["limit"], query["offset"]).capped(max_page_size)


def geojson_response(document: dict[str, Any]) -> Response:
    response = jsonify(document)
    response.mimetype = GEOJSON_MEDIA_TYPE
    return response


def problems(blp: Blueprint, *codes: int) -> Callable[[Any], Any]:
    """Documents the problem+json answers an operation can give (422 is added by @blp.arguments)."""

    def decorate(func: Any) -> Any:
        for code in codes:
            func = blp.alt_response(code, schema=ProblemSchema, content_type=PROBLEM_MEDIA_TYPE,
                                    description=PROBLEM_DESCRIPTIONS[code])(func)
        return func

    return decorate


def also_geojson(blp: Blueprint, description: str) -> Callable[[Any], Any]:
    """Documents a second 200 answer, a GeoJSON FeatureCollection (OpenAPI 3 allows one per media type)."""
    return blp.alt_response(200, schema=FeatureCollectionSchema, content_type=GEOJSON_MEDIA_TYPE,
                            description=description, success=True)


def validation_detail(messages: dict[str, Any]) -> str:
    """One sentence naming each invalid parameter and what is wrong, for a 422 problem's ``detail``.

    ``messages`` is webargs' {location: {field: [message, ...]}}; ``_schema`` holds cross-field errors.
    """
    parts = []
    for location, by_field in messages.items():
        if not isinstance(by_field, dict):
            parts.append(f"{location}: {by_field}")
            continue
        for name, problems_ in by_field.items():
            text = " ".join(str(m) for m in problems_) if isinstance(problems_, list) else str(problems_)
            parts.append(f"{location} parameter {name!r}: {text}" if name != "_schema" else text)
    return "Invalid input. " + "; ".join(parts) if parts else "Invalid input."


class ServiceLevelSchema(Schema):
    """Days from a surge request's `received` step to its `deployed` step (services.surge.service_level); the
    surge API and the analytics API answer with the same document."""

    requests = fields.Integer()
    deployed = fields.Integer()
    median_days = fields.Float(allow_none=True)
    p90_days = fields.Float(allow_none=True)
    within_target = fields.Integer()
    target_days = fields.Integer()
