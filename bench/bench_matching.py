"""Bench: ranking every expert for one surge request, SQL + numpy against a plain Python loop over experts.

    .venv/bin/python -m bench.bench_matching [--experts 10000] [--deployments 100000] [--runs 40] [--loops 3]

Creates a database of its own in the embedded cluster, loads the scaled demo data set, times
``services.surge.matching.rank`` (p50 / p95 over --runs, each in its own transaction, as a request would)
and ``services.surge.reference.reference_rank`` (the straightforward loop), checks that both give the same
ranking, prints the figures and the ratio, then drops the database. Each run is also split into its parts
(the request's need, the facts statement, the numpy scoring), and the load average is printed before and
after: the machine is shared, and a loaded one stretches every figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bench.scratch_db import scratch_database
from models import SurgeRequest, SurgeRequestLanguage, SurgeRequestSkill
from models.enums import SurgeStatus
from services.demo_data import load_demo
from services.reference_data import load_reference
from services.surge.matching import Weights, fetch_facts, need_for_request, propose_team, rank_facts
from services.surge.reference import reference_rank

DB = "hub_bench_surge"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--loops", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse a kept one)")
    args = parser.parse_args()

    with scratch_database(DB, keep=args.keep) as url:
        engine = create_engine(url)
        try:
            with Session(engine) as session, session.begin():
                if not session.scalar(select(func.count()).select_from(SurgeRequest)):
                    load_reference(session)
                    load_demo(session, experts=args.experts, deployments=args.deployments, today=date(2026, 11, 22))
            # VACUUM ANALYZE, not only ANALYZE: a freshly loaded table has no visibility map yet, and without one
            # the index-only scans matching relies on fetch every heap page; autovacuum sets it on a table at rest.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            with Session(engine) as session:
                # An open request asking for several skills and a language: the usual, heavier case.
                skills = select(func.count()).where(SurgeRequestSkill.request_id == SurgeRequest.id).scalar_subquery()
                request_id = session.scalar(
                    select(SurgeRequest.id).where(SurgeRequest.status == SurgeStatus.RECEIVED,
                                                  SurgeRequest.id.in_(select(SurgeRequestLanguage.request_id)))
                    .order_by(skills.desc(), SurgeRequest.id).limit(1))
                request = session.get(SurgeRequest, request_id)
                need = need_for_request(session, request)
            print(f"request {request.reference}: {len(need.skills)} skills, {len(need.languages)} languages, "
                  f"{len(need.clearance_type_ids)} clearances, {need.start} to {need.end}, {args.experts:,} experts, "
                  f"{args.deployments:,} deployments")

            load_before = os.getloadavg()
            fast: list[float] = []
            parts: dict[str, list[float]] = {"need": [], "facts": [], "score": []}
            ranking = None
            for _ in range(args.runs):
                with Session(engine) as session:
                    # rank(session, need) is fetch_facts + rank_facts; timed by part, the total is the same call.
                    began = time.perf_counter()
                    run_need = need_for_request(session, session.get(SurgeRequest, request_id))
                    needed = time.perf_counter()
                    facts = fetch_facts(session, run_need)
                    fetched = time.perf_counter()
                    ranking = rank_facts(run_need, Weights(), facts)
                    done = time.perf_counter()
                    fast.append((done - began) * 1000)
                    for key, (a, b) in (("need", (began, needed)), ("facts", (needed, fetched)),
                                        ("score", (fetched, done))):
                        parts[key].append((b - a) * 1000)
            assert ranking is not None
            team_began = time.perf_counter()
            team = propose_team(ranking, 3)
            team_ms = (time.perf_counter() - team_began) * 1000
            slow: list[float] = []
            reference = None
            for _ in range(args.loops):
                with Session(engine) as session:
                    began = time.perf_counter()
                    reference = reference_rank(session, need)
                    slow.append((time.perf_counter() - began) * 1000)
            assert reference is not None
            same = [(int(ranking.ids[i]), float(ranking.scores[i])) for i in ranking.order] == reference[0]
            p50, p95 = statistics.median(fast), _percentile(fast, 0.95)
            loop = statistics.median(slow)
            print(f"rank() SQL + numpy, service level (need + facts + score), {args.runs} runs: "
                  f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= 100 ms)")
            print("  of which p50: " + ", ".join(f"{key} {statistics.median(v):.1f} ms" for key, v in parts.items())
                  + "; p95: " + ", ".join(f"{key} {_percentile(v, 0.95):.1f} ms" for key, v in parts.items()))
            print(f"eligible {ranking.eligible_count:,} of {len(ranking.ids):,} experts; team of 3 proposed in "
                  f"{team_ms:.1f} ms: {[m.candidate.expert_id for m in team]}")
            print(f"plain Python loop over all experts, {args.loops} runs: median {loop:.0f} ms")
            print(f"ratio (loop median / rank p50): {loop / p50:.1f}x; same ranking: {same}")
            load_after = os.getloadavg()
            print(f"load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
                  f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} on {os.cpu_count()} cores")
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
