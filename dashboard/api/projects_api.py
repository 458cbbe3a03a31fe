"""/api/v1/projects: projects, their activities, milestones, results framework, actual values and sites, and
the IATI 2.03 file of them all.

Reading needs VIEW_OPERATIONS (money: VIEW_FUNDING), every write MANAGE_PROJECTS (programme staff, admins), as
on the pages. A change names the version it was made against (If-Match with the GET's ETag, or ``version``);
refusals are problem+json with ``errors`` listing each field's problem (the codes of the page's forms).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from dashboard.api.guard import require
from dashboard.api.input_guard import DbInteger
from dashboard.api.records import ETAG_HEADER, IF_MATCH, current_version, expected_version, with_etag
from dashboard.api.schemas import PROBLEM_DESCRIPTIONS, PROBLEM_MEDIA_TYPE, Money, ProblemSchema, problems
from dashboard.context import db_session, hub, request_origin
from models import Project
from services import audit
from services.access import Permission
from services.errors import NotFound
from services.projects import iati, records, rules
from services.records import Boolean, Choice, Date, Decimal, Integer, RuleBook

blp = Blueprint(
    "projects", __name__,
    description="Projects kept by programme staff: activities, milestones (planned and actual dates), sites "
                "(points and areas), the results framework (outcome → output → indicator with baseline, "
                "target and actual values per period, by sex where the indicator counts people), linked "
                "allocations and spending; and the IATI 2.03 activity file of them all.",
)


# --- schemas: the rule books' fields, typed as JSON sends them (the rule book checks the values) -----------------
def _field(f: Any) -> fields.Field:
    doc = {**f.schema()}
    if isinstance(f, Boolean):
        return fields.Boolean(allow_none=True, metadata=doc)
    if isinstance(f, Integer):
        return DbInteger(allow_none=True, metadata={k: v for k, v in doc.items() if k != "type"})
    if isinstance(f, Date | Decimal | Choice):
        return fields.String(allow_none=True, metadata={k: v for k, v in doc.items() if k != "type"})
    return fields.String(allow_none=True, metadata={k: v for k, v in doc.items() if k not in ("type",)})


def body_schema(book: RuleBook, name: str, **extra: fields.Field) -> type[Schema]:
    attrs: dict[str, Any] = {f.name: _field(f) for f in book.fields}
    attrs["version"] = DbInteger(allow_none=True, metadata={
        "description": "The version you read (or send If-Match); required on a change."})
    attrs.update(extra)
    attrs["Meta"] = type("Meta", (), {"unknown": RAISE})
    return type(name, (Schema,), attrs)


ProjectInSchema = body_schema(rules.PROJECT, "ProjectIn", missions=fields.List(
    fields.String(), allow_none=True, metadata={"description": "Mission acronyms, e.g. [\"MINUSCA\"]."}))
ActivityInSchema = body_schema(rules.ACTIVITY, "ActivityIn")
MilestoneInSchema = body_schema(rules.MILESTONE, "MilestoneIn")
ResultInSchema = body_schema(rules.RESULT, "ResultIn")
ActualInSchema = body_schema(rules.ACTUAL, "ActualIn")
SiteInSchema = body_schema(rules.SITE, "SiteIn", geometry=fields.Dict(allow_none=True, metadata={
    "description": "A GeoJSON Point or Polygon/MultiPolygon in EPSG:4326 (longitude, latitude)."}),
    layer=fields.String(allow_none=True, metadata={"description": "A published layer's slug (with feature_id)."}),
    feature_id=DbInteger(allow_none=True, metadata={"description": "The id of a feature of that layer."}))


class StaleProblemSchema(ProblemSchema):
    """A 409: the record's state refuses the change, or it changed since the version sent (then who, when, what)."""

    changed_by = fields.String(allow_none=True, metadata={"description": "Who made the change you missed."})
    changed_at = fields.String(allow_none=True, metadata={"description": "When (ISO 8601)."})
    fields_ = fields.List(fields.String(), data_key="fields", metadata={"description": "The fields changed."})
    current_version = fields.Integer(metadata={"description": "The record's version now."})


def stale(func: Any) -> Any:
    """Documents the 409 of a change (with who changed what when it is a stale version)."""
    return blp.alt_response(409, schema=StaleProblemSchema, content_type=PROBLEM_MEDIA_TYPE,
                            description=PROBLEM_DESCRIPTIONS[409])(func)


