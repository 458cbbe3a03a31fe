"""GET /api/v1/experts and /api/v1/experts/<id>: fields by role, by services.access.EXPERT_FIELD_RULES (the rule the
experts page reads too), applied in services.personnel."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from dashboard.api.guard import require
from dashboard.api.schemas import QUERY_ARGS, ExpertPageSchema, ExpertQuery, ExpertSchema, paging, problems
from dashboard.context import db_session, hub
from services import personnel
from services.access import Permission
from services.catalog import country_codes

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
            page = personnel.list_experts(s, principal, filt)
            codes = country_codes(s)
        return replace(page, items=[_iso_nationality(e, codes) for e in page.items])


@blp.route("/<int:expert_id>")
class ExpertDetail(MethodView):
    @blp.response(200, ExpertSchema)
    @problems(blp, 401, 403, 404)
    def get(self, expert_id: int) -> object:
        """One expert; the fields depend on your role."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            return _iso_nationality(personnel.get_expert(s, principal, expert_id), country_codes(s))
