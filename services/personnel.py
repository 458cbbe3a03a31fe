"""Experts as a principal may see them, by the one field rule (services.access.EXPERT_FIELD_RULES) that the
experts page reads too, so every caller (API, pages, exports) gets the same answer and a role never receives a
field it may not see, whatever the schema above does.

- VIEW_OPERATIONS: capacity, team, gender, nationality, duty station, title, status (no identifier);
- + VIEW_PERSON_NAMES: the expert's id and names;
- + VIEW_PERSONNEL_DETAIL: staff number, grade, contract, email, entry on duty, skills, languages and
  clearances with their levels and expiry.
The briefing role (VIEW_AGGREGATES only) is refused: it never receives a person's record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, exists, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from models import (
    Capacity,
    ClearanceType,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    ExpertSkill,
    Language,
    Skill,
    Team,
)
from models.enums import Gender
from services.access import Permission, Principal
from services.availability import available_on
from services.catalog import EMPTY_JSON_ARRAY, Page, Paging, count_of, json_object
from services.errors import Forbidden, NotFound


@dataclass(frozen=True)
class ExpertFilter:
    capacity: str | None = None  # capacity code, e.g. SPC, JCSC
    skill: str | None = None  # skill code from the taxonomy
    language: str | None = None  # ISO 639 code
    gender: Gender | None = None
    available_on: date | None = None  # active, not deployed and not absent that day
    paging: Paging = field(default_factory=Paging)


def _skills() -> ColumnElement[Any]:
    item = json_object([("code", Skill.code), ("name", Skill.name), ("area", Skill.area),
                        ("level", ExpertSkill.level)])
    return (
        select(func.coalesce(func.json_agg(aggregate_order_by(item, Skill.code)), EMPTY_JSON_ARRAY))
        .select_from(ExpertSkill).join(Skill, Skill.id == ExpertSkill.skill_id)
        .where(ExpertSkill.expert_id == Expert.id)
        .scalar_subquery()
    )


def _languages() -> ColumnElement[Any]:
    item = json_object([("code", Language.code), ("name", Language.name), ("level", ExpertLanguage.level)])
    return (
        select(func.coalesce(func.json_agg(aggregate_order_by(item, Language.code)), EMPTY_JSON_ARRAY))
        .select_from(ExpertLanguage).join(Language, Language.code == ExpertLanguage.language_code)
        .where(ExpertLanguage.expert_id == Expert.id)
        .scalar_subquery()
    )


def _clearances() -> ColumnElement[Any]:
    item = json_object([
        ("code", ClearanceType.code), ("name", ClearanceType.name), ("is_training", ClearanceType.is_training),
        ("obtained_on", ExpertClearance.obtained_on), ("valid_until", ExpertClearance.valid_until),
    ])
    return (
        select(func.coalesce(func.json_agg(aggregate_order_by(item, ClearanceType.code)), EMPTY_JSON_ARRAY))
        .select_from(ExpertClearance).join(ClearanceType, ClearanceType.id == ExpertClearance.clearance_type_id)
        .where(ExpertClearance.expert_id == Expert.id)
        .scalar_subquery()
    )


def _columns() -> dict[str, list[SQLColumnExpression[Any]]]:
    """Each field of services.access.EXPERT_FIELD_RULES as the API's columns (nationality as its ISO3 code)."""
    return {
        "id": [Expert.id], "given_name": [Expert.given_name], "family_name": [Expert.family_name],
        "name": [(Expert.given_name + " " + Expert.family_name).label("name")],
        "capacity": [Capacity.code.label("capacity")], "team": [Team.name.label("team")], "gender": [Expert.gender],
        "nationality": [Expert.nationality_iso3], "duty_station": [Expert.duty_station],
        "functional_title": [Expert.functional_title], "status": [Expert.status],
        "staff_number": [Expert.staff_number], "grade": [Expert.grade], "contract_type": [Expert.contract_type],
        "email": [Expert.email], "entry_on_duty": [Expert.entry_on_duty], "skills": [_skills().label("skills")],
        "languages": [_languages().label("languages")], "clearances": [_clearances().label("clearances")],
    }


def visible_columns(principal: Principal) -> list[SQLColumnExpression[Any]]:
    """The columns this principal may read (services.access.EXPERT_FIELD_RULES), and only those: what is not
    selected cannot leak."""
    principal.require(Permission.VIEW_OPERATIONS)
    allowed = principal.expert_fields()
    return [column for name, columns in _columns().items() if name in allowed for column in columns]


def _base(principal: Principal) -> Select[Any]:
    return _select(visible_columns(principal))


def own_expert(session: Session, principal: Principal) -> dict[str, Any]:
    """An expert user's own record, every field of EXPERT_FIELD_RULES (it is theirs); no other expert's."""
    expert_id = principal.own_expert()
    columns = [column for columns in _columns().values() for column in columns]
    row = session.execute(_select(columns).where(Expert.id == expert_id)).mappings().one_or_none()
    if row is None:
        raise NotFound(f"No expert with id {expert_id}.")
    return _row(row)


def _select(columns: list[SQLColumnExpression[Any]]) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Expert)
        .join(Capacity, Capacity.id == Expert.capacity_id)
        .outerjoin(Team, Team.id == Expert.team_id)
    )


def _row(row: Any) -> dict[str, Any]:
    # Enums out as their plain values, so the answer is the same whichever layer serialises it.
    return {key: getattr(value, "value", value) for key, value in row.items()}


def _known(session: Session, stmt: Select[Any], what: str, code: str) -> None:
    if session.scalar(stmt) is None:
        raise NotFound(f"No {what} with code {code!r}.")


def list_experts(session: Session, principal: Principal, filt: ExpertFilter) -> Page[dict[str, Any]]:
    stmt = _base(principal)
    if filt.capacity:
        code = filt.capacity.strip().upper()
        _known(session, select(Capacity.id).where(Capacity.code == code), "capacity", filt.capacity)
        stmt = stmt.where(Capacity.code == code)
    # Filtering by a field one may not see would tell it (who speaks French): the same rule applies.
    for name, value in (("skills", filt.skill), ("languages", filt.language)):
        if value and not principal.sees_expert_field(name):
            raise Forbidden(f"Your role ({principal.role.value}) may not see experts' {name}, nor filter by them.")
    if filt.skill:
        code = filt.skill.strip()
        _known(session, select(Skill.id).where(Skill.code == code), "skill", filt.skill)
        stmt = stmt.where(
            exists().where(ExpertSkill.expert_id == Expert.id, ExpertSkill.skill_id == Skill.id, Skill.code == code)
        )
    if filt.language:
        code = filt.language.strip().lower()
        _known(session, select(Language.code).where(Language.code == code), "language", filt.language)
        stmt = stmt.where(
            exists().where(ExpertLanguage.expert_id == Expert.id, ExpertLanguage.language_code == code)
        )
    if filt.gender is not None:
        stmt = stmt.where(Expert.gender == filt.gender)
    if filt.available_on is not None:
        stmt = stmt.where(available_on(filt.available_on))
    total = count_of(session, stmt)
    rows = session.execute(
        stmt.order_by(Expert.family_name, Expert.given_name, Expert.id)
        .limit(filt.paging.limit).offset(filt.paging.offset)
    ).mappings()
    return Page([_row(r) for r in rows], total, filt.paging.limit, filt.paging.offset)


def get_expert(session: Session, principal: Principal, expert_id: int) -> dict[str, Any]:
    row = session.execute(_base(principal).where(Expert.id == expert_id)).mappings().one_or_none()
    if row is None:
        raise NotFound(f"No expert with id {expert_id}.")
    return _row(row)
