"""Many users at once: `hub run` (gunicorn, two workers) on the demo data, loaded by locust at 10, 50 and 100
concurrent users, each for a bounded time; prints throughput, p50/p95 per request kind, errors and the goals.

    .venv/bin/python -m bench.load.run [--users 10,50,100] [--seconds 60] [--redis] [--no-cache] [--port 8113]

The hub runs in a data directory of its own (default .hub-data/load-run: its own embedded cluster, emptied and
loaded with the demo data at each start, so that runs compare), on the loopback only; its log is kept there
(hub.log) and its server errors counted. Every simulated user logs in from 127.0.0.1, so the login limit is
raised for the run (HUB_LOGIN_RATE_LIMIT); nothing else differs from production settings. ``--redis`` starts a
throwaway redis-server and sets HUB_REDIS_URL (login limit and map cache shared by the workers); ``--no-cache``
sets HUB_MAP_CACHE_ENTRIES=0. Everything started is stopped at the end (the cluster too).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.load.local_servers import redis_server, wait_until_serving
from models.settings import PROJECT_ROOT

GOAL_USERS = 50
GOALS_MS = {"map filter change": 1000, "candidate ranking": 500}
ROLES = {"viewer": "viewer", "planner": "planner", "gis": "gis_editor", "briefing": "briefing"}
BIN = Path(sys.executable).parent


def prepare_users(data_dir: Path) -> dict[str, Any]:
    """Users of each role with fresh passwords, a token for the API clients, and the demo's missions and regions
    (the filters leaders pick)."""
    from sqlalchemy import func, select

    from models import Country, Deployment, Mission
    from models.db import make_engine, make_session_factory, session_scope
    from models.embedded_pg import database_url
    from services.tokens import create_token
    from services.users import create_user, get_by_username, reset_password

    engine = make_engine(database_url(None, data_dir), pool_size=1, max_overflow=0)
    users: dict[str, list[str]] = {}
    try:
        with session_scope(make_session_factory(engine)) as s:
            for key, role in ROLES.items():
                username, password = f"load-{key}", secrets.token_urlsafe(16)
                if get_by_username(s, username) is None:
                    create_user(s, username, role, password)
                else:
                    reset_password(s, username, password)
                users[key] = [username, password]
            if get_by_username(s, "load-api") is None:
                create_user(s, "load-api", "viewer", secrets.token_urlsafe(16))
            _, token = create_token(s, "load-api", name="load run", days=1)
            missions = list(s.scalars(select(Mission.acronym).join(Deployment, Deployment.mission_id == Mission.id)
                                      .group_by(Mission.acronym).order_by(func.count().desc()).limit(12)))
            regions = list(s.scalars(select(func.distinct(Country.region)).where(Country.region.is_not(None))))
    finally:
        engine.dispose()
    return {"users": users, "token": token, "missions": missions, "regions": regions}


def run_locust(base: str, users: int, seconds: int, config_file: Path, out: Path) -> list[dict[str, str]]:
    prefix = out / f"u{users}"
    env = {**os.environ, "HUB_LOAD_USERS": str(config_file), "PYTHONPATH": str(PROJECT_ROOT)}
    # Ramp-up within the run: all users started after ~10 s. Locust's own summary goes to a file.
    with open(f"{prefix}.log", "wb") as log:
        subprocess.run([str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
                        "-u", str(users), "-r", str(max(1, users // 10)), "-t", f"{seconds}s", "--host", base,
                        "--csv", str(prefix), "--only-summary", "--stop-timeout", "15", "--loglevel", "WARNING",
                        "--exit-code-on-error", "0"],
                       env=env, cwd=PROJECT_ROOT, check=True, stdout=log, stderr=subprocess.STDOUT)
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists() and len(failures.read_text().splitlines()) > 1:
        print(f"failures at {users} users:\n{failures.read_text()}")
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def report(users: int, seconds: int, rows: list[dict[str, str]], load: tuple[float, float]) -> list[str]:
    """Prints one run's table; returns the goals it misses (at GOAL_USERS users)."""
    print(f"\n== {users} concurrent users, {seconds} s (ramp-up included); load average before/after: "
          f"{load[0]:.2f} / {load[1]:.2f} (1 min, {os.cpu_count()} cores)")
    print(f"  {'request':<28} {'count':>6} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    total: dict[str, str] = {}
    for row in rows:
        if row["Name"] == "Aggregated":
            total = row
            continue
        worst = float(row["Max Response Time"])
        print(f"  {row['Name']:<28} {row['Request Count']:>6} {row['Failure Count']:>6} "
              f"{float(row['Requests/s']):>7.2f} {row['50%']:>7} {row['95%']:>7} {worst:>7.0f}")
    print(f"  {'all':<28} {total['Request Count']:>6} {total['Failure Count']:>6} "
          f"{float(total['Requests/s']):>7.2f} {total['50%']:>7} {total['95%']:>7}")
    if users != GOAL_USERS:
        return []
    missed = []
    errors = int(total["Failure Count"])
    print(f"  goal: 0 errors at {GOAL_USERS} users: {errors} ({'met' if errors == 0 else 'NOT met'})")
    if errors:
        missed.append("errors")
    by_name = {row["Name"]: row for row in rows}
    for name, goal in GOALS_MS.items():
        row = by_name.get(name)
        p95 = float(row["95%"]) if row and row["95%"] not in ("", "N/A") else float("inf")
        print(f"  goal: p95 of {name} <= {goal} ms: {p95:.0f} ms ({'met' if p95 <= goal else 'NOT met'})")
        if p95 > goal:
            missed.append(name)
    return missed


def redis_counts(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url)
    stats = client.info("stats")
    kept = len(client.keys("hub:map-answer:*"))
    client.close()
    return f"Redis: {kept} map answers kept, {stats['keyspace_hits']} hits / {stats['keyspace_misses']} misses " \
           f"(all keys, the login limit's included)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="10,50,100", help="concurrent users of each run, comma-separated")
    parser.add_argument("--seconds", type=int, default=60, help="each run's length, ramp-up included")
    parser.add_argument("--port", type=int, default=8113)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis", action="store_true", help="a throwaway redis-server, HUB_REDIS_URL set")
    parser.add_argument("--no-cache", action="store_true", help="the map's answer cache off")
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / ".hub-data" / "load-run")
    args = parser.parse_args()
    levels = [int(n) for n in args.users.split(",")]
    env = {**os.environ, "HUB_DATA_DIR": str(args.data_dir), "HUB_HOST": "127.0.0.1",
           # Every simulated user logs in from 127.0.0.1: the production limit (10 a minute) would refuse most.
           "HUB_LOGIN_RATE_LIMIT": "100000 per minute", "HUB_SECRET_KEY": secrets.token_urlsafe(32)}
    for name in ("HUB_DATABASE_URL", "HUB_MIGRATION_DATABASE_URL", "HUB_REDIS_URL"):
        env.pop(name, None)
    if args.no_cache:
        env["HUB_MAP_CACHE_ENTRIES"] = "0"
    missed: list[str] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="hub-load-") as tmp:
        out = Path(tmp)
        redis_url = stack.enter_context(redis_server()) if args.redis else None
        if redis_url:
            env["HUB_REDIS_URL"] = redis_url
        base = f"http://127.0.0.1:{args.port}"
        subprocess.run([str(BIN / "hub"), "db", "stop"], env=env, cwd=PROJECT_ROOT, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(args.data_dir, ignore_errors=True)
        args.data_dir.mkdir(parents=True)
        hub_log = args.data_dir / "hub.log"
        log = hub_log.open("wb")
        hub = subprocess.Popen([str(BIN / "hub"), "run", "--port", str(args.port), "--workers", str(args.workers)],
                               env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)

        def stop() -> None:
            os.killpg(hub.pid, signal.SIGTERM)
            hub.wait(timeout=60)
            log.close()
            subprocess.run([str(BIN / "hub"), "db", "stop"], env=env, cwd=PROJECT_ROOT, check=False,
                           stdout=subprocess.DEVNULL)

        stack.callback(stop)
        try:
            wait_until_serving(hub, base, seconds=900)  # the first start loads the demo data
        except RuntimeError:
            print(hub_log.read_text(), file=sys.stderr)
            raise
        config = prepare_users(args.data_dir)
        config_file = out / "users.json"
        config_file.write_text(json.dumps(config))
        print(f"hub run at {base} ({args.workers} gunicorn workers), map cache "
              f"{'off' if args.no_cache else ('in Redis, shared' if redis_url else 'per worker')}, "
              f"{'Redis' if redis_url else 'PostgreSQL'} login counts")
        tracebacks = 0
        for users in levels:
            before = os.getloadavg()[0]
            rows = run_locust(base, users, args.seconds, config_file, out)
            missed += report(users, args.seconds, rows, (before, os.getloadavg()[0]))
            if redis_url:
                print("  " + redis_counts(redis_url))
            text = hub_log.read_text(errors="replace")
            print(f"  hub log: {text.count('Traceback') - tracebacks} tracebacks "
                  f"({text.count('WORKER TIMEOUT')} worker timeouts in all) — {hub_log}")
            tracebacks = text.count("Traceback")
            time.sleep(5)  # the last requests drain before the next level
    print("\ngoals at 50 users: " + ("all met" if not missed else "NOT met: " + ", ".join(missed))
          if GOAL_USERS in levels else "")


if __name__ == "__main__":
    main()
