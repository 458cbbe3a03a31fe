"""The briefing view: what a member-state briefing may show for a filter, every count already suppressed.

Counts come from the analytics services' scope (services/analytics/scope.py), so "in scope" means what it
means on the operations map; they are grouped in SQL and then pass the suppression rule
(services/briefing/suppression.py) before they leave this module. Money is not a person's data and is shown
as it is. The map is aggregates per mission HQ and per host-country point: no place finer than a mission HQ
or a country, no names, no identifiers.

The briefing filter is the map's filter without its person-level dimensions (gender, skill, deployment kind,
gender marker, funding source) and without drawn areas: cutting the population that finely is what makes a
small group identifiable, and the briefing does not need it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, cast, column, func, select, values
from sqlalchemy.orm import Session

from models import Capacity, Country, Deployment, Mission
from services.access import Permission, Principal
from services.analytics.figures import _mission_ids, map_figures
from services.analytics.filters import MapFilter
from services.analytics.funding import FundingSummary, funding_summary
from services.analytics.gender import gender_summary
from services.analytics.personnel import bucket_unit, buckets
from services.analytics.scope import day_range, deployments_in_scope, place_country
from services.briefing.suppression import (
    SuppressedTable,
    share,
    suppress_count,
    suppress_line,
    suppress_table,
)
from services.errors import ValidationError
from services.key_figures import KeyFigures
from services.reference_data import localized_column
from services.surge.service_level import ServiceLevel, service_level_by_period

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
    by_region: SuppressedTable[str, str]  # region x capacity
    by_period: SuppressedTable[date, str]  # first day of week/month/quarter x capacity (no column totals)
    period_unit: str
    gender: BriefingGender
    funding: FundingSummary
    service_level: BriefingServiceLevel
    service_by_period: list[ServicePeriod]
    map: dict[str, Any] = field(default_factory=dict)  # GeoJSON FeatureCollection of aggregates
    locale: str = "en"  # the language of its names, and of the figures written from it


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


def _places(filt: MapFilter) -> Any:
    """(mission, iso3, capacity, expert) of every deployment in scope in the period: the briefing's base rows."""
    return deployments_in_scope(
        filt, Mission.acronym.label("mission"), place_country().label("iso3"), Capacity.code.label("capacity"),
        Deployment.expert_id.label("expert"),
    ).subquery("p")


def _grouped(session: Session, key: Any, base: Any, *joins: Any) -> dict[tuple[str, str], int]:
    stmt = select(key, base.c.capacity, func.count(func.distinct(base.c.expert))).select_from(base)
    for target, on in joins:
        stmt = stmt.outerjoin(target, on)
    return {(k if k is not None else NO_REGION, c): int(n)
            for k, c, n in session.execute(stmt.group_by(key, base.c.capacity))}


def _by_period(session: Session, filt: MapFilter) -> tuple[dict[tuple[date, str], int], list[date]]:
    periods = buckets(filt.start, filt.end)
    b = values(column("b0", Date), column("b1", Date), name="b").data(periods)
    stmt = (deployments_in_scope(filt, b.c.b0, Capacity.code, func.count(func.distinct(Deployment.expert_id)),
                                 when="any")
            .join(b, Deployment.period.op("&&")(day_range(b.c.b0, b.c.b1)))
            .group_by(b.c.b0, Capacity.code))
    return {(b0, code): int(n) for b0, code, n in session.execute(stmt)}, [p[0] for p in periods]


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


def _service_levels(session: Session, filt: MapFilter, level: ServiceLevel, unit: str, threshold: int
                    ) -> tuple[BriefingServiceLevel, list[ServicePeriod]]:
    """The service level overall and by period and capacity. The counts of requests and of deployed requests
    by period are tables whose grand totals are the overall counts, so they are suppressed as tables (a small
    period could otherwise be worked out from the overall figure). Counts "within target" are shown overall
    only; medians only over enough deployed requests."""
    rows = service_level_by_period(session, capacity_codes=filt.capacity, mission_ids=_mission_ids(session, filt),
                                   start=filt.start, end=filt.end, unit=unit)
    periods = sorted({r.period for r in rows})
    caps = sorted({r.capacity or NO_REGION for r in rows})
    requests = suppress_table({(r.period, r.capacity or NO_REGION): r.level.requests for r in rows},
                              periods, caps, threshold)
    deployed = suppress_table({(r.period, r.capacity or NO_REGION): r.level.deployed for r in rows},
                              periods, caps, threshold)
    out = []
    for r in rows:
        key = (r.period, r.capacity or NO_REGION)
        enough = deployed.cells[key] is not None and r.level.deployed >= threshold
        out.append(ServicePeriod(r.period, r.capacity, BriefingServiceLevel(
            requests=requests.cells[key], deployed=deployed.cells[key], within_target=None,
            median_days=r.level.median_days if enough else None, p90_days=r.level.p90_days if enough else None,
            target_days=r.level.target_days)))
    overall = suppress_service_level(level, threshold)
    if rows:  # the same requests, so the same totals; hidden when the tables hid them
        overall = replace(overall, requests=requests.total if overall.requests is not None else None,
                          deployed=deployed.total if overall.deployed is not None else None)
        if overall.deployed is None:
            overall = replace(overall, within_target=None, median_days=None, p90_days=None)
    return overall, out


