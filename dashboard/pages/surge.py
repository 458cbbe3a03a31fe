"""Surge planner: record a request, follow every request (overdue flagged), the service level against the
target, and the capacity forecast (who is free in 30, 60, 90 days). A request's candidates are on its own
page, ``/surge/requests/<reference>`` (dashboard/pages/surge_request.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask_babel import get_locale
from flask_login import current_user

from dashboard.components.key_figures import figure_card
from dashboard.components.surge_parts import (
    STATUS_LABELS,
    days_histogram,
    problem_text,
    status_label,
    timeline_figure,
)
from dashboard.context import db_session, request_origin
from dashboard.i18n import GRID_LOCAL_DATE, _, _l, current_locale, ngettext
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from models.enums import LanguageLevel, Priority, SurgeStatus
from services.access import Permission
from services.catalog import Paging
from services.errors import HubError
from services.formatting import decimal
from services.surge import forecast, requests
from services.surge.matching import DEFAULT_REQUIRED_CLEARANCES
from services.surge.rules import RULES, Problem, RequestProblems, validate
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
    ANY_CAPACITY = "surge-form-any-capacity"
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
    def required(k: int) -> str:
        return f"surge-form-skill-required-{k}"

    @staticmethod
    def feedback(component_id: str) -> str:
        return f"{component_id}-feedback"

    @staticmethod
    def language(k: int) -> str:
        return f"surge-form-language-{k}"

    @staticmethod
    def language_level(k: int) -> str:
        return f"surge-form-language-level-{k}"


PRIORITIES = {Priority.LOW.value: _l("Low"), Priority.MEDIUM.value: _l("Medium"), Priority.HIGH.value: _l("High"),
              Priority.CRITICAL.value: _l("Critical")}


# Every field a problem can be shown at: its component and whether it is a dbc input ("invalid" state) or a
# dropdown (an "is-invalid" class). Its feedback sits under it, id Ids.feedback(component id).
SLOTS: list[tuple[str, str]] = [
    (Ids.MISSION, "dropdown"), (Ids.CAPACITY, "dropdown"), (Ids.TITLE, "input"), (Ids.START, "input"),
    (Ids.DURATION, "input"), (Ids.EXPERTS, "input"), (Ids.PRIORITY, "dropdown"),
    *[(i, kind) for k in range(SKILL_ROWS)
      for i, kind in ((Ids.skill(k), "dropdown"), (Ids.weight(k), "input"), (Ids.min_level(k), "input"))],
    *[(i, "dropdown") for k in range(LANGUAGE_ROWS) for i in (Ids.language(k), Ids.language_level(k))],
    (Ids.CLEARANCES, "dropdown"), (Ids.GENDER_NOTE, "input"), (Ids.NOTES, "input"),
]
FIELD_SLOTS = {"mission": Ids.MISSION, "capacity": Ids.CAPACITY, "title": Ids.TITLE, "wanted_start": Ids.START,
               "duration_days": Ids.DURATION, "experts_requested": Ids.EXPERTS, "priority": Ids.PRIORITY,
               "clearances": Ids.CLEARANCES, "gender_considerations": Ids.GENDER_NOTE, "notes": Ids.NOTES}
ROW_SLOTS = {("skills", "code"): Ids.skill, ("skills", "weight"): Ids.weight, ("skills", "min_level"): Ids.min_level,
             ("languages", "code"): Ids.language, ("languages", "min_level"): Ids.language_level}


def _feedback(component_id: str) -> dbc.FormFeedback:
    return dbc.FormFeedback(id=Ids.feedback(component_id), type="invalid", className="d-block")


def _form(options: dict[str, list[dict[str, Any]]]) -> dbc.Card:
    # The number inputs carry no min/max: out of range, Dash would send None ("required"), not the value the rule
    # book names the problem of; the limits are the rule book's (services.surge.rules.RULES), shown under the field.
    level_options = [{"label": v.value, "value": v.value} for v in LanguageLevel]
    skill_rows = [dbc.Row([
        dbc.Col([dcc.Dropdown(id=Ids.skill(k), options=options["skills"], placeholder=_("Skill")),
                 _feedback(Ids.skill(k))], md=5),
        dbc.Col([dbc.InputGroup([dbc.InputGroupText(_("weight")),
                                 dbc.Input(id=Ids.weight(k), type="number", step=0.1, value=1)]),
                 _feedback(Ids.weight(k))], xs=12, sm=6, md=2),
        dbc.Col([dbc.InputGroup([dbc.InputGroupText(_("min. level")),
                                 dbc.Input(id=Ids.min_level(k), type="number", step=1, value=3)]),
                 _feedback(Ids.min_level(k))], xs=12, sm=6, md=3),
        dbc.Col(dbc.Checkbox(id=Ids.required(k), label=_("required"), value=True), md=2, className="pt-md-2"),
    ], className="g-2 mb-2") for k in range(SKILL_ROWS)]
    language_rows = [dbc.Row([
        dbc.Col([dcc.Dropdown(id=Ids.language(k), options=options["languages"], placeholder=_("Language")),
                 _feedback(Ids.language(k))], md=6),
        dbc.Col([dcc.Dropdown(id=Ids.language_level(k), options=level_options, value="B2", clearable=False),
                 _feedback(Ids.language_level(k))], md=3),
    ], className="g-2 mb-2") for k in range(LANGUAGE_ROWS)]
    return dbc.Card(dbc.CardBody([
        html.H2(_("Record a surge request"), className="h5"),
        dbc.Row([
            dbc.Col([dbc.Label(_("Requesting mission"), html_for=Ids.MISSION),
                     dcc.Dropdown(id=Ids.MISSION, options=options["missions"]), _feedback(Ids.MISSION)], md=4),
            dbc.Col([dbc.Label(_("Capacity"), html_for=Ids.CAPACITY),
                     dcc.Dropdown(id=Ids.CAPACITY, options=options["capacities"]), _feedback(Ids.CAPACITY),
                     dbc.Checkbox(id=Ids.ANY_CAPACITY, label=_("accept either capacity"), value=False,
                                  className="small")], md=3),
            dbc.Col([dbc.Label(_("Title"), html_for=Ids.TITLE), dbc.Input(id=Ids.TITLE, maxLength=RULES.title_max),
                     _feedback(Ids.TITLE)], md=5),
        ], className="g-2 mb-2"),
        dbc.Row([
            dbc.Col([dbc.Label(_("Wanted start"), html_for=Ids.START),
                     dbc.Input(id=Ids.START, type="date", value=(date.today() + timedelta(days=7)).isoformat()),
                     _feedback(Ids.START)], md=3),
            dbc.Col([dbc.Label(_("Duration (days)"), html_for=Ids.DURATION),
                     dbc.Input(id=Ids.DURATION, type="number", value=60), _feedback(Ids.DURATION)], md=2),
            dbc.Col([dbc.Label(_("Number of experts"), html_for=Ids.EXPERTS),
                     dbc.Input(id=Ids.EXPERTS, type="number", value=2), _feedback(Ids.EXPERTS)], md=2),
            dbc.Col([dbc.Label(_("Priority"), html_for=Ids.PRIORITY),
                     dcc.Dropdown(id=Ids.PRIORITY, value=Priority.HIGH.value, clearable=False,
                                  options=[{"label": str(v), "value": k} for k, v in PRIORITIES.items()]),
                     _feedback(Ids.PRIORITY)], md=2),
            dbc.Col(dbc.Checkbox(id=Ids.BALANCE, label=_("Gender-balanced team"), value=False), md=3,
                    className="pt-4"),
        ], className="g-2 mb-2"),
        dbc.Label(_("Skills (weight and minimum level 1-5; a required skill is a hard rule, a desirable one is "
                    "only scored)")), *skill_rows,
        dbc.Label(_("Languages (minimum level)")), *language_rows,
        dbc.Label(_("Required clearances, valid for the whole period"), html_for=Ids.CLEARANCES),
        dcc.Dropdown(id=Ids.CLEARANCES, options=options["clearances"], multi=True,
                     value=list(DEFAULT_REQUIRED_CLEARANCES)),
        html.Div(_feedback(Ids.CLEARANCES), className="mb-2"),
        dbc.Row([
            dbc.Col([dbc.Textarea(id=Ids.GENDER_NOTE, placeholder=_("Gender considerations"),
                                  maxLength=RULES.gender_considerations_max), _feedback(Ids.GENDER_NOTE)], md=6),
            dbc.Col([dbc.Textarea(id=Ids.NOTES, placeholder=_("Notes"), maxLength=RULES.notes_max),
                     _feedback(Ids.NOTES)], md=6),
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
                    ngettext("target %(num)d day", "target %(num)d days", level.target_days), widths),
        figure_card("surge-sl-p90", _("90th percentile"), decimal(level.p90_days, current_locale()),
                    None, widths),
        figure_card("surge-sl-within", _("Deployed within target"), f"{level.within_target} / {level.deployed}",
                    None, widths),
        figure_card("surge-sl-requests", _("Requests received"), level.requests, None, widths),
    ]
    return cards, days_histogram(days, level.target_days)


# --- the form: raw values -> the rule book's data -> problems at their fields (pure, tested on their own) ----
@dataclass(frozen=True)
class FormValues:
    """What the form holds when "Record request" is clicked, as Dash sends it (text, numbers or None)."""

    mission: str | None = None
    capacity: str | None = None
    accept_any_capacity: bool | None = False
    title: str | None = None
    start: str | None = None
    duration: Any = None
    experts: Any = None
    priority: str | None = None
    balance: bool | None = False
    gender_note: str | None = None
    notes: str | None = None
    skills: tuple[Any, ...] = ()  # per row: (code, weight, min level, required)
    languages: tuple[Any, ...] = ()  # per row: (code, level)
    clearances: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormData:
    data: dict[str, Any]  # as services.surge.rules.validate reads it
    skill_rows: list[int]  # the form row of each skill in data (rows with no skill chosen are left out)
    language_rows: list[int]


def form_data(values: FormValues) -> FormData:
    skill_rows = [k for k, row in enumerate(values.skills) if row[0]]
    language_rows = [k for k, row in enumerate(values.languages) if row[0]]
    return FormData({
        "mission": values.mission, "capacity": values.capacity or None,
        "accept_any_capacity": bool(values.accept_any_capacity), "title": values.title,
        "wanted_start": values.start, "duration_days": values.duration, "experts_requested": values.experts,
        "priority": values.priority, "balance_gender": bool(values.balance),
        "gender_considerations": values.gender_note, "notes": values.notes,
        "skills": [{"code": values.skills[k][0], "weight": values.skills[k][1], "min_level": values.skills[k][2],
                    "required": bool(values.skills[k][3])} for k in skill_rows],
        "languages": [{"code": values.languages[k][0], "min_level": values.languages[k][1]} for k in language_rows],
        "clearances": list(values.clearances),
    }, skill_rows, language_rows)


def slot_of(field_name: str, form: FormData) -> str | None:
    """The component a problem's field is shown at (None: no such field on the form, e.g. site_id)."""
    if field_name in FIELD_SLOTS:
        return FIELD_SLOTS[field_name]
    parts = field_name.split(".")
    if parts[0] == "clearances":
        return Ids.CLEARANCES
    if len(parts) == 3 and (parts[0], parts[2]) in ROW_SLOTS:
        rows = form.skill_rows if parts[0] == "skills" else form.language_rows
        return ROW_SLOTS[(parts[0], parts[2])](rows[int(parts[1])])
    if len(parts) == 2 and parts[0] in ("skills", "languages"):  # "skills.1": listed twice
        rows = form.skill_rows if parts[0] == "skills" else form.language_rows
        return ROW_SLOTS[(parts[0], "code")](rows[int(parts[1])])
    return None


