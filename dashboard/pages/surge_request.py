"""One surge request: its steps, the ranked and explained candidates (weights adjustable), any excluded
expert looked up with the rule that excluded them, a suggested team, proposing, approving, deploying."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html
from flask_babel import format_decimal
from flask_login import current_user

from dashboard.components.record_form import (
    cleared_feedback,
    feedback_outputs,
    feedback_values,
    field_id,
    form_field,
    form_states,
    form_values,
    problems_alert,
)
from dashboard.components.record_form import problem_text as record_problem_text
from dashboard.components.surge_parts import (
    COMPONENT_LABELS,
    GENDER_LABELS,
    miss_text,
    rules_text,
    status_label,
    timeline_figure,
    too_few_text,
    why,
)
from dashboard.context import db_session, request_origin
from dashboard.i18n import DEPLOYMENT_STATUS_LABELS, MARKER_LABELS, _, _l, current_locale, ngettext
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from models.enums import SurgeStatus
from services.access import Permission
from services.deployments import records as deployment_records
from services.errors import HubError
from services.formatting import day, language_name, number, timestamp
from services.records import Problems, StaleEdit, VersionRequired
from services.reference_data import localized_name
from services.surge import amendments, forecast
from services.surge import requests as surge
from services.surge.matching import COMPONENTS, Weights
from services.surge.rules import AMEND_FORM, RULES

AMEND = "surge-amend"  # the amendment form's name (its controls' pattern-matching ids)
AMEND_INPUTS = ("title", "wanted_start", "duration_days", "experts_requested", "note")  # dbc controls
AMEND_LISTS = ("skills", "clearances")  # dropdowns of codes
CANDIDATES_SHOWN = 100
CARDS_SHOWN = 20  # on a phone the candidates are cards (the grid's columns do not fit 390 px)


class Ids:
    REFERENCE = "surge-req-reference"
    REFRESH = "surge-req-refresh"
    HEADER = "surge-req-header"
    STEPS = "surge-req-steps"
    TEAM = "surge-req-team"
    TIMELINE = "surge-req-timeline"
    VERSION = "surge-req-version"
    GRID = "surge-req-candidates"
    COUNT = "surge-req-count"
    MISSES = "surge-req-misses"
    CARDS = "surge-req-cards"
    EXCLUDED = "surge-req-excluded"
    EXCLUDED_WHY = "surge-req-excluded-why"
    SUGGEST = "surge-req-suggest"
    PROPOSE = "surge-req-propose"
    MESSAGE = "surge-req-message"
    SAVE_WEIGHTS = "surge-req-save-weights"
    MARKER = "surge-req-marker"
    ALLOCATION = "surge-req-allocation"
    WEIGHTS_NOTE = "surge-req-weights-note"
    AMEND_OPEN = "surge-req-amend-open"
    AMEND_COLLAPSE = "surge-req-amend-collapse"
    AMEND_SAVE = "surge-req-amend-save"
    AMEND_MESSAGE = "surge-req-amend-message"

    @staticmethod
    def weight(name: str) -> str:
        return f"surge-req-weight-{name}"

    @staticmethod
    def action(status: str) -> str:
        return f"surge-req-action-{status}"


ACTIONS = {
    SurgeStatus.UNDER_REVIEW.value: ("Start review", "secondary"),
    SurgeStatus.APPROVED.value: ("Approve team", "success"),
    SurgeStatus.DEPLOYED.value: ("Mark deployed", "primary"),
    SurgeStatus.DECLINED.value: ("Decline", "outline-danger"),
    SurgeStatus.WITHDRAWN.value: ("Withdrawn by the mission", "outline-secondary"),
}


def _action_label(status: str) -> str:
    labels = {SurgeStatus.UNDER_REVIEW.value: _("Start review"), SurgeStatus.APPROVED.value: _("Approve team"),
              SurgeStatus.DEPLOYED.value: _("Mark deployed"), SurgeStatus.DECLINED.value: _("Decline"),
              SurgeStatus.WITHDRAWN.value: _("Withdrawn by the mission")}
    return labels[status]


def _columns() -> list[dict[str, Any]]:
    return [
        {"field": "rank", "headerName": "#", "width": 80, "checkboxSelection": True, "pinned": "left"},
        {"field": "name", "headerName": _("Name"), "minWidth": 170, "pinned": "left"},
        {"field": "score", "headerName": _("Score"), "width": 90, "type": "numericColumn",
         # The page's language's decimal mark (the value stays a number, so it sorts as one).
         "valueFormatter": {"function": f"Number(params.value).toLocaleString({json.dumps(current_locale())}, "
                                        "{minimumFractionDigits: 3, maximumFractionDigits: 3})"}},
        {"field": "why", "headerName": _("Why this rank"), "flex": 3, "minWidth": 420, "tooltipField": "why"},
        {"field": "capacity", "headerName": _("Capacity"), "width": 100},
        {"field": "gender", "headerName": _("Gender"), "width": 110},
    ]


@page_layout(Permission.MANAGE_SURGE)
def layout(reference: str | None = None, **_kwargs: object) -> html.Div:
    # The request's saved weights; an unknown reference keeps the defaults (show_request says it is unknown).
    try:
        with db_session() as s:
            start_with = surge.saved_weights(surge.load_request(s, reference or ""))
    except HubError:
        start_with = Weights()
    with db_session() as s:
        allocations = deployment_records.form_options(s, current_locale())["allocations"]
        options = surge.form_options(s, current_locale())
    weights = dbc.Row([dbc.Col([
        dbc.Label(str(COMPONENT_LABELS[name]), html_for=Ids.weight(name), className="small"),
        dbc.Input(id=Ids.weight(name), type="number", min=0, max=10, step=0.5, value=getattr(start_with, name),
                  debounce=True)], xs=6, md=2) for name in COMPONENTS], className="g-2 mb-2")
    actions = [dbc.Button(_action_label(status), id=Ids.action(status), color=colour, className="me-2 mb-2",
                          disabled=True) for status, (_label, colour) in ACTIONS.items()]
    actions.append(dbc.Button(_("Amend"), id=Ids.AMEND_OPEN, color="outline-primary", className="me-2 mb-2"))
    return html.Div([
        dcc.Store(id=Ids.REFERENCE, data=reference),
        dcc.Store(id=Ids.REFRESH, data=0),
        dcc.Store(id=Ids.VERSION),
        dcc.Link(_("← All requests"), href="/surge"),
        html.Div(id=Ids.HEADER, className="mt-2"),
        html.Div(id=Ids.MESSAGE),
        html.Div(actions, className="mb-2"),
        dbc.Collapse(_amend_form(options), id=Ids.AMEND_COLLAPSE, is_open=False),
        dbc.Row([
            dbc.Col([html.H2(_("Steps"), className="h6"), html.Div(id=Ids.STEPS)], md=4),
            dbc.Col([html.H2(_("Team"), className="h6"), html.Div(id=Ids.TEAM),
                     dcc.Graph(id=Ids.TIMELINE, config={"displaylogo": False})], md=8),
        ]),
        html.H2(_("Candidates"), className="h5 mt-3"),
        html.P(_("Weights of the score (0 to 10); change one and the list is ranked again."),
               className="text-muted small mb-1"),
        weights,
        html.Div([
            dbc.Button(_("Save these weights for this request"), id=Ids.SAVE_WEIGHTS, color="outline-secondary",
                       size="sm", className="me-2"),
            html.Span(id=Ids.WEIGHTS_NOTE, className="small text-muted"),
        ], className="mb-2"),
        dbc.Row([
            dbc.Col(html.Div(id=Ids.COUNT, className="text-muted pt-2"), md=6),
            dbc.Col([dbc.Button(_("Suggest a team"), id=Ids.SUGGEST, color="secondary", className="me-2"),
                     dbc.Button(_("Propose selected"), id=Ids.PROPOSE, color="primary")], md=6,
                    className="text-md-end"),
        ], className="mb-2"),
        # What the proposed experts' deployments are recorded with (the gender marker, the money paying them).
        dbc.Row([
            dbc.Col([dbc.Label(_("Gender marker of their deployments"), html_for=Ids.MARKER, className="small"),
                     dbc.Select(id=Ids.MARKER, value="1", options=[
                         {"value": value, "label": str(label)} for value, label in MARKER_LABELS.items()])], md=6),
            dbc.Col([dbc.Label(_("Funding allocation"), html_for=Ids.ALLOCATION, className="small"),
                     dbc.Select(id=Ids.ALLOCATION, value="", options=[{"value": "", "label": "–"}, *allocations])],
                    md=6),
        ], className="mb-2 g-2"),
        html.Div(id=Ids.MISSES),
        # Below the md breakpoint the candidates show as cards (rank, name, score, reasons); the grid, which keeps
        # the selection "Suggest a team" makes, is for wider screens.
        html.Div(id=Ids.CARDS, className="d-md-none mb-3"),
        dag.AgGrid(id=Ids.GRID, columnDefs=_columns(), rowData=[], getRowId="params.data.expert_id",
                   defaultColDef={"sortable": True, "resizable": True},
                   dashGridOptions={"rowSelection": "multiple", "suppressRowClickSelection": True,
                                    "animateRows": False, "tooltipShowDelay": 300,
                                    "localeText": {"noRowsToShow": _("No expert meets the hard rules.")}},
                   style={"height": "50vh"}, className="mb-3 d-none d-md-block"),
        html.H2(_("Why is an expert not in the list?"), className="h6"),
        dcc.Dropdown(id=Ids.EXCLUDED, placeholder=_("Look up an excluded expert")),
        html.Div(id=Ids.EXCLUDED_WHY, className="mt-2 mb-4"),
    ])


def _amend_form(options: dict[str, list[dict[str, Any]]]) -> dbc.Card:
    """The amendment form: the fields a mission changes most (dates, numbers, skills, clearances), each with
    its problem under it; the limits are the request's rule book's (services.surge.rules)."""
    book = AMEND_FORM

    def number(name: str) -> Any:
        # No min/max on the control: the browser would send an out-of-range number as none ("required"); the
        # rule book says what is wrong with it.
        return dbc.Input(id=field_id(AMEND, name), type="number", step=1)

    def codes(name: str, choices: list[dict[str, Any]]) -> Any:
        return dcc.Dropdown(id=field_id(AMEND, name, dbc_control=False), options=choices, multi=True)

    return dbc.Card(dbc.CardBody([
        html.H2(_("Amend the request"), className="h6"),
        html.P(_("The mission changed its request: the amendment is kept with each field's before and after, and "
                 "the candidates are ranked again for it."), className="small text-muted"),
        dbc.Row([
            dbc.Col(form_field(AMEND, book, "title", dbc.Input(id=field_id(AMEND, "title"),
                                                                maxLength=RULES.title_max)), md=6),
            dbc.Col(form_field(AMEND, book, "wanted_start", dbc.Input(id=field_id(AMEND, "wanted_start"),
                                                                       type="date")), md=2),
            dbc.Col(form_field(AMEND, book, "duration_days", number("duration_days")), md=2),
            dbc.Col(form_field(AMEND, book, "experts_requested", number("experts_requested")), md=2),
        ], className="g-2"),
        dbc.Row([
            dbc.Col(form_field(AMEND, book, "skills", codes("skills", options["skills"]), dbc_control=False), md=6),
            dbc.Col(form_field(AMEND, book, "clearances", codes("clearances", options["clearances"]),
                               dbc_control=False), md=6),
        ], className="g-2"),
        form_field(AMEND, book, "note", dbc.Textarea(id=field_id(AMEND, "note"), maxLength=2000, rows=2)),
        html.Div(id=Ids.AMEND_MESSAGE),
        dbc.Button(_("Save the amendment"), id=Ids.AMEND_SAVE, color="primary"),
    ]), className="mb-3")


def _weights(values: dict[str, Any]) -> Weights:
    return Weights.from_mapping({name: (None if values[name] in (None, "") else float(values[name]))
                                 for name in COMPONENTS})


def _weight_controls(kind: type[Input] | type[State]) -> dict[str, Any]:
    """The weight inputs by component name, as a callback's Input or State group."""
    return {name: kind(Ids.weight(name), "value") for name in COMPONENTS}


