"""GET /api/v1/quality: the data-quality scorecard; /quality/rules/<code>/failing: a rule's failing records."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from dashboard.api.guard import require
from dashboard.api.input_guard import DbInteger
from dashboard.api.schemas import DATE_ERRORS, QUERY_ARGS, problems
from dashboard.context import db_session
from services.access import Permission
from services.errors import NotFound
from services.quality import scorecard
from services.quality.rules import RULES, RULES_BY_CODE

blp = Blueprint("quality", __name__, description="Data quality: scores on the six dimensions, and failing records")


class ScoreSchema(Schema):
    checked = fields.Integer(required=True)
    failing = fields.Integer(required=True)
    score = fields.Float(allow_none=True, metadata={"description": "Share passing, 0..1; null when none checked."})


class RuleScoreSchema(ScoreSchema):
    code = fields.String(required=True)
    dimension = fields.String(required=True)
    record = fields.String(required=True)
    sentence = fields.String(required=True)


class ScopeScoreSchema(ScoreSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ScorecardSchema(Schema):
    day = fields.Date(required=True)
    overall = fields.Nested(ScoreSchema, required=True)
    dimensions = fields.Dict(keys=fields.String(), values=fields.Nested(ScoreSchema), required=True)
    records = fields.Dict(keys=fields.String(), values=fields.Nested(ScoreSchema), required=True)
    rules = fields.List(fields.Nested(RuleScoreSchema), required=True)
    missions = fields.List(fields.Nested(ScopeScoreSchema), required=True)
    capacities = fields.List(fields.Nested(ScopeScoreSchema), required=True)


class ScorecardQuery(Schema):
    day = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                      metadata={"description": "The day the rules are judged on (default: today)."})


class FailingQuery(ScorecardQuery):
    mission = DbInteger(load_default=None, metadata={"description": "Only this mission (its id)."})
    capacity = DbInteger(load_default=None, metadata={"description": "Only this capacity (its id)."})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


class FailingSchema(Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    mission = fields.String(allow_none=True)
    link = fields.String(required=True, metadata={"description": "The hub's page where the record is fixed."})


def _score(s: scorecard.Score) -> dict[str, Any]:
    return {"checked": s.checked, "failing": s.failing, "score": s.rate}


@blp.route("")
class Scorecard(MethodView):
    @blp.arguments(ScorecardQuery, **QUERY_ARGS)
    @blp.response(200, ScorecardSchema)
    @problems(blp, 401, 403)
    def get(self, query: dict[str, Any]) -> object:
        """Scores overall, per dimension, per kind of record, per rule, per mission and per capacity."""
        require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            card = scorecard.compute(s, query["day"] or date.today())
            missions, capacities = scorecard.scope_names(s)
        return {
            "day": card.day, "overall": _score(card.overall),
            "dimensions": {d.value: _score(v) for d, v in card.by_dimension().items()},
            "records": {k.value: _score(v) for k, v in card.by_record().items()},
            "rules": [{"code": r.code, "dimension": r.dimension.value, "record": r.record.value,
                       "sentence": r.sentence, **_score(card.rules[r.code])} for r in RULES],
            "missions": [{"id": key, "name": missions.get(key, str(key)), **_score(v)}
                         for key, v in sorted(card.scope_scores("mission").items())],
            "capacities": [{"id": key, "name": capacities.get(key, str(key)), **_score(v)}
                           for key, v in sorted(card.scope_scores("capacity").items())],
        }


@blp.route("/rules/<string:code>/failing")
class Failing(MethodView):
    @blp.arguments(FailingQuery, **QUERY_ARGS)
    @blp.response(200, FailingSchema(many=True))
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any], code: str) -> object:
        """The records failing a rule (planners and administrators: the labels are staff numbers)."""
        principal = require(Permission.MANAGE_PERSONNEL)
        if code not in RULES_BY_CODE:
            raise NotFound(f"No data-quality rule {code[:60]!r}; the rules are: {', '.join(RULES_BY_CODE)}.")
        with db_session() as s:
            return scorecard.failing_records(s, principal, code, day=query["day"], mission=query["mission"],
                                             capacity=query["capacity"], limit=query["limit"])
