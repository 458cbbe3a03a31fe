"""Test fixtures: a real PostGIS database, rebuilt once per run, and a rolled-back transaction per test.

The database is ``hub_test`` in the embedded cluster (or HUB_TEST_DATABASE_URL). Once per run it is
created from empty with the Alembic migrations, then the reference data and a small demo data set are
committed as the baseline every test sees; both as the owner (``owner_db_url``). Everything else (the app,
the services, the commands) runs as the app's role (``db_url``), which owns nothing, as in production.
Each test runs inside a transaction that is rolled back, so nothing a test writes outlives it. The baseline is
pinned (tests/factories.py: WORLD_TODAY, WORLD_SEED): the same world every day.
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
from tests.factories import BASELINE_EXPERTS, NATURAL_EARTH_DIR, WORLD_SEED, WORLD_TODAY, login

# Parallel runs on one machine (several developers, say) each set their own name.
TEST_DB = os.environ.get("HUB_TEST_DB", "hub_test")
# pytest-xdist's worker ("gw0", "gw1", ...) in a parallel run (`pytest -n 2`); None in a serial one.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _settings() -> Settings:
    return Settings(secret_key="test-secret-key-not-for-production", login_rate_limit="1000 per minute")


@pytest.fixture(scope="session")
def settings() -> Settings:
    return _settings()


def pytest_sessionstart(session: pytest.Session) -> None:
    """In a parallel run, the controller builds TEST_DB (migrated, baseline loaded) once, before the workers
    start; each worker then takes a copy of its own (``owner_db_url``), so their commits never meet."""
    if WORKER is not None or not session.config.pluginmanager.hasplugin("dsession"):
        return
    settings = _settings()
    if settings.test_database_url:
        raise pytest.UsageError("pytest -n needs the embedded cluster (copies of one database); "
                                "HUB_TEST_DATABASE_URL is set: run serially.")
    _build_test_database(settings)


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
        name = f"{name}_{WORKER}" if WORKER else name  # parallel workers share the cluster
        if cluster is None:
            pytest.skip("fresh databases need the embedded cluster (HUB_TEST_DATABASE_URL is set)")
        cluster.drop_database(name)
        cluster.ensure_database(name)
        made.append(name)
        return cluster.url(name)

    yield make
    for name in made:
        cluster.drop_database(name)  # type: ignore[union-attr]


def _test_urls(settings: Settings) -> tuple[str, str]:
    """(owner, app role) URLs of the test database."""
    if settings.test_database_url:
        return settings.test_migration_database_url or settings.test_database_url, settings.test_database_url
    cluster = _cluster(settings)
    name = f"{TEST_DB}_{WORKER}" if WORKER else TEST_DB
    return cluster.url(name), cluster.app_url(name)


def _build_test_database(settings: Settings) -> str:
    """TEST_DB from empty: the migrations, then the baseline; returns the owner's URL."""
    if settings.test_database_url:
        owner = settings.test_migration_database_url or settings.test_database_url
        app = settings.test_database_url
        migrate.downgrade(owner)
    else:
        cluster = _cluster(settings)
        owner, app = cluster.url(TEST_DB), cluster.app_url(TEST_DB)
        cluster.drop_database(TEST_DB)
        cluster.ensure_database(TEST_DB)
    migrate.upgrade(owner, app_role=migrate.app_role_of(app, owner))
    _load_baseline(owner)
    return owner


@pytest.fixture(scope="session")
def owner_db_url(settings: Settings) -> Iterator[str]:
    """The test database's owner: it ran the migrations and loaded the baseline; for tests that need DDL. A
    parallel worker gets a copy of the controller's TEST_DB (CREATE DATABASE ... TEMPLATE), dropped at its end."""
    if WORKER is None:
        yield _build_test_database(settings)
        return
    cluster = _cluster(settings)
    name = f"{TEST_DB}_{WORKER}"
    cluster.copy_database(TEST_DB, name)
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture(scope="session")
def db_url(settings: Settings, owner_db_url: str) -> str:
    """The app's role, as the running app connects: the app and the services in tests use it, so a grant the
    app lacks fails a test."""
    return _test_urls(settings)[1]