def feedback(problems: list[Problem], form: FormData) -> tuple[dict[str, list[str]], list[str]]:
    """Each problem's message at its component, and those with no place on the form."""
    at: dict[str, list[str]] = {}
    elsewhere = []
    for problem in problems:
        slot = slot_of(problem.field, form)
        if slot is None:
            elsewhere.append(f"{problem.field}: {problem_text(problem)}")
        else:
            at.setdefault(slot, []).append(problem_text(problem))
    return at, elsewhere


def check_form(values: FormValues, today: date) -> tuple[FormData, list[Problem]]:
    """The rule book's problems of the form's values (the service checks the same, and what needs the database)."""
    form = form_data(values)
    return form, validate(form.data, today)


def _slot_outputs(at: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Each field's invalid mark and its feedback text (record_request's "invalid" and "feedback" outputs)."""
    return {"invalid": {i: bool(at.get(i)) if kind == "input" else ("is-invalid" if at.get(i) else "")
                        for i, kind in SLOTS},
            "feedback": {i: " ".join(at.get(i, [])) or None for i, _kind in SLOTS}}


@secured_callback(
    output=dict(
        message=Output(Ids.FORM_MESSAGE, "children"), refresh=Output(Ids.REFRESH, "data"),
        invalid={i: Output(i, "invalid" if kind == "input" else "className") for i, kind in SLOTS},
        feedback={i: Output(Ids.feedback(i), "children") for i, _kind in SLOTS},
    ),
    inputs=dict(_clicks=Input(Ids.SUBMIT, "n_clicks")),
    state=dict(
        form=dict(mission=State(Ids.MISSION, "value"), capacity=State(Ids.CAPACITY, "value"),
                  accept_any_capacity=State(Ids.ANY_CAPACITY, "value"), title=State(Ids.TITLE, "value"),
                  start=State(Ids.START, "value"), duration=State(Ids.DURATION, "value"),
                  experts=State(Ids.EXPERTS, "value"), priority=State(Ids.PRIORITY, "value"),
                  balance=State(Ids.BALANCE, "value"), gender_note=State(Ids.GENDER_NOTE, "value"),
                  notes=State(Ids.NOTES, "value")),
        skills=[(State(Ids.skill(k), "value"), State(Ids.weight(k), "value"), State(Ids.min_level(k), "value"),
                 State(Ids.required(k), "value")) for k in range(SKILL_ROWS)],
        languages=[(State(Ids.language(k), "value"), State(Ids.language_level(k), "value"))
                   for k in range(LANGUAGE_ROWS)],
        clearances=State(Ids.CLEARANCES, "value"), refresh=State(Ids.REFRESH, "data"),
    ),
    roles=Permission.MANAGE_SURGE, prevent_initial_call=True,
)
def record_request(_clicks: int | None, form: dict[str, Any], skills: list[list[Any]], languages: list[list[Any]],
                   clearances: list[str] | None, refresh: int | None) -> dict[str, Any]:
    refresh = int(refresh or 0)
    values = FormValues(**form, skills=tuple(tuple(row) for row in skills),
                        languages=tuple(tuple(row) for row in languages), clearances=tuple(clearances or ()))
    checked, problems = check_form(values, date.today())
    try:
        if not problems:
            with db_session() as s:
                reference = requests.create_request(s, current_user.principal,
                                                    requests.form_from_data(checked.data),
                                                    origin=request_origin()).reference
    except RequestProblems as error:
        problems = error.problems
    except HubError as error:
        return {"message": dbc.Alert(str(error), color="danger", id="surge-form-error"), "refresh": refresh,
                **_slot_outputs({})}
    if problems:
        at, elsewhere = feedback(problems, checked)
        return {"message": dbc.Alert([_("The request was not recorded: correct the fields marked in red."),
                                      *[html.Div(text) for text in elsewhere]], color="danger",
                                     id="surge-form-error"),
                "refresh": refresh, **_slot_outputs(at)}
    return {"message": dbc.Alert([_("Request %(ref)s recorded. ", ref=reference),
                                  dcc.Link(_("Open it to see the candidates"), href=f"/surge/requests/{reference}",
                                           id="surge-form-open")], color="success"),
            "refresh": refresh + 1, **_slot_outputs({})}


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
        "overdue": ngettext("%(num)d day open", "%(num)d days open", r["days_open"]) if r["overdue"] else "",
    } for r in page.items]
    shown = ngettext("%(shown)d of %(num)d request", "%(shown)d of %(num)d requests", page.total,
                     shown=len(rows))
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
    cards += [figure_card(f"surge-fc-free-{h}", ngettext("Free the next %(num)d day", "Free the next %(num)d days", h),
                          result.free[h], None, widths)
              for h in result.horizons]
    return cards, timeline_figure(bars, today, end)


def title(**_kwargs: object) -> str:
    return _("Surge planner") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/surge", name="Surge", title=title,
                   nav_label=_l("Surge planner"), order=30, permission=Permission.MANAGE_SURGE)
