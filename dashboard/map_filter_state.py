"""The operations map's filter state, and what each event does to it: pure functions, no Dash.

The page's callbacks (dashboard/pages/operations_map.py) only translate: Dash's inputs into a ``FilterState`` and
an event, ``next_filter(state, event)``, and the new state back into the controls' values. So the rules (a second
click on a bar takes its filter off, a step never leaves the period, a reset clears the drawing) are tested here
without a browser (tests/test_map_filter_state.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from services.analytics.filters import MapFilter
from services.catalog import BBox
from services.errors import ValidationError

# The multi-valued filters, in the order of the page's controls (MapFilter's field names).
MULTI_FIELDS = ("capacity", "mission", "region", "country", "skill", "gender", "kind", "source", "marker")
STEP_DAYS = 7
# The filter a click on a chart's bar toggles (a bar's customdata is the value); the availability chart's bars are
# days, and a click shows that day instead.
CHART_FIELDS = {"missions": "mission", "gender": "marker", "funding": "source"}
AVAILABILITY_CHART = "availability"
# The filter a click on a map feature toggles, and the feature property that holds its value. Experts at a
# mission's HQ are drawn over it, so a click on them ("hq") means that mission too.
MAP_FIELDS = {"missions": ("mission", "acronym"), "places": ("mission", "hq"), "areas": ("country", "iso3")}
# Chips that are not a multi-valued filter.
AREA_CHIP, BBOX_CHIP = "area", "bbox"


@dataclass(frozen=True)
class FilterState:
    """What the map's controls hold."""

    start: date
    end: date
    as_of: int | None = None  # the day shown, in days after start; None: the end of the period
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)  # field -> values, in click order
    area: dict[str, Any] | None = field(default=None, hash=False)  # the drawn area, a GeoJSON MultiPolygon
    tied: bool = False  # the charts follow the map view
    clear_drawing: bool = False  # the shapes drawn on the map must go (their area was cleared)

    @property
    def days(self) -> int:
        return max((self.end - self.start).days, 0)

    def chosen(self, name: str) -> tuple[str, ...]:
        return tuple(self.values.get(name) or ())


# --- events ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChartClick:
    chart: str  # "missions", "gender", "funding" or "availability"
    value: str  # the bar's customdata


@dataclass(frozen=True)
class MapClick:
    layer: str  # "missions" (an HQ), "places" (experts at a place) or "areas" (a host country)
    properties: Mapping[str, Any]  # the clicked feature's


@dataclass(frozen=True)
class ChipRemoved:
    field: str  # a MULTI_FIELDS name, AREA_CHIP or BBOX_CHIP
    value: str


@dataclass(frozen=True)
class Drawn:
    geojson: Any  # the draw control's FeatureCollection of every shape on the map


@dataclass(frozen=True)
class PeriodChanged:
    start: date
    end: date


@dataclass(frozen=True)
class Step:
    days: int  # a step back (negative) or forward


@dataclass(frozen=True)
class Tick:
    """The player's next week: forward, and back to the first day after the last."""


@dataclass(frozen=True)
class Reset:
    today: date  # the default period is the twelve months around it


Event = ChartClick | MapClick | ChipRemoved | Drawn | PeriodChanged | Step | Tick | Reset


