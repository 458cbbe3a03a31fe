"""One expert's record: the profile, skills, languages (CEFR), clearances and trainings with their validity,
absences, and the deployment history on a small map and a timeline. Planners and admins (MANAGE_PERSONNEL)
edit every part, each field's problem shown at the field; ``/experts/new`` records a new expert.

The callbacks are thin: services.experts checks, writes and audits; a stale form is refused with who changed
what (the expert's version, bumped by any change to a part too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import ALL, Input, Output, State, callback_context, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy import select

from dashboard.components.basemap import offline_basemap
from dashboard.components.record_form import (
    feedback_outputs,
    feedback_values,
    field_id,
    form_field,
    form_states,
    form_values,
    problem_text,
)
from dashboard.components.surge_parts import timeline_figure
from dashboard.context import db_session, request_origin
from dashboard.i18n import ABSENCE_LABELS, DEPLOYMENT_STATUS_LABELS, LANGUAGE_LEVEL_LABELS, _, _l, current_locale
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import not_found_notice, page_layout
from models import Capacity, ClearanceType, Country, Language, Skill
from models.enums import ContractType, ExpertStatus, Gender, LanguageLevel
from services import experts
from services.access import Permission
from services.errors import HubError, NotFound
from services.experts import rules
from services.formatting import day
from services.records import Problems, RuleBook
from services.records.imports import fold
from services.records.versioning import StaleEdit, VersionRequired
from services.reference_data import language_label, localized_column

PROFILE_FORM = "expert-profile"
NEW_FORM = "expert-new"
ROW = "expert-row"  # the pattern-matching type of a part's row buttons


class Ids:
    EXPERT = "expert-id"
    VERSION = "expert-version"
    REFRESH = "expert-refresh"
    HEADER = "expert-header"
    MESSAGE = "expert-message"
    PROFILE = "expert-profile-view"
    PROFILE_EDIT = "expert-profile-edit"
    PROFILE_COLLAPSE = "expert-profile-collapse"
    PROFILE_SAVE = "expert-profile-save"
    PROFILE_MESSAGE = "expert-profile-message"
    DELETE = "expert-delete"
    ERASE = "expert-erase"
    TIMELINE = "expert-timeline"
    MAP = "expert-map"
    MAP_POINTS = "expert-map-points"
    NEW_SAVE = "expert-new-save"
    NEW_MESSAGE = "expert-new-message"
    NEW_GO = "expert-new-go"
    CHANGES = "expert-changes"

    @staticmethod
    def part(name: str, what: str, prefix: str = "expert") -> str:
        return f"{prefix}-{name}-{what}"


GENDER_LABELS = {Gender.FEMALE.value: _l("Female"), Gender.MALE.value: _l("Male"), Gender.OTHER.value: _l("Other"),
                 Gender.UNDISCLOSED.value: _l("Undisclosed")}
CONTRACT_LABELS = {ContractType.FIXED_TERM.value: _l("Fixed-term"), ContractType.CONTINUING.value: _l("Continuing"),
                   ContractType.TEMPORARY.value: _l("Temporary"), ContractType.SECONDED.value: _l("Seconded"),
                   ContractType.CONSULTANT.value: _l("Consultant")}
# lazy_pgettext: an expert's state agrees with "expert" in French ("Actif"), unlike a grant's "Active".
STATUS_LABELS = {ExpertStatus.ACTIVE.value: lazy_pgettext("expert", "Active"),
                 ExpertStatus.ON_LEAVE.value: _l("On leave"), ExpertStatus.SEPARATED.value: _l("Separated")}
PART_TITLES = {"skills": _l("Skills"), "languages": _l("Languages"), "clearances": _l("Clearances"),
               "trainings": _l("Trainings"), "absences": _l("Absences")}
PART_ADD = {"skills": _l("Add a skill"), "languages": _l("Add a language"), "clearances": _l("Add a clearance"),
            "trainings": _l("Add a training"), "absences": _l("Record an absence")}


def _level_label(level: str | None) -> str:
    return "—" if not level else str(LANGUAGE_LEVEL_LABELS.get(level, level))


def _options(labels: dict[str, Any], blank: bool = False) -> list[dict[str, str]]:
    return ([{"label": "—", "value": ""}] if blank else []) + [{"label": str(v), "value": k}
                                                             for k, v in labels.items()]


def _reference_options(s: Any) -> dict[str, list[dict[str, str]]]:
    locale = current_locale()
    skill_name = localized_column(Skill, locale)
    clearance_name = localized_column(ClearanceType, locale)
    languages = sorted(({"label": f"{language_label(code, name, locale)} ({code})", "value": code}
                        for code, name in s.execute(select(Language.code, Language.name))),
                       key=lambda option: fold(option["label"]))  # in French, "éwé" among the e's
    return {
        "skill": [{"label": name, "value": code} for code, name in
                  s.execute(select(Skill.code, skill_name).order_by(skill_name))],
        "language": languages,
        "clearance": [{"label": name, "value": code} for code, name in
                      s.execute(select(ClearanceType.code, clearance_name).order_by(clearance_name))],
        "capacity": [{"label": code, "value": code} for (code,) in
                     s.execute(select(Capacity.code).order_by(Capacity.code))],
        "nationality": [{"label": "—", "value": ""}] + [
            {"label": name, "value": code} for code, name in
            s.execute(select(Country.code, Country.name).order_by(Country.name))],
    }


def _control(form: str, book: RuleBook, name: str, options: dict[str, list[dict[str, str]]]) -> Any:
    """The control a field of the rule book gets: a list for choices and codes, a date input for dates."""
    f = book.fields_by_name[name]
    ident = field_id(form, name)
    kind = type(f).__name__
    blank = not f.required
    choices: list[dict[str, str]] | None = None
    if name in options:
        choices = options[name]
    elif name == "gender":
        choices = _options(GENDER_LABELS)
    elif name == "contract_type":
        choices = _options(CONTRACT_LABELS)
    elif name == "status":
        choices = _options(STATUS_LABELS)
    elif name == "kind":
        choices = _options(ABSENCE_LABELS)
    elif name in ("level", "reading", "writing", "speaking") and book is rules.LANGUAGE:
        choices = _options({lv.value: _level_label(lv.value) for lv in LanguageLevel}, blank=blank)
    elif name == "level":
        choices = [{"label": str(n), "value": str(n)} for n in range(1, 6)]
    if choices is not None:
        if f.required and choices and choices[0]["value"] != "":
            choices = [{"label": "—", "value": ""}, *choices]
        control: Any = dbc.Select(id=ident, options=choices, value="")
    elif kind == "Date":
        control = dbc.Input(id=ident, type="date")
    elif name == "note":
        control = dbc.Textarea(id=ident, rows=2)
    else:
        control = dbc.Input(id=ident, type="email" if kind == "Email" else "text")
    return form_field(form, book, name, control)


def _form(form: str, book: RuleBook, options: dict[str, list[dict[str, str]]], columns: int = 3) -> dbc.Row:
    width = 12 // columns
    return dbc.Row([dbc.Col(_control(form, book, name, options), md=width) for name in book.names], className="g-2")


# Under the absence form: the database refuses two absences of one expert that overlap (an exclusion constraint),
# and the service names the absence in the way at the "From" field.
ABSENCE_HELP = _l("Absences of one person may not overlap: change the absence already recorded instead.")


def _part_card(name: str, options: dict[str, list[dict[str, str]]], editable: bool, prefix: str = "expert",
               columns: int = 4) -> dbc.Card:
    """One part's card: its list, and (editable) the add button and the form, ids under ``prefix`` (the
    planner's page and the expert's own page each have theirs)."""
    part = experts.PARTS[name]
    form = Ids.part(name, "form", prefix)
    body: list[Any] = [html.Div(id=Ids.part(name, "list", prefix))]
    if editable:
        body += [
            dbc.Button(str(PART_ADD[name]), id=Ids.part(name, "add", prefix), color="outline-primary", size="sm",
                       className="mt-2"),
            dbc.Collapse([
                html.Hr(),
                _form(form, part.book, options, columns=columns),
                *([html.P(str(ABSENCE_HELP), className="form-text mt-0")] if name == "absences" else []),
                dcc.Store(id=Ids.part(name, "key", prefix)),
                dbc.Button(_("Save"), id=Ids.part(name, "save", prefix), color="primary", size="sm",
                           className="me-2"),
                dbc.Button(_("Cancel"), id=Ids.part(name, "cancel", prefix), color="link", size="sm"),
                html.Div(id=Ids.part(name, "message", prefix), className="mt-2"),
            ], id=Ids.part(name, "collapse", prefix), is_open=False),
        ]
    return dbc.Card([dbc.CardHeader(html.H2(str(PART_TITLES[name]), className="h6 mb-0")), dbc.CardBody(body)],
                    className="mb-3", id=Ids.part(name, "card", prefix))


def _new_layout() -> Any:
    if not current_user.principal.can(Permission.MANAGE_PERSONNEL):
        from dashboard.security.pages import forbidden_notice

        return forbidden_notice()
    with db_session() as s:
        options = _reference_options(s)
    return html.Div([
        dcc.Location(id=Ids.NEW_GO, refresh=True),
        html.H1(_("New expert"), className="h3"),
        html.P(_("Fields marked * are required."), className="text-muted small"),
        _form(NEW_FORM, rules.PROFILE, options),
        dbc.Button(_("Record the expert"), id=Ids.NEW_SAVE, color="primary", className="mt-2"),
        html.Div(id=Ids.NEW_MESSAGE, className="mt-2"),
    ])


@page_layout(Permission.VIEW_OPERATIONS)
def layout(expert_id: str | None = None, **_kwargs: object) -> Any:
    if expert_id == "new":
        return _new_layout()
    if not served({"expert_id": expert_id or ""}):
        return not_found_notice()
    editable = current_user.principal.can(Permission.MANAGE_PERSONNEL)
    detail = current_user.principal.can(Permission.VIEW_PERSONNEL_DETAIL)
    with db_session() as s:
        options = _reference_options(s) if editable else {}
    actions: list[Any] = []
    profile_edit: list[Any] = []
    if editable:
        actions = [
            dbc.Button(_("Edit profile"), id=Ids.PROFILE_EDIT, color="outline-primary", size="sm"),
            dcc.ConfirmDialogProvider(
                dbc.Button(_("Erase personal fields"), color="outline-danger", size="sm"),
                id=Ids.ERASE, message=_("Erase this separated expert's names, staff number, e-mail, skills, "
                                        "languages, clearances, trainings and absences? This cannot be undone.")),
            dcc.ConfirmDialogProvider(
                dbc.Button(_("Delete"), color="outline-danger", size="sm"),
                id=Ids.DELETE, message=_("Delete this expert? Only an expert without deployments can be deleted.")),
        ]
        profile_edit = [dbc.Collapse([
            html.Hr(),
            _form(PROFILE_FORM, rules.PROFILE, options),
            dbc.Button(_("Save"), id=Ids.PROFILE_SAVE, color="primary", size="sm"),
            html.Div(id=Ids.PROFILE_MESSAGE, className="mt-2"),
        ], id=Ids.PROFILE_COLLAPSE, is_open=False)]
    parts = [_part_card(name, options, editable) for name in experts.PARTS] if detail else []
    return html.Div([
        dcc.Store(id=Ids.EXPERT, data=int(expert_id or 0)),
        dcc.Store(id=Ids.VERSION),
        dcc.Store(id=Ids.REFRESH, data=0),
        html.Div(html.A(_("All experts"), href="/experts"), className="small mb-1"),
        html.Div(id=Ids.HEADER),
        html.Div(actions, className="d-flex flex-wrap gap-2 mb-2"),
        html.Div(id=Ids.MESSAGE),
        dbc.Row([
            dbc.Col([
                dbc.Card([dbc.CardHeader(html.H2(_("Profile"), className="h6 mb-0")),
                          dbc.CardBody([html.Div(id=Ids.PROFILE), *profile_edit])], className="mb-3"),
                *parts[:3],
            ], lg=6),
            dbc.Col([
                dbc.Card([dbc.CardHeader(html.H2(_("Deployment history"), className="h6 mb-0")), dbc.CardBody([
                    dl.Map([offline_basemap("expert-base"), dl.LayerGroup(id=Ids.MAP_POINTS),
                            dl.ScaleControl(position="bottomleft", imperial=False)],
                           id=Ids.MAP, center=[8, 18], zoom=2, minZoom=1, maxZoom=8, worldCopyJump=True,
                           style={"height": "260px", "background": "#b8d3ea"}),
                    dcc.Graph(id=Ids.TIMELINE, config={"displayModeBar": False}),
                ])], className="mb-3"),
                *parts[3:],
                *([dbc.Card([dbc.CardHeader(html.H2(_("Recent changes"), className="h6 mb-0")),
                             dbc.CardBody(html.Div(id=Ids.CHANGES))], className="mb-3")] if detail else []),
            ], lg=6),
        ]),
    ])


# --- showing ------------------------------------------------------------------------------------------------
def _dl(items: list[tuple[str, Any]]) -> html.Dl:
    out: list[Any] = []
    for label, value in items:
        out += [html.Dt(label, className="col-5 col-md-4 small text-muted"),
                html.Dd(value if value not in (None, "") else "—", className="col-7 col-md-8 mb-1")]
    return html.Dl(out, className="row mb-0")


def _valid_badge(until: date | None) -> Any:
    if until is None:
        return dbc.Badge(_("no expiry"), color="light", text_color="dark", className="ms-1")
    if until < date.today():
        return dbc.Badge(_("expired"), color="danger", className="ms-1")
    if until < date.today() + timedelta(days=90):
        return dbc.Badge(_("expires soon"), color="warning", text_color="dark", className="ms-1")
    return dbc.Badge(_("valid"), color="success", className="ms-1")


def _part_row(part: str, key: Any, text: list[Any], editable: frozenset[str], row_type: str = ROW) -> html.Li:
    buttons: list[Any] = []
    if part in editable:
        buttons = [
            dbc.Button(_("Edit"), id={"type": row_type, "part": part, "action": "edit", "key": str(key)},
                       color="link", size="sm", className="p-0 me-2"),
            dbc.Button(_("Remove"), id={"type": row_type, "part": part, "action": "remove", "key": str(key)},
                       color="link", size="sm", className="p-0 text-danger"),
        ]
    return html.Li([html.Div(text, className="me-2"), html.Div(buttons, className="text-nowrap")],
                   className="list-group-item d-flex justify-content-between align-items-start px-0")


def _list(rows: list[html.Li]) -> Any:
    return html.Ul(rows, className="list-group list-group-flush") if rows else \
        html.P(_("None recorded."), className="text-muted small mb-0")


def _validity(since: str, until: date | None, locale: str) -> str:
    return since if until is None else since + ", " + _("valid until %(end)s", end=day(until, locale))


def _lists(record: dict[str, Any], editable: frozenset[str], locale: str, row_type: str = ROW, *,
           past_absences_editable: bool = True) -> dict[str, Any]:
    """Each part's list; the parts named in ``editable`` get Edit and Remove buttons (ids of ``row_type``).
    An expert's own page offers none on an absence that has ended (the service refuses it: planners keep the
    record's past)."""

    def _row(part: str, key: Any, text: list[Any], editable: frozenset[str]) -> html.Li:
        return _part_row(part, key, text, editable, row_type)

    skills = [_row("skills", s["code"], [html.Span(s["name"]), html.Span(
        _(" — level %(level)d of 5", level=s["level"]), className="text-muted")], editable)
        for s in record.get("skills", [])]
    languages = [_row("languages", lg["code"], [
        html.Span(f"{lg['name']} "), dbc.Badge(_level_label(lg["level"]), color="primary", className="me-2"),
        html.Small(_("reading %(r)s · writing %(w)s · speaking %(s)s", r=_level_label(lg["reading"]),
                     w=_level_label(lg["writing"]), s=_level_label(lg["speaking"])), className="text-muted")],
        editable) for lg in record.get("languages", [])]
    clearances = [_row("clearances", c["id"], [
        html.Span(c["name"]), html.Br(),
        html.Small(_validity(_("obtained %(start)s", start=day(c["obtained_on"], locale)), c["valid_until"], locale),
                   className="text-muted"),
        _valid_badge(c["valid_until"])],
        editable) for c in record.get("clearances", [])]
    trainings = [_row("trainings", t["id"], [
        html.Span(t["name"]), html.Span(f" ({t['provider']})" if t["provider"] else "", className="text-muted"),
        html.Br(),
        html.Small(_validity(_("completed %(start)s", start=day(t["completed_on"], locale)), t["valid_until"], locale),
                   className="text-muted"),
        _valid_badge(t["valid_until"])], editable) for t in record.get("trainings", [])]
    absences = [_row("absences", a["id"], [
        html.Span(str(ABSENCE_LABELS.get(a["kind"], a["kind"]))), html.Span(" · "),
        html.Span(f"{day(a['start_date'], locale)} – {day(a['end_date'], locale)}"),
        html.Small(f" — {a['note']}" if a["note"] else "", className="text-muted")],
        editable if past_absences_editable or a["end_date"] >= date.today() else editable - {"absences"})
        for a in record.get("absences", [])]
    return {"skills": _list(skills), "languages": _list(languages), "clearances": _list(clearances),
            "trainings": _list(trainings), "absences": _list(absences)}


