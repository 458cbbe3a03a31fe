"""The briefing view: what a member-state briefing may show for a filter, every count already suppressed.

Counts come from the analytics services' scope (services/analytics/scope.py), so "in scope" means what it
means on the operations map. The people counts (tables, map points, key figures, gender split) are counted from
one read of the deployments in scope, expert by expert, and the requests of the service level likewise, so that
all the numbers of a view can pass the suppression rule together (services/briefing/suppression.py: a reader
sees them together, and they share sums) before they leave this module. ``briefing_view`` is the one function
the page, the API, the table files and the packs call. Money is not a person's data and is shown
as it is. The map is aggregates per mission HQ and per host-country point: no place finer than a mission HQ
or a country, no names, no identifiers.

The briefing filter is the map's filter without its person-level dimensions (gender, skill, deployment kind,
gender marker, funding source) and without drawn areas: cutting the population that finely is what makes a
small group identifiable, and the briefing does not need it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, cast, column, func, select, values
from sqlalchemy.orm import Session

from models import Capacity, Country, Deployment, Expert, Mission
from models.enums import Gender, GenderMarker
from services.access import Permission, Principal
from services.analytics.figures import _mission_ids, map_figures
from services.analytics.filters import MapFilter
from services.analytics.funding import FundingSummary, funding_summary
from services.analytics.personnel import bucket_unit, buckets
from services.analytics.scope import capacity_codes, day_range, deployments_in_scope, place_country
from services.briefing.suppression import (
    GRAND_RANK,
    TOTAL,
    TOTAL_RANK,
    Disclosure,
    Protection,
    SuppressedTable,
    share,
    suppress_count,
)
from services.errors import ValidationError
from services.key_figures import KeyFigures
from services.reference_data import localized_column
from services.surge.service_level import ServiceLevel, _days_select, service_level_by_period

# The filter fields a briefing accepts (query-string names); everything else is refused with a message.
BRIEFING_FIELDS = ("start", "end", "as_of", "capacity", "mission", "region", "country")
NO_REGION = "—"  # deployments whose country has no region recorded


def briefing_filter(query: Mapping[str, Any], today: date | None = None) -> MapFilter:
    """The briefing's filter from query parameters; refuses the map's person-level and drawn-area fields."""
    extra = sorted(k for k, v in query.items() if k not in BRIEFING_FIELDS and v not in (None, "", [], ()))
    if extra:
        raise ValidationError(f"Briefings filter by {', '.join(BRIEFING_FIELDS)} only; not by "
                              f"{', '.join(extra)} (aggregates only, no finer cuts).")
    return MapFilter.from_query({k: v for k, v in query.items() if k in BRIEFING_FIELDS})


def check_briefing_filter(filt: MapFilter) -> MapFilter:
    """Refuses a MapFilter that uses fields a briefing does not offer (a caller may build one directly)."""
    finer = [name for name in ("skill", "gender", "kind", "source", "marker", "bbox", "area") if getattr(filt, name)]
    if finer:
        raise ValidationError(f"Briefings do not filter by {', '.join(finer)}.")
    return filt


# --- results ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BriefingFigures:
    experts_deployed: int | None  # distinct experts deployed in scope at any time in the period
    deployed_on_day: int | None  # ... on the filter's day
    missions_supported: int  # missions with a deployment in scope (missions, not people: not suppressed)
    countries: int  # countries of those deployments
    open_surge_requests: int | None
    women_share: float | None  # among deployed experts, only when women and men both pass the threshold
    utilisation: dict[str, float | None]  # capacity -> share of its experts' time deployed (None: pool too small)


@dataclass(frozen=True)
class BriefingServiceLevel:
    requests: int | None
    deployed: int | None
    within_target: int | None
    median_days: float | None  # only when the deployed requests pass the threshold
    p90_days: float | None
    target_days: int


@dataclass(frozen=True)
class ServicePeriod:
    period: date
    capacity: str | None
    level: BriefingServiceLevel


@dataclass(frozen=True)
class BriefingGender:
    by_marker: dict[str, int | None]  # deployments by gender marker "0".."3"
    deployments: int | None
    experts_by_gender: dict[str, int | None]
    women_share: float | None
    outputs_planned: int | None
    outputs_delivered: int | None


@dataclass(frozen=True)
class BriefingView:
    filter: MapFilter
    threshold: int
    data_as_of: datetime  # when the database was read (the transaction's time)
    capacities: list[str]
    figures: BriefingFigures
    by_mission: SuppressedTable[str, str]  # mission acronym x capacity: experts deployed in the period
    mission_names: dict[str, str]
    by_country: SuppressedTable[str, str]  # ISO3 x capacity
    country_names: dict[str, str]
    country_codes: dict[str, str]  # Natural Earth's key -> ISO 3166-1 alpha-3, what the tables give out
    by_region: SuppressedTable[str, str]  # region x capacity
    by_period: SuppressedTable[date, str]  # first day of week/month/quarter x capacity (no column totals)
    period_unit: str
    gender: BriefingGender
    funding: FundingSummary
    service_level: BriefingServiceLevel
    service_by_period: list[ServicePeriod]
    map: dict[str, Any] = field(default_factory=dict)  # GeoJSON FeatureCollection of aggregates
    audit: AuditSummary | None = None  # what the suppression cost (for the bench), never shown
    locale: str = "en"  # the language of its names, and of the figures written from it


@dataclass(frozen=True)
class AuditSummary:
    seconds: float  # the whole view (queries, counting, suppression)
    audit_seconds: float  # of which the interval audits (people and requests), wall clock
    audit_cpu_seconds: float  # ... and processor time
    programs: int  # linear programs solved by the interval audit
    hidden: int  # numbers hidden
    primary: int  # of which small ones


# --- the rules applied to existing results --------------------------------------------------------------------
def suppress_service_level(level: ServiceLevel, threshold: int) -> BriefingServiceLevel:
    """Counts of requests suppressed; the median and 90th percentile only over enough deployed requests (the
    median of two requests is nearly one request's own figure)."""
    deployed = suppress_count(level.deployed, threshold)
    enough = level.deployed >= threshold
    within: int | None = level.within_target
    if deployed is None or is_recoverable(level.within_target, level.deployed, threshold):
        within = None
    return BriefingServiceLevel(
        requests=suppress_count(level.requests, threshold), deployed=deployed, within_target=within,
        median_days=level.median_days if enough else None, p90_days=level.p90_days if enough else None,
        target_days=level.target_days)


def is_recoverable(part: int, whole: int, threshold: int) -> bool:
    """A part beside its whole gives the rest away: hide the part when it or the rest is small."""
    return 0 < part < threshold or 0 < whole - part < threshold


def suppress_key_figures(figures: KeyFigures, threshold: int) -> KeyFigures:
    """The home page's headline numbers as a role with aggregates only may see them (None = suppressed).

    Deployed and available are parts of the total, so each is hidden when it, or what the total leaves
    beside it, is small."""
    total = figures.experts_total
    return replace(
        figures,
        experts_deployed=None if is_recoverable(figures.experts_deployed, total, threshold)  # type: ignore[arg-type]
        else figures.experts_deployed,
        experts_available=None if is_recoverable(figures.experts_available, total, threshold)  # type: ignore[arg-type]
        else figures.experts_available,
        experts_total=suppress_count(total, threshold),  # type: ignore[arg-type]
        open_surge_requests=suppress_count(figures.open_surge_requests, threshold),  # type: ignore[arg-type]
    )


# --- queries --------------------------------------------------------------------------------------------------
def _capacities(session: Session, filt: MapFilter) -> list[str]:
    codes = list(session.scalars(select(Capacity.code).order_by(Capacity.code)))
    return [c for c in codes if not filt.capacity or c in filt.capacity]


@dataclass
class _Expert:
    capacity: str = ""
    gender: str = ""
    places: set[tuple[str, str, str]] = field(default_factory=set)  # (mission, iso3, region) in the period
    periods: set[date] = field(default_factory=set)  # first days of the buckets the expert was deployed in
    markers: dict[str, int] = field(default_factory=dict)  # deployments by gender marker
    on_day: bool = False


@dataclass
class _People:
    """Who is counted where: every people count of the view is a count over these experts."""

    experts: dict[int, _Expert] = field(default_factory=dict)
    outputs_planned: int = 0
    outputs_delivered: int = 0

    def deployed(self) -> list[_Expert]:
        return [e for e in self.experts.values() if e.places]

    def table(self, index: int) -> dict[tuple[str, str], int]:
        """Distinct experts by (mission | country | region, capacity): index 0, 1 or 2 of a place."""
        out: dict[tuple[str, str], int] = {}
        for e in self.experts.values():
            for key in {place[index] for place in e.places}:
                out[(key, e.capacity)] = out.get((key, e.capacity), 0) + 1
        return out


def _people(session: Session, filt: MapFilter) -> _People:
    """One row per deployment in scope in the period (its expert, mission, country, region, capacity, gender,
    gender marker), one per (period bucket, expert) and one per expert deployed on the day: every people count
    of the briefing is a count of these experts, so the tables and the audit's system come from the same rows.
    Distinct experts: an expert deployed twice in a mission counts once there."""
    people = _People()
    stmt = (deployments_in_scope(
        filt, Deployment.expert_id, Mission.acronym, place_country(), Country.region, Capacity.code,
        Expert.gender, Deployment.gender_marker, Deployment.gender_outputs_planned,
        Deployment.gender_outputs_delivered)
        .outerjoin(Country, Country.iso3 == place_country()))
    for expert, mission, iso3, region, capacity, gender, marker, planned, delivered in session.execute(stmt):
        e = people.experts.setdefault(expert, _Expert())
        e.capacity, e.gender = capacity, str(gender)
        e.places.add((mission, iso3 if iso3 is not None else NO_REGION, region if region is not None else NO_REGION))
        e.markers[str(marker)] = e.markers.get(str(marker), 0) + 1
        people.outputs_planned += int(planned or 0)
        people.outputs_delivered += int(delivered or 0)
    periods = buckets(filt.start, filt.end)
    b = values(column("b0", Date), column("b1", Date), name="b").data(periods)
    # One row an expert with the buckets as an array: a row per (bucket, expert) was 58,000 rows at 10,000
    # experts. Lean: the conditions read Deployment and Expert only, the capacity is named afterwards.
    codes = capacity_codes(session)
    stmt = (deployments_in_scope(filt, Deployment.expert_id, Expert.capacity_id, func.array_agg(func.distinct(b.c.b0)),
                                 when="any", lean=True, lookups=False)
            .join(b, Deployment.period.op("&&")(day_range(b.c.b0, b.c.b1)))
            .group_by(Deployment.expert_id, Expert.capacity_id))
    for expert, capacity_id, starts in session.execute(stmt):
        e = people.experts.setdefault(expert, _Expert())
        e.capacity = codes[capacity_id]
        e.periods.update(starts)
    day = deployments_in_scope(filt, Deployment.expert_id, Capacity.code, when="day").distinct()
    for expert, capacity in session.execute(day):
        e = people.experts.setdefault(expert, _Expert())
        e.capacity = capacity
        e.on_day = True
    return people


def _map(session: Session, missions: SuppressedTable[str, str], countries: SuppressedTable[str, str],
         country_names: Mapping[str, str]) -> dict[str, Any]:
    """Mission HQs and country points (a point on each country's surface) with their suppressed totals.

    Geometry is built by PostGIS (ST_AsGeoJSON); the counts are added here, after suppression, because they
    are not the database's numbers any more. No feature id, no popup text beyond a label and a count."""
    features: list[dict[str, Any]] = []
    if missions.rows:
        for acronym, geometry in session.execute(
                select(Mission.acronym, cast(func.ST_AsGeoJSON(Mission.hq, 4), JSON))
                .where(Mission.acronym.in_(missions.rows), Mission.hq.is_not(None)).order_by(Mission.acronym)):
            features.append({"type": "Feature", "geometry": geometry,
                             "properties": {"kind": "mission", "label": acronym,
                                            "n": missions.row_totals[acronym]}})
    if countries.rows:
        for iso3, geometry in session.execute(
                select(Country.iso3, cast(func.ST_AsGeoJSON(func.ST_PointOnSurface(Country.boundary), 3), JSON))
                .where(Country.iso3.in_(countries.rows), Country.boundary.is_not(None)).order_by(Country.iso3)):
            features.append({"type": "Feature", "geometry": geometry,
                             "properties": {"kind": "country", "label": country_names.get(iso3, iso3),
                                            "n": countries.row_totals[iso3]}})
    return {"type": "FeatureCollection", "features": features}


def _quarter(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _service_levels(session: Session, filt: MapFilter, level: ServiceLevel, threshold: int
                    ) -> tuple[BriefingServiceLevel, list[ServicePeriod], Protection]:
    """The service level overall and by quarter and capacity, suppressed together: requests received and
    requests deployed by quarter and capacity are two tables of the same requests (a deployed request is a
    received one), whose grand totals are the overall counts, and "within target" counts some of the deployed
    ones; each request is a unit of one audit. Counts "within target" are shown overall only, and only when
    neither they nor the deployed requests outside the target are small; medians only over enough deployed
    requests."""
    mission_ids = _mission_ids(session, filt)
    rows = service_level_by_period(session, capacity_codes=filt.capacity, mission_ids=mission_ids,
                                   start=filt.start, end=filt.end, unit="quarter")
    periods = sorted({r.period for r in rows})
    caps = sorted({r.capacity or NO_REGION for r in rows})
    system = Disclosure(threshold)
    system.add_table("requests", periods, caps)
    system.add_table("deployed", periods, caps)
    within_shown = not is_recoverable(level.within_target, level.deployed, threshold)
    if within_shown:
        system.add_number(("service", "within_target"), [("within",)], GRAND_RANK)
    requests = session.execute(_days_select(filt.capacity, mission_ids, filt.start, filt.end).subquery().select())
    for request in requests:
        key = (_quarter(request.received_on), request.capacity or NO_REGION)
        atoms: dict[Any, int] = {("requests", *key): 1}
        if request.days is not None:
            atoms[("deployed", *key)] = 1
            if request.days <= level.target_days:
                atoms[("within",)] = 1
        system.add_unit(atoms)
    protection = system.protect()
    out = []
    for r in rows:
        key = (r.period, r.capacity or NO_REGION)
        deployed = protection.shown(("deployed", *key))
        enough = deployed is not None and r.level.deployed >= threshold
        out.append(ServicePeriod(r.period, r.capacity, BriefingServiceLevel(
            requests=protection.shown(("requests", *key)), deployed=deployed, within_target=None,
            median_days=r.level.median_days if enough else None, p90_days=r.level.p90_days if enough else None,
            target_days=r.level.target_days)))
    if rows:  # the same requests: the overall counts are the tables' grand totals
        requests_all = protection.shown(("requests", TOTAL, TOTAL))
        deployed_all = protection.shown(("deployed", TOTAL, TOTAL))
    else:
        requests_all, deployed_all = level.requests, level.deployed  # both 0
    within = protection.shown(("service", "within_target")) if within_shown and deployed_all is not None else None
    enough = deployed_all is not None and level.deployed >= threshold
    overall = BriefingServiceLevel(
        requests=requests_all, deployed=deployed_all, within_target=within,
        median_days=level.median_days if enough else None, p90_days=level.p90_days if enough else None,
        target_days=level.target_days)
    return overall, out, protection


def _people_system(people: _People, threshold: int, tables: Mapping[str, tuple[list[Any], list[str], bool]],
                   day_in_period: bool) -> Disclosure:
    """Every people count of the view as one linear system (see suppression.Disclosure).

    The units are the experts, seen four ways that share only their totals, because that is all a reader can
    link: where they served (missions, countries and regions by capacity: one unit per expert with all of the
    places they served in, plus a zero-count unit per place and capacity, since a reader cannot rule out
    experts who served in one place only), when (the periods table: the periods each expert served in, and
    zero-count units for each period alone), their gender, and the deployments by gender marker. The relations
    a reader may know tie them: as many experts by period-capacity as by place-capacity, by gender as in all,
    no more experts than deployments, and (when the day is in the period) no more experts on the day than in
    the period."""
    system = Disclosure(threshold)
    for name, (rows, columns, column_totals) in tables.items():
        system.add_table(name, rows, columns, column_totals=column_totals)
    system.add_number(("figures", "experts_deployed"), [("deployed",)], GRAND_RANK)
    system.add_number(("figures", "deployed_on_day"), [("on_day",)], GRAND_RANK)
    genders, markers = [str(g) for g in Gender], [str(m) for m in GenderMarker]
    for g in genders:
        system.add_number(("gender", g), [("gender", g)])
    for m in markers:
        system.add_number(("marker", m), [("marker", m)])
    system.add_number(("marker", TOTAL), [("marker", m) for m in markers], TOTAL_RANK)
    system.add_line([("marker", m) for m in markers], ("marker", TOTAL))

    def where(capacity: str, places: set[tuple[str, str, str]]) -> dict[Any, int]:
        atoms: dict[Any, int] = {("deployed",): 1, ("cap", capacity): 1}
        for mission, iso3, region in places:
            atoms |= {("missions", mission, capacity): 1, ("countries", iso3, capacity): 1,
                      ("regions", region, capacity): 1}
        return atoms

    deployed = people.deployed()
    capacities = tables["missions"][1]
    for e in deployed:
        system.add_unit(where(e.capacity, e.places))
        system.add_unit({("t_cap", e.capacity): 1, **{("periods", p, e.capacity): 1 for p in e.periods}})
        system.add_unit({("gender", e.gender): 1, ("g_all",): 1})
        for marker, n in e.markers.items():
            system.add_unit({("marker", marker): 1, ("m_all",): 1}, n)
    for e in people.experts.values():
        if e.on_day:
            system.add_unit({("on_day",): 1, ("d_cap", e.capacity): 1})
    for capacity in capacities:
        for place in {place for e in deployed for place in e.places}:
            system.add_unit(where(capacity, {place}), 0)
        for period in tables["periods"][0]:
            system.add_unit({("t_cap", capacity): 1, ("periods", period, capacity): 1}, 0)
        system.add_relation([("t_cap", capacity)], [("cap", capacity)], equal=True)
        if day_in_period:
            system.add_relation([("d_cap", capacity)], [("cap", capacity)])
    for g in genders:
        system.add_unit({("gender", g): 1, ("g_all",): 1}, 0)
    system.add_relation([("g_all",)], [("deployed",)], equal=True)
    system.add_relation([("deployed",)], [("m_all",)])
    return system


def protect_view(session: Session, filt: MapFilter, capacities: list[str], threshold: int, french: bool
                 ) -> dict[str, Any]:
    """The people counts of one briefing view, computed from the same rows and suppressed together: the
    missions, countries, regions and periods tables with their totals, the map's points (the missions' and
    countries' totals), the experts deployed (in the period and on the day), the experts by gender and the
    deployments by gender marker. One audit (suppression.Disclosure) over all of them, because a reader sees
    them all at once."""
    people = _people(session, filt)
    name_col = localized_column(Country, "fr" if french else "en")
    iso3s = {k for k, _c in people.table(1)}
    rows = session.execute(select(Country.iso3, Country.code, name_col).where(Country.iso3.in_(iso3s))).all()
    country_names = {key: name for key, _code, name in rows}
    joint = protect_people(people, capacities, [p[0] for p in buckets(filt.start, filt.end)],
                           filt.start <= filt.day <= filt.end, threshold,
                           country_order=lambda k: country_names.get(k, k))
    # ISO 3166-1 alpha-3 (SSD) is what leaves the hub; Natural Earth's key (SDS) stays inside.
    return {**joint, "country_names": country_names, "country_codes": {key: code for key, code, _n in rows}}


def protect_people(people: _People, capacities: list[str], period_rows: list[date], day_in_period: bool,
                   threshold: int, country_order: Any = None) -> dict[str, Any]:
    """protect_view's work on rows already read (no database): the tables, suppressed together."""
    missions, countries, regions = people.table(0), people.table(1), people.table(2)
    # Busiest first (by the true total: the order shows no more than the suppressed totals' order does, ties and
    # all, and a briefing reads best that way).
    mission_rows = sorted({m for m, _c in missions},
                          key=lambda m: (-sum(v for (k, _c), v in missions.items() if k == m), m))
    country_rows = sorted({k for k, _c in countries}, key=country_order)
    region_rows = sorted({k for k, _c in regions})
    # An expert deployed across two months counts in both: column sums would mean nothing, so none are shown.
    tables: dict[str, tuple[list[Any], list[str], bool]] = {
        "missions": (mission_rows, capacities, True), "countries": (country_rows, capacities, True),
              "regions": (region_rows, capacities, True), "periods": (period_rows, capacities, False)}
    protection = _people_system(people, threshold, tables, day_in_period).protect()
    return {"people": people, "protection": protection,
            **{name: protection.table(name, rows, cols, column_totals=totals)
               for name, (rows, cols, totals) in tables.items()}}


def briefing_view(session: Session, principal: Principal, filt: MapFilter, *, threshold: int,
                  usd_rates: Mapping[str, float], locale: str = "en") -> BriefingView:
    """Everything a briefing shows for the filter, in one transaction, every count suppressed: the one function
    the page, the API, the table files and the packs call."""
    principal.require(Permission.VIEW_AGGREGATES)
    check_briefing_filter(filt)
    if threshold < 1:
        raise ValidationError("The suppression threshold must be at least 1.")
    started = time.perf_counter()
    capacities = _capacities(session, filt)
    joint = protect_view(session, filt, capacities, threshold, locale.startswith("fr"))
    people: _People = joint["people"]
    protection: Protection = joint["protection"]
    by_mission: SuppressedTable[str, str] = joint["missions"]
    mission_names = dict(session.execute(select(Mission.acronym, localized_column(Mission, locale))
                                         .where(Mission.acronym.in_(by_mission.rows))).all())

    markers = {str(m): protection.shown(("marker", str(m))) for m in GenderMarker}
    genders = {str(g): protection.shown(("gender", str(g))) for g in Gender}
    women = sum(1 for e in people.deployed() if e.gender == Gender.FEMALE.value)
    men = sum(1 for e in people.deployed() if e.gender == Gender.MALE.value)
    # A share beside the line's total would give a hidden cell back: only when both cells are shown.
    women_share = (share(women, women + men, threshold)
                   if genders[Gender.FEMALE.value] is not None and genders[Gender.MALE.value] is not None else None)
    gender = BriefingGender(
        by_marker=markers, deployments=protection.shown(("marker", TOTAL)), experts_by_gender=genders,
        women_share=women_share, outputs_planned=suppress_count(people.outputs_planned, threshold),
        outputs_delivered=suppress_count(people.outputs_delivered, threshold))

    rates = {code: Decimal(str(rate)) for code, rate in usd_rates.items()}
    funding = funding_summary(session, filt, rates, locale=locale)

    fig = map_figures(session, filt, deployed_now=sum(1 for e in people.experts.values() if e.on_day))
    figures = BriefingFigures(
        experts_deployed=protection.shown(("figures", "experts_deployed")),
        deployed_on_day=protection.shown(("figures", "deployed_on_day")),
        missions_supported=len(by_mission.rows), countries=len(joint["countries"].rows),
        open_surge_requests=suppress_count(fig.open_surge_requests, threshold),
        women_share=women_share,
        utilisation={u.capacity: (u.share if u.pool >= threshold else None) for u in fig.utilisation},
    )
    # By quarter: a month holds too few requests to show anything past the suppression.
    overall, by_period_level, requests = _service_levels(session, filt, fig.service_level, threshold)
    audit = AuditSummary(seconds=time.perf_counter() - started, audit_seconds=protection.seconds + requests.seconds,
                         audit_cpu_seconds=protection.cpu_seconds + requests.cpu_seconds,
                         programs=protection.linear_programs + requests.linear_programs,
                         hidden=len(protection.hidden) + len(requests.hidden),
                         primary=len(protection.primary) + len(requests.primary))
    return BriefingView(
        filter=filt, threshold=threshold, data_as_of=session.execute(select(func.now())).scalar_one(),
        capacities=capacities, figures=figures,
        by_mission=by_mission, mission_names=mission_names,
        by_country=joint["countries"], country_names=joint["country_names"],
        country_codes=joint["country_codes"],
        by_region=joint["regions"], by_period=joint["periods"], period_unit=bucket_unit(filt.start, filt.end),
        gender=gender, funding=funding,
        service_level=overall,
        service_by_period=by_period_level,
        map=_map(session, by_mission, joint["countries"], joint["country_names"]),
        audit=audit, locale=locale,
    )


def table_rows(view: BriefingView, name: str) -> list[dict[str, Any]]:
    """One of the briefing's tables as rows for a CSV/XLSX or the API: mission, country, region, period,
    gender, funding, service_level. Suppressed numbers are None."""
    if name == "missions":
        return [{"mission": r["mission"], "name": view.mission_names.get(r["mission"], ""), **{
            k: v for k, v in r.items() if k != "mission"}} for r in view.by_mission.as_rows("mission")]
    if name == "countries":
        return [{"iso3": view.country_codes.get(r["iso3"], r["iso3"]),
                 "country": view.country_names.get(r["iso3"], r["iso3"]), **{
            k: v for k, v in r.items() if k != "iso3"}} for r in view.by_country.as_rows("iso3")]
    if name == "regions":
        return view.by_region.as_rows("region")
    if name == "periods":
        return [{**r, "period": r["period"].isoformat()} for r in view.by_period.as_rows("period")]
    if name == "gender":
        g = view.gender
        rows: list[dict[str, Any]] = [{"measure": "deployments_by_gender_marker", "key": f"GM{k}", "value": v}
                                      for k, v in g.by_marker.items()]
        rows += [{"measure": "deployed_experts_by_gender", "key": k, "value": v}
                 for k, v in g.experts_by_gender.items()]
        rows += [{"measure": "women_share", "key": "", "value": g.women_share},
                 {"measure": "gender_outputs_planned", "key": "", "value": g.outputs_planned},
                 {"measure": "gender_outputs_delivered", "key": "", "value": g.outputs_delivered}]
        return rows
    if name == "funding":
        return [{"donor": r.donor, "source": str(r.source), "committed_usd": r.committed_usd,
                 "spent_usd": r.spent_usd, "burn_rate": r.burn_rate} for r in view.funding.rows]
    if name == "service_level":
        return [{"period": p.period.isoformat(), "capacity": p.capacity or "", "requests": p.level.requests,
                 "deployed": p.level.deployed, "within_target": p.level.within_target,
                 "median_days": p.level.median_days, "p90_days": p.level.p90_days,
                 "target_days": p.level.target_days} for p in view.service_by_period]
    raise ValidationError(f"Unknown briefing table {name!r}; choose one of {', '.join(TABLES)}.")


TABLES = ("missions", "countries", "regions", "periods", "gender", "funding", "service_level")

__all__ = ["BRIEFING_FIELDS", "TABLES", "BriefingFigures", "BriefingGender", "BriefingServiceLevel", "BriefingView",
           "ServicePeriod", "briefing_filter", "briefing_view", "check_briefing_filter", "suppress_key_figures",
           "suppress_service_level", "table_rows"]
