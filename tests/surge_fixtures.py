"""Hand-made experts, skills and requests for the surge tests (inside the test's rolled-back transaction)."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Capacity,
    ClearanceType,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    ExpertSkill,
    Mission,
    Skill,
    mission_host_country,
)
from models.enums import ContractType, ExpertStatus, Gender, LanguageLevel, Role
from services.access import Principal

# Far enough ahead that no generated deployment or absence reaches it.
START, END = date(2031, 3, 1), date(2031, 4, 29)


def planner(session: Session, role: Role = Role.PLANNER) -> Principal:
    from services.users import create_user

    user = create_user(session, f"t-surge-{secrets.token_hex(4)}", role, secrets.token_urlsafe(12))
    session.flush()
    return Principal(user.id, user.username, role)


def mission_id(session: Session) -> int:
    """An active mission with a host country (so the region component has something to match)."""
    return session.scalar(select(Mission.id).join(mission_host_country, mission_host_country.c.mission_id == Mission.id)
                          .where(Mission.active.is_(True)).order_by(Mission.acronym).limit(1))


def capacity_id(session: Session, code: str) -> int:
    return session.scalar(select(Capacity.id).where(Capacity.code == code))


def skill(session: Session, code: str, name_fr: str | None = None) -> Skill:
    """A skill no generated expert has, so only hand-made experts score on it."""
    row = Skill(code=f"t_{code}_{secrets.token_hex(3)}", name=f"Test {code}", name_fr=name_fr, area="cross_cutting")
    session.add(row)
    session.flush()
    return row


def expert(session: Session, *, gender: Gender = Gender.FEMALE, skills: dict[int, int] | None = None,
           languages: dict[str, str] | None = None, status: ExpertStatus = ExpertStatus.ACTIVE,
           clearances: dict[str, tuple[date, date | None]] | None = None, nationality: str | None = None,
           capacity: str = "JCSC") -> Expert:
    capacity_id = session.scalar(select(Capacity.id).where(Capacity.code == capacity))
    row = Expert(staff_number=f"T-{secrets.token_hex(5)}", given_name="Test", family_name=secrets.token_hex(4),
                 gender=gender, capacity_id=capacity_id, contract_type=ContractType.FIXED_TERM, status=status,
                 nationality_iso3=nationality)
    session.add(row)
    session.flush()
    for skill_id, level in (skills or {}).items():
        session.add(ExpertSkill(expert_id=row.id, skill_id=skill_id, level=level))
    for code, level in (languages or {"en": "C1"}).items():
        session.add(ExpertLanguage(expert_id=row.id, language_code=code, level=LanguageLevel(level)))
    if clearances is None:  # the default required ones, valid well beyond the test period
        clearances = {"MEDICAL": (date(2030, 1, 1), date(2033, 1, 1)), "SECURITY": (date(2030, 1, 1), None)}
    for code, (obtained, until) in clearances.items():
        type_id = session.scalar(select(ClearanceType.id).where(ClearanceType.code == code))
        session.add(ExpertClearance(expert_id=row.id, clearance_type_id=type_id, obtained_on=obtained,
                                    valid_until=until))
    session.flush()
    return row
