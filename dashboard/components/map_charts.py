"""Plotly figures of the operations map's linked charts, built from service results (no queries here).

The map's figures are plain dicts, not ``go.Figure``: plotly.py validates every property and expands the
default template into each figure, which cost about 90 ms a filter change for four small charts; plotly.js
takes the dicts as they are. Each clickable trace carries in ``customdata`` the filter value a click adds,
so the page's click callback needs no knowledge of the chart beyond its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

from dashboard.i18n import _, current_locale
from models.enums import FundType
from services.analytics.funding import REGULAR_BUDGET, FundingSummary
from services.analytics.gender import GenderSummary
from services.analytics.personnel import AvailabilityPoint, MissionCount
from services.formatting import money
from services.palette import MARKER_COLOURS, SOURCE_COLOURS, capacity_colour

# Capacity, gender-marker and funding-source colours are the hub's one palette (services/palette.py).
STATUS_COLOURS = {"deployed": "#1f5fa8", "deployed_elsewhere": "#8fb3db", "unavailable": "#b9b9b9",
                  "available": "#3a9d5d"}
GRID = "#e5e8ec"
# A legend above the plot area, left-aligned: it never covers the x axis or its title.
TOP_LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"}

Figure = dict[str, Any]


def base_layout(height: int = 260, **changes: Any) -> dict[str, Any]:
    """The charts' common look, without a plotly template (no extra bytes, no CDN fonts)."""
    layout: dict[str, Any] = {
        "height": height, "margin": {"l": 40, "r": 10, "t": 10, "b": 30},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.2, "x": 0}, "font": {"family": "system-ui, sans-serif", "size": 11},
        "xaxis": {"gridcolor": GRID, "zerolinecolor": GRID}, "yaxis": {"gridcolor": GRID, "zerolinecolor": GRID},
        "clickmode": "event", "hovermode": "closest",
    }
    for key, value in changes.items():
        if key.endswith("_title"):  # xaxis_title="..." as plotly.py spells it
            layout[key.removesuffix("_title")]["title"] = {"text": value}
        else:
            layout[key] = value
    return layout


def _layout(fig: Any, height: int = 260, **changes: Any) -> Any:
    """The same look applied to a ``go.Figure`` (the briefing's figures), with no template expanded into it."""
    fig.update_layout(template="none", **base_layout(height, **changes))
    return fig


def count_axis(values: Sequence[float], **axis: Any) -> dict[str, Any]:
    """An axis of head counts: whole-number ticks only (plotly puts ticks at 0.5 for small ranges)."""
    top = max(values, default=0)
    ticks: dict[str, Any] = {"tick0": 0, "dtick": 1} if top <= 8 else {"tickformat": ",d"}
    return {"gridcolor": GRID, "zerolinecolor": GRID, "rangemode": "tozero", **ticks, **axis}


def _figure(traces: list[dict[str, Any]], **layout: Any) -> Figure:
    return {"data": traces, "layout": base_layout(**layout)}