def _step_line(step: dict[str, Any], loc: str) -> str:
    """When the step happened, and when it was recorded if that was later (a backdated step)."""
    line = f"{status_label(step['status'])}: {timestamp(step['occurred_at'], loc)} · {step['by'] or '–'}"
    if abs((step["recorded_at"] - step["occurred_at"]).total_seconds()) > 60:
        line += " · " + _("recorded %(at)s", at=timestamp(step["recorded_at"], loc))
    return line


AMENDED_FIELDS = {
    "title": _l("title"), "wanted_start": _l("wanted start"), "duration_days": _l("days"),
    "experts_requested": _l("experts requested"), "capacity": _l("capacity"), "skills": _l("skills"),
    "languages": _l("languages"), "clearances": _l("required clearances"), "priority": _l("priority"),
    "received_on": _l("received on"), "notes": _l("notes"), "balance_gender": _l("gender balance"),
    "gender_considerations": _l("gender considerations"), "site_id": _l("site"),
    "accept_any_capacity": _l("either capacity"),
}


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v.get("code", v)) if isinstance(v, dict) else str(v) for v in value) or "–"
    return "–" if value in (None, "") else str(value)


def _amendment_line(amendment: dict[str, Any], loc: str) -> str:
    parts = []
    for name, change in amendment["changes"].items():
        if name.startswith("steps."):
            label = _("step “%(step)s” happened", step=status_label(name.split(".")[1]))
            before, after = (timestamp(datetime.fromisoformat(v), loc) if v else "–"
                             for v in (change["before"], change["after"]))
        else:
            label = str(AMENDED_FIELDS.get(name, name))
            before, after = _shown(change["before"]), _shown(change["after"])
        parts.append(f"{label}: {before} → {after}")
    note = f" ({amendment['note']})" if amendment.get("note") else ""
    return f"{timestamp(amendment['at'], loc)} · {amendment['by'] or '–'} · " + "; ".join(parts) + note