def briefing_view(session: Session, principal: Principal, filt: MapFilter, *, threshold: int,
                  usd_rates: Mapping[str, float], locale: str = "en") -> BriefingView:
    """Everything a briefing shows for the filter, in one transaction, every count suppressed."""
    principal.require(Permission.VIEW_AGGREGATES)
    check_briefing_filter(filt)
    if threshold < 1:
        raise ValidationError("The suppression threshold must be at least 1.")
    capacities = _capacities(session, filt)
    base = _places(filt)

    missions = _grouped(session, base.c.mission, base)
    mission_names = dict(session.execute(select(Mission.acronym, localized_column(Mission, locale))
                                         .where(Mission.acronym.in_({m for m, _c in missions}))).all())
    # Busiest first (by the true total: the order shows no more than the suppressed totals' order does,
    # ties and all, and a briefing reads best that way).
    mission_rows = sorted({m for m, _c in missions}, key=lambda m: (-sum(v for (k, _c), v in missions.items()
                                                                         if k == m), m))
    by_mission = suppress_table(missions, mission_rows, capacities, threshold)

    countries = _grouped(session, base.c.iso3, base)
    country_names = dict(session.execute(select(Country.iso3, localized_column(Country, locale))
                                         .where(Country.iso3.in_({k for k, _c in countries}))).all())
    country_rows = sorted({k for k, _c in countries}, key=lambda k: country_names.get(k, k))
    by_country = suppress_table(countries, country_rows, capacities, threshold)

    regions = _grouped(session, Country.region, base, (Country, Country.iso3 == base.c.iso3))
    by_region = suppress_table(regions, sorted({k for k, _c in regions}), capacities, threshold)

    period_counts, period_rows = _by_period(session, filt)
    # An expert deployed across two months counts in both: column sums would mean nothing, so none are shown.
    by_period = suppress_table(period_counts, period_rows, capacities, threshold, column_totals=False)

    g = gender_summary(session, filt)
    markers, marker_total = suppress_line(g.by_marker, sorted(g.by_marker), threshold)
    genders, _gender_total = suppress_line(g.experts_by_gender, list(g.experts_by_gender), threshold)
    women, men = g.experts_by_gender.get("female", 0), g.experts_by_gender.get("male", 0)
    # A share beside the line's total would give a hidden cell back: only when both cells are shown.
    women_share = (share(women, women + men, threshold)
                   if genders.get("female") is not None and genders.get("male") is not None else None)
    gender = BriefingGender(
        by_marker=markers, deployments=marker_total, experts_by_gender=genders, women_share=women_share,
        outputs_planned=suppress_count(g.outputs_planned, threshold),
        outputs_delivered=suppress_count(g.outputs_delivered, threshold))

    rates = {code: Decimal(str(rate)) for code, rate in usd_rates.items()}
    funding = funding_summary(session, filt, rates, locale=locale)

    fig = map_figures(session, filt)
    deployed_total = session.scalar(select(func.count(func.distinct(base.c.expert)))) or 0
    figures = BriefingFigures(
        experts_deployed=suppress_count(deployed_total, threshold),
        deployed_on_day=suppress_count(fig.deployed_now, threshold),
        missions_supported=len(mission_rows), countries=len(country_rows),
        open_surge_requests=suppress_count(fig.open_surge_requests, threshold),
        women_share=women_share,
        utilisation={u.capacity: (u.share if u.pool >= threshold else None) for u in fig.utilisation},
    )
    # By quarter: a month holds too few requests to show anything past the suppression.
    overall, by_period_level = _service_levels(session, filt, fig.service_level, "quarter", threshold)
    return BriefingView(
        filter=filt, threshold=threshold, data_as_of=session.scalar(select(func.now())),
        capacities=capacities, figures=figures,
        by_mission=by_mission, mission_names=mission_names,
        by_country=by_country, country_names=country_names,
        by_region=by_region, by_period=by_period, period_unit=bucket_unit(filt.start, filt.end),
        gender=gender, funding=funding,
        service_level=overall,
        service_by_period=by_period_level,
        map=_map(session, by_mission, by_country, country_names), locale=locale,
    )


def table_rows(view: BriefingView, name: str) -> list[dict[str, Any]]:
    """One of the briefing's tables as rows for a CSV/XLSX or the API: mission, country, region, period,
    gender, funding, service_level. Suppressed numbers are None."""
    if name == "missions":
        return [{"mission": r["mission"], "name": view.mission_names.get(r["mission"], ""), **{
            k: v for k, v in r.items() if k != "mission"}} for r in view.by_mission.as_rows("mission")]
    if name == "countries":
        return [{"iso3": r["iso3"], "country": view.country_names.get(r["iso3"], r["iso3"]), **{
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
