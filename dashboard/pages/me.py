"""My profile (/me): an expert user's own record, and the only page of the expert role.

Read-only: the profile, skills, clearances and trainings with their validity, the deployment history. Kept by the
expert: languages (add, change the level, remove) and absences (declare, change, withdraw). The forms, lists and
callbacks are the planner's (dashboard/pages/expert.py) under this page's ids; the services are the planner's
too, and they check that the record is the principal's own (the client's store is never trusted for it).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask_login import current_user

from dashboard.context import db_session
from dashboard.i18n import DEPLOYMENT_STATUS_LABELS, _, _l, current_locale
from dashboard.pages.expert import (
    PartPage,
    _header,
    _lists,
    _part_card,
    _profile,
    _reference_options,
    part_callbacks,
    remove_callback,
)
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services import experts
from services.access import Permission
from services.formatting import day

PREFIX = "me"
ROW = "me-row"
# The parts of the record, left column then right: the expert keeps experts.OWN_PARTS, reads the others.
LEFT = ("skills", "clearances", "trainings")
RIGHT = ("languages", "absences")


class Ids:
    EXPERT = "me-expert"
    VERSION = "me-version"
    REFRESH = "me-refresh"
    HEADER = "me-header"
    PROFILE = "me-profile"
    MESSAGE = "me-message"
    DEPLOYMENTS = "me-deployments"


ME_PAGE = PartPage(PREFIX, ROW, Permission.MANAGE_OWN_AVAILABILITY, Ids.EXPERT, Ids.VERSION, Ids.REFRESH,
                   Ids.MESSAGE, lambda _stored: current_user.principal.own_expert())


@page_layout(Permission.MANAGE_OWN_AVAILABILITY)
def layout(**_kwargs: object) -> Any:
    with db_session() as s:
        options = {"language": _reference_options(s)["language"]}
    card = {name: _part_card(name, options, name in experts.OWN_PARTS, PREFIX, columns=2)
            for name in (*LEFT, *RIGHT)}
    return html.Div([
        dcc.Store(id=Ids.EXPERT),
        dcc.Store(id=Ids.VERSION),
        dcc.Store(id=Ids.REFRESH, data=0),
        html.Div(id=Ids.HEADER),
        html.P(_("Keep your languages and absences up to date: the planners see them when they look for experts "
                 "for a mission. Absences that have ended and the rest of your record are kept by the planners; "
                 "tell them if something is wrong."),
               className="text-muted small"),
        html.Div(id=Ids.MESSAGE),
        dbc.Row([
            dbc.Col([card[name] for name in RIGHT], lg=6),
            dbc.Col([
                dbc.Card([dbc.CardHeader(html.H2(_("Profile"), className="h6 mb-0")),
                          dbc.CardBody(html.Div(id=Ids.PROFILE))], className="mb-3"),
                *[card[name] for name in LEFT],
                dbc.Card([dbc.CardHeader(html.H2(_("Deployment history"), className="h6 mb-0")),
                          dbc.CardBody(html.Div(id=Ids.DEPLOYMENTS))], className="mb-3"),
            ], lg=6),
        ]),
    ])


def _deployments(record: dict[str, Any], locale: str) -> Any:
    rows = [html.Li([html.Strong(d["mission"]), html.Span(f" — {d['site']}" if d["site"] else ""),
                     html.Br(),
                     html.Small(f"{day(d['start_date'], locale)} – {day(d['end_date'], locale)} · "
                                + str(DEPLOYMENT_STATUS_LABELS.get(d["status"], d["status"])), className="text-muted")],
                    className="list-group-item px-0")
            for d in reversed(record["deployments"])]
    return html.Ul(rows, className="list-group list-group-flush") if rows else \
        html.P(_("None recorded."), className="text-muted small mb-0")


LIST_OUTPUTS = [Output(f"{PREFIX}-{name}-list", "children") for name in (*LEFT, *RIGHT)]


@secured_callback(
    Output(Ids.HEADER, "children"), Output(Ids.PROFILE, "children"), Output(Ids.DEPLOYMENTS, "children"),
    Output(Ids.VERSION, "data"), Output(Ids.EXPERT, "data"), *LIST_OUTPUTS,
    Input(Ids.REFRESH, "data"),
    roles=Permission.MANAGE_OWN_AVAILABILITY,
)
def show_own_record(_refresh: int) -> tuple[Any, ...]:
    locale = current_locale()
    with db_session() as s:
        record = experts.own_record(s, current_user.principal, locale=locale)
    lists = _lists(record, experts.OWN_PARTS, locale, ROW, past_absences_editable=False)
    return (_header(record), _profile(record, locale), _deployments(record, locale), record["version"],
            record["id"], *[lists[name] for name in (*LEFT, *RIGHT)])


for _name in sorted(experts.OWN_PARTS):
    part_callbacks(_name, ME_PAGE)
remove_callback(ME_PAGE)


def title(**_kwargs: object) -> str:
    return _("My profile") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/me", name="My profile", title=title, nav_label=_l("My profile"),
                   order=1, permission=Permission.MANAGE_OWN_AVAILABILITY)
