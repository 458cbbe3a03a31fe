"""Plotly figures of the operations map's linked charts, built from service results (no queries here).

Each clickable trace carries in ``customdata`` the filter value a click adds, so the page's click callback
needs no knowledge of the chart beyond its id.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from dashboard.i18n import _
from models.enums import FundType
from services.analytics.funding import FundingSummary
from services.analytics.gender import GenderSummary
from services.analytics.personnel import AvailabilityPoint, MissionCount

CAPACITY_COLOURS = {"SPC": "#1f5fa8", "JCSC": "#c0661b"}
STATUS_COLOURS = {"deployed": "#1f5fa8", "deployed_elsewhere": "#8fb3db", "unavailable": "#b9b9b9",
                  "available": "#3a9d5d"}
SOURCE_COLOURS = {FundType.REGULAR: "#4b6584", FundType.EXTRABUDGETARY: "#20a39e"}
MARKER_COLOURS = ["#c9c9c9", "#f4c27a", "#e58a4e", "#b8452e"]


def _layout(fig: go.Figure, height: int = 260, **kwargs: object) -> go.Figure:
    settings: dict[str, object] = {
        "height": height, "margin": {"l": 40, "r": 10, "t": 10, "b": 30}, "template": "plotly_white",
        "legend": {"orientation": "h", "y": -0.2, "x": 0}, "font": {"family": "system-ui, sans-serif", "size": 11},
        "clickmode": "event",
    }
    fig.update_layout(**{**settings, **kwargs})
    return fig


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height=220)


def availability_figure(points: Sequence[AvailabilityPoint]) -> go.Figure:
    if not points:
        return empty_figure(_("No experts match the filter."))
    buckets = sorted({p.bucket for p in points})
    labels = {
        "deployed": _("Deployed (in scope)"), "deployed_elsewhere": _("Deployed elsewhere"),
        "unavailable": _("Unavailable"), "available": _("Available"),
    }
    fig = go.Figure()
    for status, label in labels.items():
        totals = {b: 0.0 for b in buckets}
        for p in points:
            totals[p.bucket] += getattr(p, status)
        fig.add_bar(x=[b.isoformat() for b in buckets], y=[round(totals[b], 1) for b in buckets], name=label,
                    marker_color=STATUS_COLOURS[status], customdata=[b.isoformat() for b in buckets],
                    hovertemplate="%{x}<br>" + label + ": %{y}<extra></extra>")
    return _layout(fig, barmode="stack", yaxis_title=_("experts (average)"), bargap=0.15)


def missions_figure(rows: Sequence[MissionCount], selected: Sequence[str]) -> go.Figure:
    if not rows:
        return empty_figure(_("No deployments match the filter."))
    acronyms: list[str] = []
    for row in rows:
        if row.acronym not in acronyms:
            acronyms.append(row.acronym)
    acronyms.reverse()  # horizontal bars: the busiest on top
    fig = go.Figure()
    for capacity in sorted({r.capacity for r in rows}):
        by = {r.acronym: r for r in rows if r.capacity == capacity}
        fig.add_bar(
            y=acronyms, x=[by[a].experts if a in by else 0 for a in acronyms], orientation="h", name=capacity,
            marker_color=CAPACITY_COLOURS.get(capacity, "#777"),
            marker_line_width=[2 if a in selected else 0 for a in acronyms], marker_line_color="#111",
            customdata=acronyms,
            hovertemplate="%{y} · " + capacity + ": %{x} " + _("experts") + "<extra></extra>",
        )
    return _layout(fig, height=max(220, 22 * len(acronyms) + 60), barmode="stack", xaxis_title=_("experts deployed"),
                   margin={"l": 80, "r": 10, "t": 10, "b": 40})


def funding_figure(summary: FundingSummary) -> go.Figure:
    if not summary.rows:
        return empty_figure(_("No funding matches the filter."))
    rows = list(reversed(summary.rows[:15]))
    fig = go.Figure()
    names = {FundType.REGULAR: _("Regular budget"), FundType.EXTRABUDGETARY: _("Extra-budgetary")}
    for source in (FundType.REGULAR, FundType.EXTRABUDGETARY):
        part = [r for r in rows if r.source == source]
        if not part:
            continue
        fig.add_bar(y=[r.donor for r in part], x=[float(r.committed_usd) for r in part], orientation="h",
                    name=names[source] + " · " + _("committed"), marker_color=SOURCE_COLOURS[source], opacity=0.35,
                    customdata=[str(source)] * len(part),
                    hovertemplate="%{y}: %{x:$,.0f} " + _("committed") + "<extra></extra>")
        fig.add_bar(y=[r.donor for r in part], x=[float(r.spent_usd) for r in part], orientation="h",
                    name=names[source] + " · " + _("spent"), marker_color=SOURCE_COLOURS[source],
                    customdata=[str(source)] * len(part),
                    hovertemplate="%{y}: %{x:$,.0f} " + _("spent") + "<extra></extra>")
    return _layout(fig, height=max(240, 24 * len(rows) + 70), barmode="overlay", xaxis_title="USD",
                   margin={"l": 120, "r": 10, "t": 10, "b": 40})


def gender_figure(summary: GenderSummary, selected: Sequence[str]) -> go.Figure:
    markers = ["0", "1", "2", "3"]
    labels = [_("GM%(n)s", n=m) for m in markers]
    fig = go.Figure()
    fig.add_bar(
        x=labels, y=[summary.by_marker.get(m, 0) for m in markers], customdata=markers,
        marker_color=MARKER_COLOURS, marker_line_width=[2 if m in selected else 0 for m in markers],
        marker_line_color="#111", name=_("deployments"),
        hovertemplate="%{x}: %{y} " + _("deployments") + "<extra></extra>",
    )
    return _layout(fig, height=200, yaxis_title=_("deployments"), showlegend=False)