def _header(record: dict[str, Any]) -> Any:
    name = record.get("name") or _("Expert")
    status = str(record.get("status") or "")
    badges = [dbc.Badge(record.get("capacity") or "", color="secondary", className="me-1"),
              dbc.Badge(str(STATUS_LABELS.get(status, status)),
                        color="dark" if status == ExpertStatus.SEPARATED.value else "success", className="me-1",
                        id="expert-status")]
    if record.get("erased"):
        badges.append(dbc.Badge(_("personal fields erased"), color="warning", text_color="dark"))
    return html.Div([html.H1(name, className="h3 mb-1"), html.Div(badges, className="mb-2")])


def _profile(record: dict[str, Any], locale: str) -> Any:
    gender = str(record.get("gender") or "")
    contract = str(record.get("contract_type") or "")
    items = [(_("Staff number"), record.get("staff_number")), (_("Functional title"), record.get("functional_title")),
             (_("Grade"), record.get("grade")), (_("Team"), record.get("team")),
             (_("Gender"), str(GENDER_LABELS.get(gender, gender))), (_("Nationality"), record.get("nationality_iso3")),
             (_("Contract"), str(CONTRACT_LABELS.get(contract, contract)) if contract else None),
             (_("Duty station"), record.get("duty_station")), (_("E-mail"), record.get("email")),
             (_("Entry on duty"), day(record["entry_on_duty"], locale) if record.get("entry_on_duty") else None),
             (_("Separated on"), day(record["separated_on"], locale) if record.get("separated_on") else None)]
    keys = ["staff_number", "functional_title", "grade", "team", "gender", "nationality_iso3", "contract_type",
            "duty_station", "email", "entry_on_duty", "separated_on"]
    # Only the fields this role receives (the service never sent the others).
    return _dl([item for key, item in zip(keys, items, strict=True) if key in record])


