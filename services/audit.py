"""The append-only audit log: every write and every export goes through record()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models.auth import AuditEvent
from services.access import Principal


@dataclass(frozen=True)
class RequestOrigin:
    remote_addr: str | None = None
    user_agent: str | None = None


def record(
    session: Session,
    action: str,
    *,
    principal: Principal | None = None,
    username: str | None = None,
    entity: str | None = None,
    entity_id: object = None,
    detail: dict[str, Any] | None = None,
    origin: RequestOrigin | None = None,
) -> None:
    origin = origin or RequestOrigin()
    session.add(
        AuditEvent(
            user_id=principal.user_id if principal else None,
            username=principal.username if principal else username,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail or {},
            remote_addr=origin.remote_addr,
            user_agent=(origin.user_agent or "")[:500] or None,
        )
    )
