"""Lessons and good practices: the list (published for everyone; drafts and reviewed ones too for assessment
managers) and the form that drafts a new one in English, French or both."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask_login import current_user

from dashboard.components.knowledge_parts import LESSON_STATUS_LABELS, control, label, options, saved
from dashboard.components.record_form import feedback_outputs, form_states, form_values
from dashboard.context import db_session, request_origin
from dashboard.i18n import _, current_locale, ngettext
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services.access import Permission
from services.formatting import day
from services.knowledge import lessons as L
from services.knowledge.rules import LESSON

FORM = "lesson-new"


class Ids:
    STATUS = "lessons-status"
    LIST = "lessons-list"
    COUNT = "lessons-count"
    TAGS = "lessons-new-tags"
    SAVE = "lessons-save"
    ALERT = "lessons-alert"
    GO = "lessons-go"


def lesson_fields(form: str, v: dict[str, Any] | None = None) -> list[Any]:
    v = v or {}
    return [dbc.Row([dbc.Col([control(form, LESSON, "title_en", v.get("title_en")),
                              control(form, LESSON, "body_en", v.get("body_en"), kind="textarea", rows=5)], md=6),
                     dbc.Col([control(form, LESSON, "title_fr", v.get("title_fr")),
                              control(form, LESSON, "body_fr", v.get("body_fr"), kind="textarea", rows=5)], md=6)]),
            dbc.Row([control(form, LESSON, "mission", v.get("mission"), width=3),
                     control(form, LESSON, "capacity", v.get("capacity"), width=3,
                             choices=[{"label": "—", "value": ""}, {"label": "SPC", "value": "SPC"},
                                      {"label": "JCSC", "value": "JCSC"}]),
                     control(form, LESSON, "assessment_id", v.get("assessment_id"), kind="number", width=3)])]


@page_layout(Permission.VIEW_AGGREGATES)
def layout(**_kwargs: object) -> html.Div:
    manage = current_user.can(Permission.MANAGE_ASSESSMENTS)
    new = [dbc.Card(dbc.CardBody([
        html.H2(_("Draft a lesson"), className="h5"),
        html.P(_("In English, in French, or in both; a colleague reviews it before it is published."),
               className="small text-muted"),
        *lesson_fields(FORM),
        dbc.Label(_("Tags (comma-separated)"), className="mb-1 small fw-semibold"),
        dbc.Input(id=Ids.TAGS, maxLength=600),
        html.Div(id=Ids.ALERT, className="mt-2"),
        dbc.Button(_("Save the draft"), id=Ids.SAVE, color="primary", className="mt-2"),
    ]), className="mt-4")] if manage else []
    status_filter = [dbc.Col(dbc.Select(id=Ids.STATUS, value="", options=[
        {"label": _("Any status"), "value": ""}, *options(LESSON_STATUS_LABELS)]), md=4)] if manage else \
        [dcc.Store(id=Ids.STATUS, data="")]
    return html.Div([
        dcc.Location(id=Ids.GO, refresh=True),
        html.H1(_("Lessons and good practices"), className="h3"),
        html.P(html.A(_("Search all knowledge"), href="/knowledge"), className="small"),
        dbc.Row([*status_filter, dbc.Col(html.Div(id=Ids.COUNT, className="text-muted pt-2"), md=4)],
                className="g-2 mb-2"),
        html.Div(id=Ids.LIST),
        *new,
    ])


@secured_callback(Output(Ids.LIST, "children"), Output(Ids.COUNT, "children"),
                  Input(Ids.STATUS, "value"), roles=Permission.VIEW_AGGREGATES)
def show(status: str | None) -> tuple[Any, str]:
    locale = current_locale()
    with db_session() as s:
        page = L.list_lessons(s, current_user.principal, L.LessonFilter(
            status=status if status in {x.value for x in LESSON_STATUS_LABELS} else None), locale)
    items = [dbc.ListGroupItem([
        html.A(r["title"], href=f"/lessons/{r['id']}", className="fw-semibold"), html.Br(),
        html.Small(" · ".join(x for x in (label(LESSON_STATUS_LABELS, r["status"]),
                                          " / ".join(lang.upper() for lang in r["languages"]), r["mission"] or "",
                                          ", ".join(r["tags"]), day(r["updated_at"].date(), locale)) if x),
                   className="text-muted")]) for r in page["items"]]
    return (dbc.ListGroup(items, id="lesson-list") if items else html.P(_("No lesson yet."), className="text-muted"),
            ngettext("%(num)d lesson", "%(num)d lessons", page["total"]))


@secured_callback(
    output={"feedback": feedback_outputs(FORM), "alert": Output(Ids.ALERT, "children"), "go": Output(Ids.GO, "href")},
    inputs={"clicks": Input(Ids.SAVE, "n_clicks")},
    state={"form": form_states(FORM), "tags": dash.State(Ids.TAGS, "value")},
    roles=Permission.MANAGE_ASSESSMENTS, prevent_initial_call=True,
)
def draft(clicks: int | None, form: dict[str, Any], tags: str | None) -> dict[str, Any]:
    values = {**form_values(FORM), "tags": [t for t in (tags or "").split(",") if t.strip()]}

    def act() -> int:
        with db_session() as s:
            return L.create_lesson(s, current_user.principal, values, origin=request_origin()).id

    feedback, alert, made = saved(FORM, LESSON, act, lambda i: f"/lessons/{i}")
    return {"feedback": feedback, "alert": alert, "go": made or dash.no_update}


def title(**_kwargs: object) -> str:
    return _("Lessons") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/lessons", name="Lessons", title=title,
                   permission=Permission.VIEW_AGGREGATES)