def empty_figure(message: str) -> Figure:
    return {"data": [], "layout": {
        **base_layout(220), "xaxis": {"visible": False}, "yaxis": {"visible": False},
        "annotations": [{"text": message, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper"}],
    }}


def availability_figure(points: Sequence[AvailabilityPoint]) -> Figure:
    if not points:
        return empty_figure(_("No experts match the filter."))
    buckets = sorted({p.bucket for p in points})
    labels = {
        "deployed": _("Deployed (in scope)"), "deployed_elsewhere": _("Deployed elsewhere"),
        "unavailable": _("Unavailable"), "available": _("Available"),
    }
    ends = {p.bucket: p.bucket_end for p in points}
    # Each bar spans its own bucket: on a date axis plotly otherwise sizes every bar to the smallest gap between
    # two x values, so one short bucket (a clipped first week) made every bar a day wide.
    day_ms = 86_400_000
    lengths = {b: (ends[b] - b).days + 1 for b in buckets}
    x = [(datetime.combine(b, time()) + timedelta(days=lengths[b] / 2)).isoformat() for b in buckets]
    widths = [lengths[b] * day_ms * 0.85 for b in buckets]
    starts = [b.isoformat() for b in buckets]
    hover = [f"{b.isoformat()} – {ends[b].isoformat()}" for b in buckets]
    traces = []
    for status, label in labels.items():
        totals = {b: 0.0 for b in buckets}
        for p in points:
            totals[p.bucket] += getattr(p, status)
        traces.append({"type": "bar", "x": x, "width": widths, "y": [round(totals[b], 1) for b in buckets],
                       "name": label, "marker": {"color": STATUS_COLOURS[status]}, "customdata": starts,
                       "text": hover, "textposition": "none",
                       "hovertemplate": "%{text}<br>" + label + ": %{y}<extra></extra>"})
    return _figure(traces, barmode="stack", yaxis_title=_("experts (average)"),
                   xaxis={"gridcolor": GRID, "zerolinecolor": GRID, "type": "date"})


def missions_figure(rows: Sequence[MissionCount], selected: Sequence[str]) -> Figure:
    if not rows:
        return empty_figure(_("No deployments match the filter."))
    totals: dict[str, int] = {}
    for row in rows:
        totals[row.acronym] = totals.get(row.acronym, 0) + row.experts
    # The value drawn (experts, all capacities) decides the order; horizontal bars: the largest on top.
    acronyms = sorted(totals, key=lambda a: (-totals[a], a))[::-1]
    traces = []
    for capacity in sorted({r.capacity for r in rows}):
        by = {r.acronym: r for r in rows if r.capacity == capacity}
        traces.append({
            "type": "bar", "orientation": "h", "y": acronyms, "x": [by[a].experts if a in by else 0 for a in acronyms],
            "name": capacity, "customdata": acronyms,
            "marker": {"color": capacity_colour(capacity),
                       "line": {"color": "#111", "width": [2 if a in selected else 0 for a in acronyms]}},
            "hovertemplate": "%{y} · " + capacity + ": %{x} " + _("experts") + "<extra></extra>",
        })
    return _figure(traces, height=max(220, 22 * len(acronyms) + 90), barmode="stack",
                   xaxis=count_axis(list(totals.values()), title={"text": _("experts deployed")}),
                   legend=TOP_LEGEND, margin={"l": 80, "r": 10, "t": 30, "b": 40})


def funding_figure(summary: FundingSummary) -> Figure:
    if not summary.rows:
        return empty_figure(_("No funding matches the filter."))
    rows = list(reversed(summary.rows[:15]))
    names = {FundType.REGULAR: _("Regular budget"), FundType.EXTRABUDGETARY: _("Extra-budgetary"),
             FundType.PROGRAMME_SUPPORT: _("Programme support")}
    traces = []
    for source in FundType:
        part = [r for r in rows if r.source == source]
        if not part:
            continue
        # The regular budget has no donor: its row carries the (English) constant, shown in the language.
        donors = [str(names[FundType.REGULAR]) if r.donor == REGULAR_BUDGET else r.donor for r in part]
        for what, values, opacity in ((_("committed"), [float(r.committed_usd) for r in part], 0.35),
                                      (_("spent"), [float(r.spent_usd) for r in part], 1.0)):
            traces.append({"type": "bar", "orientation": "h", "y": donors, "x": values,
                           "name": names[source] + " · " + what, "opacity": opacity,
                           "marker": {"color": SOURCE_COLOURS[source]}, "customdata": [str(source)] * len(part),
                           "hovertemplate": "%{y}: %{x:$,.0f} " + what + "<extra></extra>"})
    # The legend above the plot: below it, it sat on the axis title.
    figure = _figure(traces, height=max(240, 24 * len(rows) + 110), barmode="overlay", xaxis_title="USD",
                     legend=TOP_LEGEND, margin={"l": 120, "r": 10, "t": 50, "b": 40 + 16 * bool(summary.missing)})
    if summary.missing:
        # The bars leave these amounts out: the chart says so under its axis, never converting at another rate.
        figure["layout"]["annotations"] = [{"text": missing_rates_text(summary), "showarrow": False, "xref": "paper",
                                            "yref": "paper", "x": 0, "y": -0.18, "xanchor": "left",
                                            "font": {"color": "#b35900", "size": 11}}]
    return figure


def missing_rates_text(summary: FundingSummary) -> str:
    """"Not in USD (no rate for the month): EUR 2026-11 (€12,345)": what the totals leave out."""
    loc = current_locale()
    parts = [f"{m.label} ({money(m.amount, loc, m.currency)})" for m in summary.missing]
    return str(_("Not in USD (no exchange rate for the month): %(months)s", months=", ".join(parts)))


def gender_figure(summary: GenderSummary, selected: Sequence[str]) -> Figure:
    markers = ["0", "1", "2", "3"]
    trace = {
        "type": "bar", "x": [_("GM%(n)s", n=m) for m in markers], "y": [summary.by_marker.get(m, 0) for m in markers],
        "customdata": markers, "name": _("deployments"),
        "marker": {"color": MARKER_COLOURS, "line": {"color": "#111", "width": [2 if m in selected else 0
                                                                               for m in markers]}},
        "hovertemplate": "%{x}: %{y} " + _("deployments") + "<extra></extra>",
    }
    return _figure([trace], height=200, showlegend=False,
                   yaxis=count_axis(trace["y"], title={"text": _("deployments")}))
