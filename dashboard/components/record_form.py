"""A record's form, field by field, with each problem shown under its field.

Controls take pattern-matching ids (``field_id(form, name)``), so one callback reads every value of a form
(``form_values``) and writes every field's state and message (``feedback_outputs`` / ``feedback_values``)
however many fields the form has: wired by name, not by position.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Output, State, callback_context, html

from dashboard.i18n import ABSENCE_LABELS, _, current_locale, ngettext
from services.formatting import day
from services.records import Problem, RuleBook, message
from services.records.imports import cell_message

INPUT = "record-input"  # a dbc control: Input, Select, Textarea (they have an ``invalid`` state)
CONTROL = "record-control"  # any other control (dcc.Dropdown, a date picker): its message only
FEEDBACK = "record-feedback"


def field_id(form: str, field: Any, *, dbc_control: bool = True) -> dict[str, Any]:
    return {"type": INPUT if dbc_control else CONTROL, "form": form, "field": field}


def feedback_id(form: str, field: Any) -> dict[str, Any]:
    return {"type": FEEDBACK, "form": form, "field": field}


def label_text(book: RuleBook | None, name: str) -> str:
    f = book.fields_by_name.get(name) if book else None
    return _(f.label) if f else name


def _shown(code: str, key: str, value: Any) -> Any:
    """A problem's parameter as the page writes it: services give dates in ISO and codes (the API's form);
    a page says "31 déc. 2026" and "Congé"."""
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return day(date.fromisoformat(value), current_locale())
        except ValueError:
            return value
    if code == "absence_overlap" and key == "kind" and value in ABSENCE_LABELS:
        return str(ABSENCE_LABELS[value])
    return value


def problem_text(problem: Problem, book: RuleBook | None = None) -> str:
    """A problem in the page's language; another field it names (``other``) by that field's label."""
    params = {key: _shown(problem.code, key, value) for key, value in problem.params.items()}
    if book is not None and "other" in params:
        params["other"] = label_text(book, str(params["other"]))
    problem = dataclasses.replace(problem, params=params)
    return cell_message(problem, _, ngettext) if hasattr(problem, "row") else message(problem, _, ngettext)


def form_field(form: str, book: RuleBook, name: str, control: Any, *, dbc_control: bool = True,
               width: int | None = None) -> Any:
    """The field's label (with * when required), its control (built by the caller with ``field_id``), its
    help and the place of its message."""
    f = book.fields_by_name[name]
    label = _(f.label) + (" *" if f.required else "")
    parts: list[Any] = [dbc.Label(label, html_for=None, className="mb-1 small fw-semibold"), control]
    if f.help:
        parts.append(dbc.FormText(_(f.help)))
    # d-block: shown under any control, not only after a Bootstrap input marked invalid
    parts.append(html.Div(id=feedback_id(form, name), className="invalid-feedback d-block"))
    return dbc.Col(parts, md=width, className="mb-2") if width else html.Div(parts, className="mb-2")


def form_states(form: str) -> dict[str, State]:
    """The states of every control of the form, for a callback's ``state=dict(...)``."""
    return {"inputs": State(field_id(form, ALL), "value"),
            "controls": State(field_id(form, ALL, dbc_control=False), "value")}


def form_values(form: str) -> dict[str, Any]:
    """The form's values by field, read in a callback from the states of ``form_states``."""
    values: dict[str, Any] = {}
    for group in callback_context.states_list:
        for item in group if isinstance(group, list) else [group]:
            ident = item.get("id")
            if isinstance(ident, dict) and ident.get("form") == form and ident.get("type") in (INPUT, CONTROL):
                values[str(ident["field"])] = item.get("value")
    return values


def feedback_outputs(form: str) -> dict[str, Output]:
    """The outputs that show problems: each dbc control's ``invalid`` and each field's message."""
    return {"invalid": Output(field_id(form, ALL), "invalid"), "feedback": Output(feedback_id(form, ALL), "children")}


def _output_fields(form: str, kind: str) -> list[str]:
    for group in callback_context.outputs_list:
        items = group if isinstance(group, list) else [group]
        if items and isinstance(items[0].get("id"), dict) and items[0]["id"].get("type") == kind \
                and items[0]["id"].get("form") == form:
            return [str(item["id"]["field"]) for item in items]
    return []


def feedback_values(problems: Sequence[Problem], form: str, book: RuleBook | None = None,
                    aliases: Mapping[str, str] | None = None) -> tuple[dict[str, list[Any]], list[str]]:
    """What ``feedback_outputs`` show for these problems, and the messages of problems with no field on the
    form (to show in the form's alert). ``aliases`` maps a problem's field to the form's field that shows it
    (``languages.0.code`` → ``language``)."""
    by_field: dict[str, list[str]] = {}
    leftover: list[str] = []
    on_form = set(_output_fields(form, FEEDBACK))
    for p in problems:
        name = (aliases or {}).get(p.field, p.field)
        if name in on_form:
            by_field.setdefault(name, []).append(problem_text(p, book))
        else:
            leftover.append(f"{label_text(book, name)}: {problem_text(p, book)}" if book and name in
                            book.fields_by_name else problem_text(p, book))
    return ({"invalid": [bool(by_field.get(n)) for n in _output_fields(form, INPUT)],
             "feedback": [" ".join(by_field.get(n, [])) or None for n in _output_fields(form, FEEDBACK)]},
            leftover)


def cleared_feedback(form: str) -> dict[str, list[Any]]:
    """No problem anywhere (after a successful save)."""
    return feedback_values([], form)[0]


def problems_alert(lead: str, messages: Iterable[str], *, element_id: str | None = None) -> dbc.Alert:
    items = list(messages)
    kwargs = {"id": element_id} if element_id else {}
    return dbc.Alert([html.Div(lead), *([html.Ul([html.Li(m) for m in items], className="mb-0")] if items else [])],
                     color="danger", **kwargs)


__all__ = ["CONTROL", "FEEDBACK", "INPUT", "cleared_feedback", "feedback_id", "feedback_outputs", "feedback_values",
           "field_id", "form_field", "form_states", "form_values", "label_text", "problem_text", "problems_alert"]