def _bars(record: dict[str, Any]) -> list[dict[str, Any]]:
    bars = [{"kind": "deployment", "who": d["mission"], "mission": d["mission"], "status": d["status"],
             "start": d["start_date"], "end": d["end_date"]} for d in record["deployments"]]
    bars += [{"kind": "absence", "who": _("Absences"), "absence": a["kind"], "start": a["start_date"],
              "end": a["end_date"]} for a in record.get("absences", [])]
    return bars


def _timeline(record: dict[str, Any]) -> Any:
    bars = _bars(record)
    if not bars:
        start = date.today() - timedelta(days=180)
        return timeline_figure([], start, date.today() + timedelta(days=180))
    return timeline_figure(bars, min(b["start"] for b in bars) - timedelta(days=30),
                           max(b["end"] for b in bars) + timedelta(days=30))


def _points(record: dict[str, Any], locale: str) -> list[Any]:
    out = []
    for d in record["deployments"]:
        if d["lat"] is None:
            continue
        status = str(DEPLOYMENT_STATUS_LABELS.get(d["status"], d["status"]))
        where = d["mission"] + (f" — {d['site']}" if d["site"] else "")
        text = f"{where}: {day(d['start_date'], locale)} – {day(d['end_date'], locale)} ({status})"
        out.append(dl.CircleMarker(center=[d["lat"], d["lon"]], radius=7, color="#ffffff", weight=1,
                                   fillColor="#0d6efd", fillOpacity=0.8, children=dl.Tooltip(text)))
    return out


