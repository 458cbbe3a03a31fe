"""Throwaway servers on the loopback for the load runs and the tests: a Redis of their own, never the system one, and
the hub as `hub run` serves it, on a data directory (and embedded cluster) of its own."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.settings import PROJECT_ROOT

if TYPE_CHECKING:
    import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def redis_server() -> Iterator[str]:
    """Debian's redis-server on a free loopback port, in memory only (no RDB, no AOF), in a temporary directory;
    stopped and removed on exit. Yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: scripts/install-system-deps.sh installs it")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="hub-redis-") as tmp:
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                 "no", "--dir", tmp, "--daemonize", "no", "--protected-mode", "yes"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {proc.returncode}")
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                        conn.sendall(b"PING\r\n")
                        if conn.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not answer in 20 s")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def retry_once_on_reset(session: requests.Session) -> None:
    """One retry when the connection fails before an answer, as browsers do when the server has just closed an
    idle keep-alive connection (gunicorn closes them after 2 s; users think longer): without it the client races
    that close and counts a reset that no person would see. A server that fails twice is still an error. A write
    sent again is safe where it carries If-Match: applied the first time, the second is refused (412)."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods=None, raise_on_status=False)
    session.mount("http://", HTTPAdapter(max_retries=retry))


def wait_until_serving(proc: subprocess.Popen[bytes], base: str, seconds: float = 120) -> None:
    """Until ``base``/healthz answers 200; raises if ``proc`` (the server) exits first or time runs out."""
    import requests

    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer in {seconds:.0f} s")
        time.sleep(0.2)


# --- the hub as `hub run` serves it ------------------------------------------------------------------------
BIN = Path(sys.executable).parent
ROLES = {"viewer": "viewer", "planner": "planner", "gis": "gis_editor", "briefing": "briefing"}


@dataclass
class ServedHub:
    """A `hub run` started by ``served_hub``: where it answers, its environment (the data directory's) and log."""

    base: str
    env: dict[str, str]
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def hub(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        """A `hub` command on this run's data directory (its embedded cluster)."""
        return subprocess.run([str(BIN / "hub"), *args], env=self.env, cwd=PROJECT_ROOT, check=False,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def served_hub(data_dir: Path, port: int, workers: int = 2, extra_env: dict[str, str] | None = None,
               ) -> Iterator[ServedHub]:
    """`hub run` (gunicorn) on 127.0.0.1:``port`` in a data directory of its own (its own embedded cluster, emptied
    and loaded with the demo data at each start, so that runs compare); its log kept there (hub.log). Every
    simulated user logs in from 127.0.0.1, so the login limit is raised (the only setting changed). On exit the
    server and the cluster are stopped."""
    env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_HOST": "127.0.0.1",
           # Every simulated user logs in from 127.0.0.1: the production limit (10 a minute) would refuse most.
           "HUB_LOGIN_RATE_LIMIT": "100000 per minute", "HUB_SECRET_KEY": secrets.token_urlsafe(32)}
    for name in ("HUB_DATABASE_URL", "HUB_MIGRATION_DATABASE_URL", "HUB_REDIS_URL"):
        env.pop(name, None)
    env.update(extra_env or {})
    subprocess.run([str(BIN / "hub"), "db", "stop"], env=env, cwd=PROJECT_ROOT, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    log_path = data_dir / "hub.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([str(BIN / "hub"), "run", "--port", str(port), "--workers", str(workers)],
                                   env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        served = ServedHub(f"http://127.0.0.1:{port}", env, data_dir, log_path, process)
        try:
            try:
                wait_until_serving(process, served.base, seconds=900)  # the first start loads the demo data
            except RuntimeError:
                print(served.log_text(), file=sys.stderr)
                raise
            yield served
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)
            served.hub("db", "stop")


def prepare_users(data_dir: Path) -> dict[str, Any]:
    """Users of each role with fresh passwords, a token for the API clients (a viewer) and one for a planner's
    system (writes experts' records), and the demo's missions and regions (the filters leaders pick)."""
    from sqlalchemy import func, select

    from models import Country, Deployment, Mission
    from models.db import make_engine, make_session_factory, session_scope
    from models.embedded_pg import database_url
    from services.tokens import create_token
    from services.users import create_user, get_by_username, reset_password

    engine = make_engine(database_url(None, data_dir), pool_size=1, max_overflow=0)
    users: dict[str, list[str]] = {}
    tokens: dict[str, str] = {}
    try:
        with session_scope(make_session_factory(engine)) as s:
            for key, role in ROLES.items():
                username, password = f"load-{key}", secrets.token_urlsafe(16)
                if get_by_username(s, username) is None:
                    create_user(s, username, role, password)
                else:
                    reset_password(s, username, password)
                users[key] = [username, password]
            for username, role in (("load-api", "viewer"), ("load-writer", "planner")):
                if get_by_username(s, username) is None:
                    create_user(s, username, role, secrets.token_urlsafe(16))
                tokens[username] = create_token(s, username, name="load run", days=1)[1]
            missions = list(s.scalars(select(Mission.acronym).join(Deployment, Deployment.mission_id == Mission.id)
                                      .group_by(Mission.acronym).order_by(func.count().desc()).limit(12)))
            regions = list(s.scalars(select(func.distinct(Country.region)).where(Country.region.is_not(None))))
    finally:
        engine.dispose()
    return {"users": users, "token": tokens["load-api"], "writer_token": tokens["load-writer"],
            "missions": missions, "regions": regions}
