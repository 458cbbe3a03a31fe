"""What the administration pages share: the admin-only rule (a 403 for the page's address itself, not only
its content), the tabs between the pages, and how times and errors are shown."""

from __future__ import annotations

from datetime import datetime

import dash
import dash_bootstrap_components as dbc
from flask import Flask, Response, request
from flask_login import current_user

from dashboard.i18n import _
from services.access import Permission
from services.errors import Conflict, Forbidden, HubError, NotFound

ADMIN_PERMISSION = Permission.MANAGE_USERS
ADMIN_PREFIX = "/admin"


def refuse_other_roles() -> Response | None:
    """Runs after the login guard: a logged-in user whose role may not administer gets 403 at /admin/…"""
    path = request.path
    if (path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")) and current_user.is_authenticated \
            and not current_user.can(ADMIN_PERMISSION):
        body = _("Your role does not give access to this page. Ask an administrator if you need it.")
        return Response(body + "\n", status=403, mimetype="text/plain")
    return None


def init_admin_guard(server: Flask) -> None:
    if refuse_other_roles not in server.before_request_funcs.get(None, []):
        server.before_request(refuse_other_roles)


def tabs(active: str) -> dbc.Nav:
    pages = [("/admin/users", _("Users")), ("/admin/tokens", _("Access tokens")), ("/admin/audit", _("Audit log"))]
    return dbc.Nav([dbc.NavItem(dbc.NavLink(label, href=href, active=href == active)) for href, label in pages],
                   pills=True, className="mb-3", id="admin-tabs")


def when(value: datetime | None) -> str:
    # UTC, to the minute: the log's times compare across offices.
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def error_message(error: HubError) -> str:
    """The translated sentence for a service's refusal."""
    if isinstance(error, Forbidden):
        return _("You cannot deactivate or demote yourself; ask another administrator.")
    if isinstance(error, Conflict):
        return _("This is the last active administrator; make another user an administrator first.")
    if isinstance(error, NotFound):
        return _("This record no longer exists; reload the page.")
    return _("The change was refused: %(reason)s", reason=str(error))


# Pages are imported once the Dash app exists (dashboard/pages/__init__.py), so its server is there.
init_admin_guard(dash.get_app().server)
