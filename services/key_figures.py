"""The hub's headline numbers, computed in SQL for one day (today by default)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import and_, exists, func, literal, select
from sqlalchemy.orm import Session

from models import Deployment, Expert, Mission, SurgeRequest, Unavailability
from models.enums import DeploymentStatus, ExpertStatus, SurgeStatus

OPEN_SURGE_STATUSES = (
    SurgeStatus.RECEIVED,
    SurgeStatus.UNDER_REVIEW,
    SurgeStatus.CANDIDATES_PROPOSED,
    SurgeStatus.APPROVED,
)


@dataclass(frozen=True)
class KeyFigures:
    as_of: date
    experts_deployed: int
    experts_available: int
    experts_total: int
    open_surge_requests: int
    active_missions: int

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data


def _covers(period_col, day: date):  # type: ignore[no-untyped-def]
    return period_col.op("@>")(literal(day))


def key_figures(session: Session, as_of: date | None = None, capacity_id: int | None = None) -> KeyFigures:
    day = as_of or date.today()
    deployed_now = exists().where(
        Deployment.expert_id == Expert.id,
        Deployment.status != DeploymentStatus.CANCELLED,
        _covers(Deployment.period, day),
    )
    absent_now = exists().where(Unavailability.expert_id == Expert.id, _covers(Unavailability.period, day))
    active = and_(
        Expert.status != ExpertStatus.SEPARATED, *([Expert.capacity_id == capacity_id] if capacity_id else [])
    )
    row = session.execute(
        select(
            func.count().filter(deployed_now),
            func.count().filter(~deployed_now, ~absent_now, Expert.status == ExpertStatus.ACTIVE),
            func.count(),
        ).where(active)
    ).one()
    surge = select(func.count()).select_from(SurgeRequest).where(SurgeRequest.status.in_(OPEN_SURGE_STATUSES))
    if capacity_id:
        surge = surge.where(SurgeRequest.capacity_id == capacity_id)
    missions = select(func.count()).select_from(Mission).where(Mission.active.is_(True))
    return KeyFigures(
        as_of=day,
        experts_deployed=row[0],
        experts_available=row[1],
        experts_total=row[2],
        open_surge_requests=session.scalar(surge) or 0,
        active_missions=session.scalar(missions) or 0,
    )
