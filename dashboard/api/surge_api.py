"""/api/v1/surge-requests: requests, their steps, ranked candidates with reasons, proposals, service level.

Reading requests needs VIEW_OPERATIONS; candidates, proposals and every write need MANAGE_SURGE (planners,
admins); the service level is aggregate-only (VIEW_AGGREGATES). Errors are problem+json: a refused
proposal is a 409 whose detail names the expert and what blocks them.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from dashboard.api import records as records_api
from dashboard.api.guard import require
from dashboard.api.input_guard import DbInteger
from dashboard.api.records import ETAG_HEADER, IF_MATCH, etag, problems_response
from dashboard.api.schemas import (
    DATE_ERRORS,
    QUERY_ARGS,
    PageSchema,
    PagingQuery,
    ServiceLevelSchema,
    paging,
    problems,
)
from dashboard.components.surge_parts import lack_text
from dashboard.context import db_session, hub, request_origin
from models.enums import GenderMarker, LanguageLevel, Priority, SurgeStatus
from services.access import Permission
from services.surge import amendments
from services.surge import requests as surge
from services.surge.explain import english, factors
from services.surge.matching import COMPONENTS, DEFAULT_REQUIRED_CLEARANCES, Miss, Weights
from services.surge.rules import RULES, RequestProblems
from services.surge.service_level import service_level

blp = Blueprint(
    "surge", __name__,
    description="Surge requests from missions, their dated steps, ranked and explained candidates, proposals "
                "(planned deployments) and the service level (days from received to deployed).",
)


# --- schemas ----------------------------------------------------------------------------------------------
class RequestQuery(PagingQuery):
    status = fields.Enum(SurgeStatus, by_value=True, load_default=None, metadata={"description": "Status."})
    capacity = fields.String(load_default=None, validate=validate.Length(min=1, max=20),
                             metadata={"description": "Capacity code, e.g. JCSC."})
    mission = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                            metadata={"description": "Mission acronym."})
    overdue = fields.Boolean(load_default=False, metadata={
        "description": "Only open requests older than their capacity's target days to deploy."})


# The limits of a request's fields are the rule book's (services.surge.rules): the service checks them and a
# refusal lists every problem at its field (problem+json ``errors``), the same codes as the page's form.
def _limits(bounds: Any, what: str) -> dict[str, Any]:
    low = f"above {bounds.low:g}" if not bounds.low_inclusive else f"from {bounds.low:g}"
    return {"description": f"{what}: {low} to {bounds.high:g}.", "minimum": bounds.low, "maximum": bounds.high,
            "exclusiveMinimum": not bounds.low_inclusive}


class SkillInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=60))
    weight = fields.Float(load_default=1.0, metadata=_limits(RULES.weight, "Weight in the skill fit"))
    min_level = fields.Integer(load_default=1, metadata=_limits(RULES.level, "Minimum level"))
    required = fields.Boolean(load_default=True, metadata={
        "description": "True (default): a hard rule, an expert below min_level is not eligible. False: desirable, "
                       "only scored (below min_level it counts half)."})


class LanguageInSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z]{2,3}$"))
    min_level = fields.String(load_default="B2", metadata={
        "description": "One of " + ", ".join(v.value for v in LanguageLevel) + "."})


class RequestInSchema(Schema):
    class Meta:
        unknown = RAISE

    mission = fields.String(required=True, validate=validate.Length(min=1, max=40),
                            metadata={"description": "Requesting mission's acronym."})
    title = fields.String(required=True, metadata={"description": f"At most {RULES.title_max} characters.",
                                                   "maxLength": RULES.title_max})
    wanted_start = fields.Date(required=True, error_messages=DATE_ERRORS, metadata={
        "description": "Not before the day received (today unless received_on is given)."})
    duration_days = fields.Integer(required=True, metadata=_limits(RULES.duration, "Days"))
    experts_requested = fields.Integer(load_default=1, metadata=_limits(RULES.experts, "Experts"))
    capacity = fields.String(load_default=None, validate=validate.Length(min=1, max=20), metadata={
        "description": "SPC or JCSC: only its experts are eligible, unless accept_any_capacity."})
    accept_any_capacity = fields.Boolean(load_default=False, metadata={
        "description": "True: experts of either capacity are eligible (the capacity is then not a hard rule)."})
    site_id = DbInteger(load_default=None)
    skills = fields.List(fields.Nested(SkillInSchema), load_default=list)
    languages = fields.List(fields.Nested(LanguageInSchema), load_default=list)
    priority = fields.String(load_default="medium", metadata={
        "description": "One of " + ", ".join(p.value for p in Priority) + "."})
    gender_considerations = fields.String(load_default=None, metadata={
        "description": f"At most {RULES.gender_considerations_max} characters."})
    balance_gender = fields.Boolean(load_default=False)
    notes = fields.String(load_default=None, metadata={"description": f"At most {RULES.notes_max} characters."})
    received_on = fields.Date(load_default=None, error_messages=DATE_ERRORS)
    clearances = fields.List(fields.String(validate=validate.Length(min=1, max=30)),
                             load_default=lambda: list(DEFAULT_REQUIRED_CLEARANCES),
                             validate=validate.Length(max=20),
                             metadata={"description": "Clearance type codes every proposed expert must hold for the "
                                                      "whole period (default MEDICAL, SECURITY; [] for none)."})


class StepSchema(Schema):
    status = fields.String()
    at = fields.DateTime(metadata={"description": "When it happened (the same as occurred_at)."})
    occurred_at = fields.DateTime(metadata={"description": "When it happened; a planner may date it in the past."})
    recorded_at = fields.DateTime(metadata={"description": "When it was recorded in the hub."})
    by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class AmendmentSchema(Schema):
    at = fields.DateTime()
    by = fields.String(allow_none=True)
    changes = fields.Dict(metadata={"description": "Each changed field: {before, after}."})
    note = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "The request's version the amendment made."})


class TeamMemberSchema(Schema):
    deployment_id = fields.Integer()
    expert_id = fields.Integer()
    expert_name = fields.String()
    gender = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    status = fields.String()
    role = fields.String()


class RequestSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    mission = fields.String()
    capacity = fields.String(allow_none=True)
    title = fields.String()
    received_on = fields.Date()
    wanted_start = fields.Date()
    duration_days = fields.Integer()
    experts_requested = fields.Integer()
    experts_proposed = fields.Integer()
    priority = fields.String()
    status = fields.String()
    balance_gender = fields.Boolean()
    accept_any_capacity = fields.Boolean(metadata={"description": "Experts of either capacity are eligible."})
    version = fields.Integer(metadata={"description": "Send it back with a change (or If-Match the ETag): a stale "
                                                      "one gets 409, none 428."})
    days_open = fields.Integer()
    target_days = fields.Integer()
    overdue = fields.Boolean()


class RequestPageSchema(PageSchema):
    items = fields.List(fields.Nested(RequestSchema), required=True)


class RequestDetailSchema(RequestSchema):
    mission_id = fields.Integer()
    site_id = fields.Integer(allow_none=True)
    wanted_end = fields.Date()
    gender_considerations = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    skills = fields.List(fields.Dict())
    languages = fields.List(fields.Dict())
    steps = fields.List(fields.Nested(StepSchema))
    amendments = fields.List(fields.Nested(AmendmentSchema), metadata={"description": "Every amendment, oldest first."})
    next_statuses = fields.List(fields.String())
    team = fields.List(fields.Nested(TeamMemberSchema))
    clearances = fields.List(fields.String(), metadata={"description": "Clearance type codes every proposed "
                                                                       "expert must hold for the whole period."})
    weights = fields.Dict(metadata={"description": "The weights its candidates are ranked with."})
    weights_saved = fields.Boolean(metadata={"description": "False: nothing saved, the defaults rank it."})


class StepInSchema(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(required=True, validate=validate.OneOf(
        [s.value for s in SurgeStatus if s not in (SurgeStatus.RECEIVED, SurgeStatus.CANDIDATES_PROPOSED)]))
    version = DbInteger(load_default=None)
    note = fields.String(load_default=None, validate=validate.Length(max=2000))
    occurred_at = fields.AwareDateTime(load_default=None, metadata={
        "description": "When it happened, if earlier than now (ISO 8601 with its time zone)."})


class StepTimeInSchema(Schema):
    class Meta:
        unknown = RAISE

    occurred_at = fields.AwareDateTime(required=True, metadata={
        "description": "When the step happened (ISO 8601 with its time zone): not in the future, not before the "
                       "step before it nor after the step after it."})
    version = DbInteger(load_default=None)
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


_AMENDABLE = {"description": "As in the request's form; only the fields given change."}


class AmendmentInSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.Raw(metadata={**_AMENDABLE, "type": "string", "maxLength": RULES.title_max})
    wanted_start = fields.Raw(metadata={**_AMENDABLE, "type": "string", "format": "date"})
    duration_days = fields.Raw(metadata={**_limits(RULES.duration, "Days"), "type": "integer"})
    experts_requested = fields.Raw(metadata={**_limits(RULES.experts, "Experts"), "type": "integer"})
    capacity = fields.Raw(allow_none=True, metadata={**_AMENDABLE, "type": "string"})
    accept_any_capacity = fields.Raw(metadata={**_AMENDABLE, "type": "boolean"})
    site_id = fields.Raw(allow_none=True, metadata={**_AMENDABLE, "type": "integer"})
    skills = fields.List(fields.Dict(), metadata=_AMENDABLE)
    languages = fields.List(fields.Dict(), metadata=_AMENDABLE)
    clearances = fields.List(fields.Raw(), metadata=_AMENDABLE)
    priority = fields.Raw(metadata={**_AMENDABLE, "type": "string",
                                    "enum": [p.value for p in Priority]})
    gender_considerations = fields.Raw(allow_none=True, metadata={**_AMENDABLE, "type": "string"})
    balance_gender = fields.Raw(metadata={**_AMENDABLE, "type": "boolean"})
    notes = fields.Raw(allow_none=True, metadata={**_AMENDABLE, "type": "string"})
    received_on = fields.Raw(metadata={**_AMENDABLE, "type": "string", "format": "date"})
    version = DbInteger(load_default=None)
    note = fields.String(load_default=None, validate=validate.Length(max=2000),
                         metadata={"description": "Why it changed (the mission's cable of …)."})


class StepsSchema(Schema):
    reference = fields.String()
    status = fields.String()
    steps = fields.List(fields.Nested(StepSchema))


_WEIGHT = {"description": "0 to 10; a weight not given is the request's saved one (PUT .../weights), else the "
                          "default."}


class WeightsQuery(Schema):
    skills = fields.Float(load_default=None, validate=validate.Range(min=0, max=10), metadata=_WEIGHT)
    languages = fields.Float(load_default=None, validate=validate.Range(min=0, max=10), metadata=_WEIGHT)
    experience = fields.Float(load_default=None, validate=validate.Range(min=0, max=10), metadata=_WEIGHT)
    region = fields.Float(load_default=None, validate=validate.Range(min=0, max=10), metadata=_WEIGHT)
    rotation = fields.Float(load_default=None, validate=validate.Range(min=0, max=10), metadata=_WEIGHT)
    gender = fields.Float(load_default=None, validate=validate.Range(min=0, max=10), metadata=_WEIGHT)


class CandidateQuery(PagingQuery, WeightsQuery):
    pass


class WeightsInSchema(WeightsQuery):
    class Meta:
        unknown = RAISE

    version = DbInteger(load_default=None, metadata={"description": "The request's version: stale gets 409."})


class CandidateSchema(Schema):
    rank = fields.Integer(allow_none=True, metadata={"description": "None: excluded (see excluded_by)."})
    expert_id = fields.Integer()
    expert_name = fields.String()
    gender = fields.String()
    capacity = fields.String(allow_none=True, metadata={"description": "The expert's capacity code."})
    score = fields.Float()
    components = fields.Dict(metadata={"description": "Each score component, from 0 to 1."})
    contributions = fields.Dict(metadata={"description": "Component x weight: the score is their sum."})
    excluded_by = fields.List(fields.String(), metadata={"description": "Hard rules failed, main one first."})
    factors = fields.List(fields.Dict())
    reasons = fields.List(fields.String())


class LackSchema(Schema):
    kind = fields.String(metadata={"description": "capacity, skill or language."})
    code = fields.String(allow_none=True, metadata={"description": "The skill's or language's code."})
    have = fields.Raw(metadata={"description": "The expert's capacity code, skill level (0-5) or language level."})
    need = fields.Raw(metadata={"description": "What the request asks for."})
    message = fields.String(metadata={"description": "In words, e.g. 'JCSC, not SPC'."})


class MissSchema(Schema):
    expert_id = fields.Integer()
    expert_name = fields.String()
    capacity = fields.String(allow_none=True)
    score = fields.Float()
    lacks = fields.List(fields.Nested(LackSchema))


class CandidatePageSchema(PageSchema):
    weights = fields.Dict()
    eligible = fields.Integer()
    excluded = fields.Integer()
    wanted = fields.Integer(metadata={"description": "Experts still wanted (requested less those proposed)."})
    too_few = fields.Boolean(metadata={"description": "Fewer experts pass the hard rules than are wanted."})
    nearest_misses = fields.List(fields.Nested(MissSchema), metadata={
        "description": "When too_few: the experts who fail only the request's capacity, skill or language "
                       "levels, fewest unmet first, with what each lacks."})
    items = fields.List(fields.Nested(CandidateSchema), required=True)


class ProposalSchema(Schema):
    weights = fields.Dict()
    members = fields.List(fields.Dict())


class ProposalInSchema(Schema):
    class Meta:
        unknown = RAISE

    expert_ids = fields.List(DbInteger(), required=True, validate=validate.Length(min=1, max=50))
    version = DbInteger(load_default=None)
    role = fields.String(load_default=None, validate=validate.Length(max=200))
    gender_marker = fields.String(load_default=None, validate=validate.OneOf([m.value for m in GenderMarker]),
                                  metadata={"description": "The deployments' gender marker (default 1)."})
    allocation_id = DbInteger(load_default=None, metadata={"description": "The funding allocation paying them."})


class ProposedSchema(Schema):
    deployment_ids = fields.List(fields.Integer())
    request = fields.Nested(RequestDetailSchema)


class ServiceLevelQuery(Schema):
    capacity = fields.List(fields.String(validate=validate.Length(min=1, max=20)), load_default=list)
    start = fields.Date(load_default=None, error_messages=DATE_ERRORS)
    end = fields.Date(load_default=None, error_messages=DATE_ERRORS)


# --- optimistic concurrency ------------------------------------------------------------------------------------
# Every change to a request names the version it was made against, so two writers cannot both win: the
# ETag from GET in If-Match (412 when stale, RFC 9110) or `version` in the body (409 when stale, as the
# planner's page). Neither: 428 Precondition Required (RFC 6585).
def expected_version(session: Any, key: int | str, body: dict[str, Any]) -> int:
    """The version the change was made against; PreconditionRequired or PreconditionFailed otherwise."""
    current = surge.load_request(session, key).version  # an unknown key is a 404 before anything else
    return records_api.expected_version(current, body, what="surge request")


_with_etag = records_api.with_etag


# --- helpers ------------------------------------------------------------------------------------------------
def _weights(query: dict[str, Any]) -> dict[str, float]:
    """The weights the query names: the service puts them over the request's saved ones."""
    return {k: query[k] for k in COMPONENTS if query.get(k) is not None}


