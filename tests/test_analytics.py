"""The operations map's aggregates: each SQL answer equals a plain computation over the rows (the naive way)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from sqlalchemy import delete, select

from models import (
    Allocation,
    Capacity,
    Country,
    Deployment,
    ExchangeRate,
    Expenditure,
    Expert,
    Fund,
    Grant,
    Mission,
    Site,
    mission_host_country,
)
from models.enums import DeploymentKind, DeploymentStatus, ExpertStatus, FundType, Gender, GenderMarker, Role
from services.access import Principal
from services.analytics import map_layers
from services.analytics.filters import MapFilter
from services.analytics.funding import funding_summary
from services.analytics.gender import gender_summary
from services.analytics.personnel import availability, buckets, by_mission, deployed_on_day, utilisation
from services.analytics.view import day_view, map_view
from services.catalog import BBox
from services.errors import Forbidden, ValidationError
from services.funding.rates import load_rates, month_of
from tests.factories import WORLD_TODAY, world_filter

TODAY = WORLD_TODAY


class Naive:
    """Deployments with their expert, capacity, mission, place and country, loaded row by row."""

    def __init__(self, session) -> None:  # type: ignore[no-untyped-def]
        self.capacity = dict(session.execute(select(Capacity.id, Capacity.code)).all())
        self.experts = {e.id: e for e in session.scalars(select(Expert))}
        self.missions = {m.id: m for m in session.scalars(select(Mission))}
        self.sites = {s.id: s for s in session.scalars(select(Site))}
        self.region = dict(session.execute(select(Country.iso3, Country.region)).all())
        hosts = defaultdict(list)
        for mid, iso3 in session.execute(select(mission_host_country.c.mission_id,
                                                mission_host_country.c.country_iso3)):
            hosts[mid].append(iso3)
        self.first_host = {mid: min(v) for mid, v in hosts.items()}
        self.deployments = [d for d in session.scalars(select(Deployment)) if d.status != DeploymentStatus.CANCELLED]

    def country(self, d: Deployment) -> str | None:
        site = self.sites.get(d.site_id) if d.site_id else None
        return site.country_iso3 if site and site.country_iso3 else self.first_host.get(d.mission_id)

    def matches(self, d: Deployment, filt: MapFilter) -> bool:
        expert = self.experts[d.expert_id]
        return ((not filt.capacity or self.capacity[expert.capacity_id] in filt.capacity)
                and (not filt.mission or self.missions[d.mission_id].acronym in filt.mission)
                and (not filt.kind or d.kind in filt.kind)
                and (not filt.gender or expert.gender in filt.gender)
                and (not filt.marker or d.gender_marker in filt.marker)
                and (not filt.region or self.region.get(self.country(d) or "") in filt.region)
                and (not filt.country or self.country(d) in filt.country))

    def in_period(self, filt: MapFilter) -> list[Deployment]:
        return [d for d in self.deployments if d.start_date <= filt.end and d.end_date >= filt.start
                and self.matches(d, filt)]

    def on_day(self, filt: MapFilter) -> set[int]:
        return {d.expert_id for d in self.deployments if d.start_date <= filt.day <= d.end_date
                and self.matches(d, filt)}


@pytest.fixture
def naive(session) -> Naive:  # type: ignore[no-untyped-def]
    return Naive(session)


def _busiest_mission(naive: Naive) -> str:
    counts = Counter(naive.missions[d.mission_id].acronym for d in naive.deployments)
    return counts.most_common(1)[0][0]


def _filters(naive: Naive) -> list[MapFilter]:
    base = world_filter()
    mission = _busiest_mission(naive)
    return [
        base,
        base.with_changes(capacity=("SPC",)),
        base.with_changes(mission=(mission,)),
        base.with_changes(region=("Africa",)),
        base.with_changes(country=(Counter(naive.country(d) for d in naive.deployments).most_common(1)[0][0],)),
        base.with_changes(kind=(DeploymentKind.SURGE, DeploymentKind.ASSESSMENT)),
        base.with_changes(gender=(Gender.FEMALE,), capacity=("JCSC",)),
        base.with_changes(marker=(GenderMarker.GM2, GenderMarker.GM3)),
        MapFilter(start=TODAY - timedelta(days=1500), end=TODAY + timedelta(days=60),
                  as_of=TODAY - timedelta(days=700)),
    ]


# --- the filter -----------------------------------------------------------------------------------------------
def test_filter_round_trips_through_the_query_string() -> None:
    filt = MapFilter(start=date(2025, 1, 1), end=date(2025, 12, 31), as_of=date(2025, 6, 1),
                     capacity=("JCSC", "SPC"), mission=("UNMISS",), kind=(DeploymentKind.SURGE,),
                     gender=(Gender.FEMALE,), marker=(GenderMarker.GM3,), source=(FundType.EXTRABUDGETARY,),
                     bbox=BBox(10, -5, 40, 15),
                     area={"type": "Polygon", "coordinates": [[[10, 0], [20, 0], [20, 10], [10, 0]]]})
    assert MapFilter.from_query(filt.to_query()) == filt
    # Order and case of multi-valued parameters do not matter.
    assert MapFilter.from_query({"capacity": "spc,JCSC"}).capacity == ("JCSC", "SPC")


@pytest.mark.parametrize(("query", "message"), [
    ({"start": "2025-13-01"}, "start is not a date"),
    ({"start": "2025-02-01", "end": "2025-01-01"}, "ends (2025-01-01) before it starts"),
    ({"kind": "holiday"}, "kind='holiday' is not one of"),
    ({"bbox": "1,2,3"}, "bbox must be four"),
    ({"mision": "UNMISS"}, "Unknown filter parameter(s): mision"),
    ({"area": "{not json"}, "area must be a GeoJSON"),
    ({"area": '{"type":"Polygon","coordinates":[[[0,0],[500,0],[1,1],[0,0]]]}'}, "longitude, latitude"),
])
def test_bad_filters_say_what_is_wrong(query: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=None) as error:
        MapFilter.from_query(query)
    assert message in str(error.value)


# --- personnel ------------------------------------------------------------------------------------------------
def test_deployed_on_the_day_matches_a_plain_count(session, naive: Naive) -> None:
    for filt in _filters(naive):
        assert deployed_on_day(session, filt) == len(naive.on_day(filt)), filt


def test_deployments_by_mission_match_a_plain_count(session, naive: Naive) -> None:
    for filt in _filters(naive):
        expected: dict[tuple[str, str], set[int]] = defaultdict(set)
        for d in naive.in_period(filt):
            code = naive.capacity[naive.experts[d.expert_id].capacity_id]
            expected[(naive.missions[d.mission_id].acronym, code)].add(d.expert_id)
        got = {(r.acronym, r.capacity): r.experts for r in by_mission(session, filt, limit=1000)}
        assert got == {k: len(v) for k, v in expected.items()}, filt


def test_availability_buckets_add_up_and_match_expert_days(session, naive: Naive) -> None:
    filt = world_filter().with_changes(mission=(_busiest_mission(naive),))
    points = availability(session, filt)
    assert {p.bucket for p in points} == {b0 for b0, _ in buckets(filt.start, filt.end)}
    for p in points:
        length = (p.bucket_end - p.bucket).days + 1
        # In scope: expert-days of the mission's deployments inside the bucket, as an average head count.
        days = sum(max(0, (min(d.end_date, p.bucket_end) - max(d.start_date, p.bucket)).days + 1)
                   for d in naive.in_period(filt)
                   if naive.capacity[naive.experts[d.expert_id].capacity_id] == p.capacity)
        assert p.deployed == pytest.approx(days / length, abs=0.01)
        # Available: the pool (experts not separated) less its members' deployed and absent expert-days.
        pool_ids = {e.id for e in naive.experts.values() if e.status != ExpertStatus.SEPARATED
                    and naive.capacity[e.capacity_id] == p.capacity}
        busy = sum(max(0, (min(d.end_date, p.bucket_end) - max(d.start_date, p.bucket)).days + 1)
                   for d in naive.deployments if d.expert_id in pool_ids)
        assert p.pool == len(pool_ids)
        assert p.available == pytest.approx(max(p.pool - busy / length - p.unavailable, 0), abs=0.02)


def test_buckets_cover_the_period_without_gaps() -> None:
    for start, end in [(date(2025, 1, 15), date(2025, 2, 20)), (date(2024, 3, 3), date(2026, 1, 1)),
                       (date(2015, 5, 5), date(2025, 5, 5))]:
        parts = buckets(start, end)
        assert parts[0][0] == start and parts[-1][1] == end
        assert all(b1 + timedelta(days=1) == nxt for (_, b1), (nxt, _) in pairwise(parts))


def test_default_period_is_the_last_twelve_whole_months() -> None:
    assert MapFilter.default(date(2026, 11, 30)).start == date(2025, 12, 1)
    assert MapFilter.default(date(2026, 11, 30)).end == date(2026, 11, 30)
    january = MapFilter.default(date(2026, 1, 15))
    assert (january.start, january.end) == (date(2025, 2, 1), date(2026, 1, 31))
    # Every monthly bucket of the default period is a whole month (the first bar was one day wide).
    for b0, b1 in buckets(january.start, january.end):
        assert b0.day == 1 and (b1 + timedelta(days=1)).day == 1


@pytest.mark.parametrize("days", [1, 20, 120, 121, 400, 366 * 4 + 1, 366 * 12 + 1, 366 * 30])
def test_buckets_stay_few_enough_to_read_at_any_period(days: int) -> None:
    start = date(1997, 3, 17)
    parts = buckets(start, start + timedelta(days=days - 1))
    assert 1 <= len(parts) <= 53, (days, len(parts))
    assert parts[0][0] == start and parts[-1][1] == start + timedelta(days=days - 1)


def test_utilisation_is_the_share_of_time_deployed(session, naive: Naive) -> None:
    filt = world_filter()
    for u in utilisation(session, filt):
        pool = [e for e in naive.experts.values() if naive.capacity[e.capacity_id] == u.capacity
                and e.status != ExpertStatus.SEPARATED]
        ids = {e.id for e in pool}
        days = sum(max(0, (min(d.end_date, filt.end) - max(d.start_date, filt.start)).days + 1)
                   for d in naive.deployments if d.expert_id in ids)
        assert u.pool == len(pool) and u.deployed_expert_days == days
        assert u.share == pytest.approx(days / (len(pool) * ((filt.end - filt.start).days + 1)), abs=1e-4)


def test_utilisation_for_one_mission_is_the_share_of_time_deployed_there(session, naive: Naive) -> None:
    """It did not change with a mission filter: it counted every deployment of the pool."""
    mission = _busiest_mission(naive)
    filt = world_filter().with_changes(mission=(mission,))
    whole = {u.capacity: u for u in utilisation(session, world_filter())}
    length = (filt.end - filt.start).days + 1
    for u in utilisation(session, filt):
        ids = {e.id for e in naive.experts.values() if naive.capacity[e.capacity_id] == u.capacity
               and e.status != ExpertStatus.SEPARATED}
        days = sum(max(0, (min(d.end_date, filt.end) - max(d.start_date, filt.start)).days + 1)
                   for d in naive.in_period(filt) if d.expert_id in ids)
        assert u.deployed_expert_days == days and u.pool == len(ids)
        assert u.share == pytest.approx(days / (len(ids) * length), abs=1e-4)
        assert u.deployed_expert_days < whole[u.capacity].deployed_expert_days


# --- gender and funding -------------------------------------------------------------------------------------
def test_gender_summary_matches_a_plain_count(session, naive: Naive) -> None:
    for filt in _filters(naive):
        rows = naive.in_period(filt)
        summary = gender_summary(session, filt)
        assert summary.by_marker == {str(m): sum(d.gender_marker == m for d in rows) for m in GenderMarker}
        women = {d.expert_id for d in rows if naive.experts[d.expert_id].gender == Gender.FEMALE}
        men = {d.expert_id for d in rows if naive.experts[d.expert_id].gender == Gender.MALE}
        expected = round(len(women) / (len(women) + len(men)), 4) if women or men else None
        assert summary.women_share == expected
        assert summary.outputs_delivered == sum(d.gender_outputs_delivered for d in rows)


def test_funding_spent_is_every_expenditure_of_the_period_in_usd_at_its_months_rate(session) -> None:
    filt = world_filter()
    book = load_rates(session)
    lines = [e for e in session.scalars(select(Expenditure)) if filt.start <= e.spent_on <= filt.end]
    assert {e.currency for e in lines} > {"USD"}  # the demo spends in euros too, at several months' rates
    expected = sum((e.amount * book.rate(e.currency, e.spent_on) for e in lines), Decimal(0))
    summary = funding_summary(session, filt)
    # Rows are rounded to the cent, and the total is their sum.
    assert abs(summary.spent_usd - expected) <= Decimal("0.01") * len(summary.rows)
    assert summary.committed_usd > 0 and summary.burn_rate is not None
    assert summary.unconverted == []


def _euro_month(session) -> tuple[date, Decimal]:
    """The month with the most euro spending in the default period, and that spending."""
    filt = MapFilter.default()
    by_month: dict[date, Decimal] = defaultdict(Decimal)
    for e in session.scalars(select(Expenditure).where(Expenditure.currency == "EUR",
                                                       Expenditure.spent_on.between(filt.start, filt.end))):
        by_month[month_of(e.spent_on)] += e.amount
    month = max(by_month, key=lambda m: by_month[m])
    return month, by_month[month]


def test_a_rate_counts_for_its_month_only(session) -> None:
    filt = MapFilter.default()
    month, euros = _euro_month(session)
    before = funding_summary(session, filt).spent_usd
    rate = session.get(ExchangeRate, ("EUR", month))
    rate.usd_per_unit += Decimal("0.5")
    session.flush()
    after = funding_summary(session, filt).spent_usd
    # Rows are rounded to the cent.
    assert abs(after - before - euros * Decimal("0.5")) <= Decimal("0.01") * 20


def test_a_month_without_a_rate_is_named_not_converted_with_another(session) -> None:
    filt = MapFilter.default()
    month, euros = _euro_month(session)
    before = funding_summary(session, filt)
    assert before.missing == []
    old_rate = session.get(ExchangeRate, ("EUR", month)).usd_per_unit
    session.execute(delete(ExchangeRate).where(ExchangeRate.currency == "EUR", ExchangeRate.month == month))
    after = funding_summary(session, filt)
    assert after.unconverted == [f"EUR {month:%Y-%m}"]
    assert after.missing[0].amount == euros
    assert abs(before.spent_usd - after.spent_usd - euros * old_rate) <= Decimal("0.01") * 20


def test_funding_source_filter_keeps_only_that_source(session) -> None:
    filt = world_filter().with_changes(source=(FundType.EXTRABUDGETARY,))
    summary = funding_summary(session, filt)
    assert summary.rows and {r.source for r in summary.rows} == {FundType.EXTRABUDGETARY}
    regular = {g.id for g in session.scalars(select(Grant).join(Fund).where(Fund.fund_type == FundType.REGULAR))}
    allocations = {a.id for a in session.scalars(select(Allocation)) if a.grant_id in regular}
    spent_regular = sum(e.amount for e in session.scalars(select(Expenditure))
                        if e.allocation_id in allocations and filt.start <= e.spent_on <= filt.end)
    total = funding_summary(session, world_filter()).spent_usd
    assert summary.spent_usd == total - spent_regular  # regular budget is in USD


def test_a_narrower_scope_never_spends_more(session, naive: Naive) -> None:
    whole = funding_summary(session, world_filter())
    for filt in _filters(naive)[1:4]:
        part = funding_summary(session, filt)
        assert part.spent_usd <= whole.spent_usd and part.committed_usd <= whole.committed_usd, filt


# --- the map's layers ----------------------------------------------------------------------------------------
def test_places_count_the_experts_deployed_on_the_day(session, naive: Naive) -> None:
    for filt in _filters(naive):
        places = map_layers.deployment_places(session, filt)
        assert sum(f["properties"]["n"] for f in places["features"]) == len(naive.on_day(filt)), filt
        assert not places["clustered"]


def test_places_merge_on_a_grid_past_the_cap_and_keep_the_total(session) -> None:
    filt = world_filter()
    exact = map_layers.deployment_places(session, filt)
    merged = map_layers.deployment_places(session, filt, cap=2, zoom=1, with_names=True)
    assert merged["clustered"] and len(merged["features"]) < len(exact["features"])
    assert sum(f["properties"]["n"] for f in merged["features"]) == sum(f["properties"]["n"] for f in exact["features"])
    assert all("names" not in f["properties"] for f in merged["features"])


def test_a_viewport_or_a_drawn_area_keeps_only_what_is_inside(session) -> None:
    filt = world_filter()
    africa = BBox(-20, -35, 52, 38)
    inside = map_layers.deployment_places(session, filt, view=africa)
    for feature in inside["features"]:
        x, y = feature["geometry"]["coordinates"]
        assert -20 <= x <= 52 and -35 <= y <= 38
    area = {"type": "Polygon", "coordinates": [[[-20, -35], [52, -35], [52, 38], [-20, 38], [-20, -35]]]}
    drawn = map_layers.deployment_places(session, filt.with_changes(area=area))
    assert sum(f["properties"]["n"] for f in drawn["features"]) == sum(
        f["properties"]["n"] for f in inside["features"])
    assert deployed_on_day(session, filt.with_changes(area=area)) == sum(
        f["properties"]["n"] for f in inside["features"])


def test_mission_layers_mark_the_selected_mission(session, naive: Naive) -> None:
    mission = _busiest_mission(naive)
    filt = world_filter().with_changes(mission=(mission,))
    points = map_layers.mission_points(session, filt)
    selected = [f["id"] for f in points["features"] if f["properties"]["selected"]]
    assert selected == [mission]
    # Each HQ counts the experts deployed there on the day, whatever mission the filter selects.
    today = world_filter()
    for feature in points["features"]:
        one = today.with_changes(mission=(feature["id"],))
        assert feature["properties"]["deployed"] == len(naive.on_day(one)), feature["id"]
    areas = map_layers.mission_areas(session, filt)
    assert any(f["properties"]["selected"] for f in areas["features"])
    assert map_layers.basemap(session)["features"]


# --- roles ---------------------------------------------------------------------------------------------------
def _principal(role: Role) -> Principal:
    return Principal(user_id=0, username=f"test-{role.value}", role=role)


@pytest.mark.parametrize(("role", "names", "funding"), [
    (Role.VIEWER, True, True), (Role.PLANNER, True, True), (Role.FINANCE, True, True),
    (Role.GIS_EDITOR, False, False), (Role.ADMIN, True, True),
])
def test_the_map_view_follows_the_role(session, role: Role, names: bool, funding: bool) -> None:
    view = map_view(session, _principal(role), world_filter(), view=None, zoom=3)
    properties = [f["properties"] for f in view.places["features"]]
    assert properties, "someone is deployed today in the baseline"
    assert all(("names" in p) == names for p in properties)
    assert (view.funding is not None) == funding
    # No identifier of a person, for any role: names are display text only.
    text = str(view.places)
    assert "staff_number" not in text and "expert_id" not in text and "@" not in text


def test_the_briefing_role_gets_no_map_of_people(session) -> None:
    with pytest.raises(Forbidden):
        map_view(session, _principal(Role.BRIEFING), world_filter(), view=None, zoom=3)
    with pytest.raises(Forbidden):
        day_view(session, _principal(Role.BRIEFING), world_filter(), view=None, zoom=3)


def test_the_day_alone_gives_what_the_whole_view_gives_for_that_day(session, naive: Naive) -> None:
    """Play and step redraw only the day's layers and head count (day_view): they must equal the full view's."""
    principal = _principal(Role.VIEWER)
    for filt in _filters(naive):
        for day in (filt.start, filt.start + (filt.end - filt.start) / 2, filt.end):
            at = filt.with_changes(as_of=day)
            whole = map_view(session, principal, at, view=None, zoom=3)
            alone = day_view(session, principal, at, view=None, zoom=3)
            assert alone.places == whole.places
            assert alone.missions == whole.missions
            assert alone.deployed_now == whole.figures.deployed_now == len(naive.on_day(at))


def test_the_one_statement_breakdown_equals_the_separate_answers(session, naive: Naive) -> None:
    from services.analytics.breakdown import breakdown

    for filt in _filters(naive):
        parts = breakdown(session, filt)
        assert parts.missions == by_mission(session, filt), filt
        assert parts.gender == gender_summary(session, filt), filt
        assert parts.deployed_on_day == len(naive.on_day(filt)), filt


# --- the map's figures (plain dicts for plotly.js) ------------------------------------------------------------
def test_chart_layouts_are_readable(server, session) -> None:  # type: ignore[no-untyped-def]
    from dashboard.components import map_charts
    from services.analytics.funding import FundingRow, FundingSummary
    from services.analytics.gender import GenderSummary
    from services.analytics.personnel import MissionCount, availability

    with server.test_request_context():
        # Funding: the legend sits above the plot, clear of the USD axis title below it.
        funding = map_charts.funding_figure(FundingSummary(
            rows=[FundingRow("Norway", FundType.EXTRABUDGETARY, Decimal(900_000), Decimal(400_000)),
                  FundingRow("UN", FundType.REGULAR, Decimal(2_000_000), Decimal(1_500_000))],
            committed_usd=Decimal(2_900_000), spent_usd=Decimal(1_900_000)))
        legend = funding["layout"]["legend"]
        assert legend["yanchor"] == "bottom" and legend["y"] >= 1
        assert funding["layout"]["xaxis"]["title"]["text"] == "USD"

        # Missions: ordered by the value drawn (experts, both capacities), the largest on top (last on a y axis).
        rows = [MissionCount("AAA", "a", "SPC", 1, 1, 900), MissionCount("BBB", "b", "SPC", 2, 2, 10),
                MissionCount("BBB", "b", "JCSC", 2, 2, 10), MissionCount("CCC", "c", "JCSC", 3, 3, 20)]
        missions = map_charts.missions_figure(rows, [])
        assert missions["data"][0]["y"] == ["AAA", "CCC", "BBB"]
        # Head counts: whole-number ticks (plotly chose 0.5 steps for a range of 0-4).
        assert missions["layout"]["xaxis"]["dtick"] == 1 and missions["layout"]["xaxis"]["tick0"] == 0
        gender = map_charts.gender_figure(GenderSummary({"0": 1, "1": 2, "2": 0, "3": 1}, {}, None, 0, 0), [])
        assert gender["layout"]["yaxis"]["dtick"] == 1
        many = map_charts.gender_figure(GenderSummary({"0": 150, "1": 2, "2": 0, "3": 1}, {}, None, 0, 0), [])
        assert many["layout"]["yaxis"]["tickformat"] == ",d" and "dtick" not in many["layout"]["yaxis"]

        # Availability: each bar as wide as its bucket, centred on it, whatever the first bucket's length.
        filt = MapFilter(start=date(2025, 11, 30), end=date(2026, 11, 30))
        figure = map_charts.availability_figure(availability(session, filt))
        trace = figure["data"][0]
        parts = buckets(filt.start, filt.end)
        assert len(trace["x"]) == len(parts) == 13
        for (b0, b1), width, start in zip(parts, trace["width"], trace["customdata"], strict=True):
            assert width == pytest.approx(((b1 - b0).days + 1) * 86_400_000 * 0.85)
            assert start == b0.isoformat()
