"""What the knowledge pages share: the words for the records' codes, form controls built from the rule books,
the save pattern (a service call whose problems go under their fields), and a file read from dcc.Upload."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.record_form import feedback_values, field_id, form_field, problems_alert
from dashboard.i18n import _, _l, current_locale
from models.enums import (
    Addressee,
    AssessmentKind,
    AssessmentMode,
    GapArea,
    LessonStatus,
    Priority,
    RecommendationStatus,
)
from services.errors import HubError
from services.formatting import day
from services.knowledge.attachments import MAX_ATTACHMENT_BYTES, CheckedFile, check_file
from services.records import Problem, Problems, RuleBook

KIND_LABELS = {
    AssessmentKind.PRE_DEPLOYMENT_VISIT: _l("Formed police unit: pre-deployment visit"),
    AssessmentKind.FPU_VERIFICATION_VISIT: _l("Formed police unit: verification visit"),
    AssessmentKind.INDIVIDUAL_POLICE_ASSESSMENT: _l("Individual police officers' assessment"),
    AssessmentKind.TECHNOLOGY_NEEDS: _l("Technology-needs assessment"),
    AssessmentKind.MISSION_MANAGER_VISIT: _l("Mission manager's visit"),
    AssessmentKind.STANDING_CAPACITY: _l("Standing-capacity assessment"),
}
MODE_LABELS = {AssessmentMode.IN_PERSON: _l("In person"), AssessmentMode.HYBRID: _l("Hybrid"),
               AssessmentMode.VIRTUAL: _l("Virtual")}
AREA_LABELS = {GapArea.PERSONNEL: _l("Personnel"), GapArea.FACILITIES: _l("Facilities"),
               GapArea.SOFTWARE: _l("Software"), GapArea.EQUIPMENT: _l("Equipment"),
               GapArea.WORKING_METHODS: _l("Working methods")}
PRIORITY_LABELS = {Priority.LOW: _l("Low"), Priority.MEDIUM: _l("Medium"), Priority.HIGH: _l("High"),
                   Priority.CRITICAL: _l("Critical")}
STATUS_LABELS = {
    RecommendationStatus.OPEN: _l("Open"), RecommendationStatus.IN_PROGRESS: _l("In progress"),
    RecommendationStatus.IMPLEMENTED: _l("Implemented"),
    RecommendationStatus.PARTIALLY_IMPLEMENTED: _l("Partially implemented"),
    RecommendationStatus.NOT_ACCEPTED: _l("Not accepted"),
    RecommendationStatus.CLOSED_OVERTAKEN: _l("Closed as overtaken"),
}
ADDRESSEE_LABELS = {Addressee.MISSION: _l("Mission"), Addressee.CONTRIBUTING_COUNTRY: _l("Contributing country"),
                    Addressee.HQ_UNIT: _l("Headquarters unit")}
LESSON_STATUS_LABELS = {LessonStatus.DRAFT: _l("Draft"), LessonStatus.REVIEWED: _l("Reviewed"),
                        LessonStatus.PUBLISHED: _l("Published")}
SEARCH_KIND_LABELS = {"lesson": _l("Lesson"), "assessment": _l("Assessment"), "recommendation": _l("Recommendation"),
                      "attachment": _l("Attached report or evidence")}


def label(labels: dict[Any, Any], value: Any) -> str:
    try:
        return str(labels[type(next(iter(labels)))(value)])
    except (ValueError, KeyError, StopIteration):
        return str(value or "")


def options(labels: dict[Any, Any], *, blank: bool = False) -> list[dict[str, str]]:
    out = [{"label": str(text), "value": str(key.value)} for key, text in labels.items()]
    return ([{"label": "—", "value": ""}] if blank else []) + out


def control(form: str, book: RuleBook, name: str, value: Any = None, *, kind: str = "text",
            choices: list[dict[str, str]] | None = None, width: int | None = None, rows: int = 3,
            disabled: bool = False) -> Any:
    """A rule book's field as a labelled dbc control with its message place."""
    ident = field_id(form, name)
    shown = "" if value is None else str(value)
    if choices is not None:
        ctl: Any = dbc.Select(id=ident, options=choices, value=shown, disabled=disabled)
    elif kind == "textarea":
        ctl = dbc.Textarea(id=ident, value=shown, rows=rows, disabled=disabled)
    else:
        ctl = dbc.Input(id=ident, type=kind, value=shown, disabled=disabled,
                        maxLength=getattr(book.fields_by_name[name], "max_length", None))
    return form_field(form, book, name, ctl, width=width)