class VersionSchema(Schema):
    class Meta:
        unknown = RAISE

    version = DbInteger(allow_none=True, metadata={"description": "The version you read (or send If-Match)."})


class MoneySchema(Schema):
    currency = fields.String()
    allocated = Money()
    spent = Money()


class ProjectRowSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    name_fr = fields.String(allow_none=True)
    capacity = fields.String()
    status = fields.String()
    gender_marker = fields.String()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    budget = Money()
    currency = fields.String()
    milestones = fields.Integer()
    milestones_achieved = fields.Integer()
    version = fields.Integer()
    money = fields.List(fields.Nested(MoneySchema), metadata={"description": "Only for roles that see funding."})


class ProjectListSchema(Schema):
    items = fields.List(fields.Nested(ProjectRowSchema))


class ActivitySchema(Schema):
    id = fields.Integer()
    title = fields.String()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    version = fields.Integer()


class MilestoneSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    due_on = fields.Date()
    achieved_on = fields.Date(allow_none=True)
    status = fields.String()
    version = fields.Integer()


class ActualSchema(Schema):
    id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    value = Money()
    women = Money(allow_none=True)
    men = Money(allow_none=True)
    note = fields.String(allow_none=True)
    version = fields.Integer()


class ResultSchema(Schema):
    id = fields.Integer()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)
    statement = fields.String()
    indicator = fields.String()
    unit = fields.String()
    baseline = Money()
    target = Money()
    gender_specific = fields.Boolean()
    about_people = fields.Boolean()
    version = fields.Integer()
    actuals = fields.List(fields.Nested(ActualSchema))


class AllocationSchema(Schema):
    id = fields.Integer()
    grant = fields.String()
    purpose = fields.String()
    amount = Money()
    currency = fields.String()
    allocated_on = fields.Date()


class ProjectDetailSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    name_fr = fields.String(allow_none=True)
    capacity = fields.String()
    status = fields.String()
    gender_marker = fields.String()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    budget = Money()
    currency = fields.String()
    version = fields.Integer()
    money = fields.List(fields.Nested(MoneySchema), metadata={"description": "Only for roles that see funding."})
    description = fields.String(allow_none=True)
    description_fr = fields.String(allow_none=True)
    sector_code = fields.String(allow_none=True)
    missions = fields.List(fields.String())
    activities = fields.List(fields.Nested(ActivitySchema))
    milestones = fields.List(fields.Nested(MilestoneSchema))
    results = fields.List(fields.Nested(ResultSchema))
    sites = fields.Dict(metadata={"description": "A GeoJSON FeatureCollection of the project's sites."})
    allocations = fields.List(fields.Nested(AllocationSchema), metadata={
        "description": "Only for roles that see funding."})


class SiteSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    source = fields.String(allow_none=True)


# --- helpers -----------------------------------------------------------------------------------------------------
def _detail(s: Any, principal: Any, pid: int, status: int = 200) -> Any:
    return with_etag(records.get_project(s, principal, pid), status)


def _project_version(s: Any, pid: int) -> int:
    return current_version(s, Project, pid, missing=f"No project {pid}.")


def _row(s: Any, part: records.Part, pid: int, row_id: int, result_id: int | None = None) -> Any:
    """The part ``row_id`` of project ``pid`` (of result ``result_id`` for an actual value); 404 otherwise."""
    row = s.get(part.model, row_id)
    if row is None:
        raise NotFound(f"No {part.entity} {row_id} in project {pid}.")
    if part is records.ACTUAL:
        if row.result_id != result_id or row.result.project_id != pid:
            raise NotFound(f"No value {row_id} of result {result_id} in project {pid}.")
    elif row.project_id != pid:
        raise NotFound(f"No {part.entity} {row_id} in project {pid}.")
    return row


def _part_json(part: records.Part, row: Any) -> dict[str, Any]:
    out = {"id": row.id, "version": row.version}
    out.update({name: getattr(row, name) for name in part.names})
    if part is records.RESULT:
        out.update(actuals=[], level=str(row.level))
    if part is records.MILESTONE:
        out["status"] = str(row.status)
    return out


def _body(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "version"}


