"""The suppression rule on hand-made tables: nothing under the threshold survives, and no hidden cell can be
worked out by subtracting the shown cells of its row or column from the shown total."""

from __future__ import annotations

import random

import numpy as np
import pytest

from services.briefing.suppression import (
    SUPPRESSED_MARK,
    is_small,
    share,
    shown,
    suppress_count,
    suppress_line,
    suppress_table,
)

T = 5


def _lines(table):  # type: ignore[no-untyped-def]
    """Every (cells, total) line of a suppressed table, the totals row and column included."""
    rows, cols = table.rows, table.columns
    out = [([table.cells[(r, c)] for c in cols], table.row_totals[r]) for r in rows]
    if table.column_totals:
        out += [([table.cells[(r, c)] for r in rows], table.column_totals[c]) for c in cols]
        out.append(([table.column_totals[c] for c in cols], table.total))
        out.append(([table.row_totals[r] for r in rows], table.total))
    return out


def _check(counts, rows, cols, threshold=T, column_totals=True):  # type: ignore[no-untyped-def]
    table = suppress_table(counts, rows, cols, threshold, column_totals=column_totals)
    numbers = list(table.cells.values()) + list(table.row_totals.values()) + list(table.column_totals.values())
    numbers.append(table.total)
    # 1. Nothing small survives.
    assert not [n for n in numbers if n is not None and 0 < n < threshold]
    # 2. Shown numbers are the true ones.
    for (r, c), v in table.cells.items():
        assert v is None or v == counts.get((r, c), 0)
    # 3. No line with a shown total has exactly one hidden entry (subtraction would give it back).
    for cells, total in _lines(table):
        if total is not None:
            assert sum(1 for v in cells if v is None) != 1, (cells, total)
    return table


def test_single_counts_and_zero() -> None:
    assert [suppress_count(n, T) for n in (0, 1, 4, 5, 12)] == [0, None, None, 5, 12]
    assert not is_small(0, T) and is_small(1, T) and is_small(4, T) and not is_small(5, T)
    assert shown(None) == SUPPRESSED_MARK and shown(1234) == "1,234"


def test_one_small_cell_takes_the_next_smallest_with_it() -> None:
    counts = {("A", "SPC"): 3, ("A", "JCSC"): 10, ("B", "SPC"): 20, ("B", "JCSC"): 30}
    table = _check(counts, ["A", "B"], ["SPC", "JCSC"])
    assert table.cells[("A", "SPC")] is None
    assert table.cells[("A", "JCSC")] is None  # its row's complement
    assert table.cells[("B", "SPC")] is None  # its column's complement
    assert table.row_totals["A"] == 13 and table.total == 63


def test_a_small_cell_alone_with_zeros_hides_its_total() -> None:
    counts = {("A", "SPC"): 2, ("A", "JCSC"): 0, ("B", "SPC"): 9, ("B", "JCSC"): 7}
    table = _check(counts, ["A", "B"], ["SPC", "JCSC"])
    assert table.cells[("A", "SPC")] is None and table.cells[("A", "JCSC")] == 0
    assert table.row_totals["A"] is None  # 2 + 0: the total would give the 2 back


def test_zeros_are_shown_and_a_table_of_zeros_is_untouched() -> None:
    counts = {("A", "x"): 0, ("B", "x"): 0}
    table = _check(counts, ["A", "B"], ["x"])
    assert table.hidden == 0 and table.total == 0


def test_one_way_line() -> None:
    cells, total = suppress_line({"GM0": 3, "GM1": 12, "GM2": 40, "GM3": 0}, ["GM0", "GM1", "GM2", "GM3"], T)
    assert cells == {"GM0": None, "GM1": None, "GM2": 40, "GM3": 0} and total == 55


def test_period_table_without_column_totals() -> None:
    counts = {("2025-01", "SPC"): 6, ("2025-01", "JCSC"): 1, ("2025-02", "SPC"): 8, ("2025-02", "JCSC"): 9}
    table = _check(counts, ["2025-01", "2025-02"], ["SPC", "JCSC"], column_totals=False)
    assert table.cells[("2025-01", "JCSC")] is None and table.cells[("2025-01", "SPC")] is None
    assert table.column_totals == {} and table.total is None


def _recoverable(table):  # type: ignore[no-untyped-def]
    """Hidden numbers (cells and totals) that some combination of additions and subtractions of the shown
    ones gives back. Unknowns: the hidden numbers; one equation a line (cells - total = 0); a number is
    determined exactly when its unit vector lies in the span of the equations (rank test, numpy)."""
    rows, cols = table.rows, table.columns
    entries = {("cell", r, c): v for (r, c), v in table.cells.items()}
    entries |= {("row", r): v for r, v in table.row_totals.items()}
    entries |= {("col", c): v for c, v in table.column_totals.items()}
    if table.column_totals:
        entries[("all",)] = table.total
    hidden = [k for k, v in entries.items() if v is None]
    index = {k: i for i, k in enumerate(hidden)}
    lines = [([("cell", r, c) for c in cols], ("row", r)) for r in rows]
    if table.column_totals:
        lines += [([("cell", r, c) for r in rows], ("col", c)) for c in cols]
        lines += [([("col", c) for c in cols], ("all",)), ([("row", r) for r in rows], ("all",))]
    equations = []
    for cells, total in lines:
        eq = np.zeros(len(hidden))
        for k in cells:
            if k in index:
                eq[index[k]] += 1
        if total in index:
            eq[index[total]] -= 1
        if eq.any():
            equations.append(eq)
    if not hidden or not equations:
        return []
    matrix = np.array(equations)
    rank = np.linalg.matrix_rank(matrix)
    out = []
    for key, i in index.items():
        unit = np.zeros(len(hidden))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            out.append(key)
    return out


@pytest.mark.parametrize("seed", range(200))
def test_random_small_tables_hide_every_small_count_recoverably_never(seed: int) -> None:
    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randint(1, 5))]
    cols = [f"c{j}" for j in range(rng.randint(1, 4))]
    counts = {(r, c): rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 11]) for r in rows for c in cols}
    table = _check(counts, rows, cols)
    assert _recoverable(table) == []


@pytest.mark.parametrize("seed", range(20))
def test_random_larger_tables_keep_the_line_rule(seed: int) -> None:
    rng = random.Random(1000 + seed)
    rows = [f"m{i}" for i in range(rng.randint(3, 25))]
    cols = ["SPC", "JCSC", "X"][: rng.randint(1, 3)]
    counts = {(r, c): rng.choice([0, 1, 2, 3, 4, 5, 7, 9, 13, 30]) for r in rows for c in cols}
    for table in (_check(counts, rows, cols), _check(counts, rows, cols, column_totals=False),
                  _check(counts, rows, cols, threshold=10)):
        assert _recoverable(table) == []


def test_shares_need_both_sides_to_pass() -> None:
    assert share(2, 10, T) is None  # 20 % of a known 10 is 2 women
    assert share(8, 10, T) is None  # ... or 2 men
    assert share(5, 10, T) == 0.5
    assert share(0, 0, T) is None
