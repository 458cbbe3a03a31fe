"""One assessment: its fields (edited with the version read), a technology-needs assessment's gap register,
its reports (PDF, DOCX checked by content, downloaded only as files) and its recommendations."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask_login import current_user

from dashboard.components.knowledge_parts import (
    ADDRESSEE_LABELS,
    AREA_LABELS,
    KIND_LABELS,
    PRIORITY_LABELS,
    control,
    label,
    options,
    saved,
    status_badge,
    upload,
    uploaded,
)
from dashboard.components.record_form import feedback_outputs, form_states, form_values, problem_text
from dashboard.context import db_session, request_origin
from dashboard.i18n import _, current_locale
from dashboard.pages.assessments import assessment_fields
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from models.enums import AssessmentKind
from services.access import Permission
from services.errors import HubError
from services.formatting import day, number
from services.knowledge import assessments as A
from services.knowledge import recommendations as R
from services.knowledge.attachments import add_report
from services.knowledge.rules import ASSESSMENT, GAP, RECOMMENDATION
from services.records import Problem, Problems

EDIT, GAP_FORM, REC_FORM = "assessment-edit", "assessment-gap", "assessment-rec"


class Ids:
    ID = "assessment-id"
    VERSION = "assessment-version"
    REFRESH = "assessment-refresh"
    HEADER = "assessment-header"
    SAVE = "assessment-save"
    ALERT = "assessment-alert"
    GAPS = "assessment-gaps"
    ADD_GAP = "assessment-add-gap"
    GAP_ALERT = "assessment-gap-alert"
    FILES = "assessment-files"
    UPLOAD = "assessment-upload"
    UPLOAD_ALERT = "assessment-upload-alert"
    RECS = "assessment-recs"
    ADD_REC = "assessment-add-rec"
    REC_ALERT = "assessment-rec-alert"


def _card(heading: str, *children: Any, element_id: str | None = None) -> Any:
    return dbc.Card(dbc.CardBody([html.H2(heading, className="h5"), *children]), className="mb-3",
                    id=element_id or f"card-{heading}")


@page_layout(Permission.VIEW_OPERATIONS)
def layout(assessment_id: str = "", **_kwargs: object) -> Any:
    try:
        key = int(assessment_id)
        with db_session() as s:
            detail = A.get_assessment(s, current_user.principal, key)
            owners = R.owner_options(s, current_user.principal) \
                if current_user.can(Permission.MANAGE_ASSESSMENTS) else []
    except (ValueError, HubError):
        return dbc.Alert(_("There is no assessment %(id)s.", id=assessment_id[:20]), color="warning")
    manage = current_user.can(Permission.MANAGE_ASSESSMENTS)
    tna = detail["kind"] == AssessmentKind.TECHNOLOGY_NEEDS.value
    edit = _card(_("Details"), *assessment_fields(EDIT, detail), html.Div(id=Ids.ALERT),
                 dbc.Button(_("Save changes"), id=Ids.SAVE, color="primary")) if manage else \
        _card(_("Findings"), html.P(detail.get("findings") or "—", style={"whiteSpace": "pre-wrap"}))
    gap_form = [dbc.Row([control(GAP_FORM, GAP, "area", "", choices=options(AREA_LABELS, blank=True), width=3),
                         control(GAP_FORM, GAP, "gap", "", width=4),
                         control(GAP_FORM, GAP, "severity", "", choices=options(PRIORITY_LABELS, blank=True),
                                 width=2),
                         control(GAP_FORM, GAP, "estimated_cost", "", width=3)]),
                html.Div(id=Ids.GAP_ALERT),
                dbc.Button(_("Add to the register"), id=Ids.ADD_GAP, color="secondary", size="sm")] if manage else []
    gaps = _card(_("Gap register"), html.Div(id=Ids.GAPS), *gap_form, element_id="gap-register") if tna else None
    files = _card(_("Reports"), html.Div(id=Ids.FILES),
                  *([upload(Ids.UPLOAD, _("Attach a report (PDF or Word .docx): drop it here or click")),
                     html.Div(id=Ids.UPLOAD_ALERT, className="mt-2")] if manage else []), element_id="reports")
    rec_form = [html.H3(_("Add a recommendation"), className="h6 mt-3"),
                control(REC_FORM, RECOMMENDATION, "text", "", kind="textarea", rows=2),
                dbc.Row([control(REC_FORM, RECOMMENDATION, "priority", "medium", choices=options(PRIORITY_LABELS),
                                 width=3),
                         control(REC_FORM, RECOMMENDATION, "addressee", "mission",
                                 choices=options(ADDRESSEE_LABELS), width=3),
                         control(REC_FORM, RECOMMENDATION, "addressee_mission", detail.get("mission") or "", width=2),
                         control(REC_FORM, RECOMMENDATION, "addressee_country", "", width=2),
                         control(REC_FORM, RECOMMENDATION, "addressee_unit", "", width=2)]),
                dbc.Row([control(REC_FORM, RECOMMENDATION, "owner", "", width=4,
                                 choices=[{"label": "—", "value": ""}] + [{"label": f"{n} ({u})", "value": u}
                                                                         for u, n in owners]),
                         control(REC_FORM, RECOMMENDATION, "due_on", "", kind="date", width=3),
                         control(REC_FORM, RECOMMENDATION, "category", "", width=5)]),
                html.Div(id=Ids.REC_ALERT),
                dbc.Button(_("Add the recommendation"), id=Ids.ADD_REC, color="secondary", size="sm")] \
        if manage else []
    recs = _card(_("Recommendations"), html.Div(id=Ids.RECS), *rec_form, element_id="recommendations")
    return html.Div([
        dcc.Store(id=Ids.ID, data=key), dcc.Store(id=Ids.VERSION, data=detail["version"]),
        dcc.Store(id=Ids.REFRESH, data=0),
        html.A("← " + _("Assessments"), href="/assessments", className="small"),
        html.Div(id=Ids.HEADER),
        dbc.Row([dbc.Col([edit, files], lg=6),
                 dbc.Col([gaps, recs] if gaps else [html.Div(id=Ids.GAPS, hidden=True), recs], lg=6)]),
    ])


@secured_callback(
    Output(Ids.HEADER, "children"), Output(Ids.GAPS, "children"), Output(Ids.FILES, "children"),
    Output(Ids.RECS, "children"),
    Input(Ids.REFRESH, "data"), State(Ids.ID, "data"),
    roles=Permission.VIEW_OPERATIONS,
)
def show(_refresh: int, key: int) -> tuple[Any, Any, Any, Any]:
    locale = current_locale()
    with db_session() as s:
        d = A.get_assessment(s, current_user.principal, int(key))
        recs = R.list_recommendations(s, current_user.principal, R.RecommendationFilter(assessment_id=int(key)))
    header = html.Div([html.H1(d["title"], className="h3 mb-0"),
                       html.P(" · ".join(x for x in (label(KIND_LABELS, d["kind"]), d.get("mission") or "",
                                                      day(d["start"], locale)) if x), className="text-muted")])
    gap_rows = [html.Tr([html.Td(label(AREA_LABELS, g["area"])), html.Td(g["gap"]),
                         html.Td(label(PRIORITY_LABELS, g["severity"])),
                         html.Td(number(g["estimated_cost"], locale) if g["estimated_cost"] is not None else "—",
                                 className="text-end")]) for g in d["gaps"]]
    gaps = dbc.Table([html.Thead(html.Tr([html.Th(_("Area")), html.Th(_("Gap")), html.Th(_("Severity")),
                                          html.Th(_("Estimated cost (USD)"), className="text-end")])),
                      html.Tbody(gap_rows),
                      html.Tfoot(html.Tr([html.Th(_("Total"), colSpan=3),
                                          html.Th(number(d["gap_total"], locale), className="text-end")]))],
                     size="sm", id="gap-table") if d["gaps"] else html.P(_("No gap recorded yet."),
                                                                         className="text-muted")
    files = html.Ul([html.Li([html.A(f["filename"], href=f["href"], download=f["filename"]),
                              html.Span(f" · {number(round(f['size_bytes'] / 1024), locale)} kB",
                                        className="text-muted")])
                     for f in d["attachments"]], id="report-list") if d["attachments"] else \
        html.P(_("No report attached."), className="text-muted")
    rec_items = [dbc.ListGroupItem([html.A(r["text"], href=f"/recommendations/{r['id']}"), html.Br(),
                                    status_badge(r["status"], r["overdue"]),
                                    html.Small(" " + " · ".join(x for x in (
                                        label(PRIORITY_LABELS, r["priority"]), r["addressee_name"] or "",
                                        r["owner_name"] or "", day(r["due_on"], locale) if r["due_on"] else "")
                                        if x), className="text-muted")])
                 for r in recs["items"]]
    return header, gaps, files, dbc.ListGroup(rec_items, id="rec-list") if rec_items else html.P(
        _("No recommendation yet."), className="text-muted")


@secured_callback(
    output={"feedback": feedback_outputs(EDIT), "alert": Output(Ids.ALERT, "children"),
            "version": Output(Ids.VERSION, "data"), "refresh": Output(Ids.REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(Ids.SAVE, "n_clicks")},
    state={"form": form_states(EDIT), "key": State(Ids.ID, "data"), "version": State(Ids.VERSION, "data"),
           "refresh": State(Ids.REFRESH, "data")},
    roles=Permission.MANAGE_ASSESSMENTS, prevent_initial_call=True,
)
def save(clicks: int | None, form: dict[str, Any], key: int, version: int, refresh: int) -> dict[str, Any]:
    values = form_values(EDIT)

    def act() -> int:
        with db_session() as s:
            return A.update_assessment(s, current_user.principal, int(key), values, expected=version,
                                       origin=request_origin()).version

    feedback, alert, new_version = saved(EDIT, ASSESSMENT, act, lambda v: v)
    return {"feedback": feedback, "version": new_version or dash.no_update,
            "alert": alert or dbc.Alert(_("Saved."), color="success", duration=4000),
            "refresh": (refresh or 0) + 1 if new_version else dash.no_update}


@secured_callback(
    output={"feedback": feedback_outputs(GAP_FORM), "alert": Output(Ids.GAP_ALERT, "children"),
            "version": Output(Ids.VERSION, "data", allow_duplicate=True),
            "refresh": Output(Ids.REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(Ids.ADD_GAP, "n_clicks")},
    state={"form": form_states(GAP_FORM), "key": State(Ids.ID, "data"), "version": State(Ids.VERSION, "data"),
           "refresh": State(Ids.REFRESH, "data")},
    roles=Permission.MANAGE_ASSESSMENTS, prevent_initial_call=True,
)
def add_gap(clicks: int | None, form: dict[str, Any], key: int, version: int, refresh: int) -> dict[str, Any]:
    values = form_values(GAP_FORM)

    def act() -> int:
        with db_session() as s:
            current = A.get_assessment(s, current_user.principal, int(key))["gaps"]
            kept = [{k: g[k] for k in ("area", "gap", "severity", "estimated_cost")} for g in current]
            n = len(kept)
            try:
                return A.set_gaps(s, current_user.principal, int(key), [*kept, values], expected=version,
                                  origin=request_origin()).version
            except Problems as error:  # the new row's problems at the form's fields
                raise Problems([Problem(p.field.removeprefix(f"gaps.{n}."), p.code, p.params)
                                for p in error.problems]) from error

    feedback, alert, new_version = saved(GAP_FORM, GAP, act, lambda v: v)
    return {"feedback": feedback, "alert": alert, "version": new_version or dash.no_update,
            "refresh": (refresh or 0) + 1 if new_version else dash.no_update}


@secured_callback(
    Output(Ids.UPLOAD_ALERT, "children"), Output(Ids.REFRESH, "data", allow_duplicate=True),
    Input(Ids.UPLOAD, "contents"), State(Ids.UPLOAD, "filename"), State(Ids.ID, "data"), State(Ids.REFRESH, "data"),
    roles=Permission.MANAGE_ASSESSMENTS, prevent_initial_call=True,
)
def attach(contents: str | None, filename: str | None, key: int, refresh: int) -> tuple[Any, Any]:
    try:
        (checked,) = uploaded(contents, filename)
        with db_session() as s:
            add_report(s, current_user.principal, int(key), checked, origin=request_origin())
    except Problems as error:
        return dbc.Alert([html.Div(_("The file was not attached:")),
                          html.Ul([html.Li(problem_text(p)) for p in error.problems])], color="danger",
                         id="upload-refused"), dash.no_update
    except (HubError, ValueError) as error:
        return dbc.Alert(str(error), color="danger", id="upload-refused"), dash.no_update
    return dbc.Alert(_("Attached: %(name)s", name=checked.filename), color="success", duration=5000), \
        (refresh or 0) + 1


@secured_callback(
    output={"feedback": feedback_outputs(REC_FORM), "alert": Output(Ids.REC_ALERT, "children"),
            "refresh": Output(Ids.REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(Ids.ADD_REC, "n_clicks")},
    state={"form": form_states(REC_FORM), "key": State(Ids.ID, "data"), "refresh": State(Ids.REFRESH, "data")},
    roles=Permission.MANAGE_ASSESSMENTS, prevent_initial_call=True,
)
def add_recommendation(clicks: int | None, form: dict[str, Any], key: int, refresh: int) -> dict[str, Any]:
    values = form_values(REC_FORM)

    def act() -> int:
        with db_session() as s:
            return R.create_recommendation(s, current_user.principal, int(key), values, origin=request_origin()).id

    feedback, alert, made = saved(REC_FORM, RECOMMENDATION, act, lambda v: v)
    return {"feedback": feedback, "alert": alert or (dbc.Alert(_("Recommendation added."), color="success",
                                                               duration=4000) if made else None),
            "refresh": (refresh or 0) + 1 if made else dash.no_update}


def title(assessment_id: str = "", **_kwargs: object) -> str:
    return _("Assessment") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path_template="/assessments/<assessment_id>", name="Assessment",
                   title=title, permission=Permission.VIEW_OPERATIONS)
