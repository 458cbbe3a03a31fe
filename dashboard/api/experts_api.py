"""GET /api/v1/experts and /api/v1/experts/<id>: fields by role, by services.access.EXPERT_FIELD_RULES (the rule the
experts page reads too), applied in services.personnel."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from flask import request as http_request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from dashboard.api.guard import require
from dashboard.api.input_guard import DbInteger
from dashboard.api.problems import PreconditionFailed
from dashboard.api.records import (
    ETAG_HEADER,
    IF_MATCH,
    current_version,
    etag,
    expected_version,
    problems_response,
    with_etag,
)
from dashboard.api.schemas import (
    QUERY_ARGS,
    ExpertPageSchema,
    ExpertQuery,
    ExpertSchema,
    LanguageLevelSchema,
    paging,
    problems,
)
from dashboard.context import db_session, hub, request_origin
from models import Expert
from services import experts, personnel
from services.access import Permission
from services.catalog import country_codes
from services.experts import rules
from services.records import Problem, Problems, RuleBook

blp = Blueprint(
    "experts", __name__,
    description="Experts of the standing capacities, by the same field rule as the experts page "
                "(services.access.EXPERT_FIELD_RULES). Names need a role that may see them; grade, contract, "
                "email, skills, languages and clearances need personnel detail, and so does filtering by skill or "
                "language (403 otherwise); the briefing role gets 403.",
)


def _iso_nationality(expert: dict[str, Any], codes: dict[str, str]) -> dict[str, Any]:
    """nationality_iso3 as ISO 3166-1 alpha-3 (SSD), not Natural Earth's key (SDS) the column holds."""
    if expert.get("nationality_iso3"):
        return {**expert, "nationality_iso3": codes.get(expert["nationality_iso3"], expert["nationality_iso3"])}
    return expert


# --- writes (MANAGE_PERSONNEL: planners, admins) -------------------------------------------------------------
# Every change names the version it was made against: the ETag of GET in If-Match (412 when stale) or `version`
# in the body (409 when stale, with who changed what); neither is 428. Refusals are problem+json whose `errors`
# list each field's problem (services.experts.rules, the same rule books as the pages' forms).
VERSION_DOC = {"description": "The version you read (or If-Match its ETag): stale gets 409, none 428."}


def _body_schema(book: RuleBook, name: str, *, partial: bool = False) -> Schema:
    """The rule book's schema plus the version a change was made against."""
    schema = book.marshmallow_schema(name, extra={"version": DbInteger(load_default=None, metadata=VERSION_DOC)})
    return schema(partial=partial)


class VersionSchema(Schema):
    version = DbInteger(load_default=None, metadata=VERSION_DOC)


class SeparationSchema(Schema):
    separated_on = fields.Raw(required=True, metadata={"description": "The day the expert left (YYYY-MM-DD).",
                                                       "type": "string", "format": "date"})
    version = DbInteger(load_default=None, metadata=VERSION_DOC)


class RecordLanguageSchema(LanguageLevelSchema):
    reading = fields.String(allow_none=True, metadata={"description": "CEFR level, where known."})
    writing = fields.String(allow_none=True, metadata={"description": "CEFR level, where known."})
    speaking = fields.String(allow_none=True, metadata={"description": "CEFR level, where known."})


class RecordClearanceSchema(Schema):
    id = fields.Integer(metadata={"description": "The row's id: PATCH/DELETE .../clearances/<id>."})
    code = fields.String()
    name = fields.String()
    is_training = fields.Boolean()
    obtained_on = fields.Date()
    valid_until = fields.Date(allow_none=True)


class TrainingSchema(Schema):
    id = fields.Integer(metadata={"description": "The row's id: PATCH/DELETE .../trainings/<id>."})
    name = fields.String()
    provider = fields.String(allow_none=True)
    completed_on = fields.Date()
    valid_until = fields.Date(allow_none=True)


class AbsenceSchema(Schema):
    id = fields.Integer(metadata={"description": "The row's id: PATCH/DELETE .../absences/<id>."})
    kind = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    note = fields.String(allow_none=True)


class HistorySchema(Schema):
    id = fields.Integer()
    mission = fields.String()
    site = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    kind = fields.String()
    status = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class ExpertRecordSchema(ExpertSchema):
    """The whole record (fields by role, as GET /experts/<id>; parts, trainings and absences need personnel
    detail), with its version and deployment history."""

    version = fields.Integer(metadata=VERSION_DOC)
    separated_on = fields.Date(allow_none=True)
    erased = fields.Boolean(metadata={"description": "The personal fields were erased on request."})
    languages = fields.List(fields.Nested(RecordLanguageSchema))
    clearances = fields.List(fields.Nested(RecordClearanceSchema))
    trainings = fields.List(fields.Nested(TrainingSchema))
    absences = fields.List(fields.Nested(AbsenceSchema))
    deployments = fields.List(fields.Nested(HistorySchema))


JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def checked(book: RuleBook, body: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """The body as the API documents it, then by the rule book: every problem, before the version is looked at
    (a malformed change is 422 whatever its version). The rule book is lenient for spreadsheets (a number in a
    text cell, "fr" for "FR"); the API holds its clients to the types, lists and patterns it documents."""
    body = _without_version(body)
    _clean, found = book.validate(body, partial=partial)
    flagged = {p.field for p in found}
    for name, value in body.items():
        f = book.fields_by_name.get(name)
        if f is None or value is None or name in flagged:
            continue
        schema = f.schema()
        if "enum" in schema and value not in schema["enum"]:
            found.append(Problem(name, "one_of", {"choices": ", ".join(schema["enum"])}))
        elif not JSON_TYPES.get(schema["type"], lambda _v: True)(value) or (
                isinstance(value, str) and "pattern" in schema and re.search(schema["pattern"], value) is None):
            found.append(Problem(name, "invalid"))
    if found:
        raise Problems(found)
    return body


def _record(s: Any, principal: Any, expert_id: int, status: int = 200) -> object:
    return with_etag(experts.expert_record(s, principal, expert_id), status)


def _without_version(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "version"}


def _version(s: Any, expert_id: int, body: Mapping[str, Any]) -> int:
    current = current_version(s, Expert, expert_id, missing=f"No expert with id {expert_id}.")
    if "If-Match" in http_request.headers and None in http_request.if_match.as_set():
        # werkzeug reads an empty tag ("") as None, which records.if_match_versions cannot slice: it names no
        # version, so it cannot be the current one.
        raise PreconditionFailed("If-Match names an empty tag: send the ETag you read (e.g. \"v3\").")
    return expected_version(current, body, what="expert")


@blp.route("")
class Experts(MethodView):
    @blp.arguments(_body_schema(rules.PROFILE, "ExpertIn"))
    @blp.response(201, ExpertRecordSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 422)
    def post(self, body: dict[str, Any]) -> object:
        """Record a new expert (MANAGE_PERSONNEL). 422 lists each field's problem."""
        principal = require(Permission.MANAGE_PERSONNEL)
        with db_session() as s:
            expert = experts.create_expert(s, principal, checked(rules.PROFILE, body, partial=False),
                                           origin=request_origin())
            return _record(s, principal, expert.id, 201)

    @blp.arguments(ExpertQuery, **QUERY_ARGS)
    @blp.response(200, ExpertPageSchema)
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any]) -> object:
        """List experts, filtered and paged; the fields depend on your role."""
        principal = require(Permission.VIEW_OPERATIONS)
        filt = personnel.ExpertFilter(
            capacity=query["capacity"], skill=query["skill"], language=query["language"],
            gender=query["gender"], available_on=query["available_on"],
            paging=paging(query, hub().settings.api_max_page_size),
        )
        with db_session() as s:
            page = personnel.list_experts(s, principal, filt)
            codes = country_codes(s)
        return replace(page, items=[_iso_nationality(e, codes) for e in page.items])


@blp.route("/<int:expert_id>")
class ExpertDetail(MethodView):
    @blp.response(200, ExpertSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, expert_id: int) -> object:
        """One expert; the fields depend on your role. Its ETag is for If-Match on a change."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            detail = _iso_nationality(personnel.get_expert(s, principal, expert_id), country_codes(s))
            return detail, 200, {"ETag": etag(s.scalar(select(Expert.version).where(Expert.id == expert_id)))}

    @blp.arguments(_body_schema(rules.PROFILE, "ExpertPatch", partial=True))
    @blp.response(200, ExpertRecordSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 422, 428)
    def patch(self, body: dict[str, Any], expert_id: int) -> object:
        """Change the fields given (status separated needs separated_on). 422 lists each field's problem."""
        principal = require(Permission.MANAGE_PERSONNEL)
        values = checked(rules.PROFILE, body, partial=True)
        with db_session() as s:
            version = _version(s, expert_id, body)
            experts.update_expert(s, principal, expert_id, values, version=version, origin=request_origin())
            return _record(s, principal, expert_id)

    @blp.arguments(VersionSchema, location="query")
    @blp.response(204)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def delete(self, query: dict[str, Any], expert_id: int) -> object:
        """Delete an expert entered by mistake. One with deployments is refused (409): mark them separated."""
        principal = require(Permission.MANAGE_PERSONNEL)
        try:
            with db_session() as s:
                version = _version(s, expert_id, query)
                experts.delete_expert(s, principal, expert_id, version=version, origin=request_origin())
        except experts.HasHistory as refused:
            return problems_response(refused, 409, "Conflict")
        return "", 204


