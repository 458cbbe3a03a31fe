"""Hand-made users and an assessment for the knowledge tests (inside the test's rolled-back transaction)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Assessment, Mission
from models.enums import Role
from services.access import Principal
from services.knowledge.assessments import create_assessment


def user(session: Session, role: Role) -> Principal:
    from services.users import create_user

    made = create_user(session, f"t-k-{role.value[:8]}-{secrets.token_hex(3)}", role, secrets.token_urlsafe(12))
    session.flush()
    return Principal(made.id, made.username, role)


@dataclass
class Knowledge:
    officer: Principal
    other_officer: Principal
    owner: Principal  # a viewer who owns recommendations
    viewer: Principal
    briefing: Principal
    mission: str
    tna: Assessment


@pytest.fixture(name="knowledge")
def knowledge_fixture(session: Session) -> Knowledge:
    officer = user(session, Role.ASSESSMENT_OFFICER)
    mission = session.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym)
                             .limit(1))
    tna = create_assessment(session, officer, {
        "kind": "technology_needs_assessment", "title": "Police technology needs, test", "mission": mission,
        "capacity": "SPC", "start": "2026-03-02", "end": "2026-03-06", "mode": "hybrid",
        "findings": "The police component lacks radios."})
    return Knowledge(officer=officer, other_officer=user(session, Role.ASSESSMENT_OFFICER),
                     owner=user(session, Role.VIEWER), viewer=user(session, Role.VIEWER),
                     briefing=user(session, Role.BRIEFING), mission=mission, tna=tna)