@secured_callback(
    output=dict(
        header=Output(Ids.HEADER, "children"), steps=Output(Ids.STEPS, "children"), team=Output(Ids.TEAM, "children"),
        timeline=Output(Ids.TIMELINE, "figure"), version=Output(Ids.VERSION, "data"),
        weights_note=Output(Ids.WEIGHTS_NOTE, "children"),
        disabled={status: Output(Ids.action(status), "disabled") for status in ACTIONS},
    ),
    inputs=dict(reference=Input(Ids.REFERENCE, "data"), _refresh=Input(Ids.REFRESH, "data")),
    roles=Permission.MANAGE_SURGE,
)
def show_request(reference: str | None, _refresh: int) -> dict[str, Any]:
    try:
        with db_session() as s:
            detail = surge.get_request(s, current_user.principal, reference or "")
            start, end = detail["wanted_start"], detail["wanted_end"]
            bars = forecast.timeline(s, current_user.principal, request_id=detail["id"],
                                     start=start - timedelta(days=30), end=end + timedelta(days=30))
    except HubError as error:
        return {"header": dbc.Alert(str(error), color="danger", id="surge-req-not-found"), "steps": None,
                "team": None, "timeline": dash.no_update, "version": None, "weights_note": None,
                "disabled": dict.fromkeys(ACTIONS, True)}
    badges = [dbc.Badge(status_label(detail["status"]), color="info", id="surge-req-status", className="me-2")]
    if detail["overdue"]:
        badges.append(dbc.Badge(ngettext("Overdue: target %(num)d day", "Overdue: target %(num)d days",
                                         detail["target_days"]), color="danger"))
    loc = current_locale()
    kinds = {True: _("required"), False: _("desirable")}
    weight = _("weight")
    skills = ", ".join(
        f"{localized_name(s, loc)} ≥ {s['min_level']} "
        f"({kinds[bool(s['required'])]}, {weight} {number(s['weight'], loc)})"
        for s in detail["skills"]) or "–"
    capacity = (_("either capacity") if detail["accept_any_capacity"] or not detail["capacity"]
                else _("%(capacity)s only", capacity=detail["capacity"]))
    languages = ", ".join(f"{language_name(lang['code'], loc)} ≥ {lang['min_level']}"
                          for lang in detail["languages"]) or "–"
    header = html.Div([
        html.H1([detail["reference"], " · ", detail["title"]], className="h4"),
        html.Div(badges, className="mb-2"),
        html.P([
            ngettext("%(mission)s asks for %(num)d expert from %(start)s to %(end)s.",
                     "%(mission)s asks for %(num)d experts from %(start)s to %(end)s.", detail["experts_requested"],
                     mission=detail["mission"], start=day(start, loc), end=day(end, loc)), html.Br(),
            _("Capacity: %(capacity)s", capacity=capacity), html.Br(),
            _("Skills: %(skills)s", skills=skills), html.Br(), _("Languages: %(languages)s", languages=languages),
            html.Br(), _("Required clearances: %(codes)s",
                         codes=", ".join(localized_name(c, loc) for c in detail["clearance_names"]) or "–"),
            html.Br(), _("Gender considerations: %(text)s", text=detail["gender_considerations"] or "–"),
        ], className="small"),
    ])
    steps = html.Div([
        html.Ul([html.Li(_step_line(s, loc)) for s in detail["steps"]], className="small", id="surge-req-step-list"),
        *([html.H3(_("Amendments"), className="h6 mt-2"),
           html.Ul([html.Li(_amendment_line(a, loc)) for a in detail["amendments"]], className="small",
                   id="surge-req-amendments")] if detail["amendments"] else []),
    ])
    team = html.Ul([html.Li([dcc.Link(m.get("expert_name", "–"), href=f"/deployments/{m['deployment_id']}"),
                             f" · {GENDER_LABELS.get(m['gender'], m['gender'])} · "
                             f"{DEPLOYMENT_STATUS_LABELS.get(m['status'], m['status'])}"])
                    for m in detail["team"]] or [html.Li(_("Nobody proposed yet."))],
                   className="small", id="surge-req-team-list")
    allowed = set(detail["next_statuses"])
    saved = ", ".join(f"{COMPONENT_LABELS[name]} {value:g}" for name, value in detail["weights"].items())
    weights_note = (_("Saved for this request: %(weights)s.", weights=saved) if detail["weights_saved"]
                    else _("Nothing saved for this request: the default weights rank it."))
    return {"header": header, "steps": steps, "team": team,
            "timeline": timeline_figure(bars, start - timedelta(days=30), end + timedelta(days=30)),
            "version": detail["version"], "weights_note": weights_note,
            "disabled": {status: status not in allowed for status in ACTIONS}}


