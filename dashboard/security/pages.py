"""Page-level role checks: a layout function refuses, with a message, a user whose role may not open it; and
Dash's index answers 403 for such a page and 404 for a path no page serves (the friendly page still renders)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html
from dash._pages import _path_to_page
from flask import Response, request
from flask_login import current_user

from dashboard.i18n import _, localize_components
from models.enums import Role
from services.access import Permission, roles_with

# Dash's router falls back to the page registered under a module named like this (dash/_pages.py).
NOT_FOUND_MODULE = "dashboard.pages.not_found_404"


def allowed_roles(roles: Permission | Iterable[Role]) -> frozenset[Role]:
    return roles_with(roles) if isinstance(roles, Permission) else frozenset(Role(r) for r in roles)


def friendly_notice(heading: str, text: str, element_id: str) -> Any:
    """The one friendly page for a refused or unknown address (403 and 404 differ only in their words)."""
    return dbc.Alert([html.H4(heading, className="alert-heading"), html.P(text),
                      html.A(_("Back to the home page"), href="/", className="alert-link")],
                     color="warning" if element_id == "page-forbidden" else "secondary", id=element_id)


def forbidden_notice() -> Any:
    return friendly_notice(_("Not available to your role"),
                           _("Your role does not give access to this page. Ask an administrator if you need it."),
                           "page-forbidden")


def not_found_notice() -> Any:
    return friendly_notice(_("Page not found"),
                           _("There is no page at this address. Check the link, or start again from the home page."),
                           "page-not-found")


def page_layout(roles: Permission | Iterable[Role]) -> Callable:
    allowed = allowed_roles(roles)

    def decorate(layout: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(layout)
        def checked(**kwargs: Any) -> Any:
            if not current_user.is_authenticated or current_user.role not in allowed:
                return forbidden_notice()
            # Every page's dropdowns, date pickers, grids and charts speak the page's language.
            return localize_components(layout(**kwargs))

        checked.allowed_roles = allowed  # type: ignore[attr-defined]
        return checked

    return decorate


def page_status(path: str, role: Role | None) -> int:
    """The HTTP status of the page Dash will render at ``path`` (relative, no prefix) for ``role``."""
    # Dash's own matcher (private, but the one its router calls), so the status names the very page shown.
    page, variables = _path_to_page(path.strip("/"))
    if not page or page.get("module") == NOT_FOUND_MODULE:
        return 404
    # A page with a path template may say which values it serves (/experts/<id>: a number or "new").
    valid = page.get("valid_variables")
    if valid is not None and not valid(variables or {}):
        return 404
    allowed = getattr(page.get("layout"), "allowed_roles", None)
    if allowed is not None and role not in allowed:
        return 403
    return 200


def init_page_status(app: dash.Dash) -> None:
    """Sets the status of Dash's index responses: the friendly page is the body, the status tells the truth."""
    prefix = app.config.routes_pathname_prefix
    index_endpoints = {prefix, f"{prefix}<path:path>"}

    @app.server.after_request
    def set_page_status(response: Response) -> Response:
        if (request.endpoint in index_endpoints and response.status_code == 200
                and current_user.is_authenticated):
            response.status_code = page_status(app.strip_relative_path(request.path) or "", current_user.role)
        return response
