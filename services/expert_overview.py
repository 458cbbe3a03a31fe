"""The experts list: profile, skills, languages and today's status, with names only for roles allowed to see them.

The name is left out of the query itself for other roles, so it cannot leak through the grid's data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from models import (
    Capacity,
    Country,
    Deployment,
    Expert,
    ExpertLanguage,
    ExpertSkill,
    Language,
    Mission,
    Skill,
)
from models.enums import DeploymentStatus, ExpertStatus
from services.access import Permission, Principal
from services.availability import absent_on, covers
from services.reference_data import localized_column, localized_name


class ExpertState(enum.StrEnum):
    DEPLOYED = "deployed"
    UNAVAILABLE = "unavailable"
    AVAILABLE = "available"


@dataclass(frozen=True)
class ExpertFilter:
    capacity_id: int | None = None
    skill_id: int | None = None
    language_code: str | None = None
    available_only: bool = False


@dataclass(frozen=True)
class ExpertTable:
    """Rows as plain dicts for the grid; ``columns`` lists the keys this principal receives, in display order."""

    columns: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Option:
    value: int | str
    label: str


@dataclass(frozen=True)
class ExpertFilterOptions:
    capacities: list[Option]
    skills: list[Option]
    languages: list[Option]


def _state(day: date) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The mission an expert is deployed to on ``day`` (or NULL), and the expert's state that day."""
    mission_now = (
        select(Mission.acronym)
        .join(Deployment, Deployment.mission_id == Mission.id)
        .where(
            Deployment.expert_id == Expert.id,
            Deployment.status != DeploymentStatus.CANCELLED,
            covers(Deployment.period, day),
        )
        .order_by(Deployment.start_date.desc())
        .limit(1)
        .scalar_subquery()
    )
    # Same rule as services.key_figures: deployed wins, then absence or a non-active status.
    state = case(
        (mission_now.is_not(None), literal(ExpertState.DEPLOYED.value)),
        (or_(absent_on(day), Expert.status != ExpertStatus.ACTIVE), literal(ExpertState.UNAVAILABLE.value)),
        else_=literal(ExpertState.AVAILABLE.value),
    )
    return mission_now, state


def _query(principal: Principal, filters: ExpertFilter, day: date,
           locale: str) -> tuple[Select[*tuple[Any, ...]], tuple[str, ...]]:
    skill_name = localized_column(Skill, locale)
    skills = (
        select(func.string_agg(skill_name, literal(", ")).aggregate_order_by(skill_name))
        .select_from(ExpertSkill)
        .join(Skill, Skill.id == ExpertSkill.skill_id)
        .where(ExpertSkill.expert_id == Expert.id)
        .scalar_subquery()
    )
    language_label = func.upper(ExpertLanguage.language_code).concat(" ").concat(ExpertLanguage.level)
    languages = (
        select(func.string_agg(language_label, literal(", ")).aggregate_order_by(ExpertLanguage.language_code))
        .where(ExpertLanguage.expert_id == Expert.id)
        .scalar_subquery()
    )
    nationality = localized_column(Country, locale)
    mission_now, state = _state(day)

    # The grid's columns in display order; services.access.EXPERT_FIELD_RULES decides which this role gets.
    candidates: list[tuple[str, Any]] = [
        ("id", Expert.id),  # the link to the expert's page, for roles that see who it is
        ("name", Expert.family_name.concat(", ").concat(Expert.given_name)),
        ("capacity", Capacity.code),
        ("gender", Expert.gender),
        ("nationality", nationality),
        ("grade", Expert.grade),
        ("skills", func.coalesce(skills, "")),
        ("languages", func.coalesce(languages, "")),
        ("status", state),
        ("mission", mission_now),
    ]
    allowed = principal.expert_fields()
    columns = [(key, expr) for key, expr in candidates if key in allowed]
    query = (
        select(*(expr.label(key) for key, expr in columns))
        .join(Capacity, Capacity.id == Expert.capacity_id)
        .outerjoin(Country, Country.iso3 == Expert.nationality_iso3)
        .where(Expert.status != ExpertStatus.SEPARATED)
    )
    conditions: list[ColumnElement[bool]] = []
    if filters.capacity_id:
        conditions.append(Expert.capacity_id == filters.capacity_id)
    if filters.skill_id and "skills" in allowed:  # a filter on a field one may not see would tell it
        conditions.append(exists().where(ExpertSkill.expert_id == Expert.id, ExpertSkill.skill_id == filters.skill_id))
    if filters.language_code and "languages" in allowed:
        conditions.append(exists().where(ExpertLanguage.expert_id == Expert.id,
                                         ExpertLanguage.language_code == filters.language_code))
    if filters.available_only:
        conditions.append(state == ExpertState.AVAILABLE.value)
    if conditions:
        query = query.where(and_(*conditions))
    names_first = [Expert.family_name, Expert.given_name] if "name" in allowed else []
    query = query.order_by(Capacity.code, *names_first, Expert.id)
    return query, tuple(key for key, _expr in columns)


def expert_overview(
    session: Session,
    principal: Principal,
    filters: ExpertFilter | None = None,
    as_of: date | None = None,
    locale: str = "en",
) -> ExpertTable:
    """Experts who have not separated, as of ``as_of`` (today by default). Raises Forbidden without VIEW_OPERATIONS."""
    principal.require(Permission.VIEW_OPERATIONS)
    query, columns = _query(principal, filters or ExpertFilter(), as_of or date.today(), locale)
    rows = [dict(row._mapping) for row in session.execute(query)]
    for row in rows:
        row["gender"] = str(row["gender"])
    return ExpertTable(columns=columns, rows=rows)


def expert_filter_options(session: Session, locale: str = "en") -> ExpertFilterOptions:
    skill_name = localized_column(Skill, locale)
    capacities = session.execute(select(Capacity.id, Capacity.code, localized_column(Capacity, locale))
                                 .order_by(Capacity.code)).all()
    skills = session.execute(select(Skill.id, skill_name).order_by(skill_name)).all()
    # Only languages somebody speaks: the reference list is long.
    languages = session.execute(
        select(Language.code, Language.name, Language.is_un_official)
        .where(exists().where(ExpertLanguage.language_code == Language.code))
    ).all()
    return ExpertFilterOptions(
        capacities=[Option(cid, f"{code} · {name}") for cid, code, name in capacities],
        skills=[Option(sid, name) for sid, name in skills],
        languages=sorted((Option(lang.code, localized_name(lang._asdict(), locale)) for lang in languages),
                         key=lambda o: o.label),
    )
