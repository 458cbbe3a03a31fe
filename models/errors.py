"""Typed errors of every layer; the web, API and CLI translate them into messages and status codes.

They live in models, the lowest layer, so that geo and services alike can raise them.
"""

from __future__ import annotations


class HubError(Exception):
    """Base class: ``str(error)`` is a message fit to show the user (what went wrong, how to fix it)."""

    status = 400
    title = "Bad request"


class ValidationError(HubError):
    status = 422
    title = "Invalid input"


class NotFound(HubError):
    status = 404
    title = "Not found"


class Forbidden(HubError):
    status = 403
    title = "Forbidden"


class Conflict(HubError):
    status = 409
    title = "Conflict"


class Unavailable(HubError):
    """The hub cannot answer now, but will (a long job's queue is full, a worker's child is being replaced)."""

    status = 503
    title = "Service unavailable"
