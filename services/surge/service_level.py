"""Service level: days from a request's "received" step to its "deployed" step, against the capacity's target.

Aggregate-only (counts, medians), so fine for every role with VIEW_AGGREGATES; computed in SQL with
``percentile_cont``. The target is the capacity's ``target_days_to_deploy`` (the Justice and Corrections
capacity's three days by default); with both capacities in scope, the smaller (stricter) one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Select, cast, extract, func, select
from sqlalchemy.orm import Session

from models import Capacity, SurgeRequest

DEFAULT_TARGET_DAYS = 3


@dataclass(frozen=True)
class ServiceLevel:
    requests: int
    deployed: int
    median_days: float | None
    p90_days: float | None
    within_target: int
    target_days: int


def target_days(session: Session, capacity_codes: Sequence[str] = ()) -> int:
    """The capacities' target; the smallest when several are in scope (all of them when none is named)."""
    stmt = select(func.min(Capacity.target_days_to_deploy))
    codes = [c.strip().upper() for c in capacity_codes if c and c.strip()]
    if codes:
        stmt = stmt.where(Capacity.code.in_(codes))
    value = session.scalar(stmt)
    return int(value) if value is not None else DEFAULT_TARGET_DAYS


def days_to_deploy() -> ColumnElement[Any]:
    """Days from a request's receipt to its deployment (NULL while not deployed)."""
    received_at = func.coalesce(SurgeRequest.received_at, cast(SurgeRequest.received_on, DateTime(timezone=True)))
    return extract("epoch", SurgeRequest.deployed_at - received_at) / 86400.0


def _days_select(capacity_codes: Sequence[str], mission_ids: Sequence[int], start: date | None,
                 end: date | None) -> Select[Any]:
    """One row per request in scope with ``days`` (NULL while not deployed) and its capacity. The steps' times
    are on the request itself (kept by a trigger, migration 0010), so no step is read."""
    days = days_to_deploy()
    stmt = (select(SurgeRequest.id, SurgeRequest.reference, SurgeRequest.received_on,
                   Capacity.code.label("capacity"), days.label("days"))
            .select_from(SurgeRequest)
            .outerjoin(Capacity, Capacity.id == SurgeRequest.capacity_id))
    codes = [c.strip().upper() for c in capacity_codes if c and c.strip()]
    if codes:
        stmt = stmt.where(Capacity.code.in_(codes))
    if mission_ids:
        stmt = stmt.where(SurgeRequest.mission_id.in_([int(m) for m in mission_ids]))
    if start is not None:
        stmt = stmt.where(SurgeRequest.received_on >= start)
    if end is not None:
        stmt = stmt.where(SurgeRequest.received_on <= end)
    return stmt


def service_level(session: Session, *, capacity_codes: Sequence[str] = (), mission_ids: Sequence[int] = (),
                  start: date | None = None, end: date | None = None) -> ServiceLevel:
    """Requests received in [start, end] (both days included; None is open) and how fast they were deployed."""
    target = target_days(session, capacity_codes)
    rows = _days_select(capacity_codes, mission_ids, start, end).subquery()
    days = rows.c.days
    row = session.execute(select(
        func.count(), func.count(days),
        func.percentile_cont(0.5).within_group(days), func.percentile_cont(0.9).within_group(days),
        func.count().filter(days <= target),
    ).select_from(rows)).one()
    return ServiceLevel(requests=int(row[0]), deployed=int(row[1]),
                        median_days=None if row[2] is None else round(float(row[2]), 2),
                        p90_days=None if row[3] is None else round(float(row[3]), 2),
                        within_target=int(row[4]), target_days=target)


@dataclass(frozen=True)
class ServiceLevelRow:
    capacity: str | None
    period: date  # first day of the month or quarter
    level: ServiceLevel


def service_level_by_period(session: Session, *, capacity_codes: Sequence[str] = (),
                            mission_ids: Sequence[int] = (), start: date | None = None, end: date | None = None,
                            unit: str = "quarter") -> list[ServiceLevelRow]:
    """The same figures per capacity and month or quarter of receipt, in one grouped query."""
    if unit not in ("month", "quarter", "year"):
        raise ValueError("unit must be month, quarter or year")
    rows = _days_select(capacity_codes, mission_ids, start, end).subquery()
    bucket = func.date_trunc(unit, rows.c.received_on).label("bucket")
    targets = dict(session.execute(select(Capacity.code, Capacity.target_days_to_deploy)).all())
    fallback = target_days(session, capacity_codes)
    result = session.execute(select(
        rows.c.capacity, bucket, func.count(), func.count(rows.c.days),
        func.percentile_cont(0.5).within_group(rows.c.days), func.percentile_cont(0.9).within_group(rows.c.days),
        func.array_agg(rows.c.days),
    ).group_by(rows.c.capacity, bucket).order_by(bucket, rows.c.capacity)).all()
    out = []
    for capacity, period, n, deployed, median, p90, days in result:
        target = int(targets.get(capacity, fallback))
        within = sum(1 for d in days if d is not None and d <= target)
        out.append(ServiceLevelRow(capacity, period.date() if hasattr(period, "date") else period, ServiceLevel(
            requests=int(n), deployed=int(deployed), median_days=None if median is None else round(float(median), 2),
            p90_days=None if p90 is None else round(float(p90), 2), within_target=within, target_days=target)))
    return out


def request_days(session: Session, *, capacity_codes: Sequence[str] = (), mission_ids: Sequence[int] = (),
                 start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    """Days to deploy of each deployed request (reference, capacity, received_on, days): the distribution."""
    rows = _days_select(capacity_codes, mission_ids, start, end).subquery()
    result = session.execute(select(rows).where(rows.c.days.is_not(None)).order_by(rows.c.received_on, rows.c.id))
    return [{"reference": r.reference, "capacity": r.capacity, "received_on": r.received_on,
             "days": round(float(r.days), 2)} for r in result]
