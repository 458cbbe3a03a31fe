"""/api/v1/funding: donors, grants (with their figures and donor report), allocations, expenditures and the
monthly rates of exchange.

Reading needs VIEW_FUNDING; every write MANAGE_FUNDING (finance, admin). A change names the version it was made
against (If-Match with the GET's ETag, or ``version`` in the body): neither 428, a stale If-Match 412, a stale
``version`` 409 with who changed what. A refusal is problem+json with every problem at its field; the
database's rules (over-allocation, spending outside the grant or on a closed allocation) name the grant and the
amounts.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from dashboard.api.guard import require
from dashboard.api.input_guard import DbInteger
from dashboard.api.records import ETAG_HEADER, IF_MATCH, expected_version, with_etag
from dashboard.api.schemas import PROBLEM_DESCRIPTIONS, PROBLEM_MEDIA_TYPE, QUERY_ARGS, ProblemSchema, problems
from dashboard.context import db_session, request_origin
from models.enums import RecordStatus
from services.access import Permission
from services.funding import figures, records
from services.funding.report import donor_report_file
from services.records import RuleBook
from services.records.versioning import json_value

blp = Blueprint("funding", __name__, description="Funding records kept by finance staff: donors, grants, "
                                                   "allocations, expenditures and monthly rates of exchange.")


@blp.before_request
def _funding_roles_only() -> None:
    """Every funding route is for roles that see funding: refused (403) before its arguments are read, so a role
    without it learns nothing from a 422 about what a route expects."""
    require(Permission.VIEW_FUNDING)

VERSION = {"version": DbInteger(load_default=None, metadata={
    "description": "The version you read (or If-Match its ETag): stale gets 409, none 428."})}


def _out(book: RuleBook, name: str, **extra: Any) -> type[Schema]:
    return book.marshmallow_schema(name, extra={"version": fields.Integer(), **extra})


def _in(book: RuleBook, name: str, **extra: Any) -> type[Schema]:
    return book.marshmallow_schema(name, extra={**VERSION, **extra})


DonorSchema = _out(records.DONORS.book, "Donor", id=fields.Integer())
GrantSchema = _out(records.GRANTS.book, "Grant", id=fields.Integer(), status=fields.String())
AllocationSchema = _out(records.ALLOCATIONS.book, "Allocation", id=fields.Integer(), status=fields.String(),
                        currency=fields.String())
ExpenditureSchema = _out(records.EXPENDITURES.book, "Expenditure", id=fields.Integer())
RateSchema = _out(records.RATES.book, "ExchangeRate")


class FiguresSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    title = fields.String()
    donor = fields.String(allow_none=True, metadata={"description": "None: the regular budget."})
    fund_type = fields.String()
    currency = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    status = fields.String()
    version = fields.Integer()
    committed = fields.String(metadata={"format": "decimal", "description": "The agreement's amount."})
    net = fields.String(metadata={"format": "decimal", "description": "Net of programme support costs."})
    allocated = fields.String(metadata={"format": "decimal"})
    spent = fields.String(metadata={"format": "decimal"})
    available = fields.String(metadata={"format": "decimal", "description": "Net less spent."})
    committed_usd = fields.String(allow_none=True, metadata={
        "format": "decimal", "description": "At the rate of the grant's first month; null: no rate for that month."})
    burn_rate = fields.Float(allow_none=True, metadata={"description": "Spent / net."})
    time_elapsed = fields.Float(metadata={"description": "Share of the grant's period gone."})
    run_out = fields.Date(allow_none=True, metadata={"description": "When the net amount is spent at the present "
                                                                    "rate; null: nothing spent, or all."})
    ends_soon = fields.Boolean(metadata={"description": "Open, ending in the next 90 days."})
    underspent = fields.Boolean()


class GrantDetailSchema(FiguresSchema):
    grant = fields.Nested(GrantSchema)
    allocations = fields.List(fields.Dict())
    expenditures = fields.List(fields.Dict(), metadata={"description": "The latest 500, newest first."})


class GrantListSchema(Schema):
    items = fields.List(fields.Nested(FiguresSchema), required=True)


class StaleProblemSchema(ProblemSchema):
    """A 409 for a stale version says who changed the record, when, and which fields (records.stale_response)."""

    changed_by = fields.String(allow_none=True)
    changed_at = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), data_key="fields")
    current_version = fields.Integer()


def stale(func: Any) -> Any:
    """Documents the 409 of a change: a stale version, with who changed what (the shared ProblemSchema lacks
    those members, so this operation's 409 has its own schema)."""
    return blp.alt_response(409, schema=StaleProblemSchema, content_type=PROBLEM_MEDIA_TYPE,
                            description=PROBLEM_DESCRIPTIONS[409])(func)


def _list_schema(item: type[Schema], name: str) -> type[Schema]:
    return type(name, (Schema,), {"items": fields.List(fields.Nested(item), required=True)})


class StatusInSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in RecordStatus]))
    version = DbInteger(load_default=None)