def next_filter(state: FilterState, event: Event | None) -> FilterState:
    """The controls' state after ``event`` (None: the state as it is, its day kept inside the period)."""
    state = replace(state, as_of=_inside(state.as_of, state.days), clear_drawing=False)
    as_of = int(state.as_of or 0)
    match event:
        case ChartClick(chart=chart, value=value) if chart == AVAILABILITY_CHART:
            try:
                clicked = date.fromisoformat(value)
            except ValueError:
                return state  # not a day: nothing to show
            return replace(state, as_of=min(max((clicked - state.start).days, 0), state.days))
        case ChartClick(chart=chart, value=value) if chart in CHART_FIELDS:
            return _toggled(state, CHART_FIELDS[chart], value)
        case MapClick(layer=layer, properties=properties) if layer in MAP_FIELDS:
            name, key = MAP_FIELDS[layer]
            value = (properties or {}).get(key)
            return _toggled(state, name, str(value)) if value else state
        case ChipRemoved(field=name) if name == AREA_CHIP:
            return replace(state, area=None, clear_drawing=True)
        case ChipRemoved(field=name) if name == BBOX_CHIP:
            return replace(state, tied=False)
        case ChipRemoved(field=name, value=value) if name in MULTI_FIELDS:
            return _with(state, name, tuple(v for v in state.chosen(name) if v != value))
        case Drawn(geojson=geojson):
            return replace(state, area=drawn_area(geojson))
        case PeriodChanged(start=start, end=end):
            changed = replace(state, start=start, end=end)
            return replace(changed, as_of=_inside(as_of, changed.days))
        case Step(days=days):
            return replace(state, as_of=min(max(as_of + days, 0), state.days))
        case Tick():
            return replace(state, as_of=min(as_of + STEP_DAYS, state.days) if as_of < state.days else 0)
        case Reset(today=today):
            default = MapFilter.default(today)
            # The view as on first opening the map: its day is today, as MapFilter's own default says.
            return FilterState(start=default.start, end=default.end, as_of=(default.day_on(today) - default.start).days,
                               clear_drawing=True)
    return state


def _inside(as_of: int | None, days: int) -> int:
    return min(int(as_of if as_of is not None else days), days)


def _with(state: FilterState, name: str, values: tuple[str, ...]) -> FilterState:
    return replace(state, values={**state.values, name: values})


def _toggled(state: FilterState, name: str, value: str) -> FilterState:
    chosen = state.chosen(name)
    return _with(state, name, tuple(v for v in chosen if v != value) if value in chosen else (*chosen, value))


# --- from the page's inputs, and to the filter the services read ----------------------------------------------
def clicked_value(click: Any) -> str | None:
    """A plotly click's value: the first point's customdata (the charts put the filter value there)."""
    try:
        return str(click["points"][0]["customdata"])
    except (KeyError, IndexError, TypeError):
        return None


def drawn_area(geojson: Any) -> dict[str, Any] | None:
    """The drawn shapes (polygons, rectangles) as one MultiPolygon; None when nothing is drawn."""
    polygons = [f["geometry"]["coordinates"] for f in (geojson or {}).get("features", [])
                if f.get("geometry", {}).get("type") == "Polygon"]
    return {"type": "MultiPolygon", "coordinates": polygons} if polygons else None


def parse_period(start: str | None, end: str | None, today: date | None = None) -> tuple[date, date]:
    """The date picker's text; an empty end is the default period's. Raises ValidationError naming the bad one."""
    default = MapFilter.default(today)
    days: list[date] = []
    for name, text, fallback in (("start", start, default.start), ("end", end, default.end)):
        try:
            days.append(date.fromisoformat(text) if text else fallback)
        except ValueError:
            raise ValidationError(f"{name} is not a date: use YYYY-MM-DD, e.g. 2026-01-31 (got {text!r}).") from None
    return days[0], days[1]


def from_controls(values: Mapping[str, list[str] | None], start: date, end: date, as_of: int | None,
                  area: dict[str, Any] | None, tied: bool | None) -> FilterState:
    """The state from the controls' values as Dash sends them (a cleared dropdown is None)."""
    return FilterState(start=start, end=end, as_of=as_of, area=area, tied=bool(tied),
                       values={name: tuple(values.get(name) or ()) for name in MULTI_FIELDS})


def from_filter(filt: MapFilter) -> FilterState:
    """The controls that show a filter (the one a shared link holds, say)."""
    return FilterState(start=filt.start, end=filt.end, as_of=(filt.day - filt.start).days, area=filt.area,
                       tied=filt.bbox is not None,
                       values={name: tuple(str(v) for v in getattr(filt, name)) for name in MULTI_FIELDS})


def to_filter(state: FilterState, bbox: BBox | None = None) -> MapFilter:
    """The filter the services read; validated by MapFilter (ValidationError names what is wrong)."""
    query: dict[str, Any] = {name: list(state.chosen(name)) for name in MULTI_FIELDS}
    query["start"], query["end"] = state.start.isoformat(), state.end.isoformat()
    if state.as_of is not None:
        query["as_of"] = (state.start + timedelta(days=int(state.as_of))).isoformat()
    filt = MapFilter.from_query({k: v for k, v in query.items() if v})
    return filt.with_changes(area=state.area, bbox=bbox)
