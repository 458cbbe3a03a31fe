"""The page frame: navigation filtered by role, language switch, user menu, and Dash's page container."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, dcc, html
from flask import request
from flask_babel.speaklater import LazyString
from flask_login import current_user

from dashboard.i18n import LANGUAGES, _, _l
from dashboard.roles import role_label
from dashboard.security.auth import csrf_token
from dashboard.security.callbacks import secured_callback, secured_clientside_callback
from models.enums import Role
from services.access import ALL_ROLES, Permission

NAV_TOGGLER = "shell-nav-toggler"
NAV_COLLAPSE = "shell-nav-collapse"
NAV_GROUPS_SHOWN = "shell-nav-groups"  # {dropdown id: [[item id, href], ...]}: what marks the current page


# The record pages, grouped so that an admin's navbar (some fifteen pages, longer in French) fits on one row
# at 1440 px. A page listed nowhere here stays a link of its own, so a new page is never out of reach.
NAV_GROUPS: tuple[tuple[str, LazyString, tuple[str, ...]], ...] = (
    ("personnel", _l("Personnel"), ("/experts", "/surge")),
    ("money", _l("Money & projects"), ("/funding", "/projects")),
    ("knowledge", _l("Knowledge"), ("/assessments", "/recommendations", "/lessons", "/knowledge")),
    ("data", _l("Data"), ("/layers", "/quality")),
)
# Inside its group a page may need a fuller name: "Knowledge" under "Knowledge" would say nothing.
NAV_LABELS_IN_GROUP: dict[str, LazyString] = {"/knowledge": _l("Search the knowledge")}


def _nav_items() -> tuple[list[Any], dict[str, list[list[str]]]]:
    """The pages the user's role may open, in their order; a group sits where its first page would. With them,
    the dropdowns shown and their items (id, path), for the callback that marks the page being shown."""
    shown: list[tuple[str, str, str]] = []  # (path, label, element id)
    # "or 99" would send order 0 (Home) to the end.
    for page in sorted(dash.page_registry.values(), key=lambda p: 99 if p.get("order") is None else p["order"]):
        label = page.get("nav_label")
        permission = page.get("permission")
        if label is None or not isinstance(permission, Permission) or not current_user.can(permission):
            continue
        shown.append((page["path"], str(label), f"nav-{page['module'].rsplit('.', 1)[-1]}"))
    group_of = {path: group for group in NAV_GROUPS for path in group[2]}
    items: list[Any] = []
    groups: dict[str, list[list[str]]] = {}
    for path, label, element_id in shown:
        group = group_of.get(path)
        members = [entry for entry in shown if group and group_of.get(entry[0]) is group]
        if group is None or len(members) < 2:  # a group of one page is just that page's link
            items.append(dbc.NavItem(dbc.NavLink(label, href=path, active="exact", id=element_id)))
        elif f"nav-group-{group[0]}" not in groups:
            groups[f"nav-group-{group[0]}"] = [[item_id, href] for href, _text, item_id in members]
            items.append(dbc.DropdownMenu(
                [dbc.DropdownMenuItem(str(NAV_LABELS_IN_GROUP.get(href, text)), href=href, id=item_id)
                 for href, text, item_id in members],
                label=str(group[1]), nav=True, in_navbar=True, id=f"nav-group-{group[0]}",
                toggle_class_name="hub-nav-group"))
    return items, groups


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


# Opening the menu is the browser's business: no round trip, and the same for every role. The toggler opens
# and closes it; following a link closes it (Dash's page routing keeps the shell, and so the open menu).
secured_clientside_callback(
    "function (n, pathname, open) {"
    f" return window.dash_clientside.callback_context.triggered_id === '{NAV_TOGGLER}' ? !open : false; }}",
    Output(NAV_COLLAPSE, "is_open"), Input(NAV_TOGGLER, "n_clicks"), Input("_pages_location", "pathname"),
    dash.State(NAV_COLLAPSE, "is_open"), roles=ALL_ROLES, prevent_initial_call=True,
)


# The dropdown holding the page shown, and its item, are marked active (assets/hub_nav.js), in the browser.
secured_clientside_callback(
    ClientsideFunction(namespace="hubNav", function_name="markCurrent"),
    Output(NAV_GROUPS_SHOWN, "data"), Input("_pages_location", "pathname"), State(NAV_GROUPS_SHOWN, "data"),
    roles=ALL_ROLES,
)


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
    # Below the xxl breakpoint (1400 px) the links, languages and user menu fold behind the toggler: a phone's
    # navbar would otherwise stack to ~300 px, and below ~1400 px the French labels no longer fit on one bar.
    nav_items, nav_groups = _nav_items()
    navbar = dbc.Navbar(
        dbc.Container([
            # An expert user has one page, their own record: "/" would only redirect there.
            dbc.NavbarBrand(_("Standing Capacities Hub"), href="/me" if current_user.role == Role.EXPERT else "/"),
            # Bootstrap's toggler markup; dbc.NavbarToggler takes no aria-label to name it in the language.
            html.Button(html.Span(className="navbar-toggler-icon"), id=NAV_TOGGLER, n_clicks=0, type="button",
                        className="navbar-toggler", title=_("Menu"),
                        **{"aria-label": _("Menu"), "aria-controls": NAV_COLLAPSE}),
            dbc.Collapse([
                # Expanded, hub-nav (hub.css) is a full row under the languages and user menu: an admin's pages,
                # grouped and in French, fit on one row there.
                dbc.Nav(nav_items, navbar=True, className="me-auto hub-nav"),
                html.Div(_language_links(), className="d-flex me-3 ms-auto"),
                user_menu,
            ], id=NAV_COLLAPSE, is_open=False, navbar=True),
        ], fluid=True),
        color="primary", dark=True, expand="xxl", className="mb-3", id="shell-navbar",
    )
    return html.Div([
        navbar,
        dcc.Store(id=NAV_GROUPS_SHOWN, data=nav_groups),
        dbc.Container(dash.page_container, fluid=True, id="page"),
        html.Footer(_("Demo data is generated and marked as such; reference data from Natural Earth, "
                      "the UN Peace and Security Data Hub and Geo-PKO."),
                    className="container-fluid small text-muted py-3"),
    ])
