"""Assessments: the list (filter by kind, mission, year) and, for assessment officers, planners and admins, the
form that records a new one; its page (/assessments/<id>) keeps the rest."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask_login import current_user

from dashboard.components.knowledge_parts import KIND_LABELS, MODE_LABELS, control, label, options, saved
from dashboard.components.record_form import feedback_outputs, form_states, form_values
from dashboard.context import db_session, request_origin
from dashboard.i18n import _, _l, current_locale, ngettext
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services.access import Permission
from services.formatting import day
from services.knowledge import assessments as A
from services.knowledge.rules import ASSESSMENT

FORM = "assessment-new"


class Ids:
    KIND = "assessments-kind"
    MISSION = "assessments-mission"
    YEAR = "assessments-year"
    TABLE = "assessments-table"
    COUNT = "assessments-count"
    SAVE = "assessments-save"
    ALERT = "assessments-alert"
    GO = "assessments-go"


def assessment_fields(form: str, values: dict[str, Any] | None = None) -> list[Any]:
    """The assessment's fields (the new form and the edit form)."""
    v = values or {}
    return [dbc.Row([control(form, ASSESSMENT, "kind", v.get("kind"), choices=options(KIND_LABELS), width=6),
                     control(form, ASSESSMENT, "title", v.get("title"), width=6)]),
            dbc.Row([control(form, ASSESSMENT, "mission", v.get("mission"), width=3),
                     control(form, ASSESSMENT, "capacity", v.get("capacity"),
                             choices=[{"label": "—", "value": ""}, {"label": "SPC", "value": "SPC"},
                                      {"label": "JCSC", "value": "JCSC"}], width=3),
                     control(form, ASSESSMENT, "contributing_country", v.get("contributing_country"), width=3),
                     control(form, ASSESSMENT, "mode", v.get("mode"), choices=options(MODE_LABELS, blank=True),
                             width=3)]),
            dbc.Row([control(form, ASSESSMENT, "start", v.get("start"), kind="date", width=3),
                     control(form, ASSESSMENT, "end", v.get("end"), kind="date", width=3),
                     control(form, ASSESSMENT, "cost", v.get("cost"), width=3),
                     control(form, ASSESSMENT, "report_ref", v.get("report_ref"), width=3)]),
            control(form, ASSESSMENT, "findings", v.get("findings"), kind="textarea", rows=4)]


@page_layout(Permission.VIEW_OPERATIONS)
def layout(**_kwargs: object) -> html.Div:
    new = []
    if current_user.can(Permission.MANAGE_ASSESSMENTS):
        new = [dbc.Card(dbc.CardBody([
            html.H2(_("Record an assessment"), className="h5"),
            *assessment_fields(FORM),
            html.Div(id=Ids.ALERT),
            dbc.Button(_("Record the assessment"), id=Ids.SAVE, color="primary"),
        ]), className="mt-4")]
    return html.Div([
        dcc.Location(id=Ids.GO, refresh=True),
        html.H1(_("Assessments"), className="h3"),
        dbc.Row([
            dbc.Col(dbc.Select(id=Ids.KIND, options=[{"label": _("All kinds"), "value": ""}, *options(KIND_LABELS)],
                               value=""), md=4),
            dbc.Col(dbc.Input(id=Ids.MISSION, placeholder=_("Mission acronym"), debounce=True, maxLength=40), md=3),
            dbc.Col(dbc.Input(id=Ids.YEAR, type="number", placeholder=_("Year"), min=1990, max=2100, debounce=True),
                    md=2),
            dbc.Col(html.Div(id=Ids.COUNT, className="text-muted pt-2"), md=3),
        ], className="g-2 mb-2"),
        html.Div(id=Ids.TABLE, className="table-responsive"),
        *new,
    ])


@secured_callback(
    Output(Ids.TABLE, "children"), Output(Ids.COUNT, "children"),
    Input(Ids.KIND, "value"), Input(Ids.MISSION, "value"), Input(Ids.YEAR, "value"),
    roles=Permission.VIEW_OPERATIONS,
)
def show(kind: str | None, mission: str | None, year: Any) -> tuple[Any, str]:
    try:
        year_n = int(year) if year not in (None, "") else None
    except (TypeError, ValueError):
        year_n = None
    with db_session() as s:
        page = A.list_assessments(s, current_user.principal, A.AssessmentFilter(
            kind=kind or None, mission=(mission or "").strip()[:40] or None, year=year_n))
    locale = current_locale()
    rows = [html.Tr([html.Td(html.A(r["title"], href=f"/assessments/{r['id']}")),
                     html.Td(label(KIND_LABELS, r["kind"])), html.Td(r["mission"] or "—"),
                     html.Td(day(r["start"], locale)), html.Td(label(MODE_LABELS, r["mode"]) if r["mode"] else "—"),
                     html.Td(r["open_recommendations"], className="text-end")]) for r in page["items"]]
    table = dbc.Table([html.Thead(html.Tr([html.Th(_("Title")), html.Th(_("Kind")), html.Th(_("Mission")),
                                           html.Th(_("Start")), html.Th(_("Mode")),
                                           html.Th(_("Open recommendations"), className="text-end")])),
                       html.Tbody(rows)], hover=True, size="sm", className="align-middle")
    return table, ngettext("%(num)d assessment", "%(num)d assessments", page["total"])


@secured_callback(
    output={"feedback": feedback_outputs(FORM), "alert": Output(Ids.ALERT, "children"),
            "go": Output(Ids.GO, "href")},
    inputs={"clicks": Input(Ids.SAVE, "n_clicks")}, state={"form": form_states(FORM)},
    roles=Permission.MANAGE_ASSESSMENTS, prevent_initial_call=True,
)
def record(clicks: int | None, form: dict[str, Any]) -> dict[str, Any]:
    values = form_values(FORM)

    def act() -> int:
        with db_session() as s:
            return A.create_assessment(s, current_user.principal, values, origin=request_origin()).id

    feedback, alert, go = saved(FORM, ASSESSMENT, act, lambda new_id: f"/assessments/{new_id}")
    return {"feedback": feedback, "alert": alert, "go": go or dash.no_update}


def title(**_kwargs: object) -> str:
    return _("Assessments") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/assessments", name="Assessments", title=title,
                   nav_label=_l("Assessments"), order=40, permission=Permission.VIEW_OPERATIONS)
