"""Plotly figures of the briefing page, from the suppressed BriefingView (no queries here).

A suppressed cell is not drawn (a bar of 0 would read as "none"); its bar's total label shows the mark.
Funding reuses the operations map's figure: money is shown as it is.
"""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.components.map_charts import _layout, empty_figure
from dashboard.i18n import _
from services.briefing.suppression import SuppressedTable, shown
from services.palette import MARKER_COLOURS, capacity_colour


def missions_figure(table: SuppressedTable[str, str], top: int = 20) -> go.Figure:
    """Experts deployed by mission, stacked by capacity, the busiest on top."""
    if not table.rows:
        return empty_figure(_("No deployments match the filter."))
    rows = list(reversed(table.rows[:top]))
    fig = go.Figure()
    for capacity in table.columns:
        values = [table.cell(r, capacity) for r in rows]
        fig.add_bar(y=rows, x=[v if v is not None else 0 for v in values], orientation="h", name=str(capacity),
                    marker_color=capacity_colour(capacity),
                    text=[shown(v) for v in values],
                    hovertemplate="%{y} · " + str(capacity) + ": %{text}<extra></extra>")
    fig.add_scatter(y=rows, x=[sum(table.cell(r, c) or 0 for c in table.columns) for r in rows], mode="text",
                    text=[" " + shown(table.row_totals[r]) for r in rows], textposition="middle right",
                    showlegend=False, hoverinfo="skip")
    return _layout(fig, height=max(220, 22 * len(rows) + 60), barmode="stack", xaxis_title=_("experts deployed"),
                   margin={"l": 90, "r": 30, "t": 10, "b": 40})


def gender_figure(by_marker: dict[str, int | None]) -> go.Figure:
    keys = sorted(by_marker)
    values = [by_marker[k] for k in keys]
    fig = go.Figure()
    fig.add_bar(x=[_("GM%(n)s", n=k) for k in keys], y=[v if v is not None else 0 for v in values],
                text=[shown(v) for v in values], textposition="outside", marker_color=MARKER_COLOURS[: len(keys)],
                hovertemplate="%{x}: %{text} " + _("deployments") + "<extra></extra>")
    return _layout(fig, height=220, yaxis_title=_("deployments"), showlegend=False)
