"""Ended sessions. A session cookie is signed, not stored, so ending one means remembering its id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from models.auth import RevokedSession

# A cookie older than this is refused anyway (its idle stamp has expired), so older rows can go.
KEEP = timedelta(days=2)


def revoke(session: Session, sid: str, user_id: int | None) -> None:
    session.execute(insert(RevokedSession).values(sid=sid, user_id=user_id).on_conflict_do_nothing())
    session.execute(delete(RevokedSession).where(RevokedSession.revoked_at < datetime.now(UTC) - KEEP))


def is_revoked(session: Session, sid: str) -> bool:
    return bool(session.scalar(select(exists().where(RevokedSession.sid == sid))))