def _form_fill(form: str, book: RuleBook, values: dict[str, Any]) -> list[Any]:
    """Values for the form's controls (Output(field_id(form, ALL), "value")), in the order Dash lists them."""
    for group in callback_context.outputs_list:
        items = group if isinstance(group, list) else [group]
        if items and isinstance(items[0].get("id"), dict) and items[0]["id"].get("form") == form:
            return [_as_control(values.get(str(item["id"]["field"]))) for item in items]
    return []


def _as_control(value: Any) -> Any:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


LIST_OUTPUTS = [Output(Ids.part(name, "list"), "children") for name in experts.PARTS]


@secured_callback(
    Output(Ids.HEADER, "children"), Output(Ids.PROFILE, "children"), Output(Ids.TIMELINE, "figure"),
    Output(Ids.MAP_POINTS, "children"), Output(Ids.VERSION, "data"), Output(Ids.MESSAGE, "children"),
    Input(Ids.EXPERT, "data"), Input(Ids.REFRESH, "data"),
    roles=Permission.VIEW_OPERATIONS,
)
def show_record(expert_id: int, _refresh: int) -> tuple[Any, ...]:
    locale = current_locale()
    try:
        with db_session() as s:
            record = experts.expert_record(s, current_user.principal, int(expert_id), locale=locale)
    except NotFound:
        return (not_found_notice(), None, dash.no_update, [], None, None)
    return (_header(record), _profile(record, locale), _timeline(record), _points(record, locale),
            record["version"], None)


