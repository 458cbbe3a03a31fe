"""Personnel analytics for the operations map: availability over time, deployments by mission, utilisation.

All aggregates, computed in SQL. Availability is counted in expert-days and shown as the average head count
of each time bucket, so a two-week deployment in a month counts as half an expert that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from models import Capacity, Deployment, Expert, Mission, Unavailability
from models.enums import ExpertStatus
from services.analytics.filters import MapFilter
from services.analytics.scope import (
    capacity_codes,
    clipped_days,
    deployment_from,
    deployments_in_scope,
    expert_conditions,
    place_and_kind_conditions,
    pool_conditions,
    time_conditions,
)


@dataclass(frozen=True)
class AvailabilityPoint:
    bucket: date  # first day of the bucket
    bucket_end: date
    capacity: str
    deployed: float  # in scope (place, mission, kind, marker, source)
    deployed_elsewhere: float  # deployed, but outside the scope's place, mission or kind
    unavailable: float  # leave, training, medical
    available: float
    pool: int  # experts of the capacity (not separated) matching the expert filters


@dataclass(frozen=True)
class Utilisation:
    capacity: str
    pool: int
    deployed_expert_days: int
    available_expert_days: int  # pool x days in the period
    share: float | None  # deployed / available, 0..1


def bucket_unit(start: date, end: date) -> str:
    """Weeks, months, quarters or years: at most about 50 buckets, so each bar of a chart stays readable."""
    days = (end - start).days + 1
    if days <= 120:
        return "week"
    if days <= 366 * 4:
        return "month"
    if days <= 366 * 12:
        return "quarter"
    return "year"


def buckets(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar weeks, months, quarters or years covering [start, end], clipped to it."""
    unit = bucket_unit(start, end)
    out: list[tuple[date, date]] = []
    if unit == "week":
        first = start - timedelta(days=start.weekday())
    elif unit == "month":
        first = start.replace(day=1)
    elif unit == "quarter":
        first = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    else:
        first = date(start.year, 1, 1)
    b0 = first
    while b0 <= end:
        if unit == "week":
            nxt = b0 + timedelta(days=7)
        else:
            months = {"month": 1, "quarter": 3, "year": 12}[unit]
            year, month = divmod(b0.month - 1 + months, 12)
            nxt = date(b0.year + year, month + 1, 1)
        out.append((max(b0, start), min(nxt - timedelta(days=1), end)))
        b0 = nxt
    return out


def _daily_counts(session: Session, rows: Any, filt: MapFilter, keys: list[tuple[int, int]]
                  ) -> dict[tuple[int, int], np.ndarray]:
    """Head count on each day of the period, per (capacity id, kind), from rows of (code, scoped, start, end);
    ``scoped`` is any small integer that classifies the row.

    Why not join each row to each bucket: over 100,000 deployments that is a large nested loop. Instead the
    database returns only how many periods start and end on each day (+1 / -1, a few thousand rows), and a
    cumulative sum gives the count of every day; a bucket's expert-days are then a slice sum.
    """
    length = (filt.end - filt.start).days + 1
    clipped = rows.cte("clipped")
    starts = select(clipped.c.code, clipped.c.scoped,
                    func.greatest(clipped.c.start_date, filt.start).label("day"), literal(1).label("delta"))
    ends = select(clipped.c.code, clipped.c.scoped,
                  (func.least(clipped.c.end_date, filt.end) + 1).label("day"), literal(-1).label("delta"))
    edges = union_all(starts, ends).subquery("edges")
    counts = {key: np.zeros(length + 1, dtype=np.int64) for key in keys}
    for code, scoped, day, delta in session.execute(
        select(edges.c.code, edges.c.scoped, edges.c.day, func.sum(edges.c.delta))
        .group_by(edges.c.code, edges.c.scoped, edges.c.day)
    ):
        key = (code, int(scoped))
        if key in counts:
            counts[key][(day - filt.start).days] += int(delta)
    return {key: np.cumsum(delta)[:length] for key, delta in counts.items()}


@dataclass(frozen=True)
class Daily:
    pool: dict[str, int]
    deployed: dict[tuple[str, int], np.ndarray]  # kind: +1 in scope, +2 expert in the pool (not separated)
    absent: dict[tuple[str, int], np.ndarray]


def daily(session: Session, filt: MapFilter) -> Daily:
    # The scans group by capacity id (no join to Capacity over 100,000 rows); codes are put on afterwards.
    code_of = capacity_codes(session)
    pool_ids = dict(session.execute(
        select(Expert.capacity_id, func.count(Expert.id)).where(*pool_conditions(filt)).group_by(Expert.capacity_id)
    ).all())
    ids = sorted(pool_ids, key=lambda i: code_of[i])
    # Past deployments of experts who have since left still count as deployed (+1 when in scope); only those of
    # the pool (+2) are taken from the pool's available head count.
    kind = (case((and_(True, *place_and_kind_conditions(filt)), 1), else_=0)
            + case((Expert.status != ExpertStatus.SEPARATED, 2), else_=0))
    deployed = _daily_counts(session, deployment_from(
        Expert.capacity_id.label("code"), kind.label("scoped"), Deployment.start_date, Deployment.end_date,
        lookups=False, lean=True,
    ).where(*time_conditions(filt, "period"), *expert_conditions(filt)), filt,
        [(i, k) for i in ids for k in range(4)]) if ids else {}
    absent = _daily_counts(session, (
        select(Expert.capacity_id.label("code"), literal(0).label("scoped"), Unavailability.start_date,
               Unavailability.end_date)
        .select_from(Unavailability)
        .join(Expert, Expert.id == Unavailability.expert_id)
        .where(Unavailability.start_date <= filt.end, Unavailability.end_date >= filt.start, *pool_conditions(filt))
    ), filt, [(i, 0) for i in ids]) if ids else {}
    return Daily(
        pool={code_of[i]: n for i, n in pool_ids.items()},
        deployed={(code_of[i], k): counts for (i, k), counts in deployed.items()},
        absent={(code_of[i], k): counts for (i, k), counts in absent.items()},
    )


