"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from models.errors import HubError


class PreconditionRequired(HubError):
    """A change without the version it was made against (RFC 6585)."""

    status = 428
    title = "Precondition Required"


class PreconditionFailed(HubError):
    """If-Match names a version that is no longer the record's (RFC 9110)."""

    status = 412
    title = "Precondition Failed"


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response