def _miss(miss: Miss, names: dict[int, str]) -> dict[str, Any]:
    c = miss.candidate
    out = {"expert_id": c.expert_id, "capacity": c.capacity, "score": c.score,
           "lacks": [{"kind": lack.kind, "code": lack.code, "have": lack.have, "need": lack.need,
                      "message": lack_text(lack)} for lack in miss.lacks]}
    if c.expert_id in names:
        out["expert_name"] = names[c.expert_id]
    return out


def _candidate(c: Any, need: Any, names: dict[int, str]) -> dict[str, Any]:
    out = {"rank": c.rank, "expert_id": c.expert_id, "gender": c.gender, "score": c.score, "capacity": c.capacity,
           "components": c.components, "contributions": c.contributions,
           "excluded_by": [r.value for r in c.excluded_by], "factors": factors(c, need), "reasons": english(c, need)}
    if c.expert_id in names:
        out["expert_name"] = names[c.expert_id]
    return out


# --- routes -------------------------------------------------------------------------------------------------
@blp.route("")
class Requests(MethodView):
    @blp.arguments(RequestQuery, **QUERY_ARGS)
    @blp.response(200, RequestPageSchema)
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any]) -> object:
        """List surge requests (open ones first), with overdue flags."""
        principal = require(Permission.VIEW_OPERATIONS)
        filt = surge.RequestFilter(status=query["status"], capacity=query["capacity"], mission=query["mission"],
                                   overdue_only=query["overdue"],
                                   paging=paging(query, hub().settings.api_max_page_size))
        with db_session() as s:
            return surge.list_requests(s, principal, filt)

    @blp.arguments(RequestInSchema)
    @blp.response(201, RequestDetailSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404, 409)
    def post(self, body: dict[str, Any]) -> object:
        """Record a surge request (status received, dated and attributed to you)."""
        principal = require(Permission.MANAGE_SURGE)
        form = surge.RequestForm(
            **{k: v for k, v in body.items() if k not in ("skills", "languages", "clearances")},
            skills=tuple(surge.SkillWanted(**s) for s in body["skills"]),
            languages=tuple(surge.LanguageWanted(**lang) for lang in body["languages"]),
            clearances=tuple(code.strip().upper() for code in body["clearances"]),
        )
        try:
            with db_session() as s:
                request = surge.create_request(s, principal, form, origin=request_origin())
                return _with_etag(surge.get_request(s, principal, request.id), 201)
        except RequestProblems as error:
            # Every problem at its field, in the caller's language; the codes are the page form's.
            return problems_response(error)


