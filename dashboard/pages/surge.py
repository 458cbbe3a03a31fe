"""Surge planner: record a request, follow every request (overdue flagged), the service level against the
target, and the capacity forecast (who is free in 30, 60, 90 days). A request's candidates are on its own
page, ``/surge/requests/<reference>`` (dashboard/pages/surge_request.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask_babel import get_locale
from flask_login import current_user

from dashboard.components.key_figures import figure_card
from dashboard.components.surge_parts import STATUS_LABELS, days_histogram, status_label, timeline_figure
from dashboard.context import db_session, request_origin
from dashboard.i18n import GRID_LOCAL_DATE, _, _l, current_locale
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from models.enums import LanguageLevel, Priority, SurgeStatus
from services.access import Permission
from services.catalog import Paging
from services.errors import HubError
from services.formatting import decimal
from services.surge import forecast, requests
from services.surge.matching import DEFAULT_REQUIRED_CLEARANCES
from services.surge.service_level import request_days, service_level

SKILL_ROWS = 3
LANGUAGE_ROWS = 2
SERVICE_WINDOW_DAYS = 365
TIMELINE_EXPERTS = 25


class Ids:
    # key figures and distribution
    SL_CAPACITY = "surge-sl-capacity"
    SL_FIGURES = "surge-sl-figures"
    SL_CHART = "surge-sl-chart"
    # the form
    MISSION = "surge-form-mission"
    CAPACITY = "surge-form-capacity"
    TITLE = "surge-form-title"
    START = "surge-form-start"
    DURATION = "surge-form-duration"
    EXPERTS = "surge-form-experts"
    PRIORITY = "surge-form-priority"
    BALANCE = "surge-form-balance"
    GENDER_NOTE = "surge-form-gender-note"
    NOTES = "surge-form-notes"
    CLEARANCES = "surge-form-clearances"
    SUBMIT = "surge-form-submit"
    FORM_MESSAGE = "surge-form-message"
    # the list
    STATUS = "surge-list-status"
    OVERDUE = "surge-list-overdue"
    GRID = "surge-list-grid"
    COUNT = "surge-list-count"
    REFRESH = "surge-list-refresh"
    # the forecast
    FC_SKILL = "surge-fc-skill"
    FC_LANGUAGE = "surge-fc-language"
    FC_TEAM = "surge-fc-team"
    FC_FIGURES = "surge-fc-figures"
    FC_TIMELINE = "surge-fc-timeline"

    @staticmethod
    def skill(k: int) -> str:
        return f"surge-form-skill-{k}"

    @staticmethod
    def weight(k: int) -> str:
        return f"surge-form-skill-weight-{k}"

    @staticmethod
    def min_level(k: int) -> str:
        return f"surge-form-skill-min-{k}"

    @staticmethod
    def language(k: int) -> str:
        return f"surge-form-language-{k}"

    @staticmethod
    def language_level(k: int) -> str:
        return f"surge-form-language-level-{k}"


PRIORITIES = {Priority.LOW.value: _l("Low"), Priority.MEDIUM.value: _l("Medium"), Priority.HIGH.value: _l("High"),
              Priority.CRITICAL.value: _l("Critical")}


def _form(options: dict[str, list[dict[str, Any]]]) -> dbc.Card:
    level_options = [{"label": v.value, "value": v.value} for v in LanguageLevel]
    skill_rows = [dbc.Row([
        dbc.Col(dcc.Dropdown(id=Ids.skill(k), options=options["skills"], placeholder=_("Skill")), md=6),
        dbc.Col(dbc.InputGroup([dbc.InputGroupText(_("weight")),
                                dbc.Input(id=Ids.weight(k), type="number", min=0.1, max=10, step=0.1, value=1)]),
                md=3),
        dbc.Col(dbc.InputGroup([dbc.InputGroupText(_("min. level")),
                                dbc.Input(id=Ids.min_level(k), type="number", min=1, max=5, step=1, value=3)]),
                md=3),
    ], className="g-2 mb-2") for k in range(SKILL_ROWS)]
    language_rows = [dbc.Row([
        dbc.Col(dcc.Dropdown(id=Ids.language(k), options=options["languages"], placeholder=_("Language")), md=6),
        dbc.Col(dcc.Dropdown(id=Ids.language_level(k), options=level_options, value="B2", clearable=False), md=3),
    ], className="g-2 mb-2") for k in range(LANGUAGE_ROWS)]
    return dbc.Card(dbc.CardBody([
        html.H2(_("Record a surge request"), className="h5"),
        dbc.Row([
            dbc.Col([dbc.Label(_("Requesting mission"), html_for=Ids.MISSION),
                     dcc.Dropdown(id=Ids.MISSION, options=options["missions"])], md=4),
            dbc.Col([dbc.Label(_("Capacity"), html_for=Ids.CAPACITY),
                     dcc.Dropdown(id=Ids.CAPACITY, options=options["capacities"])], md=2),
            dbc.Col([dbc.Label(_("Title"), html_for=Ids.TITLE), dbc.Input(id=Ids.TITLE, maxLength=250)], md=6),
        ], className="g-2 mb-2"),
        dbc.Row([
            dbc.Col([dbc.Label(_("Wanted start"), html_for=Ids.START),
                     dbc.Input(id=Ids.START, type="date", value=(date.today() + timedelta(days=7)).isoformat())],
                    md=3),
            dbc.Col([dbc.Label(_("Duration (days)"), html_for=Ids.DURATION),
                     dbc.Input(id=Ids.DURATION, type="number", min=1, max=730, value=60)], md=2),
            dbc.Col([dbc.Label(_("Number of experts"), html_for=Ids.EXPERTS),
                     dbc.Input(id=Ids.EXPERTS, type="number", min=1, max=50, value=2)], md=2),
            dbc.Col([dbc.Label(_("Priority"), html_for=Ids.PRIORITY),
                     dcc.Dropdown(id=Ids.PRIORITY, value=Priority.HIGH.value, clearable=False,
                                  options=[{"label": str(v), "value": k} for k, v in PRIORITIES.items()])], md=2),
            dbc.Col(dbc.Checkbox(id=Ids.BALANCE, label=_("Gender-balanced team"), value=False), md=3,
                    className="pt-4"),
        ], className="g-2 mb-2"),
        dbc.Label(_("Skills (weight and minimum level 1-5)")), *skill_rows,
        dbc.Label(_("Languages (minimum level)")), *language_rows,
        dbc.Label(_("Required clearances, valid for the whole period"), html_for=Ids.CLEARANCES),
        dcc.Dropdown(id=Ids.CLEARANCES, options=options["clearances"], multi=True,
                     value=list(DEFAULT_REQUIRED_CLEARANCES), className="mb-2"),
        dbc.Row([
            dbc.Col(dbc.Textarea(id=Ids.GENDER_NOTE, placeholder=_("Gender considerations"), maxLength=2000), md=6),
            dbc.Col(dbc.Textarea(id=Ids.NOTES, placeholder=_("Notes"), maxLength=4000), md=6),
        ], className="g-2 mb-2"),
        dbc.Button(_("Record request"), id=Ids.SUBMIT, color="primary"),
        html.Div(id=Ids.FORM_MESSAGE, className="mt-2"),
    ]), className="mb-4 shadow-sm")


def _grid_columns() -> list[dict[str, Any]]:
    return [
        {"field": "reference", "headerName": _("Reference"), "cellRenderer": "markdown", "pinned": "left",
         "minWidth": 170},
        {"field": "mission", "headerName": _("Mission"), "width": 120},
        {"field": "capacity", "headerName": _("Capacity"), "width": 100},
        {"field": "title", "headerName": _("Title"), "flex": 2, "minWidth": 220},
        {"field": "received_on", "headerName": _("Received"), "width": 120, "valueFormatter": GRID_LOCAL_DATE},
        {"field": "wanted_start", "headerName": _("Wanted start"), "width": 130, "valueFormatter": GRID_LOCAL_DATE},
        {"field": "team", "headerName": _("Proposed / requested"), "width": 150},
        {"field": "priority", "headerName": _("Priority"), "width": 110},
        {"field": "status", "headerName": _("Status"), "width": 170},
        {"field": "overdue", "headerName": _("Overdue"), "width": 150,
         "cellStyle": {"function": "params.value ? {'color': '#b02a37', 'fontWeight': 'bold'} : {}"}},
    ]


@page_layout(Permission.MANAGE_SURGE)
def layout(**_kwargs: object) -> html.Div:
    with db_session() as s:
        options = requests.form_options(s, locale=str(get_locale()))
    statuses = [{"label": str(v), "value": k} for k, v in STATUS_LABELS.items()]
    capacities = [{"label": _("Both capacities"), "value": ""}] + options["capacities"]
    return html.Div([
        html.H1(_("Surge planner"), className="h3"),
        html.H2(_("Service level: days from received to deployed (last 12 months)"), className="h5"),
        dbc.Row([dbc.Col(dcc.Dropdown(id=Ids.SL_CAPACITY, options=capacities, value="", clearable=False), md=4)],
                className="mb-2"),
        dbc.Row(id=Ids.SL_FIGURES),
        dcc.Graph(id=Ids.SL_CHART, config={"displaylogo": False}),
        _form(options),
        html.H2(_("Requests"), className="h5"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id=Ids.STATUS, options=statuses, placeholder=_("Any status")), md=4),
            dbc.Col(dbc.Switch(id=Ids.OVERDUE, label=_("Overdue only"), value=False), md=3, className="pt-2"),
            dbc.Col(html.Div(id=Ids.COUNT, className="text-muted pt-2"), md=5),
        ], className="g-2 mb-2"),
        dcc.Store(id=Ids.REFRESH, data=0),
        dag.AgGrid(id=Ids.GRID, columnDefs=_grid_columns(), rowData=[],
                   defaultColDef={"sortable": True, "filter": True, "resizable": True},
                   dashGridOptions={"animateRows": False,
                                    "localeText": {"noRowsToShow": _("No requests match these filters.")}},
                   style={"height": "45vh"}, className="mb-4"),
        html.H2(_("Capacity forecast: who is free for the whole of the next 30, 60 and 90 days"), className="h5"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id=Ids.FC_SKILL, options=options["skills"], placeholder=_("Any skill")), md=4),
            dbc.Col(dcc.Dropdown(id=Ids.FC_LANGUAGE, options=options["languages"],
                                 placeholder=_("Any language (B2 or better)")), md=4),
            dbc.Col(dcc.Dropdown(id=Ids.FC_TEAM, options=options["teams"], placeholder=_("Any team")), md=4),
        ], className="g-2 mb-2"),
        dbc.Row(id=Ids.FC_FIGURES),
        dcc.Graph(id=Ids.FC_TIMELINE, config={"displaylogo": False}),
    ])


@secured_callback(
    Output(Ids.SL_FIGURES, "children"), Output(Ids.SL_CHART, "figure"), Input(Ids.SL_CAPACITY, "value"),
    roles=Permission.MANAGE_SURGE,
)
def show_service_level(capacity: str | None) -> tuple[list[Any], Any]:
    codes = [capacity] if capacity else []
    start = date.today() - timedelta(days=SERVICE_WINDOW_DAYS)
    with db_session() as s:
        level = service_level(s, capacity_codes=codes, start=start)
        days = request_days(s, capacity_codes=codes, start=start)
    widths = {"xs": 6, "lg": 3}
    cards = [
        figure_card("surge-sl-median", _("Median days to deploy"),
                    decimal(level.median_days, current_locale()),
                    _("target %(n)d days", n=level.target_days), widths),
        figure_card("surge-sl-p90", _("90th percentile"), decimal(level.p90_days, current_locale()),
                    None, widths),
        figure_card("surge-sl-within", _("Deployed within target"), f"{level.within_target} / {level.deployed}",
                    None, widths),
        figure_card("surge-sl-requests", _("Requests received"), level.requests, None, widths),
    ]
    return cards, days_histogram(days, level.target_days)


@secured_callback(
    Output(Ids.FORM_MESSAGE, "children"), Output(Ids.REFRESH, "data"),
    Input(Ids.SUBMIT, "n_clicks"),
    State(Ids.MISSION, "value"), State(Ids.CAPACITY, "value"), State(Ids.TITLE, "value"), State(Ids.START, "value"),
    State(Ids.DURATION, "value"), State(Ids.EXPERTS, "value"), State(Ids.PRIORITY, "value"),
    State(Ids.BALANCE, "value"), State(Ids.GENDER_NOTE, "value"), State(Ids.NOTES, "value"),
    *[State(Ids.skill(k), "value") for k in range(SKILL_ROWS)],
    *[State(Ids.weight(k), "value") for k in range(SKILL_ROWS)],
    *[State(Ids.min_level(k), "value") for k in range(SKILL_ROWS)],
    *[State(Ids.language(k), "value") for k in range(LANGUAGE_ROWS)],
    *[State(Ids.language_level(k), "value") for k in range(LANGUAGE_ROWS)],
    State(Ids.CLEARANCES, "value"), State(Ids.REFRESH, "data"),
    roles=Permission.MANAGE_SURGE, prevent_initial_call=True,
)
def record_request(_clicks: int | None, mission: str | None, capacity: str | None, title: str | None,
                   start: str | None, duration: Any, experts: Any, priority: str | None, balance: bool | None,
                   gender_note: str | None, notes: str | None, *rest: Any) -> tuple[Any, int]:
    skills, weights, mins = rest[:SKILL_ROWS], rest[SKILL_ROWS:2 * SKILL_ROWS], rest[2 * SKILL_ROWS:3 * SKILL_ROWS]
    langs = rest[3 * SKILL_ROWS:3 * SKILL_ROWS + LANGUAGE_ROWS]
    levels = rest[3 * SKILL_ROWS + LANGUAGE_ROWS:3 * SKILL_ROWS + 2 * LANGUAGE_ROWS]
    clearances = tuple(rest[-2] or ())
    refresh = int(rest[-1] or 0)
    try:
        wanted_start = date.fromisoformat(start) if start else None
    except ValueError:
        wanted_start = None
    if wanted_start is None or duration in (None, "") or experts in (None, ""):
        return dbc.Alert(_("Give the wanted start (a date), the duration and the number of experts."),
                         color="danger"), refresh
    form = requests.RequestForm(
        mission=mission or "", title=title or "", wanted_start=wanted_start, duration_days=int(float(duration)),
        experts_requested=int(float(experts)), capacity=capacity or None, priority=priority or "medium",
        balance_gender=bool(balance), gender_considerations=gender_note, notes=notes,
        skills=tuple(requests.SkillWanted(code, float(w or 1), int(m or 1))
                     for code, w, m in zip(skills, weights, mins, strict=True) if code),
        languages=tuple(requests.LanguageWanted(code, level or "B2")
                        for code, level in zip(langs, levels, strict=True) if code),
        clearances=clearances,
    )
    try:
        with db_session() as s:
            request = requests.create_request(s, current_user.principal, form, origin=request_origin())
            reference = request.reference
    except HubError as error:
        return dbc.Alert(str(error), color="danger", id="surge-form-error"), refresh
    return dbc.Alert([_("Request %(ref)s recorded. ", ref=reference),
                      dcc.Link(_("Open it to see the candidates"), href=f"/surge/requests/{reference}",
                               id="surge-form-open")],
                     color="success"), refresh + 1


@secured_callback(
    Output(Ids.GRID, "rowData"), Output(Ids.COUNT, "children"),
    Input(Ids.STATUS, "value"), Input(Ids.OVERDUE, "value"), Input(Ids.REFRESH, "data"),
    roles=Permission.MANAGE_SURGE,
)
def show_requests(status: str | None, overdue_only: bool | None, _refresh: int) -> tuple[list[dict[str, Any]], str]:
    filt = requests.RequestFilter(status=SurgeStatus(status) if status in STATUS_LABELS else None,
                                  overdue_only=bool(overdue_only), paging=Paging(limit=500))
    with db_session() as s:
        page = requests.list_requests(s, current_user.principal, filt)
    rows = [{
        "reference": f"[{r['reference']}](/surge/requests/{r['reference']})", "mission": r["mission"],
        "capacity": r["capacity"], "title": r["title"], "received_on": r["received_on"].isoformat(),
        "wanted_start": r["wanted_start"].isoformat(), "team": f"{r['experts_proposed']} / {r['experts_requested']}",
        "priority": str(PRIORITIES.get(r["priority"], r["priority"])), "status": status_label(r["status"]),
        "overdue": _("%(n)d days open", n=r["days_open"]) if r["overdue"] else "",
    } for r in page.items]
    shown = _("%(shown)d of %(total)d requests", shown=len(rows), total=page.total)
    return rows, shown


@secured_callback(
    Output(Ids.FC_FIGURES, "children"), Output(Ids.FC_TIMELINE, "figure"),
    Input(Ids.FC_SKILL, "value"), Input(Ids.FC_LANGUAGE, "value"), Input(Ids.FC_TEAM, "value"),
    roles=Permission.MANAGE_SURGE,
)
def show_forecast(skill: str | None, language: str | None, team: int | None) -> tuple[list[Any], Any]:
    today = date.today()
    end = today + timedelta(days=max(forecast.HORIZONS) - 1)
    try:
        filt = forecast.ForecastFilter(skill=skill or None, language=language or None,
                                       team_id=int(team) if team else None)
        with db_session() as s:
            result = forecast.capacity_forecast(s, current_user.principal, filt, today=today)
            ids = [e["expert_id"] for e in result.experts if "expert_id" in e][:TIMELINE_EXPERTS]
            bars = forecast.timeline(s, current_user.principal, team_id=int(team) if team else None,
                                     expert_ids=ids, start=today, end=end)
    except HubError as error:
        return [dbc.Alert(str(error), color="danger")], dash.no_update
    widths = {"xs": 6, "lg": 3}
    cards = [figure_card("surge-fc-matching", _("Active experts matching"), result.matching, None, widths)]
    cards += [figure_card(f"surge-fc-free-{h}", _("Free the next %(n)d days", n=h), result.free[h], None, widths)
              for h in result.horizons]
    return cards, timeline_figure(bars, today, end)


def title(**_kwargs: object) -> str:
    return _("Surge planner") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/surge", name="Surge", title=title,
                   nav_label=_l("Surge planner"), order=30, permission=Permission.MANAGE_SURGE)
