"""Safe edits: a record's version, the refusal of a stale one (with who changed what), and the audit of
every write with its before and after values."""

from __future__ import annotations

import decimal
import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.auth import AuditEvent
from models.errors import Conflict, ValidationError
from services import audit
from services.access import Principal
from services.records.problems import Problem


def json_value(value: Any) -> Any:
    """A value as the audit log keeps it: dates ISO, decimals as text (exact), enums by value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # a geometry's WKB element, an address: its text


def snapshot(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of a record (an ORM object or a mapping), JSON-safe."""
    if isinstance(obj, Mapping):
        return {name: json_value(obj.get(name)) for name in names}
    return {name: json_value(getattr(obj, name, None)) for name in names}


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What differs: ``{field: {"before": …, "after": …}}`` over the fields of either side."""
    out: dict[str, dict[str, Any]] = {}
    for name in [*before, *(k for k in after if k not in before)]:
        if before.get(name) == after.get(name):  # Decimal("1.10") == Decimal("1.1"): the same amount
            continue
        old, new = json_value(before.get(name)), json_value(after.get(name))
        if old != new:
            out[name] = {"before": old, "after": new}
    return out


class VersionRequired(ValidationError):
    """A change without the version it was made against: it cannot be told from a stale one."""

    status = 428
    title = "Precondition Required"

    def __init__(self, entity: str) -> None:
        self.problem = Problem("version", "version_required")
        super().__init__(f"A change to this {entity} needs the version you read: reload it and try again.")


class StaleEdit(Conflict):
    """Someone changed the record since this edit's version was read. ``by``/``at``/``fields`` say who,
    when and what (from the record's latest audit event); the caller shows them and keeps the user's input."""

    def __init__(self, entity: str, entity_id: object, *, current: int, expected: int, by: str | None,
                 at: datetime | None, fields: list[str]) -> None:
        self.entity, self.entity_id = entity, entity_id
        self.current, self.expected = current, expected
        self.by, self.at, self.fields = by, at, fields
        when = at.strftime("%Y-%m-%d %H:%M UTC") if at else "an unknown time"
        what = f" ({', '.join(fields)})" if fields else ""
        super().__init__(f"This {entity} was changed by {by or 'someone'} at {when}{what} since you read it "
                         f"(version {expected}, now {current}): reload it and make your change again.")

    @property
    def problem(self) -> Problem:
        return Problem("version", "stale", {"by": self.by or "?", "at": self.at.strftime("%Y-%m-%d %H:%M")
                                            if self.at else "?", "fields": ", ".join(self.fields) or "?"})


def last_change(session: Session, entity: str, entity_id: object) -> AuditEvent | None:
    return session.scalars(
        select(AuditEvent).where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1)
    ).first()


def check_version(session: Session, *, entity: str, entity_id: object, current: int,
                  expected: int | None) -> None:
    """Refuses a change made against another version than ``current`` (the caller then writes with
    SQLAlchemy's ``version_id_col``, which refuses a concurrent write between this check and the flush)."""
    if expected is None:
        raise VersionRequired(entity)
    if int(expected) == int(current):
        return
    event = last_change(session, entity, entity_id)
    fields = sorted((event.detail or {}).get("changes", {})) if event else []
    raise StaleEdit(entity, entity_id, current=current, expected=int(expected),
                    by=event.username if event else None, at=event.at if event else None, fields=fields)


def audit_change(session: Session, principal: Principal | None, action: str, *, entity: str, entity_id: object,
                 before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                 origin: audit.RequestOrigin | None = None, extra: Mapping[str, Any] | None = None) -> None:
    """One audit event for a write: ``changes`` holds each changed field's before and after; a creation
    keeps the new record (``created``), a deletion the old one (``deleted``). Nothing changed: no event."""
    detail = change_detail(before, after, extra)
    if detail is not None:
        audit.record(session, action, principal=principal, entity=entity, entity_id=entity_id, detail=detail,
                     origin=origin)


def change_detail(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                  extra: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The detail ``audit_change`` writes (None when nothing changed): for writers of many events at once."""
    detail: dict[str, Any] = dict(extra or {})
    if before is None and after is not None:
        detail["created"] = json_value(dict(after))
    elif after is None and before is not None:
        detail["deleted"] = json_value(dict(before))
    else:
        diff = changes(before or {}, after or {})
        if not diff:
            return None
        detail["changes"] = diff
    return detail


__all__ = ["StaleEdit", "VersionRequired", "audit_change", "change_detail", "changes", "check_version", "json_value",
           "last_change", "snapshot"]