def _points(daily: Daily, filt: MapFilter) -> list[AvailabilityPoint]:
    points: list[AvailabilityPoint] = []
    for b0, b1 in buckets(filt.start, filt.end):
        lo, hi = (b0 - filt.start).days, (b1 - filt.start).days + 1
        length = hi - lo
        for code in sorted(daily.pool):
            days = {k: daily.deployed[(code, k)][lo:hi].sum() / length for k in range(4)}
            here = days[1] + days[3]
            elsewhere = days[0] + days[2]
            away = daily.absent[(code, 0)][lo:hi].sum() / length
            points.append(AvailabilityPoint(
                bucket=b0, bucket_end=b1, capacity=code, deployed=round(float(here), 2),
                deployed_elsewhere=round(float(elsewhere), 2), unavailable=round(float(away), 2),
                available=round(float(max(daily.pool[code] - days[2] - days[3] - away, 0.0)), 2),
                pool=daily.pool[code],
            ))
    return points


def _utilisation(daily: Daily, filt: MapFilter) -> list[Utilisation]:
    length = (filt.end - filt.start).days + 1
    out = []
    for code in sorted(daily.pool):
        # Kind 3: deployments in scope (mission, place, kind, marker, source) of experts in the pool; with no such
        # filter every deployment is in scope, so this is all the pool's deployed time.
        days = int(daily.deployed[(code, 3)].sum())
        available = daily.pool[code] * length
        out.append(Utilisation(code, daily.pool[code], days, available,
                               round(days / available, 4) if available else None))
    return out


def availability(session: Session, filt: MapFilter) -> list[AvailabilityPoint]:
    return _points(daily(session, filt), filt)


def utilisation(session: Session, filt: MapFilter) -> list[Utilisation]:
    """The share of each capacity's experts' time spent deployed in scope in the period.

    Utilisation = expert-days of the pool's deployments in scope inside the period / (pool x days of the period).
    The pool: the capacity's experts who are not separated and match the expert filters (gender, skill). In
    scope: what the filter says of the deployment (mission, region, country, area, kind, gender marker, funding
    source); so with one mission it is the share of the pool's time spent deployed to that mission, and with no
    such filter the share of their time deployed anywhere.
    """
    return _utilisation(daily(session, filt), filt)


def availability_and_utilisation(session: Session, filt: MapFilter
                                 ) -> tuple[list[AvailabilityPoint], list[Utilisation]]:
    """Both from one pass over the deployments (the map shows both)."""
    return points_and_utilisation(daily(session, filt), filt)


def points_and_utilisation(counts: Daily, filt: MapFilter) -> tuple[list[AvailabilityPoint], list[Utilisation]]:
    """The availability chart and the utilisation from daily counts, whichever engine folded them."""
    return _points(counts, filt), _utilisation(counts, filt)


@dataclass(frozen=True)
class MissionCount:
    acronym: str
    name: str
    capacity: str
    experts: int  # distinct experts deployed there in the period
    deployments: int
    expert_days: int  # inside the period


def by_mission(session: Session, filt: MapFilter, limit: int = 20) -> list[MissionCount]:
    """Deployments in scope by mission and capacity, the busiest missions first."""
    days = func.sum(clipped_days(Deployment.start_date, Deployment.end_date, filt.start, filt.end))
    stmt = deployments_in_scope(
        filt, Mission.acronym, Mission.name, Capacity.code,
        func.count(func.distinct(Deployment.expert_id)), func.count(Deployment.id), days, lookups=False,
    ).group_by(Mission.acronym, Mission.name, Capacity.code)
    return top_missions([MissionCount(a, n, c, int(e), int(d), int(x or 0))
                         for a, n, c, e, d, x in session.execute(stmt)], limit)


def top_missions(rows: list[MissionCount], limit: int) -> list[MissionCount]:
    """The ``limit`` missions with the most expert-days, busiest first (then by acronym), capacities in order."""
    totals: dict[str, int] = {}
    for row in rows:
        totals[row.acronym] = totals.get(row.acronym, 0) + row.expert_days
    top = sorted(totals, key=lambda a: (-totals[a], a))[:limit]
    rank = {a: i for i, a in enumerate(top)}
    return sorted((r for r in rows if r.acronym in rank), key=lambda r: (rank[r.acronym], r.capacity))


def deployed_on_day(session: Session, filt: MapFilter) -> int:
    """Distinct experts in scope deployed on the map's day."""
    return session.scalar(deployments_in_scope(filt, func.count(func.distinct(Deployment.expert_id)), when="day",
                                               lean=True)) or 0