@secured_callback(
    output=dict(is_open=Output(Ids.AMEND_COLLAPSE, "is_open"),
                values={name: Output(field_id(AMEND, name), "value") for name in AMEND_INPUTS}
                | {name: Output(field_id(AMEND, name, dbc_control=False), "value") for name in AMEND_LISTS}),
    inputs=dict(_clicks=Input(Ids.AMEND_OPEN, "n_clicks")),
    state=dict(is_open=State(Ids.AMEND_COLLAPSE, "is_open"), reference=State(Ids.REFERENCE, "data")),
    roles=Permission.MANAGE_SURGE, prevent_initial_call=True,
)
def open_amendment(_clicks: int | None, is_open: bool, reference: str | None) -> dict[str, Any]:
    """Opens the form filled with the request as it is now (or closes it)."""
    unchanged = dict.fromkeys((*AMEND_INPUTS, *AMEND_LISTS), dash.no_update)
    if is_open:
        return {"is_open": False, "values": unchanged}
    try:
        with db_session() as s:
            current = amendments.current_form(s, current_user.principal, surge.load_request(s, reference or ""))
    except HubError:
        return {"is_open": False, "values": unchanged}
    values = {"title": current["title"], "wanted_start": current["wanted_start"].isoformat(),
              "duration_days": current["duration_days"], "experts_requested": current["experts_requested"],
              "note": "", "skills": [row["code"] for row in current["skills"]], "clearances": current["clearances"]}
    return {"is_open": True, "values": values}


