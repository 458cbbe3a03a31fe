"""Plotly figures of the briefing page, from the suppressed BriefingView (no queries here).

A suppressed cell is not drawn on its own (a bar of 0 would read as "none"): what the shown total holds beyond the
shown cells is one hatched "split suppressed" segment, and a hidden total's label shows the mark.
Funding reuses the operations map's figure: money is shown as it is.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from dashboard.components.map_charts import _layout, empty_figure
from dashboard.i18n import _
from services.briefing.pack import split_hidden
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
    # A hidden split is one hatched segment (services/briefing/pack.split_hidden says why that reveals nothing).
    hidden = [split_hidden(table, r) for r in rows]
    if any(hidden):
        label = _("split suppressed")
        fig.add_bar(y=rows, x=hidden, orientation="h", name=label,
                    marker={"color": "#e4e7eb", "line": {"color": "#7b8794", "width": 1},
                            "pattern": {"shape": "/", "fgcolor": "#7b8794", "size": 6}},
                    customdata=[label] * len(rows),
                    hovertemplate="%{y} · %{customdata}: %{x}<extra></extra>")
    ends = [sum(table.cell(r, c) or 0 for c in table.columns) + h for r, h in zip(rows, hidden, strict=True)]
    fig.add_scatter(y=rows, x=ends, mode="text",
                    text=[" " + shown(table.row_totals[r]) for r in rows], textposition="middle right",
                    showlegend=False, hoverinfo="skip", cliponaxis=False)  # the longest bar's total past the axis
    _layout(fig, height=max(220, 22 * len(rows) + 60), barmode="stack", xaxis_title=_("experts deployed"),
            margin={"l": 90, "r": 36, "t": 10, "b": 40})
    return fig.update_xaxes(**head_count_axis(max(ends, default=0)))


def head_count_axis(largest: float, most_ticks: int = 6) -> dict[str, Any]:
    """Ticks on whole numbers for a head count (plotly steps by 0.5 on a short axis): the smallest step of
    1, 2 or 5 × 10ⁿ that keeps at most ``most_ticks`` intervals."""
    step = next(m * 10**e for e in range(12) for m in (1, 2, 5) if largest / (m * 10**e) <= most_ticks)
    return {"tick0": 0, "dtick": step, "rangemode": "tozero"}


def gender_figure(by_marker: dict[str, int | None]) -> go.Figure:
    keys = sorted(by_marker)
    values = [by_marker[k] for k in keys]
    fig = go.Figure()
    fig.add_bar(x=[_("GM%(n)s", n=k) for k in keys], y=[v if v is not None else 0 for v in values],
                text=[shown(v) for v in values], textposition="outside", marker_color=MARKER_COLOURS[: len(keys)],
                hovertemplate="%{x}: %{text} " + _("deployments") + "<extra></extra>")
    _layout(fig, height=220, yaxis_title=_("deployments"), showlegend=False)
    return fig.update_yaxes(**head_count_axis(max((v or 0 for v in values), default=0)))
