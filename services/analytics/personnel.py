"""Personnel analytics for the operations map: availability over time, deployments by mission, utilisation.

All aggregates, computed in SQL. Availability is counted in expert-days and shown as the average head count
of each time bucket, so a two-week deployment in a month counts as half an expert that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, and_, column, func, select, values
from sqlalchemy.orm import Session

from models import Capacity, Deployment, Expert, Mission, Unavailability
from models.enums import DeploymentStatus
from services.analytics.filters import MapFilter
from services.analytics.scope import (
    clipped_days,
    day_range,
    deployment_from,
    deployments_in_scope,
    pool_conditions,
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


def bucket_unit(start: date, end: date) -> str:
    days = (end - start).days + 1
    if days <= 120:
        return "week"
    if days <= 366 * 4:
        return "month"
    return "quarter"


def buckets(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar weeks, months or quarters covering [start, end], clipped to it."""
    unit = bucket_unit(start, end)
    out: list[tuple[date, date]] = []
    if unit == "week":
        first = start - timedelta(days=start.weekday())
    elif unit == "month":
        first = start.replace(day=1)
    else:
        first = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    b0 = first
    while b0 <= end:
        if unit == "week":
            nxt = b0 + timedelta(days=7)
        else:
            months = 1 if unit == "month" else 3
            year, month = divmod(b0.month - 1 + months, 12)
            nxt = date(b0.year + year, month + 1, 1)
        out.append((max(b0, start), min(nxt - timedelta(days=1), end)))
        b0 = nxt
    return out


def availability(session: Session, filt: MapFilter) -> list[AvailabilityPoint]:
    periods = buckets(filt.start, filt.end)
    b = values(column("b0", Date), column("b1", Date), name="b").data(periods)
    bucket_range = day_range(b.c.b0, b.c.b1)

    pool = dict(session.execute(
        select(Capacity.code, func.count(Expert.id)).select_from(Expert)
        .join(Capacity, Capacity.id == Expert.capacity_id).where(*pool_conditions(filt)).group_by(Capacity.code)
    ).all())
    if not pool:
        return []

    def deployed_days(in_scope: bool) -> dict[tuple[date, str], int]:
        days = func.sum(clipped_days(Deployment.start_date, Deployment.end_date, b.c.b0, b.c.b1))
        if in_scope:
            stmt = deployments_in_scope(filt, b.c.b0, Capacity.code, days, when="any")
        else:
            stmt = deployment_from(b.c.b0, Capacity.code, days).where(
                Deployment.status != DeploymentStatus.CANCELLED, *pool_conditions(filt))
        stmt = stmt.join(b, Deployment.period.op("&&")(bucket_range)).group_by(b.c.b0, Capacity.code)
        return {(row[0], row[1]): int(row[2]) for row in session.execute(stmt)}

    scoped = deployed_days(True)
    everywhere = deployed_days(False)
    absent = {
        (row[0], row[1]): int(row[2]) for row in session.execute(
            select(b.c.b0, Capacity.code,
                   func.sum(clipped_days(Unavailability.start_date, Unavailability.end_date, b.c.b0, b.c.b1)))
            .select_from(Unavailability)
            .join(Expert, Expert.id == Unavailability.expert_id)
            .join(Capacity, Capacity.id == Expert.capacity_id)
            .join(b, Unavailability.period.op("&&")(bucket_range))
            .where(*pool_conditions(filt))
            .group_by(b.c.b0, Capacity.code)
        )
    }
    points: list[AvailabilityPoint] = []
    for b0, b1 in periods:
        length = (b1 - b0).days + 1
        for code in sorted(pool):
            here = scoped.get((b0, code), 0) / length
            total = everywhere.get((b0, code), 0) / length
            away = absent.get((b0, code), 0) / length
            points.append(AvailabilityPoint(
                bucket=b0, bucket_end=b1, capacity=code, deployed=round(here, 2),
                deployed_elsewhere=round(max(total - here, 0.0), 2), unavailable=round(away, 2),
                available=round(max(pool[code] - total - away, 0.0), 2), pool=pool[code],
            ))
    return points


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
        func.count(func.distinct(Deployment.expert_id)), func.count(Deployment.id), days,
    ).group_by(Mission.acronym, Mission.name, Capacity.code)
    rows = [MissionCount(a, n, c, int(e), int(d), int(x or 0)) for a, n, c, e, d, x in session.execute(stmt)]
    totals: dict[str, int] = {}
    for row in rows:
        totals[row.acronym] = totals.get(row.acronym, 0) + row.expert_days
    # Deterministic order: busiest first, then by acronym.
    top = sorted(totals, key=lambda a: (-totals[a], a))[:limit]
    rank = {a: i for i, a in enumerate(top)}
    return sorted((r for r in rows if r.acronym in rank), key=lambda r: (rank[r.acronym], r.capacity))


@dataclass(frozen=True)
class Utilisation:
    capacity: str
    pool: int
    deployed_expert_days: int
    available_expert_days: int  # pool x days in the period
    share: float | None  # deployed / available, 0..1


def utilisation(session: Session, filt: MapFilter) -> list[Utilisation]:
    """The share of each capacity's experts' time spent deployed in the period (any mission, any place)."""
    length = (filt.end - filt.start).days + 1
    pool = dict(session.execute(
        select(Capacity.code, func.count(Expert.id)).select_from(Expert)
        .join(Capacity, Capacity.id == Expert.capacity_id).where(*pool_conditions(filt)).group_by(Capacity.code)
    ).all())
    deployed = dict(session.execute(
        deployment_from(Capacity.code,
                        func.sum(clipped_days(Deployment.start_date, Deployment.end_date, filt.start, filt.end)))
        .where(and_(Deployment.status != DeploymentStatus.CANCELLED, *pool_conditions(filt)))
        .where(Deployment.period.op("&&")(day_range(filt.start, filt.end)))
        .group_by(Capacity.code)
    ).all())
    out = []
    for code in sorted(pool):
        available = pool[code] * length
        days = int(deployed.get(code) or 0)
        out.append(Utilisation(code, pool[code], days, available, round(days / available, 4) if available else None))
    return out


def deployed_on_day(session: Session, filt: MapFilter) -> int:
    """Distinct experts in scope deployed on the map's day."""
    return session.scalar(deployments_in_scope(filt, func.count(func.distinct(Deployment.expert_id)), when="day")) or 0


def rows_as_dicts(items: list[Any]) -> list[dict[str, Any]]:
    from dataclasses import asdict

    return [asdict(item) for item in items]