@secured_callback(
    output=dict(fields=feedback_outputs(AMEND), message=Output(Ids.AMEND_MESSAGE, "children"),
                is_open=Output(Ids.AMEND_COLLAPSE, "is_open", allow_duplicate=True),
                refresh=Output(Ids.REFRESH, "data", allow_duplicate=True)),
    inputs=dict(_clicks=Input(Ids.AMEND_SAVE, "n_clicks")),
    state=dict(form=form_states(AMEND), reference=State(Ids.REFERENCE, "data"), version=State(Ids.VERSION, "data"),
               refresh=State(Ids.REFRESH, "data")),
    roles=Permission.MANAGE_SURGE, prevent_initial_call=True,
)
def save_amendment(_clicks: int | None, form: Any, reference: str | None, version: int | None,
                   refresh: int | None) -> dict[str, Any]:
    """The form's changed fields become an amendment; the page then shows it and ranks the candidates again."""
    values = form_values(AMEND)
    try:
        with db_session() as s:
            request = surge.load_request(s, reference or "")
            current = amendments.current_form(s, current_user.principal, request)
            amendments.amend_request(s, current_user.principal, request.id,
                                     amendments.form_changes(current, values), version=version,
                                     note=values.get("note"), origin=request_origin())
    except (Problems, StaleEdit, VersionRequired) as error:
        problems = error.problems if isinstance(error, Problems) else [error.problem]
        # A skill's or clearance's own problem (skills.1.code) is shown under the list it is in.
        aliases = {p.field: p.field.split(".", 1)[0] for p in problems if "." in p.field}
        fields, leftover = feedback_values(problems, AMEND, AMEND_FORM, aliases)
        stale = isinstance(error, StaleEdit | VersionRequired)
        lead = _("Not saved: someone changed the request since you opened it.") if stale \
            else _("Not saved: correct the fields marked in red.")
        return {"fields": fields, "message": problems_alert(lead, leftover, element_id="surge-req-amend-error"),
                "is_open": dash.no_update, "refresh": dash.no_update}
    except HubError as error:
        return {"fields": cleared_feedback(AMEND), "is_open": dash.no_update, "refresh": dash.no_update,
                "message": dbc.Alert(str(error), color="danger", id="surge-req-amend-error")}
    return {"fields": cleared_feedback(AMEND), "is_open": False, "refresh": int(refresh or 0) + 1,
            "message": dbc.Alert(_("Amendment saved: the candidates are ranked for the amended request."),
                                 color="success", id="surge-req-amend-done", duration=6000)}


