"""One recommendation: what, to whom, who owns it, when it is due; its follow-ups with their evidence; and the
follow-up form (status, date, note, evidence links and files) for its owner and assessment managers. Closing it
as implemented needs evidence: the service refuses without, and says so at the evidence field."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard.components.knowledge_parts import (
    ADDRESSEE_LABELS,
    PRIORITY_LABELS,
    STATUS_LABELS,
    control,
    label,
    options,
    saved,
    status_badge,
    upload,
    uploaded,
)
from dashboard.components.record_form import feedback_id, feedback_outputs, form_states, form_values
from dashboard.context import db_session, request_origin
from dashboard.i18n import _, current_locale
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services.access import Permission
from services.errors import HubError
from services.formatting import day, timestamp
from services.knowledge import recommendations as R
from services.knowledge.rules import FOLLOW_UP, LINKS_MAX, RECOMMENDATION

FORM = "rec-follow"
EDIT = "rec-edit"


class Ids:
    ID = "rec-id"
    VERSION = "rec-version"
    REFRESH = "rec-refresh"
    HEADER = "rec-header"
    TRAIL = "rec-trail"
    LINKS = "rec-links"
    FILES = "rec-files"
    FILE_NAMES = "rec-file-names"
    SAVE = "rec-save"
    ALERT = "rec-alert"
    EDIT_SAVE = "rec-edit-save"
    EDIT_ALERT = "rec-edit-alert"


@page_layout(Permission.VIEW_OPERATIONS)
def layout(rec_id: str = "", **_kwargs: object) -> Any:
    try:
        key = int(rec_id)
        with db_session() as s:
            detail = R.get_recommendation(s, current_user.principal, key)
    except (ValueError, HubError):
        return dbc.Alert(_("There is no recommendation %(id)s you may open.", id=rec_id[:20]), color="warning")
    may_follow = current_user.can(Permission.MANAGE_ASSESSMENTS) or detail["owner"] == current_user.username
    choices = [{"label": label(STATUS_LABELS, s), "value": s} for s in detail["next_statuses"]]
    form = dbc.Card(dbc.CardBody([
        html.H2(_("Follow up"), className="h5"),
        dbc.Row([control(FORM, FOLLOW_UP, "status", detail["status"], choices=choices, width=6),
                 control(FORM, FOLLOW_UP, "on", "", kind="date", width=6)]),
        control(FORM, FOLLOW_UP, "note", "", kind="textarea", rows=3),
        dbc.Label(_("Evidence: links (one a line)"), className="mb-1 small fw-semibold"),
        dbc.Textarea(id=Ids.LINKS, rows=2, placeholder="https://…"),
        html.Div(id=feedback_id(FORM, "evidence_links"), className="invalid-feedback d-block"),
        dbc.Label(_("Evidence: files (PDF or Word .docx)"), className="mb-1 mt-2 small fw-semibold"),
        upload(Ids.FILES, _("Drop files here or click"), multiple=True),
        html.Div(id=Ids.FILE_NAMES, className="small text-muted"),
        html.Div(id=feedback_id(FORM, "evidence"), className="invalid-feedback d-block"),
        html.Div(id=Ids.ALERT, className="mt-2"),
        dbc.Button(_("Record the follow-up"), id=Ids.SAVE, color="primary", className="mt-2"),
    ]), className="mb-3") if may_follow else None
    editor = None
    if current_user.can(Permission.MANAGE_ASSESSMENTS):
        with db_session() as s:
            owners = R.owner_options(s, current_user.principal)
        editor = dbc.Card(dbc.CardBody([
            html.H2(_("Edit"), className="h5"),
            control(EDIT, RECOMMENDATION, "text", detail["text"], kind="textarea", rows=2),
            dbc.Row([control(EDIT, RECOMMENDATION, "priority", detail["priority"], choices=options(PRIORITY_LABELS),
                             width=4),
                     control(EDIT, RECOMMENDATION, "addressee", detail["addressee"],
                             choices=options(ADDRESSEE_LABELS), width=4),
                     control(EDIT, RECOMMENDATION, "due_on", detail["due_on"], kind="date", width=4)]),
            dbc.Row([control(EDIT, RECOMMENDATION, "addressee_mission", detail["addressee_mission"], width=4),
                     control(EDIT, RECOMMENDATION, "addressee_country", detail["addressee_country"], width=4),
                     control(EDIT, RECOMMENDATION, "addressee_unit", detail["addressee_unit"], width=4)]),
            dbc.Row([control(EDIT, RECOMMENDATION, "owner", detail["owner"] or "", width=6, choices=[
                {"label": "—", "value": ""}, *({"label": n, "value": u} for u, n in owners)]),
                     control(EDIT, RECOMMENDATION, "category", detail["category"], width=6)]),
            html.Div(id=Ids.EDIT_ALERT),
            dbc.Button(_("Save changes"), id=Ids.EDIT_SAVE, color="secondary")]), className="mb-3")
    return html.Div([
        dcc.Store(id=Ids.ID, data=key), dcc.Store(id=Ids.VERSION, data=detail["version"]),
        dcc.Store(id=Ids.REFRESH, data=0),
        html.A("← " + _("Recommendations"), href="/recommendations", className="small"),
        html.Div(id=Ids.HEADER),
        dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([html.H2(_("Follow-ups"), className="h5"), html.Div(id=Ids.TRAIL)])),
                         lg=6, className="mb-3"),
                 dbc.Col([form, editor], lg=6)]),
    ])


@secured_callback(Output(Ids.HEADER, "children"), Output(Ids.TRAIL, "children"), Input(Ids.REFRESH, "data"),
                  State(Ids.ID, "data"), roles=Permission.VIEW_OPERATIONS)
def show(_refresh: int, key: int | None) -> tuple[Any, Any]:
    if key is None:  # the layout found no such recommendation and said so
        raise PreventUpdate
    locale = current_locale()
    with db_session() as s:
        d = R.get_recommendation(s, current_user.principal, int(key))
    facts = [(_("Assessment"), html.A(d["assessment_title"], href=f"/assessments/{d['assessment_id']}")),
             (_("Addressee"), f"{label(ADDRESSEE_LABELS, d['addressee'])}: {d['addressee_name'] or '—'}"),
             (_("Owner"), d.get("owner_name") or d.get("owner") or "—"),
             (_("Priority"), label(PRIORITY_LABELS, d["priority"])),
             (_("Due"), day(d["due_on"], locale) if d["due_on"] else "—")]
    header = html.Div([html.H1(d["text"], className="h4"), html.Div(status_badge(d["status"], d["overdue"]),
                                                                    id="rec-status", className="mb-2"),
                       html.Dl([x for k, v in facts for x in (html.Dt(k, className="col-sm-3"),
                                                              html.Dd(v, className="col-sm-9"))],
                               className="row small")])
    items = []
    for f in reversed(d["follow_ups"]):
        evidence = [html.A(link, href=link, target="_blank", rel="noopener noreferrer nofollow",
                           className="d-block small text-break") for link in f["evidence_links"]]
        evidence += [html.A(x["filename"], href=x["href"], download=x["filename"], className="d-block small")
                     for x in f["files"]]
        if f["evidence_ref"]:
            evidence.append(html.Span(f["evidence_ref"], className="d-block small"))
        items.append(dbc.ListGroupItem([
            html.Div([status_badge(f["status"]), html.Small(" " + timestamp(f["at"], locale) + (
                f" · {f['by']}" if f["by"] else ""), className="text-muted")]),
            html.P(f["note"], className="mb-1", style={"whiteSpace": "pre-wrap"}), *evidence]))
    trail = dbc.ListGroup(items, flush=True, id="follow-up-list") if items else html.P(
        _("No follow-up yet."), className="text-muted")
    return header, trail


@secured_callback(Output(Ids.FILE_NAMES, "children"), Input(Ids.FILES, "filename"),
                  roles=Permission.VIEW_OPERATIONS, prevent_initial_call=True)
def chosen(names: list[str] | None) -> str:
    return ", ".join(names or [])


@secured_callback(
    output={"feedback": feedback_outputs(FORM), "alert": Output(Ids.ALERT, "children"),
            "version": Output(Ids.VERSION, "data"), "refresh": Output(Ids.REFRESH, "data"),
            "clear_files": Output(Ids.FILES, "contents"), "links": Output(Ids.LINKS, "value")},
    inputs={"clicks": Input(Ids.SAVE, "n_clicks")},
    state={"form": form_states(FORM), "key": State(Ids.ID, "data"), "version": State(Ids.VERSION, "data"),
           "refresh": State(Ids.REFRESH, "data"), "links": State(Ids.LINKS, "value"),
           "contents": State(Ids.FILES, "contents"), "names": State(Ids.FILES, "filename")},
    roles=Permission.VIEW_OPERATIONS, prevent_initial_call=True,
)
def follow_up(clicks: int | None, form: dict[str, Any], key: int, version: int, refresh: int, links: str | None,
              contents: list[str] | None, names: list[str] | None) -> dict[str, Any]:
    values = form_values(FORM)
    lines = [line.strip() for line in (links or "").splitlines() if line.strip()][: LINKS_MAX + 1]

    def act() -> int:
        files = uploaded(contents, names, field="evidence")
        with db_session() as s:
            R.add_follow_up(s, current_user.principal, int(key), values, evidence_links=lines, files=files,
                            expected=version, origin=request_origin())
            return int(R.get_recommendation(s, current_user.principal, int(key))["version"])

    feedback, alert, new_version = saved(FORM, FOLLOW_UP, act, lambda v: v,
                                         aliases={f"evidence_links.{k}": "evidence_links" for k in range(20)})
    ok = new_version is not None
    return {"feedback": feedback, "version": new_version if ok else dash.no_update,
            "alert": alert or dbc.Alert(_("Follow-up recorded."), color="success", duration=4000),
            "refresh": (refresh or 0) + 1 if ok else dash.no_update,
            "clear_files": None if ok else dash.no_update, "links": "" if ok else dash.no_update}


@secured_callback(
    output={"feedback": feedback_outputs(EDIT), "alert": Output(Ids.EDIT_ALERT, "children"),
            "version": Output(Ids.VERSION, "data", allow_duplicate=True),
            "refresh": Output(Ids.REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(Ids.EDIT_SAVE, "n_clicks")},
    state={"form": form_states(EDIT), "key": State(Ids.ID, "data"), "version": State(Ids.VERSION, "data"),
           "refresh": State(Ids.REFRESH, "data")},
    roles=Permission.MANAGE_ASSESSMENTS, prevent_initial_call=True,
)
def edit(clicks: int | None, form: dict[str, Any], key: int, version: int, refresh: int) -> dict[str, Any]:
    values = form_values(EDIT)

    def act() -> int:
        with db_session() as s:
            return R.update_recommendation(s, current_user.principal, int(key), values, expected=version,
                                           origin=request_origin()).version

    feedback, alert, new_version = saved(EDIT, RECOMMENDATION, act, lambda v: v)
    ok = new_version is not None
    return {"feedback": feedback, "version": new_version if ok else dash.no_update,
            "alert": alert or dbc.Alert(_("Saved."), color="success", duration=4000, id="rec-edit-saved"),
            "refresh": (refresh or 0) + 1 if ok else dash.no_update}


def title(rec_id: str = "", **_kwargs: object) -> str:
    return _("Recommendation") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path_template="/recommendations/<rec_id>", name="Recommendation",
                   title=title, permission=Permission.VIEW_OPERATIONS)
