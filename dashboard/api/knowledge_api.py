"""/api/v1 assessments, recommendations, lessons, their attachments, and the knowledge search.

The role rules are the pages': reading assessments and recommendations needs VIEW_OPERATIONS; every write
MANAGE_ASSESSMENTS (assessment officers, planners, administrators), except a follow-up by the recommendation's
owner; published lessons and the search are everyone's (each role finds only what it may read); attachments
need VIEW_PERSON_NAMES. Bodies are documented from the rule books and refused by them (422, a list of
errors at their fields); changes name the version they were made against (If-Match or ``version``).
Files travel in JSON as base64 (``content_base64``) and are checked by content like the page's uploads.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from dashboard.api.guard import require
from dashboard.api.input_guard import DbInteger
from dashboard.api.records import ETAG_HEADER, IF_MATCH, expected_version, with_etag
from dashboard.api.schemas import QUERY_ARGS, Money, PageSchema, PagingQuery, paging, problems
from dashboard.context import db_session, hub, request_origin
from dashboard.i18n import current_locale
from models import Assessment, Lesson, Recommendation
from models.enums import AssessmentKind, LessonStatus, RecommendationStatus
from services.access import Permission
from services.knowledge import assessments as A
from services.knowledge import attachments as F
from services.knowledge import lessons as L
from services.knowledge import recommendations as R
from services.knowledge.common import load
from services.knowledge.rules import ASSESSMENT, FOLLOW_UP, GAP, LESSON, LINKS_MAX, RECOMMENDATION, TEAM_MAX
from services.knowledge.search import KINDS, MAX_QUERY_CHARS, SearchFilter, search
from services.records.problems import Problem, Problems

blp = Blueprint("knowledge", __name__, description="Assessments (with a technology-needs assessment's gap "
                "register and reports), recommendations and their follow-up, lessons, and the knowledge search.")

VERSION = DbInteger(load_default=None, metadata={"description": "The version you read: or send If-Match."})
IDS = fields.List(DbInteger(), validate=validate.Length(max=TEAM_MAX))


class FileInSchema(Schema):
    class Meta:
        unknown = RAISE

    filename = fields.String(required=True, validate=validate.Length(min=1, max=255),
                             metadata={"description": "Ends in .pdf or .docx; the content must say the same."})
    content_base64 = fields.String(required=True, metadata={"description": "The file, base64-encoded "
                                                            f"(at most {F.MAX_ATTACHMENT_BYTES // 2**20} MB)."})


AssessmentIn = ASSESSMENT.marshmallow_schema("AssessmentIn", extra={"expert_ids": IDS, "deployment_ids": IDS,
                                                                    "version": VERSION})
RecommendationIn = RECOMMENDATION.marshmallow_schema("RecommendationIn", extra={"version": VERSION})
LessonIn = LESSON.marshmallow_schema("LessonIn", extra={
    "tags": fields.List(fields.String(validate=validate.Length(max=60)), validate=validate.Length(max=20)),
    "recommendation_ids": IDS, "version": VERSION})
FollowUpIn = FOLLOW_UP.marshmallow_schema("FollowUpIn", extra={
    "evidence_links": fields.List(fields.String(validate=validate.Length(max=500)),
                                  validate=validate.Length(max=LINKS_MAX)),
    "evidence_files": fields.List(fields.Nested(FileInSchema), validate=validate.Length(max=5)),
    "version": VERSION})
GapIn = GAP.marshmallow_schema("GapIn")


class GapsIn(Schema):
    class Meta:
        unknown = RAISE

    gaps = fields.List(fields.Nested(GapIn), required=True, validate=validate.Length(max=200))
    version = VERSION


class LessonStepIn(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=validate.OneOf(list(L.STEPS)))
    version = VERSION


class AssessmentQuery(PagingQuery):
    kind = fields.Enum(AssessmentKind, by_value=True, load_default=None)
    mission = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    capacity = fields.String(load_default=None, validate=validate.Length(min=1, max=20))
    year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=2200))


class RecommendationQuery(PagingQuery):
    status = fields.Enum(RecommendationStatus, by_value=True, load_default=None)
    owner = fields.String(load_default=None, validate=validate.Length(min=1, max=80))
    mine = fields.Boolean(load_default=False, metadata={"description": "Only yours (any role may ask)."})
    mission = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    assessment_id = DbInteger(load_default=None)
    overdue = fields.Boolean(load_default=False)
    due_soon = fields.Boolean(load_default=False, metadata={"description": f"Due within {R.DUE_SOON_DAYS} days."})


class RateQuery(Schema):
    by = fields.String(load_default="mission", validate=validate.OneOf(R.RATE_DIMENSIONS))
    year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=2200))


class LessonQuery(PagingQuery):
    status = fields.Enum(LessonStatus, by_value=True, load_default=None)
    tag = fields.String(load_default=None, validate=validate.Length(min=1, max=60))


class SearchQuery(Schema):
    q = fields.String(load_default="", metadata={"description": f"Any text (the first {MAX_QUERY_CHARS} "
                      "characters): words, \"a phrase\", or, -word. Accents and endings do not matter."})
    kind = fields.List(fields.String(validate=validate.OneOf(KINDS)), load_default=list)
    mission = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    capacity = fields.String(load_default=None, validate=validate.Length(min=1, max=20))
    year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=2200))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000))


class AttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.DateTime()
    follow_up_id = fields.Integer(allow_none=True)
    href = fields.String()


class AssessmentSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    mission = fields.String(allow_none=True)
    capacity = fields.String(allow_none=True)
    start = fields.Date()
    end = fields.Date(allow_none=True)
    mode = fields.String(allow_none=True)
    version = fields.Integer()
    open_recommendations = fields.Integer()


class AssessmentPage(PageSchema):
    items = fields.List(fields.Nested(AssessmentSchema), required=True)


class AssessmentDetail(Schema):
    id = fields.Integer()
    version = fields.Integer()
    kind = fields.String()
    title = fields.String()
    mission = fields.String(allow_none=True)
    capacity = fields.String(allow_none=True)
    contributing_country = fields.String(allow_none=True)
    start = fields.Date()
    end = fields.Date(allow_none=True)
    mode = fields.String(allow_none=True)
    allocation_id = fields.Integer(allow_none=True)
    cost = Money(allow_none=True)
    findings = fields.String(allow_none=True)
    report_ref = fields.String(allow_none=True)
    expert_ids = fields.List(fields.Integer())
    deployment_ids = fields.List(fields.Integer())
    gaps = fields.List(fields.Dict())
    gap_total = Money()
    team = fields.Dict()
    attachments = fields.List(fields.Nested(AttachmentSchema))


class RecommendationSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    priority = fields.String()
    status = fields.String()
    due_on = fields.Date(allow_none=True)
    addressee = fields.String()
    addressee_name = fields.String(allow_none=True)
    owner = fields.String(allow_none=True)
    owner_name = fields.String(allow_none=True)
    assessment_id = fields.Integer()
    assessment_title = fields.String()
    kind = fields.String()
    mission = fields.String(allow_none=True)
    version = fields.Integer()
    overdue = fields.Boolean()


class RecommendationPage(PageSchema):
    items = fields.List(fields.Nested(RecommendationSchema), required=True)


class RecommendationDetail(RecommendationSchema):
    category = fields.String(allow_none=True)
    addressee_mission = fields.String(allow_none=True)
    addressee_country = fields.String(allow_none=True)
    addressee_unit = fields.String(allow_none=True)
    next_statuses = fields.List(fields.String())
    follow_ups = fields.List(fields.Dict())


class RateSchema(Schema):
    key = fields.Raw(allow_none=True)
    total = fields.Integer()
    counted = fields.Integer(metadata={"description": "All but those not accepted or closed as overtaken."})
    implemented = fields.Integer()
    partially_implemented = fields.Integer()
    overdue = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "implemented / counted."})


class LessonSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    title_fr = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    status = fields.String()
    tags = fields.List(fields.String())
    mission = fields.String(allow_none=True)
    capacity = fields.String(allow_none=True)
    updated_at = fields.DateTime()
    version = fields.Integer()


class LessonPage(PageSchema):
    items = fields.List(fields.Nested(LessonSchema), required=True)


class LessonDetail(Schema):
    id = fields.Integer()
    version = fields.Integer()
    status = fields.String()
    title_en = fields.String(allow_none=True)
    body_en = fields.String(allow_none=True)
    title_fr = fields.String(allow_none=True)
    body_fr = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    mission = fields.String(allow_none=True)
    capacity = fields.String(allow_none=True)
    assessment_id = fields.Integer(allow_none=True)
    recommendation_ids = fields.List(fields.Integer())
    author = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    next_steps = fields.List(fields.String())


class HitSchema(Schema):
    kind = fields.String()
    id = fields.Integer()
    title = fields.String()
    extract_html = fields.String(metadata={"description": "HTML-escaped text with the hits in <mark>."})
    rank = fields.Float()
    mission = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)
    href = fields.String()


class SearchSchema(Schema):
    query = fields.String()
    more = fields.Boolean()
    items = fields.List(fields.Nested(HitSchema))


# --- helpers ----------------------------------------------------------------------------------------------------
def _checked(files: list[dict[str, Any]], field: str) -> list[F.CheckedFile]:
    """Each file decoded and checked by content; every refusal at its place (``field.K``)."""
    out: list[F.CheckedFile] = []
    found: list[Problem] = []
    limit = F.MAX_ATTACHMENT_BYTES
    for k, item in enumerate(files):
        where = f"{field}.{k}" if field != "file" else field
        raw = str(item.get("content_base64") or "")
        if len(raw) > limit * 4 // 3 + 8:
            found.append(Problem(where, "file_too_large", {"max_mb": limit // 2**20}))
            continue
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            found.append(Problem(where, "not_base64"))
            continue
        try:
            out.append(F.check_file(data, str(item.get("filename") or ""), field=where))
        except Problems as error:
            found += error.problems
    if found:
        raise Problems(found)
    return out


def _body(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "version"}


def file_response(out: F.FileOut) -> Response:
    """A stored report or evidence: always a download, never shown in the browser, never sniffed."""
    response = Response(out.data, mimetype=out.content_type)
    safe = out.filename.encode("ascii", "replace").decode().replace('"', "'")
    from urllib.parse import quote

    response.headers["Content-Disposition"] = (f'attachment; filename="{safe}"; '
                                               f"filename*=UTF-8''{quote(out.filename)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- assessments -------------------------------------------------------------------------------------------------
@blp.route("/assessments")
class Assessments(MethodView):
    @blp.arguments(AssessmentQuery, **QUERY_ARGS)
    @blp.response(200, AssessmentPage)
    @problems(blp, 401, 403)
    def get(self, query: dict[str, Any]) -> object:
        """Assessments, newest first, with how many of their recommendations are still open."""
        principal = require(Permission.VIEW_OPERATIONS)
        page = paging(query, hub().settings.api_max_page_size)
        with db_session() as s:
            return A.list_assessments(s, principal, A.AssessmentFilter(
                kind=query["kind"].value if query["kind"] else None, mission=query["mission"],
                capacity=query["capacity"], year=query["year"], limit=page.limit, offset=page.offset))

    @blp.arguments(AssessmentIn)
    @blp.response(201, AssessmentDetail, headers=ETAG_HEADER)
    @problems(blp, 401, 403)
    def post(self, body: dict[str, Any]) -> object:
        """Record an assessment (its team by expert and deployment ids)."""
        principal = require(Permission.MANAGE_ASSESSMENTS)
        with db_session() as s:
            made = A.create_assessment(s, principal, _body(body), origin=request_origin())
            return with_etag(A.get_assessment(s, principal, made.id), 201)


@blp.route("/assessments/<int:assessment_id>")
class AssessmentView(MethodView):
    @blp.response(200, AssessmentDetail, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, assessment_id: int) -> object:
        """One assessment: fields, team, gap register, attachments. Its ETag is for If-Match."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            return with_etag(A.get_assessment(s, principal, assessment_id))

    @blp.arguments(AssessmentIn)
    @blp.response(200, AssessmentDetail, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def patch(self, body: dict[str, Any], assessment_id: int) -> object:
        """Change the fields sent."""
        principal = require(Permission.MANAGE_ASSESSMENTS)
        with db_session() as s:
            current = load(s, Assessment, assessment_id, "assessment").version
            version = expected_version(current, body, what="assessment")
            A.update_assessment(s, principal, assessment_id, _body(body), expected=version, origin=request_origin())
            return with_etag(A.get_assessment(s, principal, assessment_id))


@blp.route("/assessments/<int:assessment_id>/gaps")
class Gaps(MethodView):
    @blp.arguments(GapsIn)
    @blp.response(200, AssessmentDetail, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def put(self, body: dict[str, Any], assessment_id: int) -> object:
        """Replace a technology-needs assessment's gap register (problems at gaps.K.field)."""
        principal = require(Permission.MANAGE_ASSESSMENTS)
        with db_session() as s:
            current = load(s, Assessment, assessment_id, "assessment").version
            version = expected_version(current, body, what="assessment")
            A.set_gaps(s, principal, assessment_id, body["gaps"], expected=version, origin=request_origin())
            return with_etag(A.get_assessment(s, principal, assessment_id))


@blp.route("/assessments/<int:assessment_id>/attachments")
class Reports(MethodView):
    @blp.arguments(FileInSchema)
    @blp.response(201, AttachmentSchema)
    @problems(blp, 401, 403, 404)
    def post(self, body: dict[str, Any], assessment_id: int) -> object:
        """Attach a report (PDF or DOCX, checked by content; refused with the reason and nothing kept)."""
        principal = require(Permission.MANAGE_ASSESSMENTS)
        (checked,) = _checked([body], "file")
        with db_session() as s:
            made = F.add_report(s, principal, assessment_id, checked, origin=request_origin())
            return next(a for a in A.attachment_rows(s, principal, assessment_id=assessment_id) if a["id"] == made.id)


@blp.route("/attachments/<int:attachment_id>")
class AttachmentView(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream",
                  description="The file, as a download (Content-Disposition: attachment).")
    @problems(blp, 401, 403, 404)
    def get(self, attachment_id: int) -> object:
        """Download a report or evidence file (never shown inline)."""
        principal = require(Permission.VIEW_PERSON_NAMES)
        with db_session() as s:
            return file_response(F.read(s, principal, attachment_id, origin=request_origin()))

    @blp.response(204)
    @problems(blp, 401, 403, 404)
    def delete(self, attachment_id: int) -> object:
        """Remove an attachment (audited)."""
        principal = require(Permission.MANAGE_ASSESSMENTS)
        with db_session() as s:
            F.remove(s, principal, attachment_id, origin=request_origin())
        return ""


@blp.route("/assessments/<int:assessment_id>/recommendations")
class AssessmentRecommendations(MethodView):
    @blp.arguments(RecommendationIn)
    @blp.response(201, RecommendationDetail, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def post(self, body: dict[str, Any], assessment_id: int) -> object:
        """Add a recommendation (status open)."""
        principal = require(Permission.MANAGE_ASSESSMENTS)
        with db_session() as s:
            made = R.create_recommendation(s, principal, assessment_id, _body(body), origin=request_origin())
            return with_etag(R.get_recommendation(s, principal, made.id), 201)


# --- recommendations --------------------------------------------------------------------------------------------
@blp.route("/recommendations")
class Recommendations(MethodView):
    @blp.arguments(RecommendationQuery, **QUERY_ARGS)
    @blp.response(200, RecommendationPage)
    @problems(blp, 401, 403)
    def get(self, query: dict[str, Any]) -> object:
        """The tracker: soonest due first; overdue, due soon, by owner, by status, or only yours."""
        from flask_login import current_user

        principal = current_user.principal if query["mine"] else require(Permission.VIEW_OPERATIONS)
        page = paging(query, hub().settings.api_max_page_size)
        with db_session() as s:
            return R.list_recommendations(s, principal, R.RecommendationFilter(
                status=query["status"].value if query["status"] else None, owner=query["owner"],
                owner_id=principal.user_id if query["mine"] else None, mission=query["mission"],
                assessment_id=query["assessment_id"], overdue=query["overdue"], due_soon=query["due_soon"],
                limit=page.limit, offset=page.offset))


@blp.route("/recommendations/implementation-rate")
class Rate(MethodView):
    @blp.arguments(RateQuery, **QUERY_ARGS)
    @blp.response(200, RateSchema(many=True))
    @problems(blp, 401, 403)
    def get(self, query: dict[str, Any]) -> object:
        """The implementation rate by mission, contributing country, kind or year."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            return R.implementation_rate(s, principal, query["by"], year=query["year"])


@blp.route("/recommendations/<int:rec_id>")
class RecommendationView(MethodView):
    @blp.response(200, RecommendationDetail, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, rec_id: int) -> object:
        """One recommendation with its follow-ups and evidence."""
        from flask_login import current_user

        with db_session() as s:
            return with_etag(R.get_recommendation(s, current_user.principal, rec_id))

    @blp.arguments(RecommendationIn)
    @blp.response(200, RecommendationDetail, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def patch(self, body: dict[str, Any], rec_id: int) -> object:
        """Change its text, addressee, owner, priority or due date (its status moves by follow-ups)."""
        principal = require(Permission.MANAGE_ASSESSMENTS)
        with db_session() as s:
            current = load(s, Recommendation, rec_id, "recommendation").version
            version = expected_version(current, body, what="recommendation")
            R.update_recommendation(s, principal, rec_id, _body(body), expected=version, origin=request_origin())
            return with_etag(R.get_recommendation(s, principal, rec_id))


@blp.route("/recommendations/<int:rec_id>/follow-ups")
class FollowUps(MethodView):
    @blp.arguments(FollowUpIn)
    @blp.response(201, RecommendationDetail, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def post(self, body: dict[str, Any], rec_id: int) -> object:
        """A dated note that may move the status, with evidence links and files. Implemented needs evidence."""
        from flask_login import current_user

        principal = current_user.principal
        files = _checked(body.get("evidence_files") or [], "evidence_files")
        with db_session() as s:
            current = load(s, Recommendation, rec_id, "recommendation").version
            version = expected_version(current, body, what="recommendation")
            data = {k: body[k] for k in FOLLOW_UP.names if k in body}
            R.add_follow_up(s, principal, rec_id, data, evidence_links=body.get("evidence_links") or [],
                            files=files, expected=version, origin=request_origin())
            return with_etag(R.get_recommendation(s, principal, rec_id), 201)


# --- lessons ------------------------------------------------------------------------------------------------------
@blp.route("/lessons")
class Lessons(MethodView):
    @blp.arguments(LessonQuery, **QUERY_ARGS)
    @blp.response(200, LessonPage)
    @problems(blp, 401, 403)
    def get(self, query: dict[str, Any]) -> object:
        """Lessons (published ones; drafts too for assessment managers), latest first."""
        principal = require(Permission.VIEW_AGGREGATES)
        page = paging(query, hub().settings.api_max_page_size)
        with db_session() as s:
            return L.list_lessons(s, principal, L.LessonFilter(
                status=query["status"].value if query["status"] else None, tag=query["tag"], limit=page.limit,
                offset=page.offset), current_locale())

    @blp.arguments(LessonIn)
    @blp.response(201, LessonDetail, headers=ETAG_HEADER)
    @problems(blp, 401, 403)
    def post(self, body: dict[str, Any]) -> object:
        """Draft a lesson: English, French or both."""
        principal = require(Permission.MANAGE_ASSESSMENTS)
        with db_session() as s:
            made = L.create_lesson(s, principal, _body(body), origin=request_origin())
            return with_etag(L.get_lesson(s, principal, made.id), 201)


@blp.route("/lessons/<int:lesson_id>")
class LessonView(MethodView):
    @blp.response(200, LessonDetail, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, lesson_id: int) -> object:
        """One lesson."""
        principal = require(Permission.VIEW_AGGREGATES)
        with db_session() as s:
            return with_etag(L.get_lesson(s, principal, lesson_id))

    @blp.arguments(LessonIn)
    @blp.response(200, LessonDetail, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def patch(self, body: dict[str, Any], lesson_id: int) -> object:
        """Change the fields sent."""
        principal = require(Permission.MANAGE_ASSESSMENTS)
        with db_session() as s:
            current = load(s, Lesson, lesson_id, "lesson").version
            version = expected_version(current, body, what="lesson")
            L.update_lesson(s, principal, lesson_id, _body(body), expected=version, origin=request_origin())
            return with_etag(L.get_lesson(s, principal, lesson_id))


@blp.route("/lessons/<int:lesson_id>/steps")
class LessonSteps(MethodView):
    @blp.arguments(LessonStepIn)
    @blp.response(200, LessonDetail, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def post(self, body: dict[str, Any], lesson_id: int) -> object:
        """review (by someone other than the author), publish, or withdraw (back to draft)."""
        principal = require(Permission.MANAGE_ASSESSMENTS)
        with db_session() as s:
            current = load(s, Lesson, lesson_id, "lesson").version
            version = expected_version(current, body, what="lesson")
            L.step(s, principal, lesson_id, body["action"], expected=version, origin=request_origin())
            return with_etag(L.get_lesson(s, principal, lesson_id))


# --- search -------------------------------------------------------------------------------------------------------
@blp.route("/knowledge/search")
class Search(MethodView):
    @blp.arguments(SearchQuery, **QUERY_ARGS)
    @blp.response(200, SearchSchema)
    @problems(blp, 401, 403)
    def get(self, query: dict[str, Any]) -> object:
        """One query across lessons, assessments, recommendations and attachments' text; best first."""
        principal = require(Permission.VIEW_AGGREGATES)
        with db_session() as s:
            answer = search(s, principal, query["q"], SearchFilter(
                kinds=tuple(query["kind"]), mission=query["mission"], capacity=query["capacity"], year=query["year"],
                limit=query["limit"], offset=query["offset"]), current_locale())
        return {"query": answer["query"], "more": answer["more"], "items": [vars(h) for h in answer["items"]]}
