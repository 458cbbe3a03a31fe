"""One deployment, kept by planners: its dates (planned and actual), extend, curtail, complete, its gender
marker and outputs, the client's rating and feedback, its funding allocation. ``/deployments/new?expert=<id>``
records a new one. Each field's problem is shown at the field; a stale edit is refused with who changed what.

The form's fields are the rule book's (services.deployments.records.BOOK); one callback per form turns a click
into a service call and the service's problems into each field's message.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html
from flask_login import current_user

from dashboard.components.import_preview import ImportSpec, import_panel, register_import
from dashboard.components.record_form import (
    field_id,
    form_field,
    form_values,
    problem_text,
)
from dashboard.context import db_session, request_origin
from dashboard.i18n import DEPLOYMENT_STATUS_LABELS, KIND_LABELS, MARKER_LABELS, _, current_locale
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from models.enums import GenderMarker
from services.access import Permission
from services.deployments import imports, records
from services.errors import HubError
from services.formatting import day
from services.records import Problem, Problems, StaleEdit, VersionRequired

FORM = "deployment"
END_FORM = "deployment-end"
NEW_FORM = "deployment-new"
# What the edit form shows (the expert and the mission of a recorded deployment stay: record another one).
EDITABLE = ["role", "kind", "start_date", "end_date", "actual_start_date", "actual_end_date", "status",
            "gender_marker", "gender_outputs_planned", "gender_outputs_delivered", "client_rating",
            "client_feedback", "allocation_id"]
NEW_FIELDS = ["expert_id", "mission", "role", "kind", "start_date", "end_date", "gender_marker",
              "gender_outputs_planned", "allocation_id"]

class Ids:
    DEPLOYMENT = "deployment-id"
    VERSION = "deployment-version"
    HEADER = "deployment-header"
    MESSAGE = "deployment-message"
    SAVE = "deployment-save"
    EXTEND = "deployment-extend"
    CURTAIL = "deployment-curtail"
    COMPLETE = "deployment-complete"
    CREATE = "deployment-create"
    NEW_MESSAGE = "deployment-new-message"
    GO = "deployment-go"


def _options(labels: dict[str, Any]) -> list[dict[str, str]]:
    return [{"value": value, "label": str(label)} for value, label in labels.items()]


def _control(form: str, name: str, value: Any, options: dict[str, list[dict[str, str]]]) -> Any:
    """The control of a field, by its kind in the rule book."""
    ident = field_id(form, name)
    if name in ("kind", "status", "gender_marker", "mission", "allocation_id"):
        blank = [] if name in ("kind", "mission") and value else [{"value": "", "label": "–"}]
        return dbc.Select(id=ident, options=blank + options[name], value="" if value is None else str(value))
    if name.endswith("_date"):
        return dbc.Input(id=ident, type="date", value=value)
    if name == "client_feedback":
        return dbc.Textarea(id=ident, value=value, rows=3)
    if name in ("gender_outputs_planned", "gender_outputs_delivered", "client_rating", "expert_id"):
        return dbc.Input(id=ident, type="number", value=value, step=1)
    return dbc.Input(id=ident, type="text", value=value)


def _choices(session: Any) -> dict[str, list[dict[str, str]]]:
    found = records.form_options(session, current_locale())
    return {"kind": _options(KIND_LABELS), "status": _options(DEPLOYMENT_STATUS_LABELS),
            "gender_marker": _options(MARKER_LABELS), "mission": found["missions"],
            "allocation_id": found["allocations"]}


def _header(detail: dict[str, Any]) -> Any:
    loc = current_locale()
    who = detail.get("expert_name") or "–"
    expert = dcc.Link(who, href=f"/experts/{detail['expert_id']}") if "expert_id" in detail else who
    status = str(DEPLOYMENT_STATUS_LABELS.get(detail["status"], detail["status"]))
    return html.Div([
        html.H1([expert, " · ", detail["mission"]], className="h4"),
        html.Div([dbc.Badge(status, color="info", className="me-2", id="deployment-status"),
                  dbc.Badge(str(KIND_LABELS.get(detail["kind"], detail["kind"])), color="secondary",
                            className="me-2"),
                  html.Span(_("Version %(version)s", version=detail["version"]), className="small text-muted")],
                 className="mb-2"),
        html.P([_("Planned: %(start)s – %(end)s", start=day(_as_date(detail["start_date"]), loc),
                  end=day(_as_date(detail["end_date"]), loc)),
                *([" · ", _("Actual: %(start)s – %(end)s",
                            start=day(_as_date(detail["actual_start_date"]), loc),
                            end=day(_as_date(detail["actual_end_date"]), loc))]
                  if detail.get("actual_start_date") else []),
                *([" · ", _("Request %(reference)s", reference=detail["surge_request"])]
                  if detail.get("surge_request") else [])], className="text-muted", id="deployment-dates"),
    ])


def _as_date(value: Any) -> Any:
    from services.records import as_date

    return as_date(value) if value else None


def _edit_layout(deployment_id: str) -> Any:
    try:
        with db_session() as s:
            detail = records.deployment_detail(s, current_user.principal, int(deployment_id))
            choices = _choices(s)
    except (HubError, ValueError):
        return dbc.Alert(_("No deployment %(id)s.", id=deployment_id), color="danger", id="deployment-not-found")
    book = records.BOOK
    fields = [form_field(FORM, book, name, _control(FORM, name, detail.get(name), choices), width=6)
              for name in EDITABLE]
    return html.Div([
        dcc.Store(id=Ids.DEPLOYMENT, data=detail["id"]),
        dcc.Store(id=Ids.VERSION, data=detail["version"]),
        html.Div(_header(detail), id=Ids.HEADER),
        html.Div(id=Ids.MESSAGE),
        dbc.Card(dbc.CardBody([
            html.H2(_("Extend or curtail"), className="h6"),
            dbc.Row([
                form_field(END_FORM, book, "end_date", dbc.Input(id=field_id(END_FORM, "end_date"), type="date"),
                           width=4),
                dbc.Col([dbc.Button(_("Extend"), id=Ids.EXTEND, color="primary", className="me-2 mt-4"),
                         dbc.Button(_("Curtail"), id=Ids.CURTAIL, color="outline-primary", className="mt-4")],
                        md=8),
            ]),
        ]), className="mb-3"),
        html.H2(_("The deployment"), className="h6"),
        dbc.Row(fields),
        html.Div([
            dbc.Button(_("Save changes"), id=Ids.SAVE, color="primary", className="me-2 mb-2"),
            dbc.Button(_("Complete with the actual dates"), id=Ids.COMPLETE, color="success",
                       className="me-2 mb-2"),
        ], className="mb-4"),
    ])


def _new_layout(expert: str | None) -> Any:
    with db_session() as s:
        choices = _choices(s)
        who = records.expert_label(s, current_user.principal, int(expert)) if (expert or "").isdigit() else None
    book = records.BOOK
    preset = {"expert_id": expert, "gender_marker": GenderMarker.GM1.value, "kind": None}
    fields = [form_field(NEW_FORM, book, name, _control(NEW_FORM, name, preset.get(name), choices), width=6)
              for name in NEW_FIELDS]
    return html.Div([
        dcc.Location(id=Ids.GO, refresh=True),
        html.H1([_("Record a deployment"), *([" · ", who] if who else [])], className="h4"),
        html.P(_("Any kind: start-up, surge, assessment, mission-manager visit, technical assistance, training."),
               className="text-muted"),
        html.Div(id=Ids.NEW_MESSAGE),
        dbc.Row(fields),
        dbc.Button(_("Record the deployment"), id=Ids.CREATE, color="primary", className="mb-4"),
        html.H2(_("Import past deployments from a spreadsheet"), className="h5 mt-2"),
        html.P(_("One row a deployment; the expert by staff number. Nothing is written while any row is refused, "
                 "and importing the same file again changes nothing."), className="text-muted small"),
        import_panel(IMPORT),
    ])


@page_layout(Permission.MANAGE_PERSONNEL)
def layout(deployment_id: str | None = None, expert: str | None = None, **_kwargs: object) -> html.Div:
    body = _new_layout(expert) if deployment_id == "new" else _edit_layout(deployment_id or "")
    return html.Div([dcc.Link(_("← Deployments"), href="/map"), html.Div(body, className="mt-2")])


def _feedback(problems: list[Problem], forms: tuple[str, ...]) -> tuple[list[list[Any]], list[list[Any]], list[str]]:
    """Each form's ``invalid`` and message outputs, in the order Dash lists them, and the messages of problems
    no field shows (for the alert)."""
    shown: set[int] = set()
    invalid: list[list[Any]] = []
    feedback: list[list[Any]] = []
    for form in forms:
        names_in = [o["id"]["field"] for o in _outputs("record-input", form)]
        names_fb = [o["id"]["field"] for o in _outputs("record-feedback", form)]
        mine = [(k, p) for k, p in enumerate(problems) if p.field in names_fb and k not in shown
                and (form != END_FORM or p.field == "end_date")]
        shown.update(k for k, _p in mine)
        by_field: dict[str, list[str]] = {}
        for _k, p in mine:
            by_field.setdefault(p.field, []).append(problem_text(p, records.BOOK))
        invalid.append([bool(by_field.get(n)) for n in names_in])
        feedback.append([" ".join(by_field.get(n, [])) or None for n in names_fb])
    leftover = [problem_text(p, records.BOOK) for k, p in enumerate(problems) if k not in shown]
    return invalid, feedback, leftover


def _outputs(kind: str, form: str) -> list[dict[str, Any]]:
    for group in ctx.outputs_list:
        items = group if isinstance(group, list) else [group]
        if items and isinstance(items[0].get("id"), dict) and items[0]["id"].get("type") == kind \
                and items[0]["id"].get("form") == form:
            return items
    return []


def _pattern(kind: str, form: str) -> dict[str, Any]:
    return {"type": kind, "form": form, "field": dash.ALL}


def _alert(lead: str, lines: list[str], colour: str = "danger") -> Any:
    return dbc.Alert([html.Div(lead), *([html.Ul([html.Li(m) for m in lines], className="mb-0")] if lines else [])],
                     color=colour, id="deployment-alert")


@secured_callback(
    Output(_pattern("record-input", FORM), "invalid"), Output(_pattern("record-feedback", FORM), "children"),
    Output(_pattern("record-input", END_FORM), "invalid"), Output(_pattern("record-feedback", END_FORM), "children"),
    Output(Ids.MESSAGE, "children"), Output(Ids.VERSION, "data"), Output(Ids.HEADER, "children"),
    Input(Ids.SAVE, "n_clicks"), Input(Ids.EXTEND, "n_clicks"), Input(Ids.CURTAIL, "n_clicks"),
    Input(Ids.COMPLETE, "n_clicks"),
    State(Ids.DEPLOYMENT, "data"), State(Ids.VERSION, "data"),
    State(field_id(FORM, dash.ALL), "value"), State(field_id(END_FORM, dash.ALL), "value"),
    roles=Permission.MANAGE_PERSONNEL, prevent_initial_call=True,
)
def change_deployment(_save: int | None, _extend: int | None, _curtail: int | None, _complete: int | None,
                      deployment_id: int, version: int, *_values: Any) -> tuple[Any, ...]:
    """Save, extend, curtail or complete: the service decides, its problems go to their fields."""
    values = {k: (None if v == "" else v) for k, v in form_values(FORM).items()}
    end = form_values(END_FORM).get("end_date") or None
    action = ctx.triggered_id
    principal, origin = current_user.principal, request_origin()
    try:
        with db_session() as s:
            if action == Ids.EXTEND:
                records.extend(s, principal, deployment_id, end, version=version, origin=origin)
            elif action == Ids.CURTAIL:
                records.curtail(s, principal, deployment_id, end, version=version, origin=origin)
            elif action == Ids.COMPLETE:
                records.complete(s, principal, deployment_id, values.get("actual_start_date"),
                                 values.get("actual_end_date"), version=version, origin=origin)
            else:
                records.update_deployment(s, principal, deployment_id, values, version=version, origin=origin)
            detail = records.deployment_detail(s, principal, deployment_id)
    except (StaleEdit, VersionRequired) as error:
        invalid, feedback, _left = _feedback([], (FORM, END_FORM))
        return (*_pairs(invalid, feedback), _alert(problem_text(error.problem), []), dash.no_update, dash.no_update)
    except Problems as error:
        invalid, feedback, left = _feedback(error.problems, (FORM, END_FORM))
        lead = _("Nothing was saved: correct the fields marked in red.")
        return (*_pairs(invalid, feedback), _alert(lead, left), dash.no_update, dash.no_update)
    except HubError as error:
        invalid, feedback, _left = _feedback([], (FORM, END_FORM))
        return (*_pairs(invalid, feedback), _alert(str(error), []), dash.no_update, dash.no_update)
    invalid, feedback, _left = _feedback([], (FORM, END_FORM))
    done = {Ids.EXTEND: _("Extended."), Ids.CURTAIL: _("Curtailed."), Ids.COMPLETE: _("Completed.")}
    message = dbc.Alert(done.get(str(action), _("Saved.")), color="success", id="deployment-saved", duration=6000)
    return (*_pairs(invalid, feedback), message, detail["version"], _header(detail))


def _pairs(invalid: list[list[Any]], feedback: list[list[Any]]) -> tuple[Any, ...]:
    return invalid[0], feedback[0], invalid[1], feedback[1]


@secured_callback(
    Output(_pattern("record-input", NEW_FORM), "invalid"), Output(_pattern("record-feedback", NEW_FORM), "children"),
    Output(Ids.NEW_MESSAGE, "children"), Output(Ids.GO, "href"),
    Input(Ids.CREATE, "n_clicks"), State(field_id(NEW_FORM, dash.ALL), "value"),
    roles=Permission.MANAGE_PERSONNEL, prevent_initial_call=True,
)
def create_deployment(_clicks: int | None, *_values: Any) -> tuple[Any, ...]:
    values = {k: (None if v == "" else v) for k, v in form_values(NEW_FORM).items()}
    try:
        with db_session() as s:
            made = records.record_deployment(s, current_user.principal, values, origin=request_origin())
            made_id = made.id
    except Problems as error:
        invalid, feedback, left = _feedback(error.problems, (NEW_FORM,))
        return (invalid[0], feedback[0], _alert(_("Nothing was recorded: correct the fields marked in red."), left),
                dash.no_update)
    invalid, feedback, _left = _feedback([], (NEW_FORM,))
    return invalid[0], feedback[0], None, f"/deployments/{made_id}"


IMPORT = ImportSpec(
    name="deployments", columns=imports.COLUMNS, book=imports.BOOK, permission=Permission.MANAGE_PERSONNEL,
    preview=lambda s, principal, table, mapping: imports.preview(s, principal, table, mapping,
                                                                 locale=current_locale()),
    commit=lambda s, principal, table, mapping, origin: imports.commit(s, principal, table, mapping, origin,
                                                                       locale=current_locale()),
    sheet_title="Deployments")
register_import(IMPORT)


def title(deployment_id: str | None = None, **_kwargs: object) -> str:
    return _("Record a deployment") if deployment_id == "new" else _("Deployment %(id)s", id=deployment_id or "")


dash.register_page(__name__, layout=layout, path_template="/deployments/<deployment_id>", name="Deployment",
                   title=title, permission=Permission.MANAGE_PERSONNEL)

__all__ = ["Ids", "change_deployment", "create_deployment", "layout"]
