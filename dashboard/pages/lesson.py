"""One lesson: read it in the page's language (the other one beside it), and, for assessment managers, edit it
and move it through the workflow (review by someone other than the author, publish, withdraw)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html
from flask_login import current_user

from dashboard.components.knowledge_parts import LESSON_STATUS_LABELS, label, saved
from dashboard.components.record_form import feedback_outputs, form_states, form_values
from dashboard.context import db_session, request_origin
from dashboard.i18n import _, _l, current_locale
from dashboard.pages.lessons import lesson_fields
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services.access import Permission
from services.errors import HubError
from services.knowledge import lessons as L
from services.knowledge.rules import LESSON

FORM = "lesson-edit"
STEP_LABELS = {"review": _l("Mark as reviewed"), "publish": _l("Publish"), "withdraw": _l("Back to draft")}


class Ids:
    ID = "lesson-id"
    VERSION = "lesson-version"
    SAVE = "lesson-save"
    ALERT = "lesson-alert"
    STEP = "lesson-step"
    GO = "lesson-go"


def _text(d: dict[str, Any], lang: str) -> Any:
    t, b = d.get(f"title_{lang}"), d.get(f"body_{lang}")
    if not t:
        return None
    return html.Div([html.H2(t, className="h5"), html.P(b, style={"whiteSpace": "pre-wrap"})], lang=lang,
                    className=f"lesson-text-{lang}")


@page_layout(Permission.VIEW_AGGREGATES)
def layout(lesson_id: str = "", **_kwargs: object) -> Any:
    try:
        key = int(lesson_id)
        with db_session() as s:
            d = L.get_lesson(s, current_user.principal, key)
    except (ValueError, HubError):
        return dbc.Alert(_("There is no lesson %(id)s you may open.", id=lesson_id[:20]), color="warning")
    first, second = ("fr", "en") if current_locale() == "fr" else ("en", "fr")
    texts = [x for x in (_text(d, first), _text(d, second)) if x is not None]
    meta = " · ".join(x for x in (label(LESSON_STATUS_LABELS, d["status"]), d.get("mission") or "",
                                  ", ".join(d["tags"])) if x)
    manage = current_user.can(Permission.MANAGE_ASSESSMENTS)
    editor = dbc.Card(dbc.CardBody([
        html.H2(_("Edit"), className="h5"), *lesson_fields(FORM, d), html.Div(id=Ids.ALERT),
        dbc.Button(_("Save changes"), id=Ids.SAVE, color="primary", className="me-2"),
        *[dbc.Button(str(STEP_LABELS[a]), id={"type": Ids.STEP, "action": a}, color="secondary", outline=True,
                     className="me-2") for a in d["next_steps"]],
    ]), className="mt-3") if manage else None
    return html.Div([
        dcc.Store(id=Ids.ID, data=key), dcc.Store(id=Ids.VERSION, data=d["version"]),
        dcc.Location(id=Ids.GO, refresh=True),
        html.A("← " + _("Lessons"), href="/lessons", className="small"),
        html.P(meta, className="text-muted small mt-2", id="lesson-meta"),
        dbc.Row([dbc.Col(t, md=12 // max(1, len(texts))) for t in texts]),
        editor,
    ])


@secured_callback(
    output={"feedback": feedback_outputs(FORM), "alert": Output(Ids.ALERT, "children"),
            "go": Output(Ids.GO, "href")},
    inputs={"save": Input(Ids.SAVE, "n_clicks"), "steps": Input({"type": Ids.STEP, "action": ALL}, "n_clicks")},
    state={"form": form_states(FORM), "key": State(Ids.ID, "data"), "version": State(Ids.VERSION, "data")},
    roles=Permission.MANAGE_ASSESSMENTS, prevent_initial_call=True,
)
def change(save: int | None, steps: list[int | None], form: dict[str, Any], key: int, version: int) -> dict[str, Any]:
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        raise dash.exceptions.PreventUpdate
    values = form_values(FORM)

    def act() -> int:
        with db_session() as s:
            if isinstance(trigger, dict):
                L.step(s, current_user.principal, int(key), str(trigger["action"]), expected=version,
                       origin=request_origin())
            else:
                L.update_lesson(s, current_user.principal, int(key), values, expected=version,
                                origin=request_origin())
            return int(key)

    feedback, alert, done = saved(FORM, LESSON, act, lambda i: f"/lessons/{i}")
    if alert is None and done is None:
        alert = dbc.Alert(_("Nothing was saved."), color="danger")
    return {"feedback": feedback, "alert": alert, "go": done or dash.no_update}


def title(lesson_id: str = "", **_kwargs: object) -> str:
    return _("Lesson") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path_template="/lessons/<lesson_id>", name="Lesson", title=title,
                   permission=Permission.VIEW_AGGREGATES)
