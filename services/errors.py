"""Typed errors the services raise; the web and API layers translate them into messages and status codes."""

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
