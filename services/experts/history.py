"""Who changed an expert's record, from the audit log: the planner's view of what experts keep themselves.

Every write of services.experts.records leaves an audit event (entity ``expert``) naming its actor; an event
whose actor is the user linked to that very expert is the expert's own change (self-service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from models import AuditEvent, Expert, User
from models.enums import Role
from services.access import Permission, Principal


@dataclass(frozen=True)
class Change:
    at: datetime
    action: str  # expert.absences.add ...
    username: str | None
    by_expert: bool  # the expert themself (through their own expert user)
    parts: tuple[str, ...]  # the parts or fields changed: "absences", "languages", "profile"
    expert_id: int
    expert_name: str | None = None


def _parts(detail: dict[str, Any]) -> tuple[str, ...]:
    changed = (detail or {}).get("changes") or {}
    names = {key.split(".", 1)[0] if "." in key else "profile" for key in changed}
    return tuple(sorted(names))


def record_changes(session: Session, principal: Principal, expert_id: int, *, limit: int = 15) -> list[Change]:
    """The latest changes of one expert's record, newest first (planners: personnel detail)."""
    principal.require(Permission.VIEW_PERSONNEL_DETAIL)
    own_user = select(User.id).where(User.expert_id == expert_id).scalar_subquery()
    rows = session.execute(
        select(AuditEvent.at, AuditEvent.action, AuditEvent.username, AuditEvent.detail,
               (AuditEvent.user_id == own_user).label("by_expert"))
        .where(AuditEvent.entity == "expert", AuditEvent.entity_id == str(expert_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    return [Change(at, action, username, bool(by_expert), _parts(detail), expert_id)
            for at, action, username, detail, by_expert in rows]


def self_service_changes(session: Session, principal: Principal, *, days: int = 30,
                         limit: int = 50) -> list[Change]:
    """Changes experts made to their own records in the last ``days`` days, newest first."""
    principal.require(Permission.VIEW_PERSONNEL_DETAIL)
    since = datetime.now(UTC) - timedelta(days=days)
    rows = session.execute(
        select(AuditEvent.at, AuditEvent.action, AuditEvent.username, AuditEvent.detail, Expert.id,
               (Expert.given_name + " " + Expert.family_name).label("name"))
        .join(User, User.id == AuditEvent.user_id)
        .join(Expert, cast(Expert.id, String) == AuditEvent.entity_id)
        .where(AuditEvent.entity == "expert", AuditEvent.at >= since, User.role == Role.EXPERT,
               User.expert_id == Expert.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    return [Change(at, action, username, True, _parts(detail), expert_id, name)
            for at, action, username, detail, expert_id, name in rows]
