"""Experts: who can do what, and who is deployed, unavailable or available today. Names only for roles allowed."""

from __future__ import annotations

import re
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask_babel import get_locale
from flask_login import current_user

from dashboard.context import db_session
from dashboard.i18n import LANGUAGE_LEVEL_LABELS, _, _l, ngettext
from dashboard.pages.expert import change_what
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from models.enums import Gender
from services.access import Permission
from services.expert_overview import ExpertFilter, ExpertState, expert_filter_options, expert_overview
from services.experts import self_service_changes
from services.formatting import day


class Ids:
    CAPACITY = "experts-capacity"
    SKILL = "experts-skill"
    LANGUAGE = "experts-language"
    AVAILABLE_ONLY = "experts-available-only"
    GRID = "experts-grid"
    COUNT = "experts-count"
    NEW = "experts-new"
    IMPORT = "experts-import"
    SELF_SERVICE = "experts-self-service"


NATIVE = re.compile(r"\bnative\b")
MARKDOWN_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+\-.!<>|]")
GENDERS = {
    Gender.FEMALE.value: _l("Female"),
    Gender.MALE.value: _l("Male"),
    Gender.OTHER.value: _l("Other"),
    Gender.UNDISCLOSED.value: _l("Undisclosed"),
}


def _headers() -> dict[str, dict[str, object]]:
    return {
        "name": {"headerName": _("Name"), "pinned": "left", "minWidth": 200, "cellRenderer": "markdown"},
        "capacity": {"headerName": _("Capacity"), "width": 110},
        "gender": {"headerName": _("Gender"), "width": 120},
        "nationality": {"headerName": _("Nationality"), "flex": 1, "minWidth": 150},
        "grade": {"headerName": _("Grade"), "width": 100},
        "skills": {"headerName": _("Skills"), "flex": 2, "minWidth": 240, "tooltipField": "skills"},
        "languages": {"headerName": _("Languages"), "flex": 1, "minWidth": 150},
        # Flexible too, so the grid fills its width for roles that see no skills or languages.
        "status": {"headerName": _("Status today"), "flex": 1, "minWidth": 220},
    }


def _column_defs(columns: tuple[str, ...]) -> list[dict[str, object]]:
    headers = _headers()
    # "mission" is folded into the status text; only the keys the service sent become columns.
    return [{"field": key, **headers[key]} for key in columns if key in headers]


def _status(state: str, mission: str | None) -> str:
    if state == ExpertState.DEPLOYED:
        return _("Deployed at %(mission)s", mission=mission or "?")
    if state == ExpertState.UNAVAILABLE:
        return _("Unavailable")
    return _("Available")