@secured_callback(
    output=(Output(Ids.MESSAGE, "children", allow_duplicate=True),
            Output(Ids.REFRESH, "data", allow_duplicate=True)),
    inputs=dict(_clicks=Input(Ids.SAVE_WEIGHTS, "n_clicks")),
    state=dict(reference=State(Ids.REFERENCE, "data"), version=State(Ids.VERSION, "data"),
               refresh=State(Ids.REFRESH, "data"), weights=_weight_controls(State)),
    roles=Permission.MANAGE_SURGE, prevent_initial_call=True,
)
def save_weights(_clicks: int | None, reference: str | None, version: int | None, refresh: int | None,
                 weights: dict[str, Any]) -> tuple[Any, Any]:
    """The weights on the page become the request's own: every planner, and the API, then rank with them."""
    try:
        with db_session() as s:
            surge.save_weights(s, current_user.principal, reference or "", _weights(weights), version=version,
                               origin=request_origin())
    except HubError as error:
        return dbc.Alert(str(error), color="danger", id="surge-req-error"), dash.no_update
    return (dbc.Alert(_("Weights saved: this request's candidates are now ranked with them by everyone."),
                      color="success", id="surge-req-done"), int(refresh or 0) + 1)


@secured_callback(
    output=(Output(Ids.GRID, "rowData"), Output(Ids.COUNT, "children"), Output(Ids.EXCLUDED, "options"),
            Output(Ids.MISSES, "children"), Output(Ids.CARDS, "children")),
    inputs=dict(reference=Input(Ids.REFERENCE, "data"), _refresh=Input(Ids.REFRESH, "data"),
                weights=_weight_controls(Input)),
    roles=Permission.MANAGE_SURGE,
)
def show_candidates(reference: str | None, _refresh: int, weights: dict[str, Any]) -> tuple[Any, ...]:
    try:
        with db_session() as s:
            ranking = surge.candidates(s, current_user.principal, reference or "", _weights(weights))
            top = ranking.top(CANDIDATES_SHOWN)
            excluded = ranking.excluded()
            misses = ranking.nearest_misses() if ranking.too_few else []
            names = surge.expert_names(s, current_user.principal,
                                       [c.expert_id for c in top] + [c.expert_id for c in excluded])
    except HubError as error:
        return [], dbc.Alert(str(error), color="danger", className="py-1"), [], None, None
    rows = [{"expert_id": c.expert_id, "rank": c.rank, "name": names.get(c.expert_id, "–"),
             "capacity": c.capacity, "gender": str(GENDER_LABELS.get(c.gender, c.gender)),
             "score": round(c.score, 3), "why": why(c, ranking.need)} for c in top]
    count = ngettext("%(eligible)d eligible of %(num)d expert; %(excluded)d excluded by a hard rule",
                     "%(eligible)d eligible of %(num)d experts; %(excluded)d excluded by a hard rule",
                     len(ranking.ids), eligible=ranking.eligible_count, excluded=len(excluded))
    options = [{"label": f"{names.get(c.expert_id, c.expert_id)} — {rules_text(c.excluded_by[:1])}",
                "value": c.expert_id} for c in excluded]
    return rows, count, options, _misses(ranking, misses, names), _cards(rows[:CARDS_SHOWN])