def saved(form: str, book: RuleBook, action: Callable[[], Any], done: Callable[[Any], Any],
          *, aliases: dict[str, str] | None = None) -> tuple[dict[str, list[Any]], Any, Any]:
    """Runs a service call; returns (the fields' feedback, the alert, what ``done`` makes of the result or None)."""
    try:
        result = action()
    except Problems as error:
        feedback, leftover = feedback_values(error.problems, form, book, aliases)
        return feedback, problems_alert(_("Nothing was saved. Check the fields marked in red."), leftover), None
    except HubError as error:
        return feedback_values([], form)[0], dbc.Alert(str(error), color="danger"), None
    return feedback_values([], form)[0], None, done(result)


def upload(component_id: str, text: str, *, multiple: bool = False) -> Any:
    return dcc.Upload(id=component_id, multiple=multiple, max_size=MAX_ATTACHMENT_BYTES * 2,
                      accept=".pdf,.docx,application/pdf,"
                             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                      children=html.Div([html.I(className="bi bi-paperclip me-1"), text]),
                      className="border border-secondary-subtle rounded p-2 text-center small",
                      style={"borderStyle": "dashed", "cursor": "pointer"})


def uploaded(contents: Sequence[str] | str | None, names: Sequence[str] | str | None,
             field: str = "file") -> list[CheckedFile]:
    """dcc.Upload's data URLs checked by content; Problems (at ``field``) for any refused."""
    if not contents:
        return []
    contents_list = [contents] if isinstance(contents, str) else list(contents)
    names_list = [names] if isinstance(names, str) else list(names or [])
    out: list[CheckedFile] = []
    found: list[Problem] = []
    for k, data_url in enumerate(contents_list):
        name = names_list[k] if k < len(names_list) else "file"
        try:
            data = base64.b64decode(data_url.split(",", 1)[1], validate=True)
            out.append(check_file(data, name, field=field))
        except (IndexError, ValueError):
            found.append(Problem(field, "not_base64"))
        except Problems as error:
            found += error.problems
    if found:
        raise Problems(found)
    return out


def status_badge(status: str, overdue: bool = False) -> Any:
    color = {"open": "secondary", "in_progress": "info", "implemented": "success",
             "partially_implemented": "warning", "not_accepted": "dark", "closed_overtaken": "light"}.get(status)
    parts = [dbc.Badge(label(STATUS_LABELS, status), color=color or "secondary", className="me-1",
                       text_color="dark" if color in ("light", "warning", "info") else None)]
    if overdue:
        parts.append(dbc.Badge(_("Overdue"), color="danger", className="overdue-badge"))
    return html.Span(parts)


def rec_list(items: list[dict[str, Any]], element_id: str, empty: str) -> Any:
    """Recommendations as a list: text linked to its page, status, priority, addressee, owner, due date."""
    if not items:
        return html.P(empty, className="text-muted", id=element_id)
    locale = current_locale()
    return dbc.ListGroup([dbc.ListGroupItem([
        html.A(r["text"], href=f"/recommendations/{r['id']}", className="fw-semibold"), html.Br(),
        status_badge(r["status"], r["overdue"]),
        html.Small(" " + " · ".join(x for x in (
            label(PRIORITY_LABELS, r["priority"]), r["addressee_name"] or "", r.get("owner_name") or "",
            (_("due %(day)s", day=day(r["due_on"], locale)) if r["due_on"] else ""), r["mission"] or "") if x),
            className="text-muted")], className="rec-item") for r in items], id=element_id, flush=True)