@blp.route("/service-level")
class ServiceLevelView(MethodView):
    @blp.arguments(ServiceLevelQuery, **QUERY_ARGS)
    @blp.response(200, ServiceLevelSchema)
    @problems(blp, 401, 403)
    def get(self, query: dict[str, Any]) -> object:
        """Days from received to deployed: median, 90th percentile and how many within the target."""
        principal = require(Permission.VIEW_AGGREGATES)
        with db_session() as s:
            level = service_level(s, capacity_codes=query["capacity"], start=query["start"], end=query["end"])
        if not principal.can(Permission.VIEW_OPERATIONS):  # aggregates only: small counts are null
            from services.briefing.aggregates import suppress_service_level

            return suppress_service_level(level, hub().settings.suppression_threshold)
        return level


@blp.route("/<key:key>")
class RequestDetail(MethodView):
    @blp.response(200, RequestDetailSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, key: str) -> object:
        """One request by reference (or id): skills, languages, steps, team. Its ETag is for If-Match."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            return _with_etag(surge.get_request(s, principal, key))


@blp.route("/<key:key>/steps")
class Steps(MethodView):
    @blp.response(200, StepsSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, key: str) -> object:
        """The request's steps, each dated and attributed."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            return _with_etag(surge.get_request(s, principal, key))

    @blp.arguments(StepInSchema)
    @blp.response(201, RequestDetailSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def post(self, body: dict[str, Any], key: str) -> object:
        """Move the request on: under_review, approved, deployed, declined or withdrawn (409 when not allowed)."""
        principal = require(Permission.MANAGE_SURGE)
        with db_session() as s:
            version = expected_version(s, key, body)
            request = surge.advance(s, principal, key, body["status"], version=version, note=body["note"],
                                    origin=request_origin(), occurred_at=body["occurred_at"])
            return _with_etag(surge.get_request(s, principal, request.id), 201)


@blp.route("/<key:key>/steps/<status>")
class StepTime(MethodView):
    @blp.arguments(StepTimeInSchema)
    @blp.response(200, RequestDetailSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def patch(self, body: dict[str, Any], key: str, status: str) -> object:
        """Date a step when it happened (e.g. the request came by e-mail yesterday): kept as an amendment; the
        service level reads it. 422 when in the future or out of the workflow's order."""
        principal = require(Permission.MANAGE_SURGE)
        with db_session() as s:
            version = expected_version(s, key, body)
            amendments.set_step_time(s, principal, key, status, body["occurred_at"], version=version,
                                     note=body["note"], origin=request_origin())
            return _with_etag(surge.get_request(s, principal, key))


@blp.route("/<key:key>/amendments")
class Amendments(MethodView):
    @blp.arguments(AmendmentInSchema)
    @blp.response(201, RequestDetailSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def post(self, body: dict[str, Any], key: str) -> object:
        """Amend a recorded request (dates, skills, clearances, numbers …): each amendment is kept with every
        field's before and after; its proposed team moves with the dates. 422 lists each field's problem."""
        principal = require(Permission.MANAGE_SURGE)
        with db_session() as s:
            version = expected_version(s, key, body)
            changes = {k: v for k, v in body.items() if k not in ("version", "note")}
            amendments.amend_request(s, principal, key, changes, version=version, note=body["note"],
                                     origin=request_origin())
            return _with_etag(surge.get_request(s, principal, key), 201)


@blp.route("/<key:key>/weights")
class SavedWeights(MethodView):
    @blp.arguments(WeightsInSchema)
    @blp.response(200, RequestDetailSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def put(self, body: dict[str, Any], key: str) -> object:
        """Save the weights the request's candidates are ranked with, for everyone (a weight not given keeps its
        default; all defaults clear them). 409 for a stale version or a closed request."""
        principal = require(Permission.MANAGE_SURGE)
        with db_session() as s:
            version = expected_version(s, key, body)
            weights = Weights.from_mapping({k: body.get(k) for k in COMPONENTS})
            request = surge.save_weights(s, principal, key, weights, version=version, origin=request_origin())
            return _with_etag(surge.get_request(s, principal, request.id))


@blp.route("/<key:key>/candidates")
class Candidates(MethodView):
    @blp.arguments(CandidateQuery, **QUERY_ARGS)
    @blp.response(200, CandidatePageSchema)
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any], key: str) -> object:
        """Eligible experts ranked best first, each with score components and reasons; weights adjustable."""
        principal = require(Permission.MANAGE_SURGE)
        page = paging(query, hub().settings.api_max_page_size)
        with db_session() as s:
            ranking = surge.candidates(s, principal, key, _weights(query))
            chosen = ranking.top(page.limit, page.offset)
            misses = ranking.nearest_misses() if ranking.too_few else []
            names = surge.expert_names(s, principal, [c.expert_id for c in chosen]
                                       + [m.candidate.expert_id for m in misses])
        return {"items": [_candidate(c, ranking.need, names) for c in chosen], "total": ranking.eligible_count,
                "limit": page.limit, "offset": page.offset, "weights": ranking.weights.as_dict(),
                "eligible": ranking.eligible_count, "excluded": int(len(ranking.ids) - ranking.eligible_count),
                "wanted": ranking.need.still_wanted, "too_few": ranking.too_few,
                "nearest_misses": [_miss(m, names) for m in misses]}


@blp.route("/<key:key>/candidates/<int:expert_id>")
class CandidateDetail(MethodView):
    @blp.arguments(WeightsQuery, **QUERY_ARGS)
    @blp.response(200, CandidateSchema)
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any], key: str, expert_id: int) -> object:
        """Any expert against the request: their rank, or the rules that exclude them."""
        principal = require(Permission.MANAGE_SURGE)
        with db_session() as s:
            ranking = surge.candidates(s, principal, key, _weights(query))
            candidate = ranking.explain(expert_id)
            names = surge.expert_names(s, principal, [expert_id])
        return _candidate(candidate, ranking.need, names)


