"""Outage under load: the embedded database stopped and started while users read and write, then checked.

    .venv/bin/python -m bench.load.outage [--users 20] [--down 10] [--seconds 60] [--port 8214]

Serves `hub run` (gunicorn, two workers × four threads) on the loopback with the demo data, in a data directory
of its own (default .hub-data/outage-run: its own embedded cluster, emptied at each run), as bench/load/run.py
does. Then ``--users`` simulated users, one thread each, for ``--seconds`` (a person's pause of 0.3-1.5 s
between requests):

- writers add an absence to an expert of their own through the records API with a planner's personal access
  token and If-Match (the ETag of their last answer): each 2xx answer's absence id is kept, with its note;
- leaders (logged in through the login form) move the operations map's filters (the page's callback);
- API clients page through /api/v1/deployments with a viewer's token.

A third of the way in, the cluster is stopped (pg_ctl stop -m fast, as `hub db stop`) for ``--down`` seconds
and started again. It prints every answer during the outage by status (the goal: 503, problem+json for the API,
the callbacks' 503 JSON; never a 500), the time from the cluster's return to the first successful answer and
to each gunicorn worker's first (the goal: ≤ 5 s; the worker that answered is found from the connection, the
server side of its TCP socket), and after the run, in the database: every write answered 2xx is there with
its audit event (the goal: 0 lost), every write that got no 2xx is there whole or not at all (never a row
without its audit event, never an expert's version off by one), and the hub's connections by state (none
stuck in a transaction). Everything started is stopped at the end (the cluster too).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import threading
import time
import uuid
import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psutil
import requests

from bench.bench_map import combinations, control_values, payload
from bench.load.local_servers import ServedHub, prepare_users, retry_once_on_reset, served_hub
from models.settings import PROJECT_ROOT

GOAL_RECOVERY_S = 5.0


@dataclass
class Answer:
    kind: str
    started: float
    ended: float
    status: int  # 0: no answer at all (the connection failed)
    mimetype: str
    worker: int | None
    ok: bool


@dataclass
class Write:
    expert_id: int
    note: str
    status: int
    absence_id: int | None  # from a 2xx answer


class Workers:
    """Which gunicorn worker answered: a keep-alive connection stays with the worker that accepted it, so the
    client's local port is looked up once per connection among the workers' own TCP sockets."""

    def __init__(self, master: int, port: int) -> None:
        self.master, self.port = master, port
        self.known: weakref.WeakKeyDictionary[Any, int | None] = weakref.WeakKeyDictionary()
        self.lock = threading.Lock()

    def pids(self) -> list[int]:
        # `hub run` is gunicorn's master; the cluster it started is not its child (pg_ctl daemonises it).
        return [p.pid for p in psutil.Process(self.master).children() if "postgres" not in p.name()]

    def of(self, response: requests.Response) -> int | None:
        connection = getattr(response.raw, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is None:
            return None
        with self.lock:
            if sock in self.known:
                return self.known[sock]
        client_port = sock.getsockname()[1]
        found = None
        for pid in self.pids():
            try:
                conns = psutil.Process(pid).net_connections(kind="tcp")
            except psutil.Error:
                continue
            if any(c.raddr and c.raddr.port == client_port and c.laddr.port == self.port for c in conns):
                found = pid
                break
        with self.lock:
            self.known[sock] = found
        return found


class Run:
    def __init__(self, hub: ServedHub, port: int, config: dict[str, Any], experts: list[int], seconds: int) -> None:
        self.hub, self.config, self.experts = hub, config, experts
        self.workers = Workers(hub.process.pid, port)
        self.answers: list[Answer] = []
        self.writes: list[Write] = []
        self.stop = threading.Event()
        self.deadline = time.monotonic() + seconds
        self.tag = uuid.uuid4().hex[:8]

    def session(self) -> requests.Session:
        http = requests.Session()
        retry_once_on_reset(http)
        return http

    def call(self, http: requests.Session, kind: str, method: str, path: str, **kwargs: Any,
             ) -> requests.Response | None:
        started = time.monotonic()
        try:
            answer = http.request(method, self.hub.base + path, stream=True, timeout=60, **kwargs)
        except requests.RequestException as error:
            self.answers.append(Answer(kind, started, time.monotonic(), 0, type(error).__name__, None, False))
            return None
        worker = self.workers.of(answer)
        _ = answer.content
        ok = 200 <= answer.status_code < 400  # a login's redirect included
        if ok and kind == "map filter change":
            response = answer.json().get("response", {})
            ok = "map-places" in response and not response.get("map-error", {}).get("is_open")
        self.answers.append(Answer(kind, started, time.monotonic(), answer.status_code,
                                   answer.headers.get("Content-Type", "").split(";")[0], worker, ok))
        return answer

    def pause(self) -> bool:
        """A person's pause; False once the run is over."""
        return not self.stop.wait(random.uniform(0.3, 1.5)) and time.monotonic() < self.deadline

    # --- the users ------------------------------------------------------------------------------------------
    def writer(self, n: int) -> None:
        expert = self.experts[n % len(self.experts)]
        http = self.session()
        http.headers["Authorization"] = f"Bearer {self.config['writer_token']}"
        etag = ""
        k = 0
        while self.pause():
            if not etag:
                read = self.call(http, "expert read", "GET", f"/api/v1/experts/{expert}")
                etag = read.headers.get("ETag", "") if read is not None and read.ok else ""
                continue
            # Days of their own per writer and write, far ahead: no two absences overlap (which is refused).
            start = date(2040, 1, 1) + timedelta(days=(n * 1000 + k) * 2)
            k += 1
            note = f"outage-bench {self.tag} {n}-{k}"
            answer = self.call(http, "absence write", "POST", f"/api/v1/experts/{expert}/absences",
                               headers={"If-Match": etag},
                               json={"kind": "other", "start_date": start.isoformat(),
                                     "end_date": (start + timedelta(days=1)).isoformat(), "note": note})
            created = None
            if answer is not None and answer.ok:
                created = next(a["id"] for a in answer.json()["absences"] if a["note"] == note)
                etag = answer.headers["ETag"]
            elif answer is None or answer.status_code != 422:
                etag = ""  # read again: the write may have been applied although its answer was lost
            self.writes.append(Write(expert, note, answer.status_code if answer is not None else 0, created))

    def leader(self, n: int) -> None:
        http = self.session()
        username, password = self.config["users"]["viewer"]
        page = self.call(http, "login", "GET", "/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text if page is not None else "")
        logged_in = self.call(http, "login", "POST", "/login", allow_redirects=False,
                              data={"username": username, "password": password, "csrf": csrf.group(1) if csrf else ""})
        if logged_in is None or logged_in.status_code != 302:
            return  # counted among the answers
        deps = http.get(f"{self.hub.base}/_dash-dependencies", timeout=60).json()
        dep = next(d for d in deps if "..map-places.data..." in d["output"])
        states = combinations(self.config["missions"], self.config["regions"], 40, date.today())
        random.Random(n).shuffle(states)
        i = 0
        while self.pause():
            i += 1
            self.call(http, "map filter change", "POST", "/_dash-update-component",
                      json=payload(dep, control_values(states[i % len(states)]), [], "map-mission.value"))

    def api_client(self, _n: int) -> None:
        http = self.session()
        http.headers["Authorization"] = f"Bearer {self.config['token']}"
        while self.pause():
            self.call(http, "api deployments page", "GET", "/api/v1/deployments",
                      params={"limit": 100, "offset": random.randrange(0, 2000)})


def writer_experts(hub: ServedHub, n: int) -> dict[int, int]:
    """``n`` active experts (id → version): one for each writer, so that writers do not refuse each other."""
    from sqlalchemy import select

    from models import Expert
    from models.enums import ExpertStatus

    with _superuser(hub) as conn:
        rows = conn.execute(select(Expert.id, Expert.version).where(Expert.status == ExpertStatus.ACTIVE,
                                                                    Expert.erased_at.is_(None))
                            .order_by(Expert.id).limit(n)).all()
    return {r.id: r.version for r in rows}


def _superuser(hub: ServedHub) -> Any:
    from sqlalchemy import create_engine, pool

    from models.embedded_pg import EmbeddedPostgres

    return create_engine(EmbeddedPostgres(hub.data_dir).url(), poolclass=pool.NullPool).connect()


def check_writes(hub: ServedHub, run: Run, versions: dict[int, int]) -> dict[str, int]:
    """In the database after the run: what every write left behind."""
    from sqlalchemy import select, text

    from models import AuditEvent, Expert, Unavailability
    from models.embedded_pg import APP_ROLE

    experts = sorted({w.expert_id for w in run.writes})
    with _superuser(hub) as conn:
        mine = Unavailability.note.like(f"outage-bench {run.tag} %")
        found = conn.execute(select(Unavailability.note, Unavailability.id).where(mine)).all()
        rows = {r.note: r.id for r in found}
        audited: set[int] = set()
        added = select(AuditEvent.detail).where(AuditEvent.action == "expert.absences.add",
                                                AuditEvent.entity_id.in_([str(e) for e in experts]))
        for detail in conn.scalars(added):
            audited |= {int(m.group(1)) for key in detail.get("changes", {})
                        if (m := re.fullmatch(r"absences\.(\d+)\.note", key))}
        now = {r.id: r.version for r in conn.execute(select(Expert.id, Expert.version).where(Expert.id.in_(experts)))}
        sessions = Counter(conn.scalars(text("SELECT coalesce(state, '?') FROM pg_stat_activity WHERE usename = :r"),
                                        {"r": APP_ROLE}))
    answered = [w for w in run.writes if 200 <= w.status < 300]
    others = [w for w in run.writes if not 200 <= w.status < 300]
    made = Counter(w.expert_id for w in run.writes if w.note in rows)
    return {
        "written (2xx)": len(answered),
        "lost (2xx, not in the database)": sum(rows.get(w.note) != w.absence_id for w in answered),
        "2xx without their audit event": sum(w.absence_id not in audited for w in answered),
        "not 2xx": len(others),
        "not 2xx, applied whole": sum(w.note in rows and rows[w.note] in audited for w in others),
        "half-applied (a row without its audit event)": sum(i not in audited for i in rows.values()),
        "applied twice (two rows for one write)": len(found) - len(rows),
        "experts whose version is off": sum(now[e] - versions[e] != made[e] for e in experts),
        **{f"hub connections {state}": count for state, count in sorted(sessions.items())},
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def report(run: Run, stopped: float, down: float, back: float, workers: list[int]) -> list[str]:
    """Prints the answers before, during and after the outage, and the recovery; returns the goals missed."""
    missed: list[str] = []
    if not run.answers:
        print("\nno answer at all: see the errors above")
        return ["answers"]
    t0 = min(a.started for a in run.answers)
    print(f"\ncluster stopped at {stopped - t0:.1f} s (stop took {_ms(down - stopped)}), back at {back - t0:.1f} s")
    windows = {"before": lambda a: a.ended < stopped, "during the outage": lambda a: stopped <= a.ended <= back,
               "after its return": lambda a: a.ended > back}
    for title, inside in windows.items():
        chosen = [a for a in run.answers if inside(a)]
        print(f"\n  answers {title}: {len(chosen)}")
        by: dict[tuple[str, int, str], list[float]] = defaultdict(list)
        for a in chosen:
            by[(a.kind, a.status, a.mimetype)].append(a.ended - a.started)
        for (kind, status, mimetype), took in sorted(by.items()):
            print(f"    {kind:<22} {status or 'no answer':>9} {mimetype:<26} {len(took):>5}  "
                  f"p50 {_ms(statistics.median(took))}")
    during = [a for a in run.answers if stopped <= a.ended <= back and not a.ok]
    wrong = [a for a in during if a.status != 503 or a.mimetype not in ("application/problem+json",
                                                                       "application/json", "text/html")]
    print(f"\n  goal: every failed answer during the outage a 503 (problem+json, JSON or the page): "
          f"{len(during) - len(wrong)} of {len(during)} ({'met' if not wrong else 'NOT met'})")
    if wrong:
        missed.append("503 during the outage")
    server_errors = sum(a.status >= 500 and a.status != 503 for a in run.answers)
    print(f"  goal: no 5xx other than 503 in the whole run: {server_errors} "
          f"({'met' if not server_errors else 'NOT met'})")
    if server_errors:
        missed.append("5xx")
    after = sorted((a for a in run.answers if a.ended > back), key=lambda a: a.ended)
    first = next((a for a in after if a.ok), None)
    print(f"  first successful answer after the cluster's return: "
          f"{'never' if first is None else f'{first.ended - back:.2f} s ({first.kind})'}")
    per_worker: dict[int, float] = {}
    for a in after:
        if a.ok and a.worker is not None and a.worker not in per_worker:
            per_worker[a.worker] = a.ended - back
    for pid in workers:
        seen = per_worker.get(pid)
        print(f"    worker {pid}: first success {'never' if seen is None else f'{seen:.2f} s'} after the return")
    failed_after = [a for a in after if not a.ok]
    last = failed_after[-1].ended - back if failed_after else 0.0
    print(f"  every answer successful from {last:.2f} s after the return on "
          f"({len(failed_after)} failed after it: {dict(Counter((a.kind, a.status) for a in failed_after))})")
    worst = max([per_worker.get(pid, float('inf')) for pid in workers] + [last])
    print(f"  goal: every worker serving within {GOAL_RECOVERY_S:.0f} s of the return: {worst:.2f} s "
          f"({'met' if worst <= GOAL_RECOVERY_S else 'NOT met'})")
    if worst > GOAL_RECOVERY_S:
        missed.append("recovery")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="simulated users (a third of each kind)")
    parser.add_argument("--down", type=int, default=10, help="seconds the cluster stays stopped")
    parser.add_argument("--seconds", type=int, default=60, help="the run's length, outage included")
    parser.add_argument("--port", type=int, default=8214)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / ".hub-data" / "outage-run")
    args = parser.parse_args()
    if not 3 <= args.users <= 100 or args.seconds < args.down + 20 or args.seconds > 600:
        parser.error("3 to 100 users, and at least 20 s more than --down (600 s at most)")
    from models.embedded_pg import EmbeddedPostgres

    with served_hub(args.data_dir, args.port, args.workers) as hub:
        config = prepare_users(args.data_dir)
        versions = writer_experts(hub, (args.users + 2) // 3)
        run = Run(hub, args.port, config, sorted(versions), args.seconds)
        workers = run.workers.pids()
        kinds = (run.writer, run.leader, run.api_client)
        threads = [threading.Thread(target=kinds[i % 3], args=(i // 3,), daemon=True) for i in range(args.users)]
        print(f"hub run at {hub.base} ({args.workers} gunicorn workers: {workers}), {args.users} users "
              f"({len(versions)} writers), {args.seconds} s, the cluster down {args.down} s")
        for thread in threads:
            thread.start()
        cluster = EmbeddedPostgres(args.data_dir)
        try:
            time.sleep((args.seconds - args.down) / 3)
            stopped = time.monotonic()
            cluster.stop()  # what `hub db stop` does: pg_ctl stop -m fast
            down = time.monotonic()
            time.sleep(max(0.0, args.down - (down - stopped)))
            cluster.start()
            back = time.monotonic()
            for thread in threads:
                thread.join(timeout=max(1.0, run.deadline - time.monotonic() + 70))
        finally:
            run.stop.set()
            cluster.start()  # whatever happened, the checks below read it
        missed = report(run, stopped, down, back, workers)
        print("\n  in the database after the run:")
        figures = check_writes(hub, run, versions)
        for name, value in figures.items():
            print(f"    {name:<46} {value}")
        lost = figures["lost (2xx, not in the database)"] + figures["2xx without their audit event"]
        half = (figures["half-applied (a row without its audit event)"] + figures["experts whose version is off"]
                + figures["applied twice (two rows for one write)"])
        print(f"  goal: 0 committed writes lost: {lost} ({'met' if not lost else 'NOT met'}); "
              f"0 half-applied: {half} ({'met' if not half else 'NOT met'})")
        if lost or half:
            missed.append("writes")
        if figures.get("hub connections idle in transaction"):
            missed.append("connections stuck in a transaction")
        log = hub.log_text()
        # Flask logs "Exception on PATH" for an answer that became a 500; the map's columnar copy, reloaded in a
        # background thread, logs its failure (the map answers from PostgreSQL, and the next request reloads it).
        print(f"  hub log: {log.count('Exception on ')} requests failed with a traceback, "
              f"{log.count('database unreachable')} 'database unreachable' warnings (503s), "
              f"{log.count('columnar copy failed to load')} background reloads of the map's copy failed — {hub.log}")
    print("\ngoals: " + ("all met" if not missed else "NOT met: " + ", ".join(missed)))


if __name__ == "__main__":
    main()
