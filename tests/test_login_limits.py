"""The login limit holds across workers and hosts (counts in PostgreSQL, or Redis), and knows the real client
only behind proxies it was told to trust."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, insert, select

from dashboard.security import limit_store
from dashboard.security.auth import init_limiter
from dashboard.security.limit_store import PostgresStorage
from models import AuditEvent, RateLimitCounter
from models.db import session_scope
from models.settings import Settings
from tests.factories import login


def _address() -> str:
    """A client address of its own for each test, so that no two tests share a bucket."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{1 + secrets.randbelow(250)}"


def _limiters(server: Flask) -> set[object]:
    return set(server.extensions["limiter"])


@pytest.fixture(scope="module")
def make_app(settings: Settings, db_url: str, server: Flask) -> Iterator[Callable[..., Flask]]:
    """More apps over the test database, built like the session's (as each gunicorn worker builds its own)."""
    from app import create_app

    # Dash hands the callbacks registered at import to the first app that serves a request: the session's.
    server.test_client().get("/healthz")
    built: list[Flask] = []

    def make(**overrides: object) -> Flask:
        server = create_app(settings.model_copy(update=overrides), url=db_url).server
        built.append(server)
        return server

    yield make
    for server in built:
        server.extensions["hub"].engine.dispose()


@pytest.fixture
def client_at(server) -> Iterator[Callable[[Flask, str], FlaskClient]]:
    """Test clients that connect from a given address; the counters of those addresses are deleted after."""
    addresses: set[str] = set()

    def make(app: Flask, address: str) -> FlaskClient:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        addresses.add(address)
        return client

    yield make
    with session_scope(server.extensions["hub"].session_factory) as s:
        for address in addresses:
            s.execute(delete(RateLimitCounter).where(RateLimitCounter.key.contains(f"/{address}/")))


@pytest.fixture(scope="module")
def two_workers(make_app) -> tuple[Flask, Flask]:
    """Two apps over one database with the production limit, as `hub run`'s two workers are."""
    return make_app(login_rate_limit="10 per minute"), make_app(login_rate_limit="10 per minute")


@pytest.mark.parametrize("eleventh", [0, 1])
def test_the_limit_holds_across_two_app_instances(two_workers, client_at, make_user, eleventh: int) -> None:
    first, second = two_workers
    # Each app has a Limiter of its own (as each worker process has): they share only the database.
    assert not _limiters(first) & _limiters(second)
    username, _ = make_user("viewer")
    address = _address()
    clients = [client_at(first, address), client_at(second, address)]
    answers = [login(clients[(i + eleventh + 1) % 2], username, "wrong-password").status_code for i in range(10)]
    assert answers == [401] * 10
    refused = login(clients[eleventh], username, "wrong-password")
    assert refused.status_code == 429
    assert "Too many login attempts" in refused.get_data(as_text=True)
    assert login(clients[1 - eleventh], username, "wrong-password").status_code == 429
    # Another client is not held back by this one's attempts.
    assert login(client_at(first, _address()), username, "wrong-password").status_code == 401


def test_the_counts_are_in_the_database(two_workers, client_at, make_user, server) -> None:
    username, _ = make_user("viewer")
    address = _address()
    client = client_at(two_workers[0], address)
    for _ in range(3):
        login(client, username, "wrong-password")
    with session_scope(server.extensions["hub"].session_factory) as s:
        rows = s.execute(select(RateLimitCounter.count, RateLimitCounter.expires_at - func.now())
                         .where(RateLimitCounter.key.contains(f"/{address}/"))).all()
    assert [r[0] for r in rows] == [3]
    assert timedelta(0) < rows[0][1] <= timedelta(minutes=1)


# --- the storage itself ---------------------------------------------------------------------------------
@pytest.fixture
def storage(engine) -> Iterator[PostgresStorage]:
    store = PostgresStorage("postgresql+psycopg://", engine=engine)
    yield store
    with engine.begin() as conn:
        conn.execute(delete(RateLimitCounter).where(RateLimitCounter.key.like("test-store/%")))


