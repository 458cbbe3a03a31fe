"""The data versions (models.data_version) a transaction sees: the map cache's key and the columnar copy's test."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import DataVersion


def data_versions(session: Session, tables: Sequence[str] | None = None) -> tuple[dict[str, int], bool]:
    """The counters this transaction sees, and whether it has written nothing yet (then they are committed
    data; a transaction that wrote sees its own uncommitted rows, which no copy or kept answer holds)."""
    stmt = select(DataVersion.table_name, DataVersion.version, func.pg_current_xact_id_if_assigned().is_(None))
    if tables is not None:
        stmt = stmt.where(DataVersion.table_name.in_(tables))
    rows = session.execute(stmt).all()
    clean = all(row[2] for row in rows) if rows else bool(
        session.scalar(select(func.pg_current_xact_id_if_assigned().is_(None))))
    return {name: int(version) for name, version, _ in rows}, clean
