"""/api/v1/deployments: who is (or was, or will be) where, and the writes that keep it (record, change, extend,
curtail, complete, delete).

Reading needs VIEW_OPERATIONS; every write MANAGE_PERSONNEL (planners, admins). A write names the version it
was made against (If-Match with the ETag of GET, or ``version`` in the body): stale If-Match 412, stale version
409 with who changed what, neither 428. A refused record is a 422 whose ``errors`` list each field's problem,
including the database's no-overlap refusal, which names the expert and the other deployment.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from dashboard.api.guard import require
from dashboard.api.input_guard import DbInteger
from dashboard.api.records import ETAG_HEADER, IF_MATCH, expected_version, with_etag
from dashboard.api.schemas import (
    QUERY_ARGS,
    DeploymentPageSchema,
    DeploymentQuery,
    also_geojson,
    geojson_response,
    paging,
    problems,
)
from dashboard.context import db_session, hub, request_origin
from services import deployments
from services.access import Permission
from services.deployments import records

blp = Blueprint(
    "deployments", __name__,
    description="Deployments of experts to missions. expert_id and expert_name only for roles that may see "
                "names; the briefing role gets 403. Writes need a planner or an admin.",
)

_VERSION = {"description": "The version you read (or If-Match its ETag): stale gets 409, none 428."}
# The body's fields are the rule book's (services.deployments.records.BOOK): it, not marshmallow, says what is
# wrong, so every refusal has the one shape of ``errors``.
DeploymentInSchema = records.BOOK.marshmallow_schema("DeploymentIn")
DeploymentPatchSchema = records.BOOK.marshmallow_schema(
    "DeploymentPatch", extra={"version": DbInteger(load_default=None, metadata=_VERSION)}, exclude=("expert_id",))


class _Versioned(Schema):
    class Meta:
        unknown = RAISE

    version = DbInteger(load_default=None, metadata=_VERSION)


class EndInSchema(_Versioned):
    end_date = fields.Raw(required=True, metadata={"type": "string", "format": "date",
                                                   "description": "The new planned end (YYYY-MM-DD)."})


class CompleteInSchema(_Versioned):
    actual_start_date = fields.Raw(required=True, metadata={"type": "string", "format": "date",
                                                            "description": "The day the expert arrived."})
    actual_end_date = fields.Raw(required=True, metadata={"type": "string", "format": "date",
                                                          "description": "The day the expert left."})


class DeploymentDetailSchema(Schema):
    id = fields.Integer()
    expert_id = fields.Integer()
    expert_name = fields.String()
    mission = fields.String()
    mission_name = fields.String()
    site_id = fields.Integer(allow_none=True)
    site_name = fields.String(allow_none=True)
    role = fields.String()
    kind = fields.String()
    start_date = fields.String(metadata={"format": "date"})
    end_date = fields.String(metadata={"format": "date"})
    actual_start_date = fields.String(allow_none=True, metadata={"format": "date"})
    actual_end_date = fields.String(allow_none=True, metadata={"format": "date"})
    status = fields.String()
    gender_marker = fields.String()
    gender_outputs_planned = fields.Integer()
    gender_outputs_delivered = fields.Integer()
    client_rating = fields.Integer(allow_none=True)
    client_feedback = fields.String(allow_none=True)
    allocation_id = fields.Integer(allow_none=True)
    allocation_purpose = fields.String(allow_none=True)
    surge_request_id = fields.Integer(allow_none=True)
    surge_request = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "Send it back with a change (or If-Match the ETag)."})


@blp.route("")
class Deployments(MethodView):
    @blp.arguments(DeploymentQuery, **QUERY_ARGS)
    @blp.response(200, DeploymentPageSchema)
    @also_geojson(blp, "A page of deployments, or with format=geojson a FeatureCollection of the same page "
                       "(points: the site, else the mission HQ).")
    @problems(blp, 401, 403, 404)
    def get(self, query: dict[str, Any]) -> object:
        """List deployments overlapping a date range, in a box, by mission, status, kind or capacity."""
        principal = require(Permission.VIEW_OPERATIONS)
        filt = deployments.DeploymentFilter(
            mission=query["mission"], start=query["start"], end=query["end"], bbox=query["bbox"],
            status=query["status"], kind=query["kind"], capacity=query["capacity"],
            paging=paging(query, hub().settings.api_max_page_size),
        )
        with db_session() as s:
            if query["format"] == "geojson":
                return geojson_response(deployments.deployments_feature_collection(s, principal, filt))
            return deployments.list_deployments(s, principal, filt)

    @blp.arguments(DeploymentInSchema)
    @blp.response(201, DeploymentDetailSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403)
    def post(self, body: dict[str, Any]) -> object:
        """Record a deployment of any kind (start-up, surge, assessment, mission-manager visit, technical
        assistance, training …). 422 lists each field's problem; dates that overlap another deployment of the
        expert are refused with that deployment's mission and dates."""
        principal = require(Permission.MANAGE_PERSONNEL)
        with db_session() as s:
            made = records.record_deployment(s, principal, body, origin=request_origin())
            return with_etag(records.deployment_detail(s, principal, made.id), 201)


