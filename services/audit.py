"""The append-only audit log: every write and every export goes through record()."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models.auth import AuditEvent
from models.settings import AUDIT_EXPORT_LIMIT
from services.access import Permission, Principal


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


def record_many(
    session: Session,
    action: str,
    events: Iterable[tuple[object, dict[str, Any]]],
    *,
    principal: Principal | None = None,
    entity: str | None = None,
    origin: RequestOrigin | None = None,
) -> None:
    """Many events of one action, ``(entity_id, detail)`` each, as ``record`` writes them, in one COPY: an import
    of 10,000 records spent seconds making and flushing 10,000 ORM objects and INSERTs."""
    from psycopg.types.json import Jsonb

    origin = origin or RequestOrigin()
    user_id, username = (principal.user_id, principal.username) if principal else (None, None)
    agent = (origin.user_agent or "")[:500] or None
    connection = session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor, cursor.copy(
            "COPY audit_event (user_id, username, action, entity, entity_id, detail, remote_addr, user_agent) "
            "FROM STDIN") as copy:
        for entity_id, detail in events:
            copy.write_row((user_id, username, action, entity, None if entity_id is None else str(entity_id),
                            Jsonb(detail), origin.remote_addr, agent))


# --- reading the log (the administration page and its export) -----------------------------------------
@dataclass(frozen=True)
class AuditFilter:
    """What the audit page filters by; every field optional. ``until`` is inclusive (the whole day)."""

    who: str | None = None  # a username, or part of one
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    username: str | None
    action: str
    entity: str | None
    entity_id: str | None
    detail: dict[str, Any]
    remote_addr: str | None


PAGE_SIZE = 50


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(filt: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if filt.who and filt.who.strip():
        query = query.where(AuditEvent.username.ilike(f"%{_escape_like(filt.who.strip())}%", escape="\\"))
    if filt.action:
        query = query.where(AuditEvent.action == filt.action)
    if filt.entity:
        query = query.where(AuditEvent.entity == filt.entity)
    if filt.entity_id and filt.entity_id.strip():
        query = query.where(AuditEvent.entity_id == filt.entity_id.strip())
    if filt.since:
        query = query.where(AuditEvent.at >= datetime.combine(filt.since, time.min, UTC))
    if filt.until:
        query = query.where(AuditEvent.at < datetime.combine(filt.until + timedelta(days=1), time.min, UTC))
    return query


def _row(event: AuditEvent) -> AuditRow:
    return AuditRow(event.id, event.at, event.username, event.action, event.entity, event.entity_id,
                    event.detail or {}, None if event.remote_addr is None else str(event.remote_addr))


def events_page(session: Session, filt: AuditFilter, page: int = 1,
                page_size: int = PAGE_SIZE) -> tuple[list[AuditRow], int]:
    """One page of the filtered events, newest first, and how many match: only that page leaves the database."""
    page = max(page, 1)
    query = _filtered(filt)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    events = session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                             .offset((page - 1) * page_size).limit(page_size))
    return [_row(e) for e in events], total


def record_history(session: Session, entity: str, entity_id: str, limit: int = 500) -> list[AuditRow]:
    """A record's events, oldest first: how it came to be what it is."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
                             .order_by(AuditEvent.at, AuditEvent.id).limit(limit))
    return [_row(e) for e in events]


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def entities(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.entity).where(AuditEvent.entity.is_not(None)).distinct()
                                .order_by(AuditEvent.entity)))


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def changes(detail: dict[str, Any]) -> list[Change]:
    """The fields an event's before/after values differ in, by name (JSONB keeps no key order); empty for events
    without them."""
    before = detail.get("before") or {}
    after = detail.get("after") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    fields = sorted({*before, *after})
    return [Change(f, before.get(f), after.get(f)) for f in fields if before.get(f) != after.get(f)]


def export_rows(session: Session, filt: AuditFilter, principal: Principal,
                origin: RequestOrigin | None = None, fmt: str = "csv",
                limit: int = AUDIT_EXPORT_LIMIT) -> list[dict[str, Any]]:
    """The filtered events as rows for a spreadsheet (the newest ``limit``: a file a spreadsheet opens; narrow
    the filter for more), the export itself audited."""
    principal.require(Permission.VIEW_AUDIT)
    events = session.scalars(_filtered(filt).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                             .limit(limit))
    rows = [{"id": e.id, "at": e.at.isoformat(timespec="seconds"), "who": e.username or "", "action": e.action,
             "record_type": e.entity or "", "record_id": e.entity_id or "",
             "detail": json.dumps(e.detail or {}, ensure_ascii=False, sort_keys=True),
             "from": "" if e.remote_addr is None else str(e.remote_addr)} for e in events]
    record(session, "export", principal=principal, entity="audit_event", entity_id=fmt,
           detail={"filter": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(filt).items() if v},
                   "rows": len(rows)}, origin=origin)
    return rows