@blp.route("/<key:key>/proposals")
class Proposals(MethodView):
    @blp.arguments(WeightsQuery, **QUERY_ARGS)
    @blp.response(200, ProposalSchema)
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any], key: str) -> object:
        """A suggested team for the experts still wanted, chosen as a team (skills, gender balance)."""
        principal = require(Permission.MANAGE_SURGE)
        with db_session() as s:
            ranking, team = surge.suggested_team(s, principal, key, _weights(query))
            names = surge.expert_names(s, principal, [m.candidate.expert_id for m in team])
        return {"weights": ranking.weights.as_dict(), "members": [
            {"pick": m.pick, "gain": m.gain, "adds_skills": list(m.adds_skills), "balances_gender": m.balances_gender,
             **_candidate(m.candidate, ranking.need, names)} for m in team]}

    @blp.arguments(ProposalInSchema)
    @blp.response(201, ProposedSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def post(self, body: dict[str, Any], key: str) -> object:
        """Propose experts: planned deployments over the wanted period (409 with the reason when refused)."""
        principal = require(Permission.MANAGE_SURGE)
        with db_session() as s:
            version = expected_version(s, key, body)
            made = surge.propose(s, principal, key, body["expert_ids"], version=version, role=body["role"],
                                 origin=request_origin(), gender_marker=body["gender_marker"],
                                 allocation_id=body["allocation_id"])
            detail = surge.get_request(s, principal, key)
            return {"deployment_ids": made, "request": detail}, 201, {"ETag": etag(detail["version"])}
