"""The operations map's filter state: each event and the state it leads to, without Dash."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from dashboard.map_filter_state import (
    ChartClick,
    ChipRemoved,
    Drawn,
    FilterState,
    MapClick,
    PeriodChanged,
    Reset,
    Step,
    Tick,
    clicked_value,
    from_controls,
    from_filter,
    next_filter,
    parse_period,
    to_filter,
)
from services.analytics.filters import MapFilter
from services.catalog import BBox
from services.errors import ValidationError

START, END = date(2026, 1, 1), date(2026, 3, 31)  # 89 days
SQUARE = [[[10.0, 0.0], [12.0, 0.0], [12.0, 2.0], [10.0, 2.0], [10.0, 0.0]]]


def _state(**changes) -> FilterState:  # type: ignore[no-untyped-def]
    base = {"start": START, "end": END, "as_of": 30}
    return FilterState(**{**base, **changes})


def test_the_module_runs_without_dash() -> None:
    root = Path(__file__).resolve().parents[1]
    code = ("import sys, dashboard.map_filter_state; "
            "bad = sorted(m for m in sys.modules if m == 'dash' or m.startswith(('dash.', 'flask')));"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


@pytest.mark.parametrize(("chart", "field"), [("missions", "mission"), ("gender", "marker"), ("funding", "source")])
def test_a_click_on_a_bar_adds_its_value_and_a_second_click_takes_it_off(chart: str, field: str) -> None:
    once = next_filter(_state(), ChartClick(chart, "X"))
    assert once.chosen(field) == ("X",)
    twice = next_filter(once, ChartClick(chart, "X"))
    assert twice.chosen(field) == ()
    other = next_filter(next_filter(once, ChartClick(chart, "Y")), ChartClick(chart, "X"))
    assert other.chosen(field) == ("Y",)
    assert once.as_of == twice.as_of == 30 and once.start == START


def test_a_click_on_an_availability_bar_shows_that_day_inside_the_period() -> None:
    assert next_filter(_state(), ChartClick("availability", "2026-02-10")).as_of == 40
    assert next_filter(_state(), ChartClick("availability", "2025-06-01")).as_of == 0
    assert next_filter(_state(), ChartClick("availability", "2027-06-01")).as_of == 89
    assert next_filter(_state(), ChartClick("availability", "not a day")) == _state()


def test_a_click_on_a_country_toggles_it() -> None:
    on = next_filter(_state(), MapClick("areas", {"iso3": "MLI", "name": "Mali"}))
    assert on.chosen("country") == ("MLI",)
    assert next_filter(on, MapClick("areas", {"iso3": "MLI"})).chosen("country") == ()


def test_a_click_on_an_hq_or_on_experts_at_one_toggles_its_mission() -> None:
    on = next_filter(_state(), MapClick("missions", {"acronym": "MINUSCA"}))
    assert on.chosen("mission") == ("MINUSCA",)
    assert next_filter(on, MapClick("places", {"hq": "MINUSCA", "n": 3})).chosen("mission") == ()
    # Experts at a place that is no HQ: nothing to filter by.
    assert next_filter(_state(), MapClick("places", {"n": 3})).chosen("mission") == ()


def test_a_drawn_area_becomes_one_multipolygon_and_a_cleared_drawing_none() -> None:
    drawn = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": SQUARE}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 1]}},
    ]}
    state = next_filter(_state(), Drawn(drawn))
    assert state.area == {"type": "MultiPolygon", "coordinates": [SQUARE]}
    assert not state.clear_drawing  # the shape stays on the map
    assert next_filter(state, Drawn({"type": "FeatureCollection", "features": []})).area is None


def test_removing_chips_takes_off_one_value_the_area_or_the_view() -> None:
    state = _state(values={"region": ("Africa", "Asia")}, area={"type": "MultiPolygon", "coordinates": [SQUARE]},
                   tied=True)
    region = next_filter(state, ChipRemoved("region", "Africa"))
    assert region.chosen("region") == ("Asia",) and region.area is not None and region.tied
    area = next_filter(state, ChipRemoved("area", ""))
    assert area.area is None and area.clear_drawing and area.chosen("region") == ("Africa", "Asia")
    view = next_filter(state, ChipRemoved("bbox", ""))
    assert not view.tied and view.area is not None
    # The next event no longer asks to clear the drawing.
    assert not next_filter(area, Step(7)).clear_drawing


def test_a_new_period_keeps_the_day_inside_it() -> None:
    shorter = next_filter(_state(as_of=80), PeriodChanged(START, date(2026, 1, 31)))
    assert (shorter.start, shorter.end, shorter.as_of) == (START, date(2026, 1, 31), 30)
    longer = next_filter(_state(as_of=20), PeriodChanged(START, date(2026, 12, 31)))
    assert longer.as_of == 20
    # No day chosen yet: the period's last.
    assert next_filter(_state(as_of=None), PeriodChanged(START, date(2026, 1, 31))).as_of == 30


def test_steps_and_the_player_stay_inside_the_period() -> None:
    assert next_filter(_state(as_of=3), Step(-7)).as_of == 0
    assert next_filter(_state(as_of=30), Step(-7)).as_of == 23
    assert next_filter(_state(as_of=85), Step(7)).as_of == 89
    assert next_filter(_state(as_of=30), Tick()).as_of == 37
    assert next_filter(_state(as_of=85), Tick()).as_of == 89
    assert next_filter(_state(as_of=89), Tick()).as_of == 0  # after the last day, the first again
    assert next_filter(_state(as_of=None), Step(-7)).as_of == 82  # from the period's last day


def test_reset_clears_everything_and_shows_the_default_period() -> None:
    state = _state(values={"mission": ("MINUSCA",), "gender": ("F",)}, tied=True,
                   area={"type": "MultiPolygon", "coordinates": [SQUARE]})
    reset = next_filter(state, Reset(date(2026, 11, 30)))
    assert (reset.start, reset.end) == (date(2025, 12, 1), date(2026, 11, 30))
    assert reset.as_of == reset.days == 364
    assert reset.area is None and not reset.tied and reset.clear_drawing
    assert all(reset.chosen(f) == () for f in ("mission", "gender"))


def test_reset_shows_today_as_on_first_opening_not_the_period_end() -> None:
    # Mid-month, so today is not the period's last day (the bug showed 30 June here).
    today = date(2026, 6, 15)
    reset = next_filter(_state(as_of=3), Reset(today))
    assert (reset.start, reset.end) == (date(2025, 7, 1), date(2026, 6, 30))
    assert reset.start + timedelta(days=int(reset.as_of or 0)) == today
    assert reset.as_of == (MapFilter.default(today).day_on(today) - reset.start).days == 349


def test_no_event_only_keeps_the_day_inside_the_period() -> None:
    assert next_filter(_state(as_of=500), None).as_of == 89
    assert next_filter(_state(as_of=None), None).as_of == 89


def test_a_link_opens_with_its_filter_in_the_controls_and_gives_it_back() -> None:
    query = {"start": "2026-01-01", "end": "2026-03-31", "as_of": "2026-02-01", "mission": "MINUSCA,UNMISS",
             "gender": "female", "country": "mli", "bbox": "10,0,12,2"}
    filt = MapFilter.from_query(query)
    state = from_filter(filt)
    assert (state.start, state.end, state.as_of, state.tied) == (START, END, 31, True)
    assert state.chosen("mission") == ("MINUSCA", "UNMISS") and state.chosen("country") == ("MLI",)
    assert state.chosen("gender") == ("female",)
    assert to_filter(state, BBox(10, 0, 12, 2)) == filt
    assert to_filter(state).to_query() == {k: v for k, v in filt.to_query().items() if k != "bbox"}


def test_the_controls_as_dash_sends_them() -> None:
    state = from_controls({"mission": ["MINUSCA"], "region": None}, START, END, None, None, None)
    assert state.chosen("mission") == ("MINUSCA",) and state.chosen("region") == () and state.tied is False
    assert to_filter(state).as_of is None
    assert to_filter(next_filter(state, None)).as_of == END
    with pytest.raises(ValidationError, match="gender"):
        to_filter(from_controls({"gender": ["nobody"]}, START, END, None, None, None))


def test_the_period_as_the_picker_sends_it() -> None:
    assert parse_period("2026-01-01", "2026-03-31") == (START, END)
    assert parse_period(None, None, today=date(2026, 11, 30)) == (date(2025, 12, 1), date(2026, 11, 30))
    with pytest.raises(ValidationError, match="end is not a date"):
        parse_period("2026-01-01", "31/03/2026")


def test_a_click_value_is_the_first_point_customdata() -> None:
    assert clicked_value({"points": [{"customdata": "MINUSCA", "x": 3}]}) == "MINUSCA"
    assert clicked_value({"points": []}) is None
    assert clicked_value(None) is None