def _misses(ranking: Any, misses: list[Any], names: dict[int, str]) -> Any:
    """When too few pass: says so, and who nearly did with what each lacks."""
    if not ranking.too_few:
        return None
    items = [html.Li([html.Strong(names.get(m.candidate.expert_id, f"#{m.candidate.expert_id}")),
                      f" ({m.candidate.capacity or '–'}): ", miss_text(m)]) for m in misses]
    return dbc.Alert([
        html.Div(too_few_text(ranking.eligible_count, ranking.need.still_wanted), className="fw-bold"),
        html.Div(_("Nearest misses, and what each lacks:") if items
                 else _("Nobody else is free and meets the other rules."), className="small mt-1"),
        html.Ul(items, className="small mb-0", id="surge-req-miss-list") if items else None,
    ], color="warning", id="surge-req-too-few", className="py-2")


def _cards(rows: list[dict[str, Any]]) -> Any:
    return [dbc.Card(dbc.CardBody([
        html.Div([html.Strong(f"#{r['rank']} {r['name']}"),
                  html.Span(_("Score %(score)s", score=format_decimal(r["score"], "0.00")),
                            className="badge bg-primary ms-2")]),
        html.Div(f"{r['capacity'] or '–'} · {r['gender']}", className="small text-muted"),
        html.Div(r["why"], className="small"),
    ], className="py-2 px-3"), className="mb-2 surge-card") for r in rows]


@secured_callback(
    Output(Ids.EXCLUDED_WHY, "children"),
    Input(Ids.EXCLUDED, "value"), State(Ids.REFERENCE, "data"),
    roles=Permission.MANAGE_SURGE, prevent_initial_call=True,
)
def explain_excluded(expert_id: int | None, reference: str | None) -> Any:
    if not expert_id:
        return None
    try:
        with db_session() as s:
            candidate = surge.candidates(s, current_user.principal, reference or "").explain(int(expert_id))
    except HubError as error:
        return dbc.Alert(str(error), color="danger")
    if candidate.eligible:
        return dbc.Alert(_("Not excluded: ranked %(rank)d.", rank=candidate.rank), color="info")
    return dbc.Alert(_("Excluded: %(rules)s.", rules=rules_text(candidate.excluded_by)), color="warning",
                     id="surge-req-excluded-reason")