class ReportQuery(Schema):
    lang = fields.String(load_default="en", validate=validate.OneOf(["en", "fr"]))


class ExpenditureQuery(Schema):
    grant_id = DbInteger(required=True, metadata={"description": "The grant whose spending to list."})


def _record(kind: records.Kind, obj: Any) -> dict[str, Any]:
    out = {name: json_value(getattr(obj, name)) for name in kind.names}
    out["version"] = obj.version
    if hasattr(obj, "id"):
        out["id"] = obj.id
    return out


def _figures(f: figures.GrantFigures) -> dict[str, Any]:
    return {k: getattr(f, k) for k in FiguresSchema._declared_fields}


def _write(kind: records.Kind, body: dict[str, Any], key: Any = None) -> Any:
    """Create (no key) or change a record; 201 or 200 with its ETag."""
    principal = require(Permission.MANAGE_FUNDING)
    data = {k: v for k, v in body.items() if k != "version"}
    with db_session() as s:
        if key is None:
            obj = records.create(s, principal, kind, data, origin=request_origin())
            return with_etag(_record(kind, obj), 201)
        current = records.get_record(s, kind, key).version
        kind.book.clean(data, partial=True)  # a malformed body is a 422 whatever the version says
        version = expected_version(current, body, what=kind.entity.replace("_", " "))
        obj = records.update(s, principal, kind, key, data, version, origin=request_origin())
        return with_etag(_record(kind, obj))


def _read(kind: records.Kind, key: Any) -> Any:
    require(Permission.VIEW_FUNDING)
    with db_session() as s:
        return with_etag(_record(kind, records.get_record(s, kind, key)))


def _status(kind: records.Kind, key: int, body: dict[str, Any]) -> Any:
    principal = require(Permission.MANAGE_FUNDING)
    with db_session() as s:
        version = expected_version(records.get_record(s, kind, key).version, body, what=kind.entity)
        obj = records.set_status(s, principal, kind, key, RecordStatus(body["status"]), version,
                                 origin=request_origin())
        return with_etag(_record(kind, obj))


# --- donors ---------------------------------------------------------------------------------------------------
@blp.route("/donors")
class Donors(MethodView):
    @blp.response(200, _list_schema(DonorSchema, "DonorList"))
    @problems(blp, 401, 403)
    def get(self) -> object:
        """Every donor."""
        require(Permission.VIEW_FUNDING)
        with db_session() as s:
            return {"items": [_record(records.DONORS, d) for d in records.list_donors(s)]}

    @blp.arguments(_in(records.DONORS.book, "DonorIn"))
    @blp.response(201, DonorSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403)
    def post(self, body: dict[str, Any]) -> object:
        """Record a donor."""
        return _write(records.DONORS, body)


