"""Whether an expert is deployed, absent or available on a day: one rule for every page, API and figure.

The expressions are correlated to ``Expert.id``, so they go in a query over experts (SELECT, WHERE, FILTER).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, exists, literal

from models import Deployment, Expert, Unavailability
from models.enums import DeploymentStatus, ExpertStatus


def covers(period: Any, day: date) -> ColumnElement[bool]:
    """``period @> day`` for the inclusive date ranges the database keeps (GiST-indexed by the exclusions)."""
    return period.op("@>")(literal(day))


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
