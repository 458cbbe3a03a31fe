"""Bench: the briefing pack (PPTX and PDF) of the default view, at 80 and at 10,000 experts.

    .venv/bin/python -m bench.bench_briefing_pack [--sizes 80,10000] [--repeat 2]

For each size: creates a database of its own in the embedded cluster, loads the reference data and the demo
data at that size, then times the briefing view (all suppressed aggregates in one session; of it, apart, the
counting and the interval audit of the suppression, with its number of linear programs) and each pack built
from it, English, as a download would (the view is rebuilt for each pack, as the route does). The first pack of
a process also pays for importing matplotlib, python-pptx and reportlab: shown apart as "cold". The target is
under 20 s for a pack of the default view. Drops each database at the end.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from sqlalchemy import create_engine, pool
from sqlalchemy.orm import Session

from bench.scratch_db import scratch_database
from models.enums import Role
from models.settings import Settings
from services.access import Principal
from services.analytics.filters import MapFilter
from services.briefing.aggregates import briefing_view
from services.briefing.pack import build_pack, translator
from services.demo_data import load_demo
from services.reference_data import load_reference

DB = "hub_bench_briefing"
TARGET_S = 20.0
BRIEFER = Principal(0, "bench", Role.BRIEFING)


def one_pack(url: str, settings: Settings, fmt: str) -> tuple[float, float, int, Any]:
    """(seconds for the view, seconds for view + pack, bytes, the view's audit summary) of one download of the
    default view."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with Session(engine) as s:
            t0 = time.perf_counter()
            view = briefing_view(s, BRIEFER, MapFilter.default(), threshold=settings.suppression_threshold)
            t1 = time.perf_counter()
            body = build_pack(s, view, fmt, translator("en"))
            t2 = time.perf_counter()
    finally:
        engine.dispose()
    return t1 - t0, t2 - t0, len(body), view.audit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="80,10000")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    settings = Settings()
    cold = True
    for size in (int(s) for s in args.sizes.split(",")):
        with scratch_database(DB, settings) as url:
            engine = create_engine(url, poolclass=pool.NullPool)
            t = time.perf_counter()
            with Session(engine) as session, session.begin():
                load_reference(session)
                load_demo(session, experts=size)
            engine.dispose()
            print(f"{size:>6} experts: demo data loaded in {time.perf_counter() - t:.1f} s")
            for fmt in ("pptx", "pdf"):
                runs = [one_pack(url, settings, fmt) for _ in range(args.repeat)]
                if cold:
                    print(f"        {fmt}: cold (first pack of the process, imports included) {runs[0][1]:.2f} s")
                    cold = False
                best = min(runs, key=lambda r: r[1])
                print(f"        {fmt}: view {best[0]:.2f} s · view + pack {best[1]:.2f} s · {best[2] / 1024:,.0f} KB"
                      f" · target {TARGET_S:.0f} s ({best[1] / TARGET_S:.0%} of it)")
                audit = best[3]
                print(f"        {fmt}: of the view, the suppression's interval audit {audit.audit_seconds:.2f} s "
                      f"(processor {audit.audit_cpu_seconds:.2f} s): {audit.programs} linear programs, "
                      f"{audit.hidden} numbers hidden of which {audit.primary} small")


if __name__ == "__main__":
    main()
