"""Bench: the operations map's aggregates on the columnar copy (DuckDB) against the PostgreSQL path, in the service and
at the HTTP endpoint served by gunicorn on real sockets.

    .venv/bin/python -m bench.bench_map_columnar [--experts 10000] [--deployments 100000] [--combos 60]
                                                 [--port 8063] [--keep] [--no-http]

In a database of its own (``--keep`` keeps it for the next run), loaded with the demo data at scale:
1. the copy: load time (wall and CPU: what each worker spends on a write to a copied table), memory (the
   process's resident growth and DuckDB's own count);
2. per filter combination of bench_map (the same 60), cache off: the charts' aggregates (availability,
   utilisation, missions, gender, the day's head count, funding) through the copy and through PostgreSQL, and the
   whole map_view (layers from PostGIS included) both ways; p50/p95 and ratios. Each pair is also compared
   for equality, so a fast wrong answer cannot pass;
3. the map page's ``apply`` callback POSTed to `hub run` (gunicorn, two workers, HUB_MAP_CACHE_ENTRIES=0), once
   with HUB_ANALYTICS_ENGINE=duckdb and once with postgres: p50/p95 and the ratio, against the goals (p95 <= 150 ms at
   100,000 deployments, <= 500 ms at 1,000,000; PostgreSQL at least 4x slower at p95).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, pool, text
from sqlalchemy.orm import Session

from bench.bench_map import (
    VIEWPORTS,
    apply_callback,
    combinations,
    control_values,
    load_world,
    payload,
    pct,
    world_values,
)
from bench.load.local_servers import free_port, wait_until_serving
from bench.scratch_db import scratch_database
from models.enums import Role
from models.settings import Settings
from services.access import Principal
from services.analytics.breakdown import breakdown
from services.analytics.columnar import ColumnarStore
from services.analytics.filters import MapFilter
from services.analytics.funding import funding_summary
from services.analytics.personnel import availability_and_utilisation, points_and_utilisation
from services.analytics.view import map_view
from services.catalog import BBox

DB = "hub_bench_map_columnar"
TARGET_P95_MS = 150  # at 100,000 deployments
TARGET_P95_MS_1M = 500  # at 1,000,000 (issue 11: the growth made visible)
TARGET_RATIO = 4.0  # PostgreSQL's p95 over the copy's, at 100,000


def goal_ms(deployments: int) -> int:
    return TARGET_P95_MS if deployments <= 100_000 else TARGET_P95_MS_1M
BIN = Path(sys.executable).parent


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def filter_of(state: dict[str, Any]) -> MapFilter:
    """The MapFilter the page builds from a bench_map state (as its _filter_from and _bbox_of do: the page module
    registers itself with Dash on import, so it is not imported here)."""
    query = {name: ",".join(state[name]) for name in
             ("capacity", "mission", "region", "country", "skill", "gender", "kind", "source", "marker")
             if state.get(name)}
    query["start"], query["end"] = state["start"].isoformat(), state["end"].isoformat()
    if state["as_of"] is not None:
        query["as_of"] = (state["start"] + timedelta(days=int(state["as_of"]))).isoformat()
    filt = MapFilter.from_query(query)
    if state["tied"]:
        (south, west), (north, east) = VIEWPORTS[state["view"]]
        filt = filt.with_changes(bbox=BBox(max(-180.0, west), max(-90.0, south), min(180.0, east), min(90.0, north)))
    return filt


def timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return (time.perf_counter() - t0) * 1000, value


def line(label: str, values: list[float]) -> str:
    return f"{label}: p50 {pct(values, 50):6.1f} ms, p95 {pct(values, 95):6.1f} ms, max {max(values):6.1f} ms"


def service_bench(engine: Any, filters: list[MapFilter]) -> None:
    store = ColumnarStore(engine)
    before, cpu0 = rss_mb(), time.process_time()
    copy = store.load_now()
    cpu = time.process_time() - cpu0
    grown = rss_mb() - before
    duck = copy.db.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
    print(f"\nthe copy: {copy.rows:,} deployments loaded in {copy.seconds:.2f} s wall, {cpu:.2f} s CPU "
          f"(each worker, on each write to a copied table); resident memory +{grown:.0f} MB "
          f"(DuckDB's own count {(duck[0] or 0) / 2**20:.0f} MB)")
    again = [timed(store.load_now)[0] for _ in range(2)]
    print(f"  reloads: {', '.join(f'{ms / 1000:.2f} s' for ms in again)}")
    principal = Principal(user_id=0, username="bench", role=Role.VIEWER)
    charts_copy: list[float] = []
    charts_pg: list[float] = []
    view_copy: list[float] = []
    view_pg: list[float] = []
    per_filter: dict[str, tuple[list[float], list[float]]] = {}
    with Session(engine) as s:
        # Warm-up: PostgreSQL's caches, DuckDB's first plans.
        for filt in filters[:3]:
            map_view(s, principal, filt, view=None, zoom=3, columnar=store)
            map_view(s, principal, filt, view=None, zoom=3)
        for filt in filters:
            reader = store.reader(s)
            assert reader is not None, "the copy holds the data"

            def by_copy(filt: MapFilter = filt, reader: Any = reader) -> Any:
                folded = reader.fold(filt)
                return (points_and_utilisation(folded.daily, filt),
                        reader.assemble(filt, folded.breakdown),
                        funding_summary(s, filt, rates=reader.rates(), deployment_spend_=reader.deployment_spend))

            def by_postgres(filt: MapFilter = filt) -> Any:
                s.execute(text("SET LOCAL work_mem = '64MB'"))
                return (availability_and_utilisation(s, filt), breakdown(s, filt),
                        funding_summary(s, filt))

            ms_copy, a = timed(by_copy)
            ms_pg, b = timed(by_postgres)
            if a != b:
                raise SystemExit(f"the engines disagree on {filt.to_query()}")
            charts_copy.append(ms_copy)
            charts_pg.append(ms_pg)
            kind = next((k for k in ("mission", "region", "capacity", "kind", "gender", "marker", "bbox")
                         if getattr(filt, k)), "period only")
            per_filter.setdefault(kind, ([], []))
            per_filter[kind][0].append(ms_copy)
            per_filter[kind][1].append(ms_pg)
            ms_vc, va = timed(lambda filt=filt: map_view(s, principal, filt, view=None, zoom=3,
                                                          columnar=store))
            ms_vp, vb = timed(lambda filt=filt: map_view(s, principal, filt, view=None, zoom=3))
            if va != vb:
                raise SystemExit(f"the map views disagree on {filt.to_query()}")
            view_copy.append(ms_vc)
            view_pg.append(ms_vp)
            s.rollback()
    print(f"\nthe charts' aggregates over {len(filters)} filter combinations (all equal both ways):")
    print("  " + line("copy (DuckDB + numpy)", charts_copy))
    print("  " + line("PostgreSQL           ", charts_pg))
    print(f"  ratio PostgreSQL / copy: p50 {pct(charts_pg, 50) / pct(charts_copy, 50):.1f}x, "
          f"p95 {pct(charts_pg, 95) / pct(charts_copy, 95):.1f}x")
    print("  by the filter's first dimension (copy | PostgreSQL, p50 / p95 ms):")
    for kind, (c, p) in sorted(per_filter.items()):
        print(f"    {kind:<12} n={len(c):2d}  {pct(c, 50):6.1f} / {pct(c, 95):6.1f}  |  "
              f"{pct(p, 50):6.1f} / {pct(p, 95):6.1f}")
    print("the whole map_view (layers from PostGIS, figures, charts), cache off:")
    print("  " + line("with the copy", view_copy))
    print("  " + line("PostgreSQL   ", view_pg))
    print(f"  ratio: p50 {pct(view_pg, 50) / pct(view_copy, 50):.1f}x, "
          f"p95 {pct(view_pg, 95) / pct(view_copy, 95):.1f}x")


DOWNLOADS = [{"chart": c, "format": f, "type": "map-download"}
             for c in ("missions", "availability", "gender", "funding") for f in ("csv", "xlsx")]


@contextmanager
def served(url: str, port: int, engine_name: str, data_dir: str) -> Iterator[Any]:
    """`hub run` on the bench database with this engine (cache off), a viewer logged in; yields a function that
    POSTs the apply callback for a combination and returns the milliseconds it took."""
    import requests

    env = {**os.environ, "HUB_DATABASE_URL": url, "HUB_PORT": str(port), "HUB_MAP_CACHE_ENTRIES": "0",
           "HUB_ANALYTICS_ENGINE": engine_name, "HUB_SECRET_KEY": secrets.token_urlsafe(32),
           "HUB_LOGIN_RATE_LIMIT": "1000 per minute", "HUB_DATA_DIR": data_dir}
    log = Path(data_dir) / f"bench-{engine_name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(BIN / "hub"), "run", "--no-demo"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, base, 300)
        password = secrets.token_urlsafe(12)
        username = f"bench-{engine_name}-{secrets.token_hex(3)}"  # a kept database has the last run's users
        subprocess.run([str(BIN / "hub"), "users", "create", username, "--role", "viewer",
                        "--password-stdin"], input=password.encode(), env=env, check=True, capture_output=True)
        http = requests.Session()
        page = http.get(f"{base}/login", timeout=30).text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        assert http.post(f"{base}/login", data={"username": username, "password": password,
                                                "csrf": token}, allow_redirects=False, timeout=30).status_code == 302
        dep = apply_callback(_Client(http, base))

        def post(state: dict[str, Any]) -> float:
            t0 = time.perf_counter()
            response = http.post(f"{base}/_dash-update-component", timeout=120,
                                 json=payload(dep, control_values(state), DOWNLOADS, "map-mission.value"))
            if response.status_code != 200:
                raise SystemExit(f"callback answered {response.status_code}: {response.text[:300]}")
            return (time.perf_counter() - t0) * 1000

        yield post
        workers = [worker_rss_mb(pid) for pid in children(proc.pid)]
        print(f"  ({engine_name}: resident memory of the gunicorn workers after the run: "
              f"{', '.join(f'{mb:.0f} MB' for mb in workers)})")
        subprocess.run([str(BIN / "hub"), "users", "deactivate", username], env=env,
                       capture_output=True, check=False)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def http_bench(url: str, port: int, combos: list[dict[str, Any]], data_dir: str) -> dict[str, list[float]]:
    """Both engines served at once, each combination sent to one then the other (alternating which goes first),
    so that both meet the same load of a shared machine."""
    results: dict[str, list[float]] = {"duckdb": [], "postgres": []}
    with served(url, port, "duckdb", data_dir) as duck, served(url, free_port(), "postgres", data_dir) as pg:
        posts = {"duckdb": duck, "postgres": pg}
        # Warm-up: every worker's pool and, with duckdb, its copy (loaded in the background after the fork).
        t_end = time.monotonic() + 30
        while time.monotonic() < t_end:
            for state in combos[:4]:
                duck(state)
                pg(state)
        for i, state in enumerate(combos):
            for name in (("duckdb", "postgres") if i % 2 == 0 else ("postgres", "duckdb")):
                results[name].append(posts[name](state))
    return results


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (gunicorn's workers under `hub run`)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def worker_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class _Client:
    """bench_map.apply_callback's client: .get(path).get_json() over requests."""

    def __init__(self, http: Any, base: str) -> None:
        self.http, self.base = http, base

    def get(self, path: str) -> Any:
        response = self.http.get(self.base + path, timeout=60)
        response.get_json = response.json
        return response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--combos", type=int, default=60)
    parser.add_argument("--port", type=int, default=8063)
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run (and reuse it)")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-service", action="store_true", help="only the HTTP endpoint")
    args = parser.parse_args()
    settings = Settings()
    name = f"{DB}_{args.deployments}"
    with scratch_database(name, settings, keep=args.keep) as url:
        engine = create_engine(url, poolclass=pool.QueuePool)
        try:
            today = date.today()
            n_dep, _, _ = world_values(engine)
            if not n_dep:
                began = time.perf_counter()
                load_world(engine, args.experts, args.deployments, today)
                print(f"loaded the demo data in {time.perf_counter() - began:.0f} s")
            n_dep, missions, regions = world_values(engine)
            print(f"{n_dep:,} deployments; {os.cpu_count()} cores; load average "
                  f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
            combos = combinations(missions, regions, args.combos, today)
            filters = [filter_of(c) for c in combos]
            if not args.no_service:
                service_bench(engine, filters)
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"  (bench process peak resident memory {peak:.0f} MB)")
            if not args.no_http:
                results = http_bench(url, args.port, combos, settings.data_dir)
                print(f"\nthe apply callback at the HTTP endpoint (`hub run`: gunicorn, 2 workers, cache off; both "
                      f"engines served at once, requests alternating), {len(combos)} combinations, load average "
                      f"{os.getloadavg()[0]:.1f}:")
                for engine_name, timings in results.items():
                    print("  " + line(f"{engine_name:<8}", timings))
                d, p = results["duckdb"], results["postgres"]
                print(f"  ratio postgres / duckdb: p50 {pct(p, 50) / pct(d, 50):.1f}x, "
                      f"p95 {pct(p, 95) / pct(d, 95):.1f}x (goal >= {TARGET_RATIO:.0f}x: "
                      f"{'met' if pct(p, 95) / pct(d, 95) >= TARGET_RATIO else 'NOT met'}); goal p95 <= "
                      f"{goal_ms(n_dep)} ms at {n_dep:,} deployments: "
                      f"{'met' if pct(d, 95) <= goal_ms(n_dep) else 'NOT met'}")
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
