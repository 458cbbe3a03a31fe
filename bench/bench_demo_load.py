"""Bench: the demo generator's COPY load at scale, against a naive ORM add_all of a sample, extrapolated.

    .venv/bin/python -m bench.bench_demo_load [--experts 10000] [--deployments 100000] [--sample 2000]

Creates a database of its own in the embedded cluster, prints seconds and rows/s, then drops it.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

from sqlalchemy import create_engine, delete, func, pool, select
from sqlalchemy.orm import Session

from bench.scratch_db import scratch_database
from models import Deployment, Expert, Mission
from models.enums import DeploymentKind, DeploymentStatus, GenderMarker
from services.demo_data import load_demo
from services.reference_data import load_reference

DB = "hub_bench_demo"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000)
    args = parser.parse_args()

    with scratch_database(DB) as url:
        engine = create_engine(url, poolclass=pool.NullPool)
        try:
            with Session(engine) as session, session.begin():
                load_reference(session)

            began = time.perf_counter()
            with Session(engine) as session, session.begin():
                report = load_demo(session, experts=args.experts, deployments=args.deployments,
                                   today=date(2026, 11, 22))
            copy_seconds = time.perf_counter() - began  # includes generation and the commit
            rows = sum(report.counts.values())
            print(f"load_demo(experts={args.experts}, deployments={args.deployments}): {copy_seconds:.2f} s, "
                  f"{rows:,} rows, {rows / copy_seconds:,.0f} rows/s, "
                  f"{report.counts['deployment'] / copy_seconds:,.0f} deployments/s (generation included)")

            # Naive: the ORM, one object per deployment, add_all + flush, on fresh non-overlapping dates.
            with Session(engine) as session:
                expert_ids = session.scalars(select(Expert.id).order_by(Expert.id).limit(args.sample)).all()
                mission_id = session.scalar(select(Mission.id).where(Mission.acronym == "MINUSCA"))
                base = date(2040, 1, 1)
                objects = [
                    Deployment(expert_id=expert_ids[i % len(expert_ids)], mission_id=mission_id, role="Bench adviser",
                               kind=DeploymentKind.SURGE, status=DeploymentStatus.PLANNED,
                               start_date=base + timedelta(days=30 * (i // len(expert_ids))),
                               end_date=base + timedelta(days=30 * (i // len(expert_ids)) + 20),
                               gender_marker=GenderMarker.GM1, is_generated=True)
                    for i in range(args.sample)
                ]
                began = time.perf_counter()
                session.add_all(objects)
                session.flush()
                orm_seconds = time.perf_counter() - began
                session.rollback()
            per_row = orm_seconds / args.sample
            extrapolated = per_row * args.deployments
            print(f"ORM add_all of {args.sample:,} deployments: {orm_seconds:.2f} s, "
                  f"{args.sample / orm_seconds:,.0f} rows/s; "
                  f"extrapolated to {args.deployments:,}: {extrapolated:.1f} s")
            copy_deploy_rate = report.counts["deployment"] / copy_seconds
            print("ratio (ORM extrapolated deployments time / whole demo load time): "
                  f"{extrapolated / copy_seconds:.1f}x; "
                  f"per deployment row: {copy_deploy_rate / (args.sample / orm_seconds):.1f}x")
            with Session(engine) as session, session.begin():
                session.execute(delete(Deployment).where(Deployment.start_date >= date(2040, 1, 1)))
                print("deployments in the database:", session.scalar(select(func.count()).select_from(Deployment)))
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
