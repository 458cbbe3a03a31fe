"""Engine and session factory, and the one transaction scope a request or a command uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

# A database that does not answer (a host down, a firewall dropping packets) fails a request within seconds, so
# it gets the outage page (503) instead of holding a worker for the kernel's TCP timeout of minutes.
CONNECT_TIMEOUT_S = 5
POOL_TIMEOUT_S = 10  # waiting for a free connection when all are busy


def make_engine(url: str, **kwargs: object) -> Engine:
    options: dict[str, object] = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10,
                                  "pool_timeout": POOL_TIMEOUT_S}
    if url.startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
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
