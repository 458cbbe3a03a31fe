"""The page frame: navigation filtered by role, language switch, user menu, and Dash's page container."""

from __future__ import annotations

from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask import request
from flask_login import current_user

from dashboard.i18n import LANGUAGES, _
from dashboard.roles import role_label
from dashboard.security.auth import csrf_token
from dashboard.security.callbacks import secured_callback
from services.access import ALL_ROLES, Permission


def _nav_items() -> list[dbc.NavItem]:
    items = []
    # "or 99" would send order 0 (Home) to the end.
    for page in sorted(dash.page_registry.values(), key=lambda p: 99 if p.get("order") is None else p["order"]):
        label = page.get("nav_label")
        permission = page.get("permission")
        if label is None or not isinstance(permission, Permission) or not current_user.can(permission):
            continue
        items.append(dbc.NavItem(dbc.NavLink(str(label), href=page["path"], active="exact",
                                             id=f"nav-{page['module'].rsplit('.', 1)[-1]}")))
    return items


def _language_links() -> list:
    # The shell is built inside /_dash-layout, whose path is no page to come back to; the
    # callback below points the links at the page actually shown.
    here = "/" if request.path.startswith("/_dash-") else request.full_path.rstrip("?")
    return [html.A(label, href=f"/lang/{code}?next={quote(here)}", lang=code, className="nav-link link-light px-2",
                   id=f"lang-{code}") for code, label in LANGUAGES.items()]


@secured_callback(
    [Output(f"lang-{code}", "href") for code in LANGUAGES],
    Input("_pages_location", "pathname"), Input("_pages_location", "search"),
    roles=ALL_ROLES,
)
def point_language_links(pathname: str | None, search: str | None) -> list[str]:
    """Follows Dash's page routing, which does not rebuild the shell, so the switch keeps the page shown."""
    # /lang/<code> checks that next stays on this site.
    here = quote(f"{pathname or '/'}{search or ''}", safe="")
    return [f"/lang/{code}?next={here}" for code in LANGUAGES]


def layout() -> html.Div:
    # Built per request: the language and the user's role decide what the frame shows.
    if not current_user.is_authenticated:
        return html.Div(dcc.Location(id="shell-redirect", href="/login"))
    shown_role = role_label(current_user.role)
    user_menu = html.Div([
        html.Span(f"{current_user.display_name} · {shown_role}", className="navbar-text me-3", id="shell-user"),
        html.Form([
            dcc.Input(type="hidden", name="csrf", value=csrf_token()),
            html.Button(_("Log out"), type="submit", className="btn btn-outline-light btn-sm", id="logout"),
        ], action="/logout", method="POST", className="d-inline"),
    ], className="d-flex align-items-center")
    navbar = dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand(_("Standing Capacities Hub"), href="/"),
            # hub-nav (hub.css) wraps the entries instead of pushing the user menu off screen when they are many
            # and long (an admin's, in French).
            dbc.Nav(_nav_items(), navbar=True, className="me-auto hub-nav"),
            html.Div(_language_links(), className="d-flex me-3"),
            user_menu,
        ], fluid=True),
        color="primary", dark=True, className="mb-3",
    )
    return html.Div([
        navbar,
        dbc.Container(dash.page_container, fluid=True, id="page"),
        html.Footer(_("Demo data is generated and marked as such; reference data from Natural Earth, "
                      "the UN Peace and Security Data Hub and Geo-PKO."),
                    className="container-fluid small text-muted py-3"),
    ])
