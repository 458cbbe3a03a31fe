"""GET /api/v1/experts and /api/v1/experts/<id>: fields by role, by services.access.EXPERT_FIELD_RULES (the rule the
experts page reads too), applied in services.personnel."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from dashboard.api.guard import require
from dashboard.api.schemas import QUERY_ARGS, ExpertPageSchema, ExpertQuery, ExpertSchema, paging, problems
from dashboard.context import db_session, hub
from services import personnel
from services.access import Permission

blp = Blueprint(
    "experts", __name__,
    description="Experts of the standing capacities, by the same field rule as the experts page "
                "(services.access.EXPERT_FIELD_RULES). Names need a role that may see them; grade, contract, "
                "email, skills, languages and clearances need personnel detail, and so does filtering by skill or "
                "language (403 otherwise); the briefing role gets 403.",
)


@blp.route("")
class Experts(MethodView):
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
            return personnel.list_experts(s, principal, filt)


@blp.route("/<int:expert_id>")
class ExpertDetail(MethodView):
    @blp.response(200, ExpertSchema)
    @problems(blp, 401, 403, 404)
    def get(self, expert_id: int) -> object:
        """One expert; the fields depend on your role."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            return personnel.get_expert(s, principal, expert_id)
