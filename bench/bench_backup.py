"""Bench: backup and restore of the 10,000-expert data set, and the proof that nothing changed.

    .venv/bin/python -m bench.bench_backup [--experts 10000] [--deployments 100000] [--keep]

Loads the reference data and the demo data at that size into a scratch database of its own (bench/scratch_db.py;
with --keep a database kept by an earlier run is reused, which saves the load), backs it up with `hub db
backup`'s code, restores the file into a fresh cluster of its own (initdb'd for the run, as a new server would
be), and compares every table's row count and md5 of its ordered rows. Prints the times, the file's size and the
comparison; exits 1 if any table differs. Removes the fresh cluster at the end (and the source database unless
--keep).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, pool, select
from sqlalchemy.orm import Session

from bench.scratch_db import scratch_database
from models import DataLoad, backup
from models.embedded_pg import APP_ROLE, EmbeddedPostgres, find_pg_bin
from models.settings import Settings
from services.demo_data import load_demo
from services.reference_data import load_reference

SOURCE, TARGET = "hub_bench_backup_src", "hub"


def _load(url: str, experts: int, deployments: int) -> float:
    engine = create_engine(url, poolclass=pool.NullPool)
    started = time.perf_counter()
    with Session(engine) as s, s.begin():
        if not s.scalar(select(DataLoad.id).where(DataLoad.kind == "demo")):
            load_reference(s)
            load_demo(s, experts=experts, deployments=deployments)
        else:
            started = time.perf_counter()  # kept from an earlier run: nothing loaded
    engine.dispose()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the loaded source database")
    args = parser.parse_args()
    settings = Settings()
    with scratch_database(SOURCE, settings, keep=args.keep) as source, tempfile.TemporaryDirectory() as tmp:
        loaded = _load(source, args.experts, args.deployments)
        print(f"data set: {args.experts:,} experts, {args.deployments:,} deployments (load {loaded:.1f} s)")
        archive = Path(tmp) / "hub.dump"
        started = time.perf_counter()
        info = backup.backup(source, archive, find_pg_bin())
        took_backup = time.perf_counter() - started
        print(f"backup:  {took_backup:6.1f} s  {archive.stat().st_size / 1e6:7.1f} MB  (hub {info.version}, "
              f"schema {info.head})")
        fresh = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="bench-restore-", dir=settings.data_dir)))
        try:
            started = time.perf_counter()
            fresh.start()
            fresh.ensure_database(TARGET)
            print(f"fresh cluster: {time.perf_counter() - started:6.1f} s  (initdb and start)")
            target = fresh.url(TARGET)
            started = time.perf_counter()
            backup.restore(archive, target, APP_ROLE, bin_dir=find_pg_bin())
            took_restore = time.perf_counter() - started
            print(f"restore: {took_restore:6.1f} s  (pg_restore --jobs=2, then migrate to head and grant {APP_ROLE})")
            started = time.perf_counter()
            before, after = backup.table_fingerprints(source), backup.table_fingerprints(target)
            print(f"compare: {time.perf_counter() - started:6.1f} s  ({len(before)} tables, counts and md5 of rows)")
        finally:
            fresh.stop()
            shutil.rmtree(fresh.home, ignore_errors=True)
            shutil.rmtree(fresh.data_dir, ignore_errors=True)
    differ = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
    rows = sum(n for n, _ in before.values())
    for table in sorted(before, key=lambda t: -before[t][0])[:8]:
        print(f"  {table:<45} {before[table][0]:>9,} rows  {before[table][1]}")
    print(f"tables: {len(before)} source, {len(after)} restored; rows {rows:,}; differing: {differ or 'none'}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