@secured_callback(
    *LIST_OUTPUTS,
    Input(Ids.EXPERT, "data"), Input(Ids.REFRESH, "data"),
    roles=Permission.VIEW_PERSONNEL_DETAIL,
)
def show_parts(expert_id: int, _refresh: int) -> tuple[Any, ...]:
    locale = current_locale()
    editable = current_user.principal.can(Permission.MANAGE_PERSONNEL)
    try:
        with db_session() as s:
            record = experts.expert_record(s, current_user.principal, int(expert_id), locale=locale)
    except NotFound:
        return tuple(None for _name in experts.PARTS)
    lists = _lists(record, frozenset(experts.PARTS) if editable else frozenset(), locale)
    return tuple(lists[name] for name in experts.PARTS)


def change_who(change: experts.Change) -> Any:
    """Who made a change: the expert themself (through their own expert user) stands out from the planners."""
    if change.by_expert:
        return html.Strong(_("the expert themself (%(user)s)", user=change.username or "?"),
                           className="text-primary")
    return html.Span(change.username or "?")


def change_what(change: experts.Change) -> str:
    return ", ".join(str(PART_TITLES.get(p, _("profile"))) for p in change.parts) or _("profile")


def _changes(rows: list[experts.Change], locale: str) -> Any:
    if not rows:
        return html.P(_("None recorded."), className="text-muted small mb-0")
    def when(at: datetime) -> str:
        utc = at.astimezone(UTC)
        return day(utc.date(), locale) + f" {utc:%H:%M} UTC · "

    return html.Ul([html.Li([html.Span(when(c.at), className="text-muted"), change_who(c),
                             html.Span(" · " + change_what(c))], className="small")
                    for c in rows], className="list-unstyled mb-0", id="expert-change-list")


