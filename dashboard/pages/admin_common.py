"""What the administration pages share: the admin-only permission (the pages are registered with it, so another role
gets the friendly page with a 403, dashboard.security.pages.page_status), the tabs between the pages, and how times
and errors are shown."""

from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc

from dashboard.i18n import _
from services.access import Permission
from services.errors import Conflict, Forbidden, HubError, NotFound

ADMIN_PERMISSION = Permission.MANAGE_USERS


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

