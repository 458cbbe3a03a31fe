"""The hub while its database is down: a clear 503 for every kind of request, /healthz alive, /readyz not ready,
and service again, by itself, within seconds of the database's return, with nothing committed lost.

The outage is real: a cluster of this test's own (so other tests keep their database) is stopped with pg_ctl and
started again while one app, built once, keeps serving.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, pool, select

from models import AuditEvent, migrate
from models.db import make_session_factory, session_scope
from models.embedded_pg import APP_ROLE, EmbeddedPostgres
from models.enums import Role
from models.settings import Settings
from services.users import create_user
from tests.factories import login

PASSWORD = "outage-test-password-1"
UNREACHABLE_EN = "The database is not reachable; try again in a minute."


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    cluster = EmbeddedPostgres(tmp_path_factory.mktemp("outage") / "data")
    try:
        cluster.start()
        cluster.ensure_database("hub")
        migrate.upgrade(cluster.url(), app_role=APP_ROLE)
        engine = create_engine(cluster.app_url(), poolclass=pool.NullPool)
        with session_scope(make_session_factory(engine)) as s:
            create_user(s, "outage-admin", Role.ADMIN, PASSWORD, display_name="Outage admin")
        engine.dispose()
        yield cluster
    finally:
        cluster.stop()
        if cluster.home != cluster.data_dir:  # it lived outside the temporary folder (EmbeddedPostgres._home)
            shutil.rmtree(cluster.home, ignore_errors=True)


@pytest.fixture(scope="module")
def outage_server(cluster: EmbeddedPostgres, settings: Settings, server: Flask) -> Iterator[Flask]:
    from app import create_app

    server.test_client().get("/healthz")  # the session's app takes Dash's global callbacks first
    built = create_app(settings, url=cluster.app_url()).server
    yield built
    built.extensions["hub"].engine.dispose()


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)


def _callback_body() -> dict:
    # Any registered callback: the request is refused before it runs, when the user's session is checked.
    return {"output": "nothing", "outputs": {}, "inputs": [], "changedPropIds": []}


def _audit_logins(cluster: EmbeddedPostgres) -> int:
    engine = create_engine(cluster.url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == "login")).scalar_one()
    finally:
        engine.dispose()


def test_outage_answers_503_everywhere_and_the_hub_recovers_by_itself(
        cluster: EmbeddedPostgres, outage_server: Flask) -> None:
    user = outage_server.test_client()
    assert login(user, "outage-admin", PASSWORD).status_code == 302
    assert user.get("/").status_code == 200
    assert outage_server.test_client().get("/readyz").get_json() == {"status": "ready", "checks": {"database": "ok"}}
    committed = _audit_logins(cluster)
    assert committed == 1  # the login's audit event, committed before the outage

    stranger = outage_server.test_client()
    token = _csrf(stranger)
    cluster.stop()
    try:
        page = user.get("/missions")
        assert page.status_code == 503 and page.mimetype == "text/html"
        assert UNREACHABLE_EN in page.get_data(as_text=True) and page.headers["Retry-After"]

        api = user.get("/api/v1/missions")
        assert api.status_code == 503 and api.mimetype == "application/problem+json"
        assert api.get_json()["status"] == 503 and api.get_json()["detail"] == UNREACHABLE_EN

        callback = user.post("/_dash-update-component", json=_callback_body())
        assert callback.status_code == 503 and callback.get_json()["error"] == UNREACHABLE_EN

        attempt = stranger.post("/login", data={"username": "outage-admin", "password": "wrong", "csrf": token})
        assert attempt.status_code == 503
        body = attempt.get_data(as_text=True)
        assert UNREACHABLE_EN in body and "wrong password" not in body

        assert outage_server.test_client().get("/healthz").status_code == 200
        ready = outage_server.test_client().get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json() == {"status": "unavailable", "checks": {"database": "unreachable"}}
    finally:
        cluster.start()

    returned = time.monotonic()
    while True:  # no restart of the app: its pool replaces the dead connections (pool_pre_ping)
        if user.get("/missions").status_code == 200 and user.get("/api/v1/missions").status_code == 200:
            break
        assert time.monotonic() - returned < 5, "the hub did not serve again within 5 s of the database's return"
        time.sleep(0.1)
    assert outage_server.test_client().get("/readyz").status_code == 200
    assert _audit_logins(cluster) == committed
    assert login(outage_server.test_client(), "outage-admin", PASSWORD).status_code == 302
    assert _audit_logins(cluster) == committed + 1


def test_french_outage_page(cluster: EmbeddedPostgres, outage_server: Flask) -> None:
    client = outage_server.test_client()
    assert login(client, "outage-admin", PASSWORD).status_code == 302
    client.get("/lang/fr")
    cluster.stop()
    try:
        page = client.get("/missions")
        assert page.status_code == 503
        text = page.get_data(as_text=True)
        assert "La base de données est inaccessible" in text and '<html lang="fr">' in text
        api = client.get("/api/v1/missions")
        assert api.status_code == 503 and "base de données" in api.get_json()["detail"]
    finally:
        cluster.start()


def test_a_failing_statement_is_not_an_outage() -> None:
    import psycopg
    from sqlalchemy.exc import OperationalError

    from dashboard.errors import is_outage

    cancelled = psycopg.errors.QueryCanceled("canceling statement due to statement timeout")
    assert not is_outage(OperationalError("SELECT 1", {}, cancelled))
    assert is_outage(OperationalError("connect", {}, psycopg.OperationalError("connection refused")))
    assert is_outage(psycopg.errors.AdminShutdown("terminating connection due to administrator command"))



def test_readyz_reports_an_unreachable_redis(settings: Settings, db_url: str, server: Flask) -> None:
    import socket

    from app import create_app

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server.test_client().get("/healthz")  # the session's app takes Dash's global callbacks first
    built = create_app(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"}), url=db_url).server
    try:
        ready = built.test_client().get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unreachable"}}
        assert built.test_client().get("/healthz").status_code == 200
    finally:
        built.extensions["hub"].engine.dispose()


def test_a_database_that_never_answers_fails_within_the_connect_timeout() -> None:
    """A server that accepts the TCP connection and then says nothing (a hung host, a proxy with no backend):
    the connection gives up after the connect timeout instead of holding the worker for minutes."""
    import socket

    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from models.db import CONNECT_TIMEOUT_S, make_engine

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever reads or writes
    try:
        engine = make_engine(f"postgresql+psycopg://hub@127.0.0.1:{silent.getsockname()[1]}/hub")
        started = time.monotonic()
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert time.monotonic() - started < CONNECT_TIMEOUT_S + 4
        engine.dispose()
    finally:
        silent.close()


def test_dash_is_set_up_once_before_the_workers_fork(settings: Settings, db_url: str, server: Flask) -> None:
    """`hub run` finishes Dash's first-request setup in gunicorn's master, so that a fresh worker's first
    concurrent requests (at start, or after a worker is replaced) do not race it; and opens no database
    connection there, which the forked workers would share."""
    from concurrent.futures import ThreadPoolExecutor

    from app import create_app
    from cli.serve import set_up_before_fork

    server.test_client().get("/healthz")  # the session's app takes Dash's global callbacks first
    app = create_app(settings, url=db_url)
    built = app.server
    try:
        assert not app._got_first_request["setup_server"]
        set_up_before_fork(built)
        assert app._got_first_request["setup_server"]
        engine = built.extensions["hub"].engine
        assert engine.pool.checkedin() == 0 and engine.pool.checkedout() == 0
        with ThreadPoolExecutor(8) as pool:
            pages = list(pool.map(lambda _: built.test_client().get("/login"), range(16)))
        assert [p.status_code for p in pages] == [200] * 16
        assert all('name="csrf"' in p.get_data(as_text=True) for p in pages)
    finally:
        built.extensions["hub"].engine.dispose()