@blp.route("/<int:expert_id>/record")
class ExpertRecord(MethodView):
    @blp.response(200, ExpertRecordSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, expert_id: int) -> object:
        """The whole record (parts, trainings, absences, deployment history) with its ETag for If-Match."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            return _record(s, principal, expert_id)


@blp.route("/<int:expert_id>/separation")
class ExpertSeparation(MethodView):
    @blp.arguments(SeparationSchema)
    @blp.response(200, ExpertRecordSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 422, 428)
    def post(self, body: dict[str, Any], expert_id: int) -> object:
        """Mark the expert separated on a day: the record and its history stay."""
        principal = require(Permission.MANAGE_PERSONNEL)
        day = checked(rules.PROFILE, {"separated_on": body["separated_on"]}, partial=True)["separated_on"]
        with db_session() as s:
            version = _version(s, expert_id, body)
            experts.separate_expert(s, principal, expert_id, day, version=version,
                                    origin=request_origin())
            return _record(s, principal, expert_id)


@blp.route("/<int:expert_id>/erasure")
class ExpertErasure(MethodView):
    @blp.arguments(VersionSchema)
    @blp.response(200, ExpertRecordSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 422, 428)
    def post(self, body: dict[str, Any], expert_id: int) -> object:
        """Erase a separated expert's personal fields on request (names, staff number, e-mail, title, skills,
        languages, clearances, trainings, absences); the anonymous history stays. Not undone."""
        principal = require(Permission.MANAGE_PERSONNEL)
        with db_session() as s:
            version = _version(s, expert_id, body)
            experts.erase_expert(s, principal, expert_id, version=version, origin=request_origin())
            return _record(s, principal, expert_id)


def _part_routes(part: experts.Part) -> None:
    """POST .../<part>, PATCH and DELETE .../<part>/<key> for one part (a key is a code for skills and
    languages, the row's id otherwise)."""
    title = part.name.capitalize()
    key_doc = f"the {part.key_field} code" if part.key_field else "the row's id"

    class Rows(MethodView):
        @blp.arguments(_body_schema(part.book, f"Expert{title}In"))
        @blp.response(201, ExpertRecordSchema, headers=ETAG_HEADER)
        @blp.doc(parameters=[IF_MATCH], summary=f"Add one of the expert's {part.name}")
        @problems(blp, 401, 403, 404, 409, 412, 422, 428)
        def post(self, body: dict[str, Any], expert_id: int) -> object:
            principal = require(Permission.MANAGE_PERSONNEL)
            values = checked(part.book, body, partial=False)
            with db_session() as s:
                version = _version(s, expert_id, body)
                experts.add_part(s, principal, expert_id, part.name, values, version=version,
                                 origin=request_origin())
                return _record(s, principal, expert_id, 201)

    class Row(MethodView):
        @blp.arguments(_body_schema(part.book, f"Expert{title}Patch", partial=True))
        @blp.response(200, ExpertRecordSchema, headers=ETAG_HEADER)
        @blp.doc(parameters=[IF_MATCH], summary=f"Change one of the expert's {part.name} ({key_doc})")
        @problems(blp, 401, 403, 404, 409, 412, 422, 428)
        def patch(self, body: dict[str, Any], expert_id: int, key: str | int) -> object:
            principal = require(Permission.MANAGE_PERSONNEL)
            values = checked(part.book, body, partial=True)
            with db_session() as s:
                version = _version(s, expert_id, body)
                experts.change_part(s, principal, expert_id, part.name, key, values, version=version,
                                    origin=request_origin())
                return _record(s, principal, expert_id)

        @blp.arguments(VersionSchema, location="query")
        @blp.response(200, ExpertRecordSchema, headers=ETAG_HEADER)
        @blp.doc(parameters=[IF_MATCH], summary=f"Remove one of the expert's {part.name} ({key_doc})")
        @problems(blp, 401, 403, 404, 409, 412, 428)
        def delete(self, query: dict[str, Any], expert_id: int, key: str | int) -> object:
            principal = require(Permission.MANAGE_PERSONNEL)
            with db_session() as s:
                version = _version(s, expert_id, query)
                experts.remove_part(s, principal, expert_id, part.name, key, version=version,
                                    origin=request_origin())
                return _record(s, principal, expert_id)

    Rows.__name__ = f"Expert{title}"
    Row.__name__ = f"Expert{title}Row"
    blp.route(f"/<int:expert_id>/{part.name}", endpoint=f"expert_{part.name}")(Rows)
    blp.route(f"/<int:expert_id>/{part.name}/<key:key>", endpoint=f"expert_{part.name}_row")(Row)


for _part in experts.PARTS.values():
    _part_routes(_part)