@secured_callback(
    Output(Ids.CHANGES, "children"), Input(Ids.EXPERT, "data"), Input(Ids.REFRESH, "data"),
    roles=Permission.VIEW_PERSONNEL_DETAIL,
)
def show_changes(expert_id: int, _refresh: int) -> Any:
    with db_session() as s:
        rows = experts.record_changes(s, current_user.principal, int(expert_id))
    return _changes(rows, current_locale())


# --- writing ------------------------------------------------------------------------------------------------
def _refusal(error: Exception, form: str, book: RuleBook) -> tuple[dict[str, list[Any]], Any]:
    """The form's field states and its alert for a refused save (the user's input stays in the form)."""
    if isinstance(error, Problems):
        problems = error.problems
    elif isinstance(error, StaleEdit | VersionRequired):
        problems = [error.problem]
    else:
        problems = []
    feedback, leftover = feedback_values(problems, form, book)
    if isinstance(error, StaleEdit | VersionRequired):
        return feedback, dbc.Alert(leftover, color="warning", className="stale-edit")
    if not problems:
        return feedback, dbc.Alert(str(error), color="danger")
    lead = _("Not saved: correct the fields marked in red.")
    return feedback, dbc.Alert([html.Div(lead), *([html.Ul([html.Li(m) for m in leftover])] if leftover else [])],
                               color="danger")


def _saved(text: str) -> Any:
    return dbc.Alert(text, color="success", duration=4000, className="py-1 small")


@secured_callback(
    Output(Ids.PROFILE_COLLAPSE, "is_open"), Output(field_id(PROFILE_FORM, ALL), "value"),
    Input(Ids.PROFILE_EDIT, "n_clicks"), State(Ids.PROFILE_COLLAPSE, "is_open"), State(Ids.EXPERT, "data"),
    roles=Permission.MANAGE_PERSONNEL, prevent_initial_call=True,
)
def open_profile(_clicks: int | None, is_open: bool, expert_id: int) -> tuple[Any, Any]:
    if is_open:
        return False, dash.no_update
    with db_session() as s:
        values = experts.editable_profile(s, current_user.principal, int(expert_id))
    return True, _form_fill(PROFILE_FORM, rules.PROFILE, values)


@secured_callback(
    output=dict(fields=feedback_outputs(PROFILE_FORM), message=Output(Ids.PROFILE_MESSAGE, "children"),
                refresh=Output(Ids.REFRESH, "data", allow_duplicate=True)),
    inputs=dict(_clicks=Input(Ids.PROFILE_SAVE, "n_clicks")),
    state=dict(form=form_states(PROFILE_FORM), expert_id=State(Ids.EXPERT, "data"),
               version=State(Ids.VERSION, "data"), refresh=State(Ids.REFRESH, "data")),
    roles=Permission.MANAGE_PERSONNEL, prevent_initial_call=True,
)
def save_profile(_clicks: int | None, form: Any, expert_id: int, version: int | None,
                 refresh: int | None) -> dict[str, Any]:
    values = form_values(PROFILE_FORM)
    try:
        with db_session() as s:
            experts.update_expert(s, current_user.principal, int(expert_id), values, version=version,
                                  origin=request_origin())
    except (Problems, StaleEdit, VersionRequired) as error:
        fields, alert = _refusal(error, PROFILE_FORM, rules.PROFILE)
        return {"fields": fields, "message": alert, "refresh": dash.no_update}
    fields, _left = feedback_values([], PROFILE_FORM)
    return {"fields": fields, "message": _saved(_("Profile saved.")), "refresh": (refresh or 0) + 1}