def _records(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    out = []
    for row in rows:
        record = {k: v for k, v in row.items() if k not in ("mission", "id")}
        if "id" in row and "name" in row:  # the name opens the expert's page (markdown: no HTML goes through)
            shown = MARKDOWN_SPECIAL.sub(r"\\\g<0>", str(row["name"]))
            record["name"] = f"[{shown}](/experts/{int(row['id'])})"
        record["gender"] = str(GENDERS.get(str(row["gender"]), row["gender"]))
        record["status"] = _status(str(row["status"]), row["mission"])  # type: ignore[arg-type]
        if "languages" in record:  # "FR C2, EN native": the levels are codes, "native" is a word
            record["languages"] = NATIVE.sub(str(LANGUAGE_LEVEL_LABELS["native"]), str(record["languages"] or ""))
        out.append(record)
    return out


def _self_service() -> list[Any]:
    """What experts changed on their own records in the last 30 days (languages, absences), for the planners."""
    if not current_user.principal.can(Permission.VIEW_PERSONNEL_DETAIL):
        return []
    locale = str(get_locale())
    with db_session() as s:
        rows = self_service_changes(s, current_user.principal, days=30)
    items = [html.Li([html.Span(day(c.at.date(), locale) + " · ", className="text-muted"),
                      dcc.Link(c.expert_name or "?", href=f"/experts/{c.expert_id}"),
                      html.Span(" · " + change_what(c))]) for c in rows]
    summary = ngettext("Changed by experts themselves in the last 30 days: %(num)d change",
                       "Changed by experts themselves in the last 30 days: %(num)d changes", len(rows))
    return [html.Details([html.Summary(summary, className="small"),
                          html.Ul(items, className="small mt-2 mb-0") if items else None],
                         id=Ids.SELF_SERVICE, className="mt-3")]


def _shown(visible: bool) -> dict[str, str]:
    return {} if visible else {"display": "none"}


@page_layout(Permission.VIEW_OPERATIONS)
def layout(**_kwargs: object) -> html.Div:
    with db_session() as s:
        options = expert_filter_options(s, locale=str(get_locale()))
    # Filters on fields this role may not see (services.access.EXPERT_FIELD_RULES) stay hidden: they would tell it.
    sees = current_user.principal.expert_fields()
    capacities = [{"label": _("Both capacities"), "value": 0}] + [
        {"label": o.label, "value": o.value} for o in options.capacities
    ]
    new = [html.Div([dcc.Link(_("Import the roster"), href="/experts/import", id=Ids.IMPORT,
                              className="btn btn-outline-primary btn-sm"),
                     dcc.Link(_("New expert"), href="/experts/new", id=Ids.NEW, className="btn btn-primary btn-sm")],
                    className="d-flex gap-2")] \
        if current_user.principal.can(Permission.MANAGE_PERSONNEL) else []
    return html.Div([
        html.Div([html.H1(_("Experts"), className="h3 mb-0"), *new],
                 className="d-flex justify-content-between align-items-center mb-2 flex-wrap gap-2"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id=Ids.CAPACITY, options=capacities, value=0, clearable=False), md=6, lg=3),
            dbc.Col(dcc.Dropdown(id=Ids.SKILL, options=[{"label": o.label, "value": o.value} for o in options.skills],
                                 placeholder=_("Any skill")), md=6, lg=3, style=_shown("skills" in sees)),
            dbc.Col(dcc.Dropdown(id=Ids.LANGUAGE,
                                 options=[{"label": o.label, "value": o.value} for o in options.languages],
                                 placeholder=_("Any language")), md=6, lg=2, style=_shown("languages" in sees)),
            dbc.Col(dbc.Switch(id=Ids.AVAILABLE_ONLY, label=_("Available today only"), value=False), md=3, lg=2,
                    className="pt-2"),
            dbc.Col(html.Div(id=Ids.COUNT, className="text-muted pt-2"), md=3, lg=2),
        ], className="mb-3 g-2"),
        dag.AgGrid(
            id=Ids.GRID,
            columnDefs=[],
            rowData=[],
            defaultColDef={"sortable": True, "filter": True, "resizable": True},
            dashGridOptions={"animateRows": False,
                             "localeText": {"noRowsToShow": _("No experts match these filters."),
                                            "noMatchingRows": _("No rows match the search.")}},
            style={"height": "70vh"},
        ),
        *_self_service(),
    ])


@secured_callback(
    Output(Ids.GRID, "rowData"), Output(Ids.GRID, "columnDefs"), Output(Ids.COUNT, "children"),
    Input(Ids.CAPACITY, "value"), Input(Ids.SKILL, "value"), Input(Ids.LANGUAGE, "value"),
    Input(Ids.AVAILABLE_ONLY, "value"),
    roles=Permission.VIEW_OPERATIONS,
)
def show_experts(capacity_id: int | None, skill_id: int | None, language: str | None,
                 available_only: bool | None) -> tuple[list[dict[str, object]], list[dict[str, object]], str]:
    filters = ExpertFilter(
        capacity_id=int(capacity_id) if capacity_id else None,
        skill_id=int(skill_id) if skill_id else None,
        language_code=str(language)[:3] if language else None,
        available_only=bool(available_only),
    )
    with db_session() as s:
        table = expert_overview(s, current_user.principal, filters, locale=str(get_locale()))
    count = ngettext("%(num)d expert", "%(num)d experts", len(table.rows))
    return _records(table.rows), _column_defs(table.columns), count


def title(**_kwargs: object) -> str:
    # A function, so the browser tab follows the language of each request.
    return _("Experts") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/experts", name="Experts", title=title,
                   nav_label=_l("Experts"), order=20, permission=Permission.VIEW_OPERATIONS)
