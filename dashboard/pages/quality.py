"""Data quality: the six dimensions' scores, their trend, scores by rule, mission and capacity; for those who
keep the records (planners, admins), the failing records of any score with a link to fix each."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask_login import current_user

from dashboard.components.map_charts import TOP_LEGEND, base_layout, empty_figure
from dashboard.context import db_session
from dashboard.i18n import GRID_LOCAL_NUMBER, _, _l, current_locale
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services import formatting
from services.access import Permission
from services.quality import scorecard
from services.quality.rules import DIMENSION_LABELS, RECORD_LABELS, RULES, RULES_BY_CODE, Dimension

TREND_DAYS = 90
# One colour a dimension, distinguishable in print and for common colour blindness (Okabe-Ito).
DIMENSION_COLOURS = {Dimension.ACCURATE: "#0072B2", Dimension.COMPLETE: "#E69F00", Dimension.CONSISTENT: "#009E73",
                     Dimension.TIMELY: "#CC79A7", Dimension.UNIQUE: "#56B4E9", Dimension.VALID: "#D55E00"}


class Ids:
    LOAD = "quality-load"
    CARDS = "quality-cards"
    TREND = "quality-trend"
    RULES = "quality-rules"
    MISSIONS = "quality-missions"
    CAPACITIES = "quality-capacities"
    FAILING = "quality-failing"
    FAILING_TITLE = "quality-failing-title"


def _percent(rate: float | None) -> str:
    return "–" if rate is None else formatting.percent(rate, current_locale(), digits=1)


def _grid(grid_id: str, columns: list[dict[str, Any]], height: str = "320px", **kwargs: Any) -> dag.AgGrid:
    return dag.AgGrid(id=grid_id, columnDefs=columns, rowData=[], className="ag-theme-alpine",
                      defaultColDef={"sortable": True, "resizable": True, "filter": True}, style={"height": height},
                      dashGridOptions={"rowSelection": "single", "animateRows": False,
                                       "localeText": {"noRowsToShow": _("Nothing to show.")}}, **kwargs)


def _score_columns(name: str) -> list[dict[str, Any]]:
    number = {"type": "numericColumn", "valueFormatter": GRID_LOCAL_NUMBER}
    return [{"field": "name", "headerName": name, "flex": 2, "minWidth": 140},
            {"field": "checked", "headerName": _("Checked"), "width": 120, **number},
            {"field": "failing", "headerName": _("Failing"), "width": 120, **number},
            {"field": "score", "headerName": _("Score (%)"), "width": 130, **number,
             "sort": "asc"}]


@page_layout(Permission.VIEW_OPERATIONS)
def layout(**_kwargs: object) -> html.Div:
    keeps_records = current_user.principal.can(Permission.MANAGE_PERSONNEL)
    rule_columns = [
        {"field": "sentence", "headerName": _("Rule (a failing record)"), "flex": 3, "minWidth": 260,
         "wrapText": True, "autoHeight": True},
        {"field": "dimension", "headerName": _("Dimension"), "width": 150},
        {"field": "record", "headerName": _("Records"), "width": 150},
        *_score_columns("")[1:],
    ]
    failing = [
        html.H2(id=Ids.FAILING_TITLE, className="h5 mt-4", children=_("Choose a rule above to list its failing "
                                                                      "records.")),
        _grid(Ids.FAILING, [
            {"field": "label", "headerName": _("Record"), "flex": 2, "minWidth": 180, "cellRenderer": "markdown"},
            {"field": "mission", "headerName": _("Mission"), "width": 130},
        ], height="320px"),
    ] if keeps_records else [
        html.P(_("Planners and administrators see the failing records and fix them."), className="text-muted mt-3")]
    return html.Div([
        dcc.Store(id=Ids.LOAD, data=0),
        html.H1(_("Data quality"), className="h3"),
        html.P(_("Each rule checks one kind of record on one of the six dimensions. A score is the share of checked "
                 "records that pass; the rules are judged on today's records, and a snapshot each day keeps the "
                 "trend."), className="text-muted small"),
        dbc.Row(id=Ids.CARDS, className="g-2 mb-3"),
        dcc.Graph(id=Ids.TREND, config={"displayModeBar": False}, figure=empty_figure("")),
        html.H2(_("Rules"), className="h5 mt-3"),
        _grid(Ids.RULES, rule_columns, height="380px", getRowId="params.data.code"),
        dbc.Row([
            dbc.Col([html.H2(_("By mission"), className="h5 mt-3"),
                     _grid(Ids.MISSIONS, _score_columns(_("Mission")), getRowId="params.data.id")], lg=6),
            dbc.Col([html.H2(_("By capacity"), className="h5 mt-3"),
                     _grid(Ids.CAPACITIES, _score_columns(_("Capacity")), height="160px",
                           getRowId="params.data.id")], lg=6),
        ]),
        *failing,
    ])


def _cards(card: scorecard.Scorecard) -> list[Any]:
    cards = []
    for dimension, score in card.by_dimension().items():
        cards.append(dbc.Col(dbc.Card(dbc.CardBody([
            html.Div(_(DIMENSION_LABELS[dimension]), className="small text-muted"),
            html.Div(_percent(score.rate), className="fs-4 fw-semibold"),
            html.Div(_("%(failing)s failing of %(checked)s checks",
                       failing=formatting.integer(score.failing, current_locale()),
                       checked=formatting.integer(score.checked, current_locale())),
                     className="small"),
        ]), className="h-100", style={"borderLeft": f"4px solid {DIMENSION_COLOURS[dimension]}"}),
            xs=6, md=4, xl=2, id=f"quality-card-{dimension.value}"))
    return cards


def _trend_figure(points: dict[Dimension, list[tuple[date, float]]], today: date) -> dict[str, Any]:
    traces = [{"type": "scatter", "mode": "lines+markers", "name": _(DIMENSION_LABELS[d]),
               "x": [day.isoformat() for day, _r in series], "y": [round(100 * r, 1) for _d, r in series],
               "line": {"color": DIMENSION_COLOURS[d]}, "hovertemplate": "%{x}: %{y}%<extra></extra>"}
              for d, series in points.items() if series]
    if not traces:
        return empty_figure(_("No snapshot yet."))
    layout = base_layout(260, legend=TOP_LEGEND,
                         yaxis={"range": [0, 100.5], "ticksuffix": "%", "gridcolor": "#e5e8ec"})
    layout["margin"] = {"l": 45, "r": 10, "t": 40, "b": 30}
    first = min(day for series in points.values() for day, _r in series)
    # Days, never hours: a single snapshot still gets a week of axis around it.
    layout["xaxis"] = {"type": "date", "tickformat": "%e %b", "gridcolor": "#e5e8ec",
                       "range": [(min(first, today - timedelta(days=7)) - timedelta(days=1)).isoformat(),
                                 (today + timedelta(days=1)).isoformat()]}
    return {"data": traces, "layout": layout}


@secured_callback(
    output={"cards": Output(Ids.CARDS, "children"), "trend": Output(Ids.TREND, "figure"),
            "rules": Output(Ids.RULES, "rowData"), "missions": Output(Ids.MISSIONS, "rowData"),
            "capacities": Output(Ids.CAPACITIES, "rowData")},
    inputs={"_load": Input(Ids.LOAD, "data")}, roles=Permission.VIEW_OPERATIONS)
def show_scores(_load: int) -> dict[str, Any]:
    today = date.today()
    with db_session() as s:
        scorecard.ensure_snapshot(s, today)
        card = scorecard.compute(s, today)
        points = scorecard.trend(s, today - timedelta(days=TREND_DAYS))
        missions, capacities = scorecard.scope_names(s)
    rules = [{"code": r.code, "sentence": _(r.sentence), "dimension": _(DIMENSION_LABELS[r.dimension]),
              "record": _(RECORD_LABELS[r.record]), "checked": card.rules[r.code].checked,
              "failing": card.rules[r.code].failing,
              "score": None if card.rules[r.code].rate is None else round(100 * card.rules[r.code].rate, 1)}
             for r in RULES]
    return {"cards": _cards(card), "trend": _trend_figure(points, today), "rules": rules,
            "missions": scorecard.as_rows(card, missions, "mission"),
            "capacities": scorecard.as_rows(card, capacities, "capacity")}


@secured_callback(
    output={"rows": Output(Ids.FAILING, "rowData"), "title": Output(Ids.FAILING_TITLE, "children")},
    inputs={"rule": Input(Ids.RULES, "selectedRows"), "mission": Input(Ids.MISSIONS, "selectedRows"),
            "capacity": Input(Ids.CAPACITIES, "selectedRows")},
    roles=Permission.MANAGE_PERSONNEL, prevent_initial_call=True)
def show_failing(rule: list[dict[str, Any]] | None, mission: list[dict[str, Any]] | None,
                 capacity: list[dict[str, Any]] | None) -> dict[str, Any]:
    if not rule or rule[0].get("code") not in RULES_BY_CODE:
        return {"rows": [], "title": _("Choose a rule above to list its failing records.")}
    code = rule[0]["code"]
    mission_id = int(mission[0]["id"]) if mission else None
    capacity_id = int(capacity[0]["id"]) if capacity else None
    with db_session() as s:
        found = scorecard.failing_records(s, current_user.principal, code, mission=mission_id,
                                          capacity=capacity_id)
    where = [name for name in ((mission or [{}])[0].get("name"), (capacity or [{}])[0].get("name")) if name]
    title = _("Failing: %(rule)s", rule=_(RULES_BY_CODE[code].sentence))
    if where:
        title += f" ({', '.join(where)})"
    return {"rows": [{"label": f"[{r.label or r.id}]({r.link})", "mission": r.mission or ""} for r in found],
            "title": title}


def title(**_kwargs: object) -> str:
    return _("Data quality") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/quality", name="Data quality", title=title,
                   nav_label=_l("Data quality"), order=60, permission=Permission.VIEW_OPERATIONS)
