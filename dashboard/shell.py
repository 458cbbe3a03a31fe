"""The page frame: navigation filtered by role, language switch, user menu, and Dash's page container."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import request
from flask_login import current_user

from dashboard.i18n import LANGUAGES, _
from dashboard.security.auth import csrf_token
from services.access import Permission


def _nav_items() -> list[dbc.NavItem]:
    items = []
    for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 99):
        label = page.get("nav_label")
        permission = page.get("permission")
        if label is None or not isinstance(permission, Permission) or not current_user.can(permission):
            continue
        items.append(dbc.NavItem(dbc.NavLink(str(label), href=page["path"], active="exact",
                                             id=f"nav-{page['module'].rsplit('.', 1)[-1]}")))
    return items


def _language_links() -> list:
    here = request.full_path.rstrip("?") if request else "/"
    return [html.A(label, href=f"/lang/{code}?next={here}", lang=code, className="nav-link px-2",
                   id=f"lang-{code}") for code, label in LANGUAGES.items()]


def layout() -> html.Div:
    # Built per request: the language and the user's role decide what the frame shows.
    if not current_user.is_authenticated:
        return html.Div(dcc.Location(id="shell-redirect", href="/login"))
    user_menu = html.Div([
        html.Span(f"{current_user.display_name} · {_(current_user.role.value)}", className="navbar-text me-3",
                  id="shell-user"),
        html.Form([
            dcc.Input(type="hidden", name="csrf", value=csrf_token()),
            html.Button(_("Log out"), type="submit", className="btn btn-outline-light btn-sm", id="logout"),
        ], action="/logout", method="POST", className="d-inline"),
    ], className="d-flex align-items-center")
    navbar = dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand(_("Standing Capacities Hub"), href="/"),
            dbc.Nav(_nav_items(), navbar=True, className="me-auto"),
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