@secured_callback(
    output=(Output(Ids.GRID, "selectedRows"), Output(Ids.MESSAGE, "children", allow_duplicate=True)),
    inputs=dict(_clicks=Input(Ids.SUGGEST, "n_clicks")),
    state=dict(reference=State(Ids.REFERENCE, "data"), weights=_weight_controls(State)),
    roles=Permission.MANAGE_SURGE, prevent_initial_call=True,
)
def suggest_team(_clicks: int | None, reference: str | None, weights: dict[str, Any]) -> tuple[Any, Any]:
    try:
        with db_session() as s:
            ranking, team = surge.suggested_team(s, current_user.principal, reference or "", _weights(weights))
            names = surge.expert_names(s, current_user.principal, [m.candidate.expert_id for m in team])
    except HubError as error:
        return dash.no_update, dbc.Alert(str(error), color="danger")
    if not team:
        return {"ids": []}, dbc.Alert(_("No one left to suggest: the team is complete or nobody is eligible."),
                                      color="info")
    note = _("Suggested as a team: skills that complement each other%(gender)s. Review, then propose.",
             gender=_(" and gender balance") if ranking.need.balance_gender else "")
    if names:  # on a phone the grid's selection is not shown: say who
        note += " " + ", ".join(names.get(m.candidate.expert_id, "–") for m in team)
    return {"ids": [str(m.candidate.expert_id) for m in team]}, dbc.Alert(note, color="info")


@secured_callback(
    output=(Output(Ids.MESSAGE, "children"), Output(Ids.REFRESH, "data")),
    inputs=dict(_propose=Input(Ids.PROPOSE, "n_clicks"),
                _actions={status: Input(Ids.action(status), "n_clicks") for status in ACTIONS}),
    state=dict(selected=State(Ids.GRID, "selectedRows"), version=State(Ids.VERSION, "data"),
               reference=State(Ids.REFERENCE, "data"), refresh=State(Ids.REFRESH, "data"),
               marker=State(Ids.MARKER, "value"), allocation=State(Ids.ALLOCATION, "value")),
    roles=Permission.MANAGE_SURGE, prevent_initial_call=True,
)
def act(_propose: int | None, _actions: dict[str, int | None], selected: list[dict[str, Any]] | None,
        version: int | None, reference: str | None, refresh: int | None, marker: Any = None,
        allocation: Any = None) -> tuple[Any, int]:
    refresh = int(refresh or 0)
    trigger = ctx.triggered_id
    try:
        with db_session() as s:
            if trigger == Ids.PROPOSE:
                ids = [int(row["expert_id"]) for row in (selected or [])]
                made = surge.propose(s, current_user.principal, reference or "", ids, version=version,
                                     origin=request_origin(), gender_marker=marker or None,
                                     allocation_id=int(allocation) if allocation else None)
                message = ngettext("%(num)d expert proposed: a planned deployment created.",
                                   "%(num)d experts proposed: planned deployments created.", len(made))
            else:
                status = str(trigger).removeprefix(Ids.action(""))
                surge.advance(s, current_user.principal, reference or "", status, version=version,
                              origin=request_origin())
                message = _("Request moved to: %(status)s.", status=status_label(status))
    except Problems as error:
        lines = [record_problem_text(p) for p in error.problems]
        return dbc.Alert(" ".join(lines), color="danger", id="surge-req-error"), refresh + 1
    except HubError as error:
        # A refusal (someone else was faster, a rule, a stale page) is explained here, never as a traceback.
        return dbc.Alert(str(error), color="danger", id="surge-req-error"), refresh + 1
    return dbc.Alert(message, color="success", id="surge-req-done"), refresh + 1


def title(reference: str | None = None, **_kwargs: object) -> str:
    return f"{reference or ''} · " + _("Surge planner")


dash.register_page(__name__, layout=layout, path_template="/surge/requests/<reference>", name="Surge request",
                   title=title, permission=Permission.MANAGE_SURGE)
