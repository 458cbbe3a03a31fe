"""The projects' words, controls and charts: one form builder for every rule book of services.projects.rules,
the milestones' timeline and the indicators' target-against-actual charts."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc

from dashboard.components.record_form import field_id, form_field
from dashboard.i18n import _, _l
from services.records import Boolean, Choice, Date, Decimal, Integer, RuleBook

PROJECT_STATUS_LABELS = {"pipeline": _l("pipeline"), "active": _l("active"), "suspended": _l("suspended"),
                         "closed": _l("closed")}
MILESTONE_STATUS_LABELS = {"planned": _l("planned"), "achieved": _l("achieved"), "delayed": _l("delayed"),
                           "dropped": _l("dropped")}
LEVEL_LABELS = {"outcome": _l("Outcome"), "output": _l("Output")}
UNIT_LABELS = {"count": _l("number"), "percent": _l("percent")}
MARKER_LABELS = {"0": _l("0: no contribution to gender equality"), "1": _l("1: limited contribution"),
                 "2": _l("2: significant contribution"), "3": _l("3: gender equality is the principal objective")}
YES_NO = {"true": _l("Yes"), "false": _l("No")}
CHOICE_LABELS: dict[str, dict[str, Any]] = {
    "project.status": PROJECT_STATUS_LABELS, "milestone.status": MILESTONE_STATUS_LABELS,
    "result.level": LEVEL_LABELS, "result.unit": UNIT_LABELS, "project.gender_marker": MARKER_LABELS,
}
STATUS_COLOURS = {"planned": "#5b7fa6", "achieved": "#1b6e3c", "delayed": "#c77c0e", "dropped": "#8a8a8a"}


def label(labels: dict[str, Any], value: str | None) -> str:
    return str(labels.get(value or "", value or "–"))


def _control(form: str, book: RuleBook, name: str, value: Any, options: dict[str, list[dict[str, Any]]]) -> Any:
    """The control a field's type asks for; choices as a select of their words, booleans as yes/no."""
    f = book.fields_by_name[name]
    ident = field_id(form, name)
    if name in options:
        return dbc.Select(id=ident, options=options[name], value=value)
    if isinstance(f, Choice):
        words = CHOICE_LABELS.get(f"{book.name}.{name}", {})
        return dbc.Select(id=ident, value=value, options=[{"label": label(words, v), "value": v}
                                                          for v in f.values()])
    if isinstance(f, Boolean):
        return dbc.Select(id=ident, value="true" if value else "false",
                          options=[{"label": str(YES_NO[v]), "value": v} for v in ("false", "true")])
    if isinstance(f, Date):
        return dbc.Input(id=ident, type="date", value=value.isoformat() if isinstance(value, date) else value)
    if isinstance(f, Decimal | Integer):
        # text, not type=number: the browser would drop what it cannot parse and the rule book would never see it
        return dbc.Input(id=ident, type="text", inputMode="decimal", value=None if value is None else str(value))
    if name.startswith("description"):
        return dbc.Textarea(id=ident, value=value, rows=2)
    return dbc.Input(id=ident, type="text", value=value)


def book_form(form: str, book: RuleBook, values: dict[str, Any] | None = None, *,
              names: list[str] | None = None, options: dict[str, list[dict[str, Any]]] | None = None,
              width: int = 6) -> dbc.Row:
    """Every field of ``book`` (or those of ``names``) with its label, control and the place of its problem."""
    values = values or {}
    return dbc.Row([form_field(form, book, name, _control(form, book, name, values.get(name), options or {}),
                               width=width) for name in (names or book.names)], className="g-2")


def form_data(raw: dict[str, Any], book: RuleBook) -> dict[str, Any]:
    """What a form sent, as the service takes it (the yes/no selects as booleans)."""
    out = dict(raw)
    for f in book.fields:
        if isinstance(f, Boolean) and f.name in out:
            out[f.name] = out[f.name] == "true"
    return out


