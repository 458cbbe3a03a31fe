"""The hub's headline numbers, computed in SQL for one day (today by default).

"Experts deployed" is services.analytics.personnel.deployed_on_day, the operations map's and the briefing's
count too: an expert is deployed on a day when a deployment of theirs that is not cancelled covers it, whatever
their status today (an expert separated since still was where they were).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from models import Capacity, Expert, Mission, SurgeRequest
from models.enums import ExpertStatus, SurgeStatus
from services.analytics.filters import MapFilter
from services.analytics.personnel import deployed_on_day
from services.availability import available_on

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


def key_figures(session: Session, as_of: date | None = None, capacity_id: int | None = None) -> KeyFigures:
    day = as_of or date.today()
    active = and_(
        Expert.status != ExpertStatus.SEPARATED, *([Expert.capacity_id == capacity_id] if capacity_id else [])
    )
    row = session.execute(select(func.count().filter(available_on(day)), func.count()).where(active)).one()
    surge = select(func.count()).select_from(SurgeRequest).where(SurgeRequest.status.in_(OPEN_SURGE_STATUSES))
    if capacity_id:
        surge = surge.where(SurgeRequest.capacity_id == capacity_id)
    missions = select(func.count()).select_from(Mission).where(Mission.active.is_(True))
    return KeyFigures(
        as_of=day,
        experts_deployed=experts_deployed_on(session, day, capacity_id),
        experts_available=row[0],
        experts_total=row[1],
        open_surge_requests=session.scalar(surge) or 0,
        active_missions=session.scalar(missions) or 0,
    )


def experts_deployed_on(session: Session, day: date, capacity_id: int | None = None) -> int:
    """Experts deployed on the day (of one capacity): the map's rule, so home, map and briefing agree."""
    codes: tuple[str, ...] = ()
    if capacity_id:
        codes = tuple(session.scalars(select(Capacity.code).where(Capacity.id == capacity_id))) or ("",)
    return deployed_on_day(session, MapFilter(start=day, end=day, as_of=day, capacity=codes))
