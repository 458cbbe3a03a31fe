"""Key figures of the operations map for the current filter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import Capacity, Country, Mission, SurgeRequest, mission_host_country
from services.analytics.filters import MapFilter
from services.analytics.personnel import Utilisation, deployed_on_day, utilisation
from services.key_figures import OPEN_SURGE_STATUSES
from services.surge.service_level import ServiceLevel, service_level


@dataclass(frozen=True)
class MapFigures:
    deployed_now: int  # experts in scope deployed on the map's day
    open_surge_requests: int
    service_level: ServiceLevel  # days from request to deployment, requests received in the period
    utilisation: list[Utilisation]


def _missions(filt: MapFilter) -> Select[Any] | None:
    """Missions the filter names, or hosted in its regions or countries; None when it names none."""
    if not (filt.mission or filt.region or filt.country):
        return None
    stmt = select(Mission.id)
    if filt.mission:
        stmt = stmt.where(Mission.acronym.in_(filt.mission))
    if filt.region or filt.country:
        mhc = mission_host_country.c
        hosts = select(mhc.mission_id).join(Country, Country.iso3 == mhc.country_iso3)
        if filt.region:
            hosts = hosts.where(Country.region.in_(filt.region))
        if filt.country:
            hosts = hosts.where(Country.named_by(filt.country))
        stmt = stmt.where(Mission.id.in_(hosts))
    return stmt


def _mission_ids(session: Session, filt: MapFilter) -> list[int]:
    """The ids of _missions(filt); [] when it names none, [-1] (nothing) when it names no existing mission."""
    stmt = _missions(filt)
    if stmt is None:
        return []
    # -1 matches nothing: a filter that names no existing mission must not widen to every mission.
    return list(session.scalars(stmt)) or [-1]


def map_figures(session: Session, filt: MapFilter, *, deployed_now: int | None = None,
                utilisation_: list[Utilisation] | None = None,
                service_level_: Callable[..., ServiceLevel] = service_level) -> MapFigures:
    """The figures; a caller that has computed the day's count or the utilisation already passes them in, and
    ``service_level_`` may be the columnar copy's (the same arguments as services.surge.service_level's)."""
    in_scope = _missions(filt)
    surge = select(func.count()).select_from(SurgeRequest).where(SurgeRequest.status.in_(OPEN_SURGE_STATUSES))
    if filt.capacity:
        surge = surge.where(SurgeRequest.capacity_id.in_(select(Capacity.id).where(Capacity.code.in_(filt.capacity))))
    missions: list[int] = []
    if in_scope is None:
        open_requests = session.scalar(surge)
    else:
        # The missions' ids and the count in one statement.
        open_requests, ids = session.execute(select(
            surge.where(SurgeRequest.mission_id.in_(in_scope)).scalar_subquery(),
            select(func.array_agg(Mission.id)).where(Mission.id.in_(in_scope)).scalar_subquery())).one()
        # -1 matches nothing: a filter that names no existing mission must not widen to every mission.
        missions = list(ids or []) or [-1]
    return MapFigures(
        deployed_now=deployed_on_day(session, filt) if deployed_now is None else deployed_now,
        open_surge_requests=open_requests or 0,
        service_level=service_level_(session, capacity_codes=filt.capacity, mission_ids=missions,
                                     start=filt.start, end=filt.end),
        utilisation=utilisation(session, filt) if utilisation_ is None else utilisation_,
    )
