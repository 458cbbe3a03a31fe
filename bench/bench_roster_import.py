"""Bench: a 10,000-expert roster XLSX (skills, languages, clearances) checked and imported, beside pandas alone.

    .venv/bin/python -m bench.bench_roster_import [--experts 10000] [--keep]

In a scratch database of its own (bench/scratch_db.py) with the reference data: writes the roster file, times
``pandas.read_excel`` reading it (its default engine, openpyxl: the figure the target compares with; and with
calamine, the reader the hub uses), then the hub's import in one transaction (read, map, rule book on every row,
the database's checks, the writes, the audit), then the same file again (every row unchanged). Target: the
first import under 15 s. Exits 1 if the counts are not what they must be.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time

from openpyxl import Workbook
from sqlalchemy import create_engine, pool
from sqlalchemy.orm import Session

from bench.scratch_db import scratch_database
from models.enums import Role
from models.settings import Settings
from services.access import Principal
from services.experts import roster_import
from services.records.imports import read_table
from services.reference_data import CLEARANCE_TYPES, LANGUAGES, SKILLS, load_reference
from services.users import create_user

TARGET_S = 15.0


def roster_file(experts: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Roster")
    sheet.append([c.header("en") for c in roster_import.COLUMNS])
    levels = ["A2", "B1", "B2", "C1", "C2", "native"]
    for k in range(experts):
        skills = "; ".join(f"{code}:{rng.randint(1, 5)}" for code, *_ in rng.sample(SKILLS, rng.randint(1, 5)))
        languages = "; ".join(f"{code}:{rng.choice(levels)}" for code, *_ in rng.sample(LANGUAGES, rng.randint(1, 3)))
        clearances = "; ".join(f"{code}:2024-0{rng.randint(1, 9)}-15:2027-01-31"
                               for code, *_ in rng.sample(CLEARANCE_TYPES, rng.randint(0, 3)))
        row = {"staff_number": f"B{k:06d}", "given_name": f"Given{k}", "family_name": f"Family{k}",
               "gender": rng.choice(["female", "male"]), "nationality": rng.choice(["SEN", "FRA", "KEN", "NPL"]),
               "capacity": rng.choice(["SPC", "JCSC"]), "grade": rng.choice(["P-3", "P-4", "P-5"]),
               "contract_type": "fixed_term", "duty_station": "Brindisi", "email": f"b{k}@example.org",
               "entry_on_duty": f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-01", "status": "active",
               "skills": skills, "languages": languages, "clearances": clearances or None}
        sheet.append([row.get(c.field) for c in roster_import.COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(url: str, data: bytes, principal: Principal) -> tuple[float, roster_import.ImportResult]:
    engine = create_engine(url, poolclass=pool.NullPool)
    started = time.perf_counter()
    with Session(engine) as s, s.begin():
        result = roster_import.commit(s, principal, read_table(data, "roster.xlsx"))
    engine.dispose()
    return time.perf_counter() - started, result


def main() -> int:
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    data = roster_file(args.experts)
    print(f"roster file: {args.experts:,} experts, {len(data) / 1e6:.1f} MB")
    started = time.perf_counter()
    frame = pd.read_excel(io.BytesIO(data))
    pandas_s = time.perf_counter() - started
    print(f"pandas.read_excel alone:        {pandas_s:6.1f} s ({len(frame):,} rows)")
    started = time.perf_counter()
    pd.read_excel(io.BytesIO(data), engine="calamine")
    print(f"  (with engine='calamine':       {time.perf_counter() - started:6.1f} s; the hub reads with calamine too)")
    with scratch_database("hub_bench_roster", Settings(), keep=args.keep) as url:
        engine = create_engine(url, poolclass=pool.NullPool)
        with Session(engine) as s, s.begin():
            load_reference(s)
            user = create_user(s, "bench-planner", Role.PLANNER, "bench-password-123")
            s.flush()
            principal = Principal(user.id, user.username, Role.PLANNER)
        engine.dispose()
        first_s, first = _import(url, data, principal)
        print(f"hub import (checked, written): {first_s:6.1f} s  {first}  "
              f"({first_s / pandas_s:.1f}× pandas' read; target < {TARGET_S:.0f} s)")
        second_s, second = _import(url, data, principal)
        print(f"same file again (unchanged):   {second_s:6.1f} s  {second}")
    ok = first.created == args.experts and second.unchanged == args.experts and second.total == args.experts
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