def test_concurrent_increments_lose_nothing(storage: PostgresStorage) -> None:
    key = f"test-store/{secrets.token_hex(4)}"
    seen: list[int] = []
    lock = threading.Lock()

    def hit() -> None:
        for _ in range(20):
            value = storage.incr(key, 60)
            with lock:
                seen.append(value)

    threads = [threading.Thread(target=hit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One atomic upsert a hit: every count from 1 to 120 was handed out exactly once.
    assert sorted(seen) == list(range(1, 121))
    assert storage.get(key) == 120


def test_an_ended_window_starts_again_and_is_pruned(storage: PostgresStorage, engine, monkeypatch) -> None:
    key, old = f"test-store/{secrets.token_hex(4)}", f"test-store/{secrets.token_hex(4)}"
    past = datetime.now(UTC) - timedelta(seconds=5)
    with engine.begin() as conn:
        conn.execute(insert(RateLimitCounter).values(key=key, count=50, expires_at=past))
        conn.execute(insert(RateLimitCounter).values(key=old, count=7, expires_at=past))
    assert storage.get(key) == 0
    assert abs(storage.get_expiry(key) - datetime.now(UTC).timestamp()) < 5
    monkeypatch.setattr(limit_store, "PRUNE_EVERY_SECONDS", 0.0)
    assert storage.incr(key, 60, amount=2) == 2  # a new window, not 52
    assert 55 < storage.get_expiry(key) - datetime.now(UTC).timestamp() <= 61
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(RateLimitCounter.key == old)) == 0
    storage.clear(key)
    assert storage.get(key) == 0
    assert storage.check()


def test_redis_is_used_when_configured() -> None:
    from limits.storage import RedisStorage

    server = Flask("redis-configured")
    limiter = init_limiter(server, Settings(redis_url="redis://127.0.0.1:1/0"))
    assert isinstance(limiter.storage, RedisStorage)


# --- proxies --------------------------------------------------------------------------------------------
def _audited_addresses(server, username: str) -> list[str]:
    with session_scope(server.extensions["hub"].session_factory) as s:
        return [str(a) for a in s.scalars(select(AuditEvent.remote_addr).where(AuditEvent.username == username)
                                          .order_by(AuditEvent.id))]


def test_forwarded_for_is_ignored_without_trusted_proxies(server, client_at, make_user) -> None:
    settings = server.extensions["hub"].settings
    assert settings.trusted_proxies == 0
    original = settings.login_rate_limit
    settings.login_rate_limit = "3 per minute"
    try:
        username, _ = make_user("viewer")
        address = _address()
        client = client_at(server, address)
        answers = []
        for _ in range(4):
            # A new forged address each time: with no trusted proxy it changes neither the bucket nor the log.
            client.environ_base["HTTP_X_FORWARDED_FOR"] = _address()
            answers.append(login(client, username, "wrong-password").status_code)
        assert answers == [401, 401, 401, 429]
        assert _audited_addresses(server, username) == [address] * 3
        # Nor does a forged scheme make the hub think it is served over HTTPS.
        assert _seen_as_https(client_at(server, _address())) is False
    finally:
        settings.login_rate_limit = original


def test_forwarded_for_from_a_trusted_proxy_is_used(make_app, client_at, make_user) -> None:
    behind = make_app(trusted_proxies=1, login_rate_limit="3 per minute")
    username, _ = make_user("viewer")
    proxy, first, second = _address(), _address(), _address()
    client = client_at(behind, proxy)
    client_at(behind, first), client_at(behind, second)  # their counters are cleaned up too
    client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.9, {first}"  # the proxy appended the client
    assert [login(client, username, "wrong-password").status_code for _ in range(4)] == [401, 401, 401, 429]
    # Another client behind the same proxy has a bucket of its own.
    client.environ_base["HTTP_X_FORWARDED_FOR"] = second
    assert login(client, username, "wrong-password").status_code == 401
    assert _audited_addresses(behind, username) == [first] * 3 + [second]
    assert _seen_as_https(client_at(behind, _address())) is True


def _seen_as_https(client: FlaskClient) -> bool:
    """Whether a request that a proxy says came over HTTPS is taken as such: a Secure cookie, and the https
    origin taken for the hub's own (the http one then for another site)."""
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
    secure = "Secure" in client.get("/login").headers["Set-Cookie"]
    https_own = client.post("/login", data={}, headers={"Origin": "https://localhost"}).status_code != 403
    http_own = client.post("/login", data={}, headers={"Origin": "http://localhost"}).status_code != 403
    assert secure == https_own != http_own
    return secure


# --- real workers ---------------------------------------------------------------------------------------
SERVE = """
import sys
from app import create_app
from cli.serve import serve
from models.settings import Settings

settings = Settings(secret_key="gunicorn-test-secret", login_rate_limit="10 per minute")
serve(create_app(settings, url=sys.argv[1]).server, "127.0.0.1", int(sys.argv[2]), workers=2)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn_hub(db_url: str, server) -> Iterator[str]:
    """`hub run`'s server: gunicorn with two worker processes (cli/serve.py), on a free loopback port."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVE, db_url, str(port)], cwd=Path(__file__).parents[1],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "gunicorn exited"
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer in 120 s"
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        with session_scope(server.extensions["hub"].session_factory) as s:
            # Every window of the loopback address (per minute and per hour): a later test counts them.
            s.execute(delete(RateLimitCounter).where(RateLimitCounter.key.contains("/127.0.0.1/")))


def _attempt(base: str, username: str) -> int:
    """One login attempt on a connection of its own (so the two workers share the attempts)."""
    with requests.Session() as http:
        page = http.get(f"{base}/login", headers={"Connection": "close"}, timeout=30).text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        return http.post(f"{base}/login", data={"username": username, "password": "wrong-password", "csrf": token},
                         headers={"Connection": "close"}, allow_redirects=False, timeout=30).status_code


def test_two_gunicorn_workers_refuse_the_eleventh_attempt(gunicorn_hub: str, make_user) -> None:
    username, _ = make_user("viewer")
    answers = [_attempt(gunicorn_hub, username) for _ in range(12)]
    assert answers == [401] * 10 + [429] * 2
    # gunicorn itself does not take a local client's X-Forwarded-Proto either (HUB_TRUSTED_PROXIES is 0).
    forged = requests.get(f"{gunicorn_hub}/login", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert "Secure" not in forged.headers["Set-Cookie"]