@secured_callback(
    output=dict(fields=feedback_outputs(NEW_FORM), message=Output(Ids.NEW_MESSAGE, "children"),
                go=Output(Ids.NEW_GO, "href")),
    inputs=dict(_clicks=Input(Ids.NEW_SAVE, "n_clicks")),
    state=dict(form=form_states(NEW_FORM)),
    roles=Permission.MANAGE_PERSONNEL, prevent_initial_call=True,
)
def create(_clicks: int | None, form: Any) -> dict[str, Any]:
    values = form_values(NEW_FORM)
    try:
        with db_session() as s:
            expert = experts.create_expert(s, current_user.principal, values, origin=request_origin())
            new_id = expert.id
    except Problems as error:
        fields, alert = _refusal(error, NEW_FORM, rules.PROFILE)
        return {"fields": fields, "message": alert, "go": dash.no_update}
    fields, _left = feedback_values([], NEW_FORM)
    return {"fields": fields, "message": None, "go": f"/experts/{new_id}"}


@dataclass(frozen=True)
class PartPage:
    """Where a page keeps the record its part forms change: the planner's /experts/<id> (the id in a store) and
    an expert's own /me (the id is the principal's: ``target`` ignores what the client sent). The same
    callbacks serve both, each under its own ids (``prefix``, ``row_type``) and role rule."""

    prefix: str
    row_type: str
    roles: Permission
    expert: str  # the store ids
    version: str
    refresh: str
    message: str
    target: Callable[[Any], int]

    def record(self, s: Any, stored: Any) -> dict[str, Any]:
        if self.roles == Permission.MANAGE_OWN_AVAILABILITY:
            return experts.own_record(s, current_user.principal)
        return experts.expert_record(s, current_user.principal, self.target(stored))


PLANNER_PAGE = PartPage("expert", ROW, Permission.MANAGE_PERSONNEL, Ids.EXPERT, Ids.VERSION, Ids.REFRESH,
                        Ids.MESSAGE, lambda stored: int(stored))


def part_callbacks(name: str, where: PartPage) -> None:
    """Opening (add or edit a row), saving and cancelling one part's form."""
    part = experts.PARTS[name]
    form = Ids.part(name, "form", where.prefix)

    def ident(what: str) -> str:
        return Ids.part(name, what, where.prefix)

    @secured_callback(
        Output(ident("collapse"), "is_open"), Output(field_id(form, ALL), "value"),
        Output(ident("key"), "data"), Output(ident("message"), "children"),
        Input(ident("add"), "n_clicks"), Input(ident("cancel"), "n_clicks"),
        Input({"type": where.row_type, "part": name, "action": "edit", "key": ALL}, "n_clicks"),
        State(where.expert, "data"),
        roles=where.roles, prevent_initial_call=True,
    )
    def open_form(_add: int | None, _cancel: int | None, _edits: list[int | None], stored: Any) -> tuple[Any, ...]:
        trigger = ctx.triggered_id
        if trigger == ident("cancel"):
            return False, dash.no_update, None, None
        if trigger == ident("add"):
            return True, _form_fill(form, part.book, {}), None, None
        if not isinstance(trigger, dict) or not ctx.triggered[0]["value"]:
            raise PreventUpdate  # the row buttons were (re)drawn, not clicked
        with db_session() as s:
            record = where.record(s, stored)
        key = trigger["key"]
        rows = record.get(name, [])
        row = next((r for r in rows if str(r.get("id", r.get("code"))) == key), None)
        if row is None:
            raise PreventUpdate
        values = {**row, part.key_field: row["code"]} if part.key_field else row
        return True, _form_fill(form, part.book, values), key, None

    @secured_callback(
        output=dict(fields=feedback_outputs(form), message=Output(ident("message"), "children",
                                                                  allow_duplicate=True),
                    is_open=Output(ident("collapse"), "is_open", allow_duplicate=True),
                    refresh=Output(where.refresh, "data", allow_duplicate=True)),
        inputs=dict(_clicks=Input(ident("save"), "n_clicks")),
        state=dict(form_state=form_states(form), key=State(ident("key"), "data"),
                   stored=State(where.expert, "data"), version=State(where.version, "data"),
                   refresh=State(where.refresh, "data")),
        roles=where.roles, prevent_initial_call=True,
    )
    def save(_clicks: int | None, form_state: Any, key: str | None, stored: Any, version: int | None,
             refresh: int | None) -> dict[str, Any]:
        values = form_values(form)
        try:
            with db_session() as s:
                expert_id = where.target(stored)
                if key is None:
                    experts.add_part(s, current_user.principal, expert_id, name, values, version=version,
                                     origin=request_origin())
                else:
                    experts.change_part(s, current_user.principal, expert_id, name, key, values,
                                        version=version, origin=request_origin())
        except (Problems, StaleEdit, VersionRequired) as error:
            fields, alert = _refusal(error, form, part.book)
            return {"fields": fields, "message": alert, "is_open": True, "refresh": dash.no_update}
        except NotFound as error:
            return {"fields": feedback_values([], form)[0], "message": dbc.Alert(str(error), color="danger"),
                    "is_open": True, "refresh": (refresh or 0) + 1}
        return {"fields": feedback_values([], form)[0], "message": _saved(_("Saved.")), "is_open": False,
                "refresh": (refresh or 0) + 1}

    open_form.__qualname__ = f"open_{where.prefix}_{name}_form"
    save.__qualname__ = f"save_{where.prefix}_{name}"


