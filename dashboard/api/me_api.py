"""GET /api/v1/me and the writes an expert user makes to their own record: languages and absences.

The expert's id is the logged-in principal's, never a value the client sends; the writes are the planners'
services (services.experts add_part/change_part/remove_part), which check the scope again. A change names the
version it was made against (If-Match: the ETag of GET /me, 412 when stale; or ``version``, 409), as every
record API does. Another expert's records stay out of reach: the rest of the API answers this role 403.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from dashboard.api.experts_api import (
    ExpertRecordSchema,
    VersionSchema,
    _body_schema,
    _version,
    checked,
)
from dashboard.api.guard import require
from dashboard.api.records import ETAG_HEADER, IF_MATCH, with_etag
from dashboard.api.schemas import problems
from dashboard.context import db_session, request_origin
from services import experts
from services.access import Permission

blp = Blueprint(
    "me", __name__,
    description="An expert user's own record (role expert): read it whole, keep its languages and absences. "
                "Absences may not overlap (the database refuses it; 422 names the absence in the way).",
)


def _own(s: Any, principal: Any, status: int = 200) -> object:
    return with_etag(experts.own_record(s, principal), status)


@blp.route("")
class Me(MethodView):
    @blp.response(200, ExpertRecordSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403)
    def get(self) -> object:
        """Your own record (profile, skills, languages, clearances, trainings, absences, deployments) and its
        ETag for If-Match."""
        principal = require(Permission.MANAGE_OWN_AVAILABILITY)
        with db_session() as s:
            return _own(s, principal)


def _own_part_routes(part: experts.Part) -> None:
    """POST /me/<part>, PATCH and DELETE /me/<part>/<key> (a language's code, an absence's id)."""
    title = part.name.capitalize()

    class Rows(MethodView):
        @blp.arguments(_body_schema(part.book, f"Own{title}In"))
        @blp.response(201, ExpertRecordSchema, headers=ETAG_HEADER)
        @blp.doc(parameters=[IF_MATCH], summary=f"Add one of your {part.name}")
        @problems(blp, 401, 403, 409, 412, 422, 428)
        def post(self, body: dict[str, Any]) -> object:
            principal = require(Permission.MANAGE_OWN_AVAILABILITY)
            values = checked(part.book, body, partial=False)
            with db_session() as s:
                expert_id = principal.own_expert()
                experts.add_part(s, principal, expert_id, part.name, values, version=_version(s, expert_id, body),
                                 origin=request_origin())
                return _own(s, principal, 201)

    class Row(MethodView):
        @blp.arguments(_body_schema(part.book, f"Own{title}Patch", partial=True))
        @blp.response(200, ExpertRecordSchema, headers=ETAG_HEADER)
        @blp.doc(parameters=[IF_MATCH], summary=f"Change one of your {part.name}")
        @problems(blp, 401, 403, 404, 409, 412, 422, 428)
        def patch(self, body: dict[str, Any], key: str) -> object:
            principal = require(Permission.MANAGE_OWN_AVAILABILITY)
            values = checked(part.book, body, partial=True)
            with db_session() as s:
                expert_id = principal.own_expert()
                experts.change_part(s, principal, expert_id, part.name, key, values,
                                    version=_version(s, expert_id, body), origin=request_origin())
                return _own(s, principal)

        @blp.arguments(VersionSchema, location="query")
        @blp.response(200, ExpertRecordSchema, headers=ETAG_HEADER)
        @blp.doc(parameters=[IF_MATCH], summary=f"Remove one of your {part.name}")
        @problems(blp, 401, 403, 404, 409, 412, 428)
        def delete(self, query: dict[str, Any], key: str) -> object:
            principal = require(Permission.MANAGE_OWN_AVAILABILITY)
            with db_session() as s:
                expert_id = principal.own_expert()
                experts.remove_part(s, principal, expert_id, part.name, key, version=_version(s, expert_id, query),
                                    origin=request_origin())
                return _own(s, principal)

    Rows.__name__ = f"Own{title}"
    Row.__name__ = f"Own{title}Row"
    blp.route(f"/{part.name}", endpoint=f"own_{part.name}")(Rows)
    blp.route(f"/{part.name}/<key:key>", endpoint=f"own_{part.name}_row")(Row)


for _name in sorted(experts.OWN_PARTS):
    _own_part_routes(experts.PARTS[_name])
