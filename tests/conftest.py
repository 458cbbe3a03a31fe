"""Test fixtures: a real PostGIS database, rebuilt once per run, and a rolled-back transaction per test.

The database is ``hub_test`` in the embedded cluster (or HUB_TEST_DATABASE_URL). Once per run it is
created from empty with the Alembic migrations, then the reference data and a small demo data set are
committed as the baseline every test sees. Each test runs inside a transaction that is rolled back,
so nothing a test writes outlives it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, pool
from sqlalchemy.orm import Session

from models import migrate
from models.embedded_pg import EmbeddedPostgres
from models.settings import Settings

TEST_DB = "hub_test"
BASELINE_EXPERTS = 80


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(secret_key="test-secret-key-not-for-production", login_rate_limit="1000 per minute")


def _cluster(settings: Settings) -> EmbeddedPostgres:
    cluster = EmbeddedPostgres(settings.data_dir)
    cluster.start()
    return cluster


@pytest.fixture(scope="session")
def fresh_database(settings: Settings):
    """A factory of empty databases (dropped at the end of the run), for tests that need one from zero."""
    made: list[str] = []
    cluster = None if settings.test_database_url else _cluster(settings)

    def make(name: str) -> str:
        if cluster is None:
            pytest.skip("fresh databases need the embedded cluster (HUB_TEST_DATABASE_URL is set)")
        cluster.drop_database(name)
        cluster.ensure_database(name)
        made.append(name)
        return cluster.url(name)

    yield make
    for name in made:
        cluster.drop_database(name)  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def db_url(settings: Settings) -> str:
    if settings.test_database_url:
        url = settings.test_database_url
        migrate.downgrade(url)
    else:
        cluster = _cluster(settings)
        cluster.drop_database(TEST_DB)
        cluster.ensure_database(TEST_DB)
        url = cluster.url(TEST_DB)
    migrate.upgrade(url)
    _load_baseline(url)
    return url


def _load_baseline(url: str) -> None:
    from services.demo_data import load_demo
    from services.reference_data import load_reference

    engine = create_engine(url, poolclass=pool.NullPool)
    with Session(engine) as session, session.begin():
        load_reference(session)
        load_demo(session, experts=BASELINE_EXPERTS)
    engine.dispose()


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one outer transaction rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    sess = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield sess
    finally:
        sess.close()
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The real public data beside the project (../shared/data), for importer tests."""
    path = Path(os.environ.get("HUB_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path
