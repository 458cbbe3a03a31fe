"""The API's side of the record pattern: a rule book's problems as problem+json, versions as ETags.

``errors`` has one shape for every 422: a list of ``{"field", "code", "message"}`` (an import's adds ``row`` and
``column``), whether a rule book refused a record or the query string was malformed (``field`` is then
``query.<name>`` or ``json.<name>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request as http_request
from werkzeug.wrappers import Response

from dashboard.api.problems import PreconditionFailed, PreconditionRequired, problem
from dashboard.i18n import _, ngettext
from services.records import Problem, Problems, StaleEdit, VersionRequired, message
from services.records.imports import CellProblem, cell_message


def error_item(p: Problem) -> dict[str, Any]:
    item: dict[str, Any] = {"field": p.field, "code": p.code, "message": message(p, _, ngettext)}
    if isinstance(p, CellProblem):
        item.update(row=p.row, column=p.column, message=cell_message(p, _, ngettext))
    return item


def problems_response(error: Problems, status: int = 422, title: str = "Invalid input") -> Response:
    found = [error_item(p) for p in error.problems]
    return problem(status, title, " ".join(f"{e['field']}: {e['message']}" for e in found), errors=found)


def stale_response(error: StaleEdit) -> Response:
    return problem(409, "Conflict", str(error), errors=[error_item(error.problem)], changed_by=error.by,
                   changed_at=error.at.isoformat() if error.at else None, fields=error.fields,
                   current_version=error.current)


def version_required_response(error: VersionRequired) -> Response:
    return problem(428, "Precondition Required", str(error), errors=[error_item(error.problem)])


def flatten_messages(messages: Mapping[str, Any]) -> list[dict[str, Any]]:
    """webargs' ``{location: {field: [message, …]}}`` as the one list shape (``query.bbox``)."""
    out: list[dict[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, sub in value.items():
                walk(prefix if key == "_schema" else f"{prefix}.{key}", sub)
        elif isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
            out.extend({"field": prefix, "code": "invalid", "message": str(v)} for v in value)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(prefix, v)
        else:
            out.append({"field": prefix, "code": "invalid", "message": str(value)})

    for location, by_field in messages.items():
        walk(str(location), by_field)
    return out


# --- versions as ETags -------------------------------------------------------------------------------------
ETAG_HEADER = {"ETag": {"description": "The record's version, for If-Match on a change.",
                        "schema": {"type": "string", "example": '"v3"'}}}
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "The ETag from GET (e.g. \"v3\"); or send `version` in the body. One of them is "
                           "required: without both, 428; stale If-Match, 412; stale version, 409."}


def etag(version: int) -> str:
    return f'"v{version}"'


def if_match_versions() -> list[int] | None:
    """The versions If-Match names; None without the header. '*' or a weak or foreign tag names none."""
    if "If-Match" not in http_request.headers:
        return None
    tags = http_request.if_match
    if tags.star_tag:
        raise PreconditionRequired("If-Match: * names no version: send the ETag you read (e.g. \"v3\").")
    # An empty If-Match ("") gives werkzeug a None tag: it names no version, like a foreign one. flask-compress
    # (Dash's compress=True) sends a compressed answer's strong ETag with its coding ("v3:gzip"): the same version.
    bare = [t.split(":", 1)[0] for t in tags.as_set() if isinstance(t, str)]
    return [int(t[1:]) for t in bare if t[:1] == "v" and t[1:].isascii() and t[1:].isdigit() and len(t) < 12]


def expected_version(current: int, body: Mapping[str, Any] | None = None, *, what: str = "record") -> int:
    """The version a change was made against: If-Match (412 when stale) or ``version`` in the body (the
    service's check then gives 409 with who changed what). Neither: 428."""
    body = body or {}
    versions = if_match_versions()
    if versions is None:
        if body.get("version") is None:
            raise PreconditionRequired(f"A change to a {what} needs the version you read: send If-Match with "
                                       "the ETag of its GET (e.g. If-Match: \"v3\"), or `version` in the body.")
        return int(body["version"])
    if current not in versions:
        raise PreconditionFailed(f"The {what} is at version {current} ({etag(current)}), not the one If-Match "
                                 "names: someone changed it since you read it. Reload it and try again.")
    if body.get("version") is not None and int(body["version"]) != current:
        raise PreconditionFailed(f"If-Match and version disagree (version {body['version']}, now {current}).")
    return current


def with_etag(detail: dict[str, Any], status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    return detail, status, {"ETag": etag(int(detail["version"]))}


__all__ = ["ETAG_HEADER", "IF_MATCH", "error_item", "etag", "expected_version", "flatten_messages",
           "if_match_versions", "problems_response", "stale_response", "version_required_response", "with_etag"]
