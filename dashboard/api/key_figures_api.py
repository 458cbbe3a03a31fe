"""GET /api/v1/key-figures: the home page's headline numbers."""

from __future__ import annotations

from datetime import date

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from dashboard.api.guard import require
from dashboard.api.input_guard import DbInteger
from dashboard.api.schemas import DATE_ERRORS, QUERY_ARGS, problems
from dashboard.context import db_session, hub
from services.access import Permission
from services.briefing.aggregates import suppress_key_figures
from services.key_figures import key_figures

blp = Blueprint("key_figures", __name__, description="Headline numbers")


class KeyFiguresQuery(Schema):
    as_of = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                        metadata={"description": "Day to count for (default: today)."})
    capacity_id = DbInteger(load_default=None, metadata={"description": "Only this capacity (its id)."})


_SUPPRESSED = ("null when suppressed for a role that sees aggregates only (briefing): a count from 1 to the "
               "suppression threshold minus one, or one from which such a count could be worked out")


class KeyFiguresSchema(Schema):
    as_of = fields.Date(required=True)
    experts_deployed = fields.Integer(required=True, allow_none=True, metadata={"description": _SUPPRESSED})
    experts_available = fields.Integer(required=True, allow_none=True, metadata={"description": _SUPPRESSED})
    experts_total = fields.Integer(required=True, allow_none=True, metadata={"description": _SUPPRESSED})
    open_surge_requests = fields.Integer(required=True, allow_none=True, metadata={"description": _SUPPRESSED})
    active_missions = fields.Integer(required=True)


@blp.route("")
class KeyFigures(MethodView):
    @blp.arguments(KeyFiguresQuery, **QUERY_ARGS)
    @blp.response(200, KeyFiguresSchema)
    @problems(blp, 401, 403)
    def get(self, query: dict) -> object:
        principal = require(Permission.VIEW_AGGREGATES)
        with db_session() as s:
            figures = key_figures(s, query["as_of"] or date.today(), query["capacity_id"])
        if not principal.can(Permission.VIEW_OPERATIONS):  # aggregates only: small counts are null
            figures = suppress_key_figures(figures, hub().settings.suppression_threshold)
        return figures