def remove_callback(where: PartPage) -> None:
    """Removing a row of any part the page's lists offer (their Remove buttons)."""

    @secured_callback(
        Output(where.message, "children", allow_duplicate=True), Output(where.refresh, "data", allow_duplicate=True),
        Input({"type": where.row_type, "part": ALL, "action": "remove", "key": ALL}, "n_clicks"),
        State(where.expert, "data"), State(where.version, "data"), State(where.refresh, "data"),
        roles=where.roles, prevent_initial_call=True,
    )
    def remove_row(_clicks: list[int | None], stored: Any, version: int | None,
                   refresh: int | None) -> tuple[Any, Any]:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not ctx.triggered[0]["value"]:
            raise PreventUpdate
        try:
            with db_session() as s:
                experts.remove_part(s, current_user.principal, where.target(stored), trigger["part"],
                                    trigger["key"], version=version, origin=request_origin())
        except (StaleEdit, VersionRequired) as error:
            return dbc.Alert(problem_text(error.problem), color="warning", className="stale-edit"), dash.no_update
        except HubError as error:
            return dbc.Alert(str(error), color="danger"), (refresh or 0) + 1
        return _saved(_("Removed.")), (refresh or 0) + 1

    remove_row.__qualname__ = f"remove_{where.prefix}_row"


for _name in experts.PARTS:
    part_callbacks(_name, PLANNER_PAGE)
remove_callback(PLANNER_PAGE)


def _problems_alert(error: Exception) -> Any:
    if isinstance(error, StaleEdit | VersionRequired):
        return dbc.Alert(problem_text(error.problem), color="warning", className="stale-edit")
    if isinstance(error, Problems):
        return dbc.Alert([html.Div(problem_text(p)) for p in error.problems], color="danger")
    return dbc.Alert(str(error), color="danger")


@secured_callback(
    Output(Ids.MESSAGE, "children", allow_duplicate=True), Output(Ids.REFRESH, "data", allow_duplicate=True),
    Input(Ids.ERASE, "submit_n_clicks"), Input(Ids.DELETE, "submit_n_clicks"),
    State(Ids.EXPERT, "data"), State(Ids.VERSION, "data"), State(Ids.REFRESH, "data"),
    roles=Permission.MANAGE_PERSONNEL, prevent_initial_call=True,
)
def erase_or_delete(_erase: int | None, _delete: int | None, expert_id: int, version: int | None,
                    refresh: int | None) -> tuple[Any, Any]:
    erase = ctx.triggered_id == Ids.ERASE
    try:
        with db_session() as s:
            if erase:
                experts.erase_expert(s, current_user.principal, int(expert_id), version=version,
                                     origin=request_origin())
            else:
                experts.delete_expert(s, current_user.principal, int(expert_id), version=version,
                                      origin=request_origin())
    except (Problems, StaleEdit, VersionRequired) as error:
        return _problems_alert(error), dash.no_update
    if erase:
        return _saved(_("The personal fields were erased.")), (refresh or 0) + 1
    return dbc.Alert([_("The expert was deleted. "), html.A(_("Back to all experts"), href="/experts")],
                     color="success"), dash.no_update


def title(expert_id: str | None = None, **_kwargs: object) -> str:
    what = _("New expert") if expert_id == "new" else _("Expert")
    return what + " · " + _("Standing Capacities Hub")


def served(variables: dict[str, str]) -> bool:
    """The addresses this page serves (others are the friendly 404, with status 404)."""
    key = variables.get("expert_id") or ""
    return key == "new" or (key.isascii() and key.isdigit() and int(key) <= 2_147_483_647)


dash.register_page(__name__, layout=layout, path_template="/experts/<expert_id>", name="Expert", title=title,
                   permission=Permission.VIEW_OPERATIONS, valid_variables=served)