@blp.route("/<int:deployment_id>")
class DeploymentDetail(MethodView):
    @blp.response(200, DeploymentDetailSchema, headers=ETAG_HEADER)
    @problems(blp, 401, 403, 404)
    def get(self, deployment_id: int) -> object:
        """One deployment; its ETag is for If-Match on a change."""
        principal = require(Permission.VIEW_OPERATIONS)
        with db_session() as s:
            return with_etag(records.deployment_detail(s, principal, deployment_id))

    @blp.arguments(DeploymentPatchSchema)
    @blp.response(200, DeploymentDetailSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def patch(self, body: dict[str, Any], deployment_id: int) -> object:
        """Change the fields given: dates, kind, status, gender marker, outputs, rating and feedback, allocation."""
        principal = require(Permission.MANAGE_PERSONNEL)
        data = {k: v for k, v in body.items() if k != "version"}
        with db_session() as s:
            # A change refused whatever the version is a 422 (every problem) before versions are compared.
            records.check_change(s, principal, deployment_id, data)
            version = _version(s, deployment_id, body)
            records.update_deployment(s, principal, deployment_id, data, version=version, origin=request_origin())
            return with_etag(records.deployment_detail(s, principal, deployment_id))

    @blp.arguments(_Versioned)
    @blp.response(204)
    @blp.doc(parameters=[IF_MATCH])
    @problems(blp, 401, 403, 404, 409, 412, 428)
    def delete(self, body: dict[str, Any], deployment_id: int) -> object:
        """Delete a deployment recorded in error (the audit log keeps what it was); refused (422) when spending
        is recorded against it: cancel it instead (PATCH status=cancelled)."""
        principal = require(Permission.MANAGE_PERSONNEL)
        with db_session() as s:
            version = _version(s, deployment_id, body)
            records.delete_deployment(s, principal, deployment_id, version=version, origin=request_origin())
        return "", 204


def _version(session: Any, deployment_id: int, body: dict[str, Any]) -> int:
    current = records.load_deployment(session, deployment_id).version  # an unknown id is a 404 first
    return expected_version(current, body, what="deployment")


def _action(name: str, doc: str, schema: type[Schema]) -> None:
    """POST /<id>/<name>: one of the named changes, each its own audit action."""

    @blp.route(f"/<int:deployment_id>/{name}", endpoint=f"deployment_{name}")
    class Action(MethodView):
        @blp.arguments(schema)
        @blp.response(200, DeploymentDetailSchema, headers=ETAG_HEADER)
        @blp.doc(parameters=[IF_MATCH], summary=doc, description=doc)
        @problems(blp, 401, 403, 404, 409, 412, 428)
        def post(self, body: dict[str, Any], deployment_id: int) -> object:
            principal = require(Permission.MANAGE_PERSONNEL)
            # A malformed date is a 422 before any version is compared.
            records.BOOK.clean({k: v for k, v in body.items() if k != "version"}, partial=True)
            with db_session() as s:
                version = _version(s, deployment_id, body)
                if name == "complete":
                    records.complete(s, principal, deployment_id, body["actual_start_date"],
                                     body["actual_end_date"], version=version, origin=request_origin())
                else:
                    change = records.extend if name == "extend" else records.curtail
                    change(s, principal, deployment_id, body["end_date"], version=version, origin=request_origin())
                return with_etag(records.deployment_detail(s, principal, deployment_id))

    Action.__name__ = f"Deployment{name.title()}"


_action("extend", "Extend: a later planned end (422 when it runs into the expert's next deployment).", EndInSchema)
_action("curtail", "Curtail: an earlier planned end, not before the start.", EndInSchema)
_action("complete", "Complete with the days the expert actually arrived and left.", CompleteInSchema)
