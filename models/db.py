"""Engine and session factory, and the one transaction scope a request or a command uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

# A database that does not answer (a host down, a firewall dropping packets) fails a request within seconds, so
# it gets the outage page (503) instead of holding a worker for the kernel's TCP timeout of minutes.
CONNECT_TIMEOUT_S = 5
POOL_TIMEOUT_S = 10  # waiting for a free connection when all are busy


def make_engine(url: str, **kwargs: object) -> Engine:
    options: dict[str, object] = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10,
                                  "pool_timeout": POOL_TIMEOUT_S}
    if url.startswith("postgresql"):
        # No server-side prepared statements: psycopg prepares a statement run five times on a connection, and
        # PostgreSQL soon switches a prepared statement to a generic plan, which for the map's statements (dates,
        # a viewport, id lists) is slower than a plan made for the values (the map's layers statement, bench: p95
        # 55 ms prepared against 31 ms unprepared). Unprepared also suits a transaction-pooling proxy.
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S, "prepare_threshold": None}
    options.update(kwargs)
    return create_engine(url, **options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit when the block ends normally, roll back when it raises; services never commit."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# SQLSTATEs of a server that is gone or not accepting connections: class 08 (connection exception),
# admin_shutdown, crash_shutdown, cannot_connect_now. psycopg gives no SQLSTATE when it never connected.
_OUTAGE_STATES = ("57P01", "57P02", "57P03")


def is_outage(error: BaseException) -> bool:
    """True when ``error`` means the database cannot be reached (not a failed statement on a live server)."""
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig if error.orig is not None else error
    if not isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    state = getattr(error, "sqlstate", None)
    return state is None or state.startswith("08") or state in _OUTAGE_STATES


def first_line(error: BaseException) -> str:
    """An error's first line (a driver's message runs to several, with hints and the statement): what a one-line
    log or message about an unreachable database says; the error's type when it has no message."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
