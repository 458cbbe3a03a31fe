"""Several workers share what must be shared, through one Redis (HUB_REDIS_URL): the login limit and the
operations map's answer cache. Sessions need nothing: they are cookies signed with the secret key every worker
has. Each test starts its own redis-server (bench/load/local_servers.py), as the embedded PostgreSQL is."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.bench_map import control_values, payload
from bench.load.local_servers import free_port, redis_server, wait_until_serving
from models import RateLimitCounter
from models.db import session_scope
from models.enums import Role
from services.access import Principal
from services.analytics.view import map_view
from services.analytics.view_cache import ViewCache
from tests.factories import world_filter


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_an_answer_one_worker_kept_is_a_hit_for_another(engine, redis_url: str, redis_client) -> None:
    # Two caches as two workers build them: nothing in common but the Redis URL and the secret key.
    first, second = ViewCache(8, redis_url, "one-secret"), ViewCache(8, redis_url, "one-secret")
    viewer = Principal(user_id=0, username="test-viewer", role=Role.VIEWER)
    filt = world_filter()
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with Session(bind=connection) as s:
            computed = map_view(s, viewer, filt, view=None, zoom=3, cache=first)
            kept = map_view(s, viewer, filt, view=None, zoom=3, cache=second)
            s.rollback()
    assert (first.misses, first.hits, second.misses, second.hits) == (1, 0, 0, 1)
    assert kept == computed
    assert len(redis_client.keys("hub:map-answer:*")) == 1


def test_an_answer_written_by_anyone_else_is_not_read(engine, redis_url: str, redis_client) -> None:
    """The values are pickles: one not signed with the hub's secret key is never unpickled."""
    ours, theirs = ViewCache(8, redis_url, "the-hub's-secret"), ViewCache(8, redis_url, "another-secret")
    viewer = Principal(user_id=0, username="test-viewer", role=Role.VIEWER)
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with Session(bind=connection) as s:
            map_view(s, viewer, world_filter(), view=None, zoom=3, cache=theirs)
            (key,) = redis_client.keys("hub:map-answer:*")
            redis_client.set(key, b"\0" * 32 + b"not a signed pickle")
            map_view(s, viewer, world_filter(), view=None, zoom=3, cache=ours)
            s.rollback()
    assert (ours.hits, ours.misses) == (0, 1)


def test_the_map_answers_when_redis_does_not(engine) -> None:
    cache = ViewCache(8, f"redis://127.0.0.1:{free_port()}/0", "secret")  # nothing listens there
    viewer = Principal(user_id=0, username="test-viewer", role=Role.VIEWER)
    with engine.connect() as connection, Session(bind=connection) as s:
        view = map_view(s, viewer, world_filter(), view=None, zoom=3, cache=cache)
    assert view.figures is not None and (cache.hits, cache.misses) == (0, 0)


# --- two gunicorn workers -----------------------------------------------------------------------------------
SERVE = """
import logging, sys
from app import create_app
from cli.serve import serve
from models.settings import Settings

# The cache's hit/miss debug lines, with the worker's process id, on stderr (the test reads them).
logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(process)d %(name)s %(message)s")
logging.getLogger("services.analytics.view_cache").setLevel(logging.DEBUG)
settings = Settings(secret_key="gunicorn-test-secret", login_rate_limit="10 per minute", redis_url=sys.argv[3])
serve(create_app(settings, url=sys.argv[1]).server, "127.0.0.1", int(sys.argv[2]), workers=2)
"""


@pytest.fixture
def gunicorn_on_redis(db_url: str, redis_url: str, redis_client, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`hub run`'s server (gunicorn, two worker processes) with HUB_REDIS_URL, on a free loopback port."""
    port, log = free_port(), tmp_path / "gunicorn.log"
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", SERVE, db_url, str(port), redis_url],
                                cwd=Path(__file__).parents[1], start_new_session=True, stdout=subprocess.DEVNULL,
                                stderr=err)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_serving(proc, base)
        except RuntimeError as exc:
            pytest.fail(f"{exc}\n{log.read_text()}")
        yield base, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _login(http: requests.Session, base: str, username: str, password: str) -> int:
    page = http.get(f"{base}/login", headers={"Connection": "close"}, timeout=30).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return http.post(f"{base}/login", data={"username": username, "password": password, "csrf": token},
                     headers={"Connection": "close"}, allow_redirects=False, timeout=30).status_code


def _lookups(log: Path) -> dict[str, list[tuple[str, str]]]:
    """Per answer (its key's digest): the (worker pid, hit|miss) of each lookup, in order. Per digest, as a write to
    a table the map reads (another test's, say) makes new data versions and so a new key."""
    found: dict[str, list[tuple[str, str]]] = {}
    for pid, kind, digest in re.findall(r"^(\d+) services\.analytics\.view_cache map answer (hit|miss) (\w+)$",
                                        log.read_text(), re.M):
        found.setdefault(digest, []).append((pid, kind))
    return found


