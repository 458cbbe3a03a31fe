"""Whether an expert is deployed, absent or available on a day: one rule for every page, API and figure.

The expressions are correlated to ``Expert.id``, so they go in a query over experts (SELECT, WHERE, FILTER).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, exists, func, literal
from sqlalchemy.dialects.postgresql import DATERANGE

from models import Deployment, Expert, Unavailability
from models.enums import DeploymentStatus, ExpertStatus


def covers(period: Any, day: date) -> ColumnElement[bool]:
    """``period @> day`` for the inclusive date ranges the database keeps (GiST-indexed by the exclusions)."""
    condition: ColumnElement[bool] = period.op("@>")(literal(day))
    return condition


def deployed_on(day: date) -> ColumnElement[bool]:
    """The expert has a deployment, in any status but cancelled, covering the day."""
    return exists().where(
        Deployment.expert_id == Expert.id,
        Deployment.status != DeploymentStatus.CANCELLED,
        covers(Deployment.period, day),
    )


def absent_on(day: date) -> ColumnElement[bool]:
    """The expert has leave, training, medical or other absence covering the day."""
    return exists().where(Unavailability.expert_id == Expert.id, covers(Unavailability.period, day))


def available_on(day: date) -> ColumnElement[bool]:
    """Active, not deployed and not absent that day."""
    return (Expert.status == ExpertStatus.ACTIVE) & ~deployed_on(day) & ~absent_on(day)


# --- periods: free for a whole date range (the surge planner's rule) ----------------------------------------
def period(start: date, end: date) -> ColumnElement[Any]:
    """The inclusive date range ``[start, end]`` as the database keeps periods (``daterange(.., '[]')``)."""
    return cast(func.daterange(literal(start, Date), literal(end, Date), literal("[]")), DATERANGE)


def deployment_blocks(start: date | ColumnElement[date], end: date | ColumnElement[date], *,
                      ignore_request_id: int | ColumnElement[int] | None = None) -> ColumnElement[bool]:
    """The condition on a deployment row that makes its expert busy in ``[start, end]`` (both days included).

    Any status but cancelled, dates overlapping. ``ignore_request_id``: deployments answering that surge
    request do not count (re-checking a request's own proposed team must not find its members busy with it).
    Dates, not the period column: the GiST index leads with expert_id, and a scan of every expert's periods
    is slower than reading the dates (see bench/bench_matching.py).
    """
    condition = ((Deployment.status != DeploymentStatus.CANCELLED)
                 & (Deployment.start_date <= end) & (Deployment.end_date >= start))
    if ignore_request_id is not None:
        condition = condition & Deployment.surge_request_id.is_distinct_from(ignore_request_id)
    return condition


def absence_blocks(start: date | ColumnElement[date], end: date | ColumnElement[date]) -> ColumnElement[bool]:
    """The condition on an unavailability row that makes its expert absent in ``[start, end]``."""
    return (Unavailability.start_date <= end) & (Unavailability.end_date >= start)


def deployed_during(start: date, end: date, *, ignore_request_id: int | None = None) -> ColumnElement[bool]:
    """The expert has a deployment, in any status but cancelled, overlapping ``[start, end]``."""
    return exists().where(Deployment.expert_id == Expert.id,
                          deployment_blocks(start, end, ignore_request_id=ignore_request_id))


def absent_during(start: date, end: date) -> ColumnElement[bool]:
    """The expert has leave, training, medical or other absence overlapping ``[start, end]``."""
    return exists().where(Unavailability.expert_id == Expert.id, absence_blocks(start, end))


def free_during(start: date, end: date, *, ignore_request_id: int | None = None) -> ColumnElement[bool]:
    """Active, and neither deployed nor absent on any day of ``[start, end]``: available_on for a whole period."""
    return ((Expert.status == ExpertStatus.ACTIVE)
            & ~deployed_during(start, end, ignore_request_id=ignore_request_id)
            & ~absent_during(start, end))
