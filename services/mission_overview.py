"""The missions list: one row a mission, with its host countries, sites and experts deployed, counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import Session

from models import Country, Deployment, Mission, Site, mission_host_country
from models.enums import DeploymentStatus, MissionType
from services.availability import covers
from services.reference_data import localized_column


@dataclass(frozen=True)
class MissionRow:
    id: int
    acronym: str
    name: str
    mission_type: MissionType
    hq_city: str | None
    host_countries: str
    start_date: date | None
    end_date: date | None
    active: bool
    sites: int
    experts_deployed: int


def _query(day: date, locale: str) -> Select[*tuple[Any, ...]]:
    country_name = localized_column(Country, locale)
    # Correlated subqueries rather than joins: three one-to-many joins would multiply each other's rows.
    hosts = (
        select(func.string_agg(country_name, literal(", ")).aggregate_order_by(country_name))
        .select_from(mission_host_country.join(Country, Country.iso3 == mission_host_country.c.country_iso3))
        .where(mission_host_country.c.mission_id == Mission.id)
        .scalar_subquery()
    )
    sites = select(func.count(Site.id)).where(Site.mission_id == Mission.id).scalar_subquery()
    deployed = (
        select(func.count(func.distinct(Deployment.expert_id)))
        .where(
            Deployment.mission_id == Mission.id,
            Deployment.status != DeploymentStatus.CANCELLED,
            covers(Deployment.period, day),
        )
        .scalar_subquery()
    )
    return select(
        Mission.id, Mission.acronym, localized_column(Mission, locale), Mission.mission_type, Mission.hq_city,
        func.coalesce(hosts, ""), Mission.start_date, Mission.end_date, Mission.active,
        func.coalesce(sites, 0), func.coalesce(deployed, 0),
    )


def mission_overview(
    session: Session, as_of: date | None = None, active_only: bool = False, locale: str = "en"
) -> list[MissionRow]:
    """Missions with their counts on ``as_of`` (today by default); active ones first, then by acronym."""
    query = _query(as_of or date.today(), locale)
    if active_only:
        query = query.where(Mission.active.is_(True))
    query = query.order_by(Mission.active.desc(), Mission.acronym)
    return [MissionRow(*tuple(row)) for row in session.execute(query).all()]