@blp.route("/donors/<int:donor_id>")
class DonorItem(MethodView):
    @blp.response(200, DonorSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, donor_id: int) -> object:
        """One donor; its ETag is for If-Match."""
        return _read(records.DONORS, donor_id)

    @blp.arguments(_in(records.DONORS.book, "DonorPatch"))
    @blp.response(200, DonorSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def patch(self, body: dict[str, Any], donor_id: int) -> object:
        """Change a donor's fields (those given)."""
        return _write(records.DONORS, body, donor_id)


# --- grants ---------------------------------------------------------------------------------------------------
@blp.route("/grants")
class Grants(MethodView):
    @blp.response(200, GrantListSchema)
    @problems(blp, 401, 403)
    def get(self) -> object:
        """Every grant with its figures (in its currency): committed, net, allocated, spent, available."""
        principal = require(Permission.VIEW_FUNDING)
        with db_session() as s:
            return {"items": [_figures(f) for f in figures.grant_figures(s, principal)]}

    @blp.arguments(_in(records.GRANTS.book, "GrantIn"))
    @blp.response(201, GrantSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403)
    def post(self, body: dict[str, Any]) -> object:
        """Record a grant (reference unique; earmarked to one capacity, mission or theme at most)."""
        return _write(records.GRANTS, body)


@blp.route("/grants/<int:grant_id>")
class GrantItem(MethodView):
    @blp.response(200, GrantDetailSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, grant_id: int) -> object:
        """A grant, its figures, allocations and latest spending."""
        principal = require(Permission.VIEW_FUNDING)
        with db_session() as s:
            grant = records.get_record(s, records.GRANTS, grant_id)
            detail = {**_figures(figures.one_grant(s, principal, grant_id)),
                      "grant": _record(records.GRANTS, grant),
                      "allocations": json_value(figures.allocations_of(s, principal, grant_id)),
                      "expenditures": json_value(figures.expenditures_of(s, principal, grant_id, limit=500))}
            return with_etag(detail)

    @blp.arguments(_in(records.GRANTS.book, "GrantPatch"))
    @blp.response(200, GrantSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def patch(self, body: dict[str, Any], grant_id: int) -> object:
        """Change a grant's fields (those given); the whole grant is checked again, and the database's rules."""
        return _write(records.GRANTS, body, grant_id)


@blp.route("/grants/<int:grant_id>/status")
class GrantStatus(MethodView):
    @blp.arguments(StatusInSchema)
    @blp.response(200, GrantSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def post(self, body: dict[str, Any], grant_id: int) -> object:
        """Close a grant (no more spending on it) or reopen it."""
        return _status(records.GRANTS, grant_id, body)


@blp.route("/grants/<int:grant_id>/report.<any(xlsx, pdf):fmt>")
class GrantReport(MethodView):
    @blp.arguments(ReportQuery, **QUERY_ARGS)
    @blp.response(200, content_type="application/octet-stream")
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any], grant_id: int, fmt: str) -> Response:
        """The donor report of the grant, XLSX or PDF, in English or French (valid and empty with no spending)."""
        principal = require(Permission.VIEW_FUNDING)
        from flask_babel import force_locale, gettext

        with db_session() as s, force_locale(query["lang"]):
            records.get_record(s, records.GRANTS, grant_id)
            body = donor_report_file(s, principal, grant_id, fmt, query["lang"], gettext, request_origin())
        media = ("application/pdf" if fmt == "pdf"
                 else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return Response(body, mimetype=media, headers={
            "Content-Disposition": f'attachment; filename="donor-report-{grant_id}-{query["lang"]}.{fmt}"'})


# --- allocations ----------------------------------------------------------------------------------------------
@blp.route("/allocations")
class Allocations(MethodView):
    @blp.arguments(_in(records.ALLOCATIONS.book, "AllocationIn"))
    @blp.response(201, AllocationSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403)
    def post(self, body: dict[str, Any]) -> object:
        """Allocate part of a grant (in its currency) to a project, a capacity or a mission's deployments; the
        allocations of a grant never exceed its amount net of support costs."""
        return _write(records.ALLOCATIONS, body)


@blp.route("/allocations/<int:allocation_id>")
class AllocationItem(MethodView):
    @blp.response(200, AllocationSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, allocation_id: int) -> object:
        """One allocation."""
        return _read(records.ALLOCATIONS, allocation_id)

    @blp.arguments(_in(records.ALLOCATIONS.book, "AllocationPatch"))
    @blp.response(200, AllocationSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def patch(self, body: dict[str, Any], allocation_id: int) -> object:
        """Change an allocation's fields (those given)."""
        return _write(records.ALLOCATIONS, body, allocation_id)


@blp.route("/allocations/<int:allocation_id>/status")
class AllocationStatus(MethodView):
    @blp.arguments(StatusInSchema)
    @blp.response(200, AllocationSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def post(self, body: dict[str, Any], allocation_id: int) -> object:
        """Close an allocation (no more spending on it) or reopen it."""
        return _status(records.ALLOCATIONS, allocation_id, body)


# --- expenditures ---------------------------------------------------------------------------------------------
@blp.route("/expenditures")
class Expenditures(MethodView):
    @blp.arguments(ExpenditureQuery, **QUERY_ARGS)
    @blp.response(200, _list_schema(ExpenditureSchema, "ExpenditureList"))
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any]) -> object:
        """A grant's spending, newest first."""
        principal = require(Permission.VIEW_FUNDING)
        with db_session() as s:
            records.get_record(s, records.GRANTS, query["grant_id"])
            rows = figures.expenditures_of(s, principal, query["grant_id"])
        names = set(records.EXPENDITURES.names) | {"id", "version"}
        return {"items": [json_value({k: v for k, v in r.items() if k in names}) for r in rows]}

    @blp.arguments(_in(records.EXPENDITURES.book, "ExpenditureIn"))
    @blp.response(201, ExpenditureSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403)
    def post(self, body: dict[str, Any]) -> object:
        """Record an expenditure (document number unique; inside its grant's period, on an open allocation, in
        the grant's currency; a negative amount only as a reversal)."""
        return _write(records.EXPENDITURES, body)


@blp.route("/expenditures/<int:expenditure_id>")
class ExpenditureItem(MethodView):
    @blp.response(200, ExpenditureSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, expenditure_id: int) -> object:
        """One expenditure."""
        return _read(records.EXPENDITURES, expenditure_id)

    @blp.arguments(_in(records.EXPENDITURES.book, "ExpenditurePatch"))
    @blp.response(200, ExpenditureSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def patch(self, body: dict[str, Any], expenditure_id: int) -> object:
        """Change an expenditure's fields (those given)."""
        return _write(records.EXPENDITURES, body, expenditure_id)


# --- rates of exchange ----------------------------------------------------------------------------------------
@blp.route("/rates")
class Rates(MethodView):
    @blp.response(200, _list_schema(RateSchema, "RateList"))
    @problems(blp, 401, 403)
    def get(self) -> object:
        """Every rate of exchange: USD for one unit of a currency, per month."""
        require(Permission.VIEW_FUNDING)
        with db_session() as s:
            return {"items": [_record(records.RATES, r) for r in records.list_rates(s)]}

    @blp.arguments(_in(records.RATES.book, "RateIn"))
    @blp.response(201, RateSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403)
    def post(self, body: dict[str, Any]) -> object:
        """Record the rate of a currency for a month (one per currency and month)."""
        return _write(records.RATES, body)


@blp.route("/rates/<string(length=3):currency>/<string(length=7):month>")
class RateItem(MethodView):
    @blp.response(200, RateSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, currency: str, month: str) -> object:
        """One rate."""
        return _read(records.RATES, records.rate_key(currency, month))

    @blp.arguments(_in(records.RATES.book, "RatePatch"))
    @blp.response(200, RateSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def patch(self, body: dict[str, Any], currency: str, month: str) -> object:
        """Correct a rate."""
        return _write(records.RATES, body, records.rate_key(currency, month))

    @blp.response(204)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def delete(self, currency: str, month: str) -> object:
        """Delete a rate: the figures of its month then say they have no rate."""
        principal = require(Permission.MANAGE_FUNDING)
        key = records.rate_key(currency, month)
        with db_session() as s:
            version = expected_version(records.get_record(s, records.RATES, key).version, dict(request.args),
                                       what="rate")
            records.delete(s, principal, records.RATES, key, version, origin=request_origin())
        return ""