# --- projects ----------------------------------------------------------------------------------------------------
@blp.route("")
class Projects(MethodView):
    @blp.response(200, ProjectListSchema)
    @problems(blp, 401, 403)
    def get(self) -> object:
        """Every project with its milestones achieved and (roles that see funding) allocated and spent."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            return {"items": records.list_projects(s, principal)}

    @blp.arguments(ProjectInSchema)
    @blp.response(201, ProjectDetailSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403)
    def post(self, body: dict[str, Any]) -> object:
        """Create a project (code, titles in English and French, capacity, budget, dates, status, marker)."""
        principal = require(Permission.MANAGE_PROJECTS)
        with db_session() as s:
            project = records.create_project(s, principal, _body(body), origin=request_origin())
            return _detail(s, principal, project.id, 201)


@blp.route("/iati.xml")
class IatiFile(MethodView):
    @blp.response(200, content_type="application/xml", description="An IATI 2.03 `iati-activities` file.")
    @problems(blp, 401, 403)
    def get(self) -> object:
        """Every project as an IATI 2.03 activity, in one `iati-activities` file (valid against the official
        schema): identifiers, organisations, status, dates, countries, locations, sector, budget, transactions
        from the funding tables, results with indicators."""
        principal = require(Permission.VIEW_FUNDING)
        settings = hub().settings
        org = iati.ReportingOrg(settings.iati_org_ref, settings.iati_org_name, settings.iati_org_name_fr)
        with db_session() as s:
            blob = iati.activities_xml(s, org)
            audit.record(s, "export.iati", principal=principal, entity="project", origin=request_origin(),
                         detail={"bytes": len(blob)})
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        return Response(blob, mimetype="application/xml", headers={
            "Content-Disposition": f'attachment; filename="projects-iati-{stamp}.xml"'})


@blp.route("/<int:pid>")
class OneProject(MethodView):
    @blp.response(200, ProjectDetailSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, pid: int) -> object:
        """A project with its parts; ETag: its version."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            return _detail(s, principal, pid)

    @blp.arguments(ProjectInSchema)
    @blp.response(200, ProjectDetailSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def patch(self, body: dict[str, Any], pid: int) -> object:
        """Change the fields sent (the others stay)."""
        principal = require(Permission.MANAGE_PROJECTS)
        with db_session() as s:
            version = expected_version(_project_version(s, pid), body, what="project")
            records.update_project(s, principal, pid, _body(body), version=version, origin=request_origin())
            return _detail(s, principal, pid)


@blp.route("/<int:pid>/close")
class CloseProject(MethodView):
    @blp.arguments(VersionSchema)
    @blp.response(200, ProjectDetailSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def post(self, body: dict[str, Any], pid: int) -> object:
        """Close the project (ending today unless it has an end date)."""
        principal = require(Permission.MANAGE_PROJECTS)
        with db_session() as s:
            version = expected_version(_project_version(s, pid), body, what="project")
            records.close_project(s, principal, pid, version=version, origin=request_origin())
            return _detail(s, principal, pid)


# --- the parts: one pair of routes a kind ---------------------------------------------------------------------------
def _part_routes(path: str, part: records.Part, in_schema: type[Schema], out_schema: type[Schema], what: str) -> None:
    class Collection(MethodView):
        @blp.arguments(in_schema)
        @blp.response(201, out_schema, headers=ETAG_HEADER)
        @problems(blp, 401, 403, 404)
        def post(self, body: dict[str, Any], pid: int) -> object:
            principal = require(Permission.MANAGE_PROJECTS)
            with db_session() as s:
                _project_version(s, pid)
                row = records.add_part(s, principal, part, pid, _body(body), origin=request_origin())
                return with_etag(_part_json(part, row), 201)

    class Item(MethodView):
        @blp.arguments(in_schema)
        @blp.response(200, out_schema, headers=ETAG_HEADER)
        @blp.doc(parameters=[IF_MATCH])
        @problems(blp, 401, 403, 404, 412, 428)
        @stale
        def patch(self, body: dict[str, Any], pid: int, row_id: int) -> object:
            principal = require(Permission.MANAGE_PROJECTS)
            with db_session() as s:
                row = _row(s, part, pid, row_id)
                version = expected_version(row.version, body, what=what)
                row = records.update_part(s, principal, part, row_id, _body(body), version=version,
                                          origin=request_origin())
                return with_etag(_part_json(part, row))

        @blp.arguments(VersionSchema)
        @blp.response(204)
        @blp.doc(parameters=[IF_MATCH])
        @problems(blp, 401, 403, 404, 412, 428)
        @stale
        def delete(self, body: dict[str, Any], pid: int, row_id: int) -> object:
            principal = require(Permission.MANAGE_PROJECTS)
            with db_session() as s:
                row = _row(s, part, pid, row_id)
                version = expected_version(row.version, body, what=what)
                records.delete_part(s, principal, part, row_id, version=version, origin=request_origin())
            return "", 204

    Collection.post.__doc__ = f"Add a {what} to the project."
    Item.patch.__doc__ = f"Change a {what} (the fields sent)."
    Item.delete.__doc__ = f"Delete a {what}."
    name = path.strip("/").replace("-", "_")
    blp.route(f"/<int:pid>/{path}", endpoint=f"{name}_collection")(Collection)
    blp.route(f"/<int:pid>/{path}/<int:row_id>", endpoint=f"{name}_item")(Item)


_part_routes("activities", records.ACTIVITY, ActivityInSchema, ActivitySchema, "activity")
_part_routes("milestones", records.MILESTONE, MilestoneInSchema, MilestoneSchema, "milestone")
_part_routes("results", records.RESULT, ResultInSchema, ResultSchema, "result")


@blp.route("/<int:pid>/results/<int:result_id>/actuals")
class Actuals(MethodView):
    @blp.arguments(ActualInSchema)
    @blp.response(201, ActualSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def post(self, body: dict[str, Any], pid: int, result_id: int) -> object:
        """Record the value an indicator reached over a period (women and men too where it counts people)."""
        principal = require(Permission.MANAGE_PROJECTS)
        with db_session() as s:
            _row(s, records.RESULT, pid, result_id)
            row = records.add_part(s, principal, records.ACTUAL, result_id, _body(body), origin=request_origin())
            return with_etag(_part_json(records.ACTUAL, row), 201)


@blp.route("/<int:pid>/results/<int:result_id>/actuals/<int:row_id>")
class OneActual(MethodView):
    @blp.arguments(ActualInSchema)
    @blp.response(200, ActualSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def patch(self, body: dict[str, Any], pid: int, result_id: int, row_id: int) -> object:
        """Change a recorded value."""
        principal = require(Permission.MANAGE_PROJECTS)
        with db_session() as s:
            row = _row(s, records.ACTUAL, pid, row_id, result_id)
            version = expected_version(row.version, body, what="value")
            row = records.update_part(s, principal, records.ACTUAL, row_id, _body(body), version=version,
                                      origin=request_origin())
            return with_etag(_part_json(records.ACTUAL, row))

    @blp.arguments(VersionSchema)
    @blp.response(204)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 412, 428)
    @stale
    def delete(self, body: dict[str, Any], pid: int, result_id: int, row_id: int) -> object:
        """Delete a recorded value."""
        principal = require(Permission.MANAGE_PROJECTS)
        with db_session() as s:
            row = _row(s, records.ACTUAL, pid, row_id, result_id)
            version = expected_version(row.version, body, what="value")
            records.delete_part(s, principal, records.ACTUAL, row_id, version=version, origin=request_origin())
        return "", 204


@blp.route("/<int:pid>/sites")
class Sites(MethodView):
    @blp.arguments(SiteInSchema)
    @blp.response(201, SiteSchema)
    @problems(blp, 401, 403, 404)
    def post(self, body: dict[str, Any], pid: int) -> object:
        """Add a site: a GeoJSON point or polygon, or a feature of a published GIS layer."""
        principal = require(Permission.MANAGE_PROJECTS)
        with db_session() as s:
            site = records.add_site(s, principal, pid, _body(body), origin=request_origin())
            return {"id": site.id, "name": site.name, "source": site.source}, 201


@blp.route("/<int:pid>/sites/<int:site_id>")
class OneSite(MethodView):
    @blp.response(204)
    @problems(blp, 401, 403, 404)
    def delete(self, pid: int, site_id: int) -> object:
        """Take a site off the project."""
        principal = require(Permission.MANAGE_PROJECTS)
        with db_session() as s:
            records.remove_site(s, principal, pid, site_id, origin=request_origin())
        return "", 204
