"""Page-level role checks: a layout function refuses, with a message, a user whose role may not open it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import dash_bootstrap_components as dbc
from dash import html
from flask_login import current_user

from dashboard.i18n import _
from models.enums import Role
from services.access import Permission, roles_with


def allowed_roles(roles: Permission | Iterable[Role]) -> frozenset[Role]:
    return roles_with(roles) if isinstance(roles, Permission) else frozenset(Role(r) for r in roles)


def forbidden_notice() -> Any:
    return dbc.Alert(
        [html.H4(_("Not available to your role"), className="alert-heading"),
         html.P(_("Your role does not give access to this page. Ask an administrator if you need it."))],
        color="warning", id="page-forbidden",
    )


def page_layout(roles: Permission | Iterable[Role]) -> Callable:
    allowed = allowed_roles(roles)

    def decorate(layout: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(layout)
        def checked(**kwargs: Any) -> Any:
            if not current_user.is_authenticated or current_user.role not in allowed:
                return forbidden_notice()
            return layout(**kwargs)

        checked.allowed_roles = allowed  # type: ignore[attr-defined]
        return checked

    return decorate