def _shared(lookups: dict[str, list[tuple[str, str]]]) -> bool:
    return any(len({pid for pid, _ in seen}) == 2 for seen in lookups.values())


def test_two_gunicorn_workers_share_one_login_limit_and_one_map_cache(
        gunicorn_on_redis: tuple[str, Path], redis_client: redis.Redis, make_user, server) -> None:
    base, log = gunicorn_on_redis
    username, password = make_user("viewer")

    # One login limit: each attempt on a connection of its own, so both workers take some; the 11th is refused.
    def attempt() -> int:
        with requests.Session() as http:
            return _login(http, base, username, "wrong-password")

    def in_database() -> int:
        with session_scope(server.extensions["hub"].session_factory) as s:
            return s.scalar(select(func.count()).select_from(RateLimitCounter)
                            .where(RateLimitCounter.key.contains("/127.0.0.1/"))) or 0

    before = in_database()
    assert [attempt() for _ in range(12)] == [401] * 10 + [429] * 2
    # Counted in Redis, not in the database.
    assert redis_client.keys("LIMITS*")
    assert in_database() == before
    for key in redis_client.keys("LIMITS*"):  # the limit window is over, as a minute later
        redis_client.delete(key)

    # One map cache: the same filter change on fresh connections, until a worker other than the one that
    # computed the answer has answered. The session cookie works on either worker (signed, nothing on a server).
    http = requests.Session()
    assert _login(http, base, username, password) == 302
    deps = http.get(f"{base}/_dash-dependencies", timeout=30).json()
    dep = next(d for d in deps if "..map-places.data..." in d["output"])
    with session_scope(server.extensions["hub"].session_factory) as s:
        today = s.scalar(text("SELECT current_date"))
    state = {"start": today.replace(year=today.year - 1), "end": today, "as_of": None, "view": "africa",
             "tied": False, "capacity": ["JCSC"]}
    body = payload(dep, control_values(state), [], "map-capacity.value")
    for _ in range(40):
        answer = http.post(f"{base}/_dash-update-component", json=body, headers={"Connection": "close"},
                           timeout=60)
        assert answer.status_code == 200, answer.text[:300]
        assert "map-places" in answer.json()["response"]
        if _shared(_lookups(log)):
            break
    lookups = _lookups(log)
    assert _shared(lookups), f"one worker answered every request: {lookups}"
    # Each answer computed once, by one worker; every later lookup, on either worker, a hit. With each worker's
    # own cache, the second worker would have computed it again.
    for seen in lookups.values():
        assert [kind for _, kind in seen] == ["miss"] + ["hit"] * (len(seen) - 1), lookups
    assert len(redis_client.keys("hub:map-answer:*")) == len(lookups)


# --- the load test's locust file, briefly -------------------------------------------------------------------
def test_the_load_mix_runs_without_errors(gunicorn_on_redis: tuple[str, Path], make_user, server,
                                          tmp_path: Path) -> None:
    """bench/load/locustfile.py for a few seconds against two workers: a leader on the map and an API client get
    answers, with no failure. (Planners and GIS editors write, so they run in `make load` only, on its own data;
    a briefing pack takes longer than this test should.)"""
    from models import Country, Deployment, Mission
    from services.tokens import create_token

    base, _ = gunicorn_on_redis
    viewer, api = make_user("viewer"), make_user("viewer")
    with session_scope(server.extensions["hub"].session_factory) as s:
        _, token = create_token(s, api[0], name="load smoke", days=1)
        missions = list(s.scalars(select(Mission.acronym).join(Deployment, Deployment.mission_id == Mission.id)
                                  .group_by(Mission.acronym).limit(5)))
        regions = list(s.scalars(select(func.distinct(Country.region)).where(Country.region.is_not(None))))
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"users": {"viewer": list(viewer)}, "token": token,
                                 "missions": missions, "regions": regions}))
    root = Path(__file__).parents[1]
    subprocess.run([str(Path(sys.executable).parent / "locust"), "-f", str(root / "bench/load/locustfile.py"),
                    "--headless", "-u", "2", "-r", "2", "-t", "10s", "--host", base, "--csv", str(tmp_path / "s"),
                    "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING", "--exit-code-on-error", "0",
                    "Leader", "ApiClient"],  # by weight, one of each
                   env={**os.environ, "HUB_LOAD_USERS": str(users), "PYTHONPATH": str(root)}, cwd=root,
                   check=True, capture_output=True, timeout=120)
    with (tmp_path / "s_stats.csv").open() as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    assert {"login", "map filter change", "api deployments page"} <= set(rows), rows.keys()
    assert rows["Aggregated"]["Failure Count"] == "0", (tmp_path / "s_failures.csv").read_text()
