"""Codes the knowledge forms send (mission acronym, capacity code, country code, username) to database ids;
each unknown one is a Problem at its field, so a refusal lists it with the rule book's problems."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Capacity, Country, Deployment, Expert, Mission, User
from models.funding import Allocation
from services.records.problems import Problem


def mission_id(session: Session, acronym: str | None, field: str, problems: list[Problem]) -> int | None:
    if not acronym:
        return None
    found = session.scalar(select(Mission.id).where(func.upper(Mission.acronym) == acronym.strip().upper())
                           .order_by(Mission.id).limit(1))
    if found is None:
        problems.append(Problem(field, "unknown_mission", {"value": acronym}))
    return found


def capacity_id(session: Session, code: str | None, field: str, problems: list[Problem]) -> int | None:
    if not code:
        return None
    found = session.scalar(select(Capacity.id).where(Capacity.code == code.strip().upper()))
    if found is None:
        problems.append(Problem(field, "unknown_capacity", {"value": code}))
    return found


def country_key(session: Session, code: str | None, field: str, problems: list[Problem]) -> str | None:
    """The country's key (Natural Earth's iso3) for the ISO 3166 alpha-3 code a client sends."""
    if not code:
        return None
    found = session.scalar(select(Country.iso3).where(Country.named_by([code.strip().upper()]))
                           .order_by(Country.iso_a3.is_(None)).limit(1))
    if found is None:
        problems.append(Problem(field, "unknown_country", {"value": code}))
    return found


def user_id(session: Session, username: str | None, field: str, problems: list[Problem]) -> int | None:
    if not username:
        return None
    found = session.scalar(select(User.id).where(User.username == username.strip(), User.active.is_(True)))
    if found is None:
        problems.append(Problem(field, "unknown_user", {"value": username}))
    return found


def allocation_id(session: Session, value: int | None, field: str, problems: list[Problem]) -> int | None:
    if value is None:
        return None
    if session.get(Allocation, value) is None:
        problems.append(Problem(field, "unknown_record"))
        return None
    return value


def existing_ids(session: Session, model: Any, values: Mapping[int, int], field: str,
                 problems: list[Problem]) -> list[int]:
    """The ids (by their position in the list sent) that exist, in order; a Problem at ``field.k`` for the
    others."""
    if not values:
        return []
    known = set(session.scalars(select(model.id).where(model.id.in_(list(values.values())))))
    problems += [Problem(f"{field}.{k}", "unknown_record") for k, v in values.items() if v not in known]
    return [v for v in values.values() if v in known]


TEAM_MODELS = {"expert_ids": Expert, "deployment_ids": Deployment}