# --- charts ----------------------------------------------------------------------------------------------------
def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, plot_bgcolor="white",
                      legend={"orientation": "h", "y": -0.2}, font={"size": 11})
    return fig


def milestone_timeline(milestones: list[dict[str, Any]], today: date) -> go.Figure:
    """Each milestone on its row: planned date (hollow), date achieved (filled), a line for the delay."""
    fig = go.Figure()
    for status in ("planned", "achieved", "delayed", "dropped"):
        rows = [m for m in milestones if m["status"] == status]
        if not rows:
            continue
        fig.add_trace(go.Scatter(
            x=[m["due_on"] for m in rows], y=[m["title"] for m in rows], mode="markers",
            marker={"symbol": "circle-open", "size": 12, "color": STATUS_COLOURS[status], "line": {"width": 2}},
            name=_("planned date, %(status)s", status=label(MILESTONE_STATUS_LABELS, status))))
    done = [m for m in milestones if m["achieved_on"]]
    if done:
        fig.add_trace(go.Scatter(x=[m["achieved_on"] for m in done], y=[m["title"] for m in done], mode="markers",
                                 marker={"symbol": "circle", "size": 9, "color": STATUS_COLOURS["achieved"]},
                                 name=_("date achieved")))
        for m in done:
            fig.add_shape(type="line", x0=m["due_on"], x1=m["achieved_on"], y0=m["title"], y1=m["title"],
                          line={"color": "#999", "width": 1})
    fig.add_vline(x=today.isoformat(), line={"dash": "dot", "color": "#c0392b"})
    fig.update_yaxes(autorange="reversed", title=None)
    return _layout(fig, 120 + 28 * max(len(milestones), 1))


def indicator_chart(result: dict[str, Any]) -> go.Figure:
    """Actual values per period against the target and the baseline; women and men stacked where the indicator
    counts people."""
    actuals = result["actuals"]
    periods = [a["period_end"] for a in actuals]
    fig = go.Figure()
    if result["about_people"]:
        fig.add_trace(go.Bar(x=periods, y=[a["women"] for a in actuals], name=_("Women"), marker_color="#7b3294"))
        fig.add_trace(go.Bar(x=periods, y=[a["men"] for a in actuals], name=_("Men"), marker_color="#5aae61"))
        other = [a["value"] - (a["women"] or 0) - (a["men"] or 0) for a in actuals]
        if any(other):
            fig.add_trace(go.Bar(x=periods, y=other, name=_("Not recorded by sex"), marker_color="#bbbbbb"))
        fig.update_layout(barmode="stack")
    else:
        fig.add_trace(go.Bar(x=periods, y=[a["value"] for a in actuals], name=_("Actual"), marker_color="#2c7fb8"))
    fig.add_hline(y=float(result["target"]), line={"color": "#c0392b", "dash": "dash"},
                  annotation_text=_("Target"), annotation_position="top left")
    if result["baseline"]:
        fig.add_hline(y=float(result["baseline"]), line={"color": "#777", "dash": "dot"},
                      annotation_text=_("Baseline"), annotation_position="bottom left")
    fig.update_layout(title={"text": result["indicator"][:80], "font": {"size": 12}})
    if not actuals:
        fig.update_xaxes(showticklabels=False)
        fig.add_annotation(text=_("No value recorded yet"), showarrow=False, xref="paper", yref="paper", x=0.5,
                           y=0.5)
    return _layout(fig, 260)


def graph(figure: go.Figure, ident: Any = None) -> dcc.Graph:
    kwargs = {"id": ident} if ident is not None else {}
    return dcc.Graph(figure=figure, config={"displaylogo": False, "responsive": True}, **kwargs)


__all__ = ["CHOICE_LABELS", "LEVEL_LABELS", "MARKER_LABELS", "MILESTONE_STATUS_LABELS", "PROJECT_STATUS_LABELS",
           "book_form", "form_data", "graph", "indicator_chart", "label", "milestone_timeline"]
