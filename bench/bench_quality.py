"""Bench: the data-quality scorecard at 10,000 experts and 100,000 deployments (target: under 5 s).

    .venv/bin/python -m bench.bench_quality [--experts 10000] [--deployments 100000] [--repeat 3] [--keep]

Loads the reference and demo data at that size into a database of its own in the embedded cluster, then times
the whole card (every rule, overall, by mission, by capacity: one grouped statement a rule), each rule apart,
and, as the naive way beside it, the same counts taken rule by rule in Python over every row fetched (what a
loop over ORM rows would do). The counts of both must agree. Drops the database at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from sqlalchemy import create_engine, pool, select
from sqlalchemy.orm import Session

from bench.scratch_db import scratch_database
from models import Expert
from models.settings import Settings
from services.demo_data import load_demo
from services.quality import scorecard
from services.quality.rules import RULES
from services.reference_data import load_reference

DB = "hub_bench_quality"
TARGET_S = 5.0


def naive(session: Session, day: date) -> dict[str, tuple[int, int]]:
    """Each rule's rows fetched whole and counted in Python: the same answer, the slow way."""
    out = {}
    for rule in RULES:
        rows = session.execute(select(rule.query(day).subquery())).all()
        out[rule.code] = (len(rows), sum(1 for r in rows if r.fails))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the loaded database")
    args = parser.parse_args()
    settings = Settings()
    with scratch_database(DB, settings, keep=args.keep) as url:
        engine = create_engine(url, poolclass=pool.NullPool)
        with Session(engine) as session, session.begin():
            if session.execute(select(Expert.id).limit(1)).first() is None:
                t = time.perf_counter()
                load_reference(session)
                load_demo(session, experts=args.experts, deployments=args.deployments)
                print(f"loaded {args.experts:,} experts, {args.deployments:,} deployments in "
                      f"{time.perf_counter() - t:.1f} s")
        day = date.today()
        with Session(engine) as session:
            session.execute(select(1))  # connect first: the timing is the card's
            totals = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                card = scorecard.compute(session, day)
                totals.append(time.perf_counter() - t)
            per_rule = {}
            for rule in RULES:
                t = time.perf_counter()
                scorecard._rule_counts(session, rule, day)
                per_rule[rule.code] = time.perf_counter() - t
            t = time.perf_counter()
            slow = naive(session, day)
            naive_s = time.perf_counter() - t
        engine.dispose()
    best = min(totals)
    print(f"scorecard: {len(RULES)} rules, {card.overall.checked:,} checks, {card.overall.failing:,} failing")
    print(f"  whole card: best {best:.2f} s, median {statistics.median(totals):.2f} s of {args.repeat} · target "
          f"{TARGET_S:.0f} s ({best / TARGET_S:.0%} of it)")
    for code, seconds in sorted(per_rule.items(), key=lambda kv: -kv[1]):
        print(f"    {code:36} {seconds * 1000:8.0f} ms  {card.rules[code].failing:>7,} failing of "
              f"{card.rules[code].checked:>8,}")
    same = all(slow[r.code] == (card.rules[r.code].checked, card.rules[r.code].failing) for r in RULES)
    print(f"  naive (every row fetched, counted in Python): {naive_s:.2f} s ({naive_s / best:.1f}x the card; "
          f"counts {'agree' if same else 'DISAGREE'})")


if __name__ == "__main__":
    main()
