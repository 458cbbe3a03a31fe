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
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.load.local_servers import BIN, prepare_users, redis_server, served_hub
from models.settings import PROJECT_ROOT

GOAL_USERS = 50
GOALS_MS = {"map filter change": 1000, "candidate ranking": 500}


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
    env: dict[str, str] = {}
    if args.no_cache:
        env["HUB_MAP_CACHE_ENTRIES"] = "0"
    missed: list[str] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="hub-load-") as tmp:
        out = Path(tmp)
        redis_url = stack.enter_context(redis_server()) if args.redis else None
        if redis_url:
            env["HUB_REDIS_URL"] = redis_url
        hub = stack.enter_context(served_hub(args.data_dir, args.port, args.workers, env))
        base, hub_log = hub.base, hub.log
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