def _load_baseline(url: str) -> None:
    from services.demo_data import load_demo
    from services.reference_data import load_reference

    engine = create_engine(url, poolclass=pool.NullPool)
    with Session(engine) as session, session.begin():
        load_reference(session)
        load_demo(session, experts=BASELINE_EXPERTS, seed=WORLD_SEED, today=WORLD_TODAY)
    engine.dispose()


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session (as the app's role) whose commits are savepoints inside one outer transaction rolled back
    after the test."""
    yield from _rolled_back(engine)


@pytest.fixture
def owner_session(owner_db_url: str) -> Iterator[Session]:
    """The same as ``session``, as the schema's owner: for what only the owner may do (the database's own
    rules that hold even for it, say)."""
    eng = create_engine(owner_db_url, poolclass=pool.NullPool)
    try:
        yield from _rolled_back(eng)
    finally:
        eng.dispose()


def _rolled_back(engine: Engine) -> Iterator[Session]:
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
def natural_earth() -> Path:
    """The folder of the Natural Earth countries shapefile the hub ships (geo/data/naturalearth): importer, OGC
    and reference tests read it there, so none needs ../shared/data."""
    return NATURAL_EARTH_DIR


# --- the web app ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def app(settings: Settings, db_url: str):
    """One Dash app for the run (Dash pages register globally, once per process), on hub_test."""
    from app import create_app

    return create_app(settings, url=db_url)


@pytest.fixture(scope="session")
def server(app):
    return app.server


@pytest.fixture
def client(server):
    return server.test_client()


def _new_expert(s: Session, given: str = "Selfie", family: str | None = None) -> int:
    """A committed-to-be expert for a user of the expert role (its own record, nobody else's)."""
    import secrets as _secrets

    from sqlalchemy import select

    from models import Capacity, Expert
    from models.enums import ContractType, Gender

    tag = _secrets.token_hex(4)
    expert = Expert(staff_number=f"SELF-{tag}", given_name=given, family_name=family or f"Keeper{tag}",
                    gender=Gender.FEMALE, nationality_iso3="ITA", email=f"self.{tag}@un.org",
                    capacity_id=s.scalars(select(Capacity.id).order_by(Capacity.id)).first(),
                    contract_type=ContractType.FIXED_TERM)
    s.add(expert)
    s.flush()
    return expert.id


def _forget(s: Session, users: list[int], experts: list[int]) -> None:
    """Deletes test users, then the experts made for them with the languages and absences they were given."""
    from sqlalchemy import delete

    from models import ApiToken, Expert, ExpertLanguage, Unavailability, User

    s.execute(delete(ApiToken).where(ApiToken.user_id.in_(users)))
    s.execute(delete(User).where(User.id.in_(users)))
    for model in (ExpertLanguage, Unavailability):
        s.execute(delete(model).where(model.expert_id.in_(experts)))
    s.execute(delete(Expert).where(Expert.id.in_(experts)))


@pytest.fixture
def make_user(server):
    """Creates committed users (the app reads them through its own connections) and deletes them after. A user
    of the expert role gets a new expert of their own."""
    import secrets as _secrets

    from models.db import session_scope
    from services.users import create_user

    factory = server.extensions["hub"].session_factory
    created: list[int] = []
    experts: list[int] = []

    def make(role: str, password: str | None = None, username: str | None = None):
        password = password or _secrets.token_urlsafe(12)
        username = username or f"t-{role}-{_secrets.token_hex(4)}"
        with session_scope(factory) as s:
            expert_id = _new_expert(s) if role == "expert" else None
            if expert_id is not None:
                experts.append(expert_id)
            user = create_user(s, username, role, password, display_name=f"Test {role}", expert_id=expert_id)
            created.append(user.id)
        return username, password

    yield make
    with session_scope(factory) as s:
        _forget(s, created, experts)


@pytest.fixture
def expert_user(server):
    """``expert_user()`` -> (username, password, expert_id): a committed new expert and a user of the expert
    role linked to it; both deleted after, with the languages and absences the test gave the expert."""
    import secrets as _secrets

    from models.db import session_scope
    from models.enums import Role
    from services.users import create_user

    factory = server.extensions["hub"].session_factory
    made: list[tuple[int, int]] = []

    def make(given: str = "Selfie", family: str | None = None) -> tuple[str, str, int]:
        password = _secrets.token_urlsafe(12)
        with session_scope(factory) as s:
            expert_id = _new_expert(s, given, family)
            user = create_user(s, f"t-expert-{_secrets.token_hex(4)}", Role.EXPERT, password,
                               display_name=f"{given} (expert)", expert_id=expert_id)
            made.append((user.id, expert_id))
            return user.username, password, expert_id

    yield make
    with session_scope(factory) as s:
        _forget(s, [u for u, _e in made], [e for _u, e in made])


@pytest.fixture
def logged_in(client, make_user):
    """A test client logged in with a new user of the given role: ``logged_in("viewer")``."""

    def as_role(role: str):
        username, password = make_user(role)
        response = login(client, username, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return as_role


@pytest.fixture
def unfunded_deployment(server):
    """A committed expert with a deployment that has no funding allocation (data-quality tests); removed after."""
    from datetime import date, timedelta

    from sqlalchemy import delete, select

    from models import Capacity, Deployment, Expert, Mission
    from models.db import session_scope
    from models.enums import ContractType, DeploymentKind, DeploymentStatus, Gender

    factory = server.extensions["hub"].session_factory
    with session_scope(factory) as s:
        expert = Expert(staff_number="QUALITY-T1", given_name="Quality", family_name="Test", gender=Gender.MALE,
                        capacity_id=s.scalars(select(Capacity.id).order_by(Capacity.id)).first(),
                        contract_type=ContractType.FIXED_TERM, nationality_iso3="ITA")
        s.add(expert)
        s.flush()
        deployment = Deployment(expert_id=expert.id, role="Adviser", kind=DeploymentKind.SURGE,
                                mission_id=s.scalars(select(Mission.id).order_by(Mission.id)).first(),
                                start_date=date.today() + timedelta(days=400),
                                end_date=date.today() + timedelta(days=430), status=DeploymentStatus.PLANNED)
        s.add(deployment)
        s.flush()
        ids = (expert.id, deployment.id)
    yield ids
    with session_scope(factory) as s:
        s.execute(delete(Deployment).where(Deployment.id == ids[1]))
        s.execute(delete(Expert).where(Expert.id == ids[0]))
