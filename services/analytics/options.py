"""The choices the operations map's filters offer, read from the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from models import Capacity, Country, Deployment, Mission, Skill
from services.reference_data import localized_column


@dataclass(frozen=True)
class FilterOptions:
    capacities: list[tuple[str, str]]  # (code, name)
    missions: list[tuple[str, str]]  # (acronym, name): active ones and any with a deployment
    regions: list[str]
    countries: list[tuple[str, str]]  # (iso3, name)
    skills: list[tuple[str, str, str]]  # (code, name, area)


def filter_options(session: Session, locale: str = "en") -> FilterOptions:
    skill_name = localized_column(Skill, locale)
    country_name = localized_column(Country, locale)
    return FilterOptions(
        capacities=[(c, n) for c, n in session.execute(
            select(Capacity.code, localized_column(Capacity, locale)).order_by(Capacity.code))],
        missions=[(a, n) for a, n in session.execute(
            select(Mission.acronym, localized_column(Mission, locale))
            .where(Mission.active.is_(True) | exists().where(Deployment.mission_id == Mission.id))
            .order_by(Mission.acronym))],
        regions=[r for (r,) in session.execute(
            select(func.distinct(Country.region)).where(Country.region.is_not(None)).order_by(Country.region))],
        countries=[(i, n) for i, n in session.execute(select(Country.code, country_name).order_by(country_name))],
        skills=[(c, n, a) for c, n, a in session.execute(
            select(Skill.code, skill_name, Skill.area).order_by(Skill.area, skill_name))],
    )
