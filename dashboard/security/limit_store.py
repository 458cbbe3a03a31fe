"""Rate-limit counters in PostgreSQL, so that a limit holds across gunicorn workers and hosts with no Redis.

The ``limits`` library (under Flask-Limiter) ships memory, Redis, Memcached and MongoDB storages, none for
PostgreSQL; this is the part of its ``Storage`` interface that the fixed-window strategy uses. It registers
itself for ``postgresql://`` and ``postgresql+psycopg://`` URIs when this module is imported.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any, ClassVar

from limits.storage import Storage
from sqlalchemy import Engine, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from models.db import make_engine
from models.rate_limit import RateLimitCounter

# Expired windows are deleted at most this often per process (the table holds one row a client and window).
PRUNE_EVERY_SECONDS = 60.0

_table = RateLimitCounter.__table__


class PostgresStorage(Storage):
    """Fixed-window counters in the UNLOGGED table ``rate_limit_counter`` (migration 0011).

    Each call is one statement in its own transaction, committed at once, apart from the request's session.
    Times are the database's, so hosts with different clocks count the same window.
    """

    STORAGE_SCHEME: ClassVar[list[str]] = ["postgresql", "postgresql+psycopg"]  # type: ignore[misc]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, engine: Engine | None = None,
                 **options: Any) -> None:
        super().__init__(uri, wrap_exceptions, **options)
        if engine is None:
            if not uri:
                raise ValueError("PostgresStorage needs a database URI or an engine")
            engine = make_engine(make_url(uri).set(drivername="postgresql+psycopg").render_as_string(False),
                                 pool_size=2, max_overflow=2)
        self.engine = engine
        self._pruned_at = 0.0
        self._prune_lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def _due_for_pruning(self) -> bool:
        with self._prune_lock:
            now = time.monotonic()
            if now - self._pruned_at < PRUNE_EVERY_SECONDS:
                return False
            self._pruned_at = now
            return True

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Adds ``amount`` to the key's window, or starts a new window of ``expiry`` seconds if there is none
        or it has ended; returns the count. One atomic upsert: concurrent workers never lose an attempt."""
        stmt = insert(_table).values(key=key, count=amount, expires_at=func.now() + timedelta(seconds=expiry))
        ended = _table.c.expires_at <= func.now()
        stmt = stmt.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={"count": case((ended, stmt.excluded["count"]), else_=_table.c["count"] + stmt.excluded["count"]),
                  "expires_at": case((ended, stmt.excluded.expires_at), else_=_table.c.expires_at)},
        ).returning(_table.c["count"])
        with self.engine.begin() as conn:
            if self._due_for_pruning():
                conn.execute(delete(_table).where(_table.c.expires_at < func.now()))
            return int(conn.execute(stmt).scalar_one())

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            count = conn.execute(select(_table.c["count"]).where(_table.c.key == key,
                                                              _table.c.expires_at > func.now())).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (seconds since the epoch); now if it has none."""
        ends = (select(_table.c.expires_at).where(_table.c.key == key, _table.c.expires_at > func.now())
                .scalar_subquery())
        with self.engine.connect() as conn:
            return float(conn.execute(select(func.extract("epoch", func.coalesce(ends, func.now())))).scalar_one())

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(_table)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(_table).where(_table.c.key == key))
