"""Small-count suppression for the briefing role: the rule every number of a briefing passes through.

The rule (``threshold`` is ``settings.suppression_threshold``, 5 by default):

- **Primary suppression**: a count of people from 1 to threshold - 1 is not shown (``None``), in a cell and in a
  total alike. A count that small, crossed with a mission, a capacity and a period, can point at a person.
- **Zero is shown.** "Nobody" identifies nobody, and a briefing must be able to say that a mission had no
  deployment; hiding zeros would also mark every hidden cell as "small but not empty", which helps no one.
- **Complementary suppression**: a hidden cell must not be recoverable by subtracting the shown cells of its
  row or column from the shown total. So in every line (row or column, the line of totals included) whose
  total is shown, the number of hidden entries is never exactly one: when it is, the next-smallest non-zero
  cell of that line is hidden too (it costs the least information; a zero would not help, since a hidden 0
  and a hidden 3 still sum to the known 3 — any split is as likely, but a briefer expects zeros shown), and
  when the line has no other non-zero cell, its total is hidden instead. Hiding one cell can create a line
  with a single hidden cell elsewhere, so the pass repeats until nothing changes (it ends: hidden entries
  only ever grow). We hide a neighbour rather than round the totals because the totals are the headline
  figures of a briefing and should add up to what the room sees. The line rule alone misses sums across
  lines (a hidden row total can be bypassed through the grand total and the other rows), so after it an
  audit solves the table's equations and hides one more neighbour of any entry they still determine.

Known limit, on purpose: this protects each table against subtraction along its lines (what a reader can do
with a calculator). It is not a full linear-programming audit of several tables that share margins; the
briefing's tables are therefore built on the same counts and suppressed with the same rule, and the briefing
filter has no person-level dimensions (gender, skill) that would cut the population finer.

Hidden values are ``None`` here, ``null`` in JSON, and shown as ``SUPPRESSED_MARK`` with a footnote; a
complementary cell is shown with the same mark as a primary one so that readers cannot tell which is small.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

SUPPRESSED_MARK = "*"

R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


def is_small(value: int | None, threshold: int) -> bool:
    """True for a count the primary rule hides: 1 .. threshold - 1."""
    return value is not None and 0 < value < threshold


def suppress_count(value: int | None, threshold: int) -> int | None:
    """One count on its own (no total beside it): hidden when small."""
    if value is None:
        return None
    return None if is_small(int(value), threshold) else int(value)


def share(part: int, whole: int, threshold: int) -> float | None:
    """part / whole, only when both the part and the rest (whole - part) pass the threshold.

    A share beside a known total gives the part back (20 % of 10 is 2), so a share is shown only where the
    counts it is made of could be shown themselves.
    """
    rest = whole - part
    if whole <= 0 or part < threshold or rest < threshold:
        return None
    return round(part / whole, 4)


def shown(value: int | None) -> str:
    """A count as text for a page, a slide or a PDF: the number, or the suppression mark."""
    return SUPPRESSED_MARK if value is None else f"{value:,}"


@dataclass(frozen=True)
class SuppressedTable(Generic[R, C]):
    """Counts by row and column with their totals, after suppression (None = hidden)."""

    rows: list[R]
    columns: list[C]
    cells: dict[tuple[R, C], int | None]
    row_totals: dict[R, int | None]
    column_totals: dict[C, int | None] = field(default_factory=dict)  # empty when the table has none
    total: int | None = None
    hidden: int = 0  # how many numbers (cells and totals) the rule hid

    def cell(self, row: R, column: C) -> int | None:
        return self.cells.get((row, column), 0)

    def as_rows(self, row_name: str = "row") -> list[dict[str, Any]]:
        """One dict a row: the row key, one entry per column, and "total" (None where hidden)."""
        out = []
        for row in self.rows:
            item: dict[str, Any] = {row_name: row}
            for column in self.columns:
                item[str(column)] = self.cell(row, column)
            item["total"] = self.row_totals[row]
            out.append(item)
        return out


def suppress_table(counts: Mapping[tuple[R, C], int], rows: Sequence[R], columns: Sequence[C], threshold: int,
                   *, column_totals: bool = True) -> SuppressedTable[R, C]:
    """Suppresses a two-way table of counts with row totals (and, with ``column_totals``, column totals and the
    grand total). The totals are the sums of the cells, so every line can be checked by subtraction; a table
    whose column sums mean nothing (periods: one person counts in several) asks for ``column_totals=False``.
    """
    rows, columns = list(rows), list(columns)
    value: dict[tuple[Any, Any], int] = {(r, c): int(counts.get((r, c), 0)) for r in rows for c in columns}
    total_col, total_row = _TOTAL, _TOTAL
    for r in rows:
        value[(r, total_col)] = sum(value[(r, c)] for c in columns)
    if column_totals:
        for c in columns:
            value[(total_row, c)] = sum(value[(r, c)] for r in rows)
        value[(total_row, total_col)] = sum(value[(r, total_col)] for r in rows)

    hidden = {key for key, v in value.items() if is_small(v, threshold)}
    # The lines to keep consistent: each row with its total, each column with its total (the totals row and
    # column are lines too, closed by the grand total).
    lines: list[tuple[list[tuple[Any, Any]], tuple[Any, Any]]] = []
    row_keys = [*rows, total_row] if column_totals else rows
    for r in row_keys:
        lines.append(([(r, c) for c in columns], (r, total_col)))
    if column_totals:
        for c in [*columns, total_col]:
            lines.append(([(r, c) for r in rows], (total_row, c)))
    _complete(lines, value, hidden)

    def out(key: tuple[Any, Any]) -> int | None:
        return None if key in hidden else value[key]

    return SuppressedTable(
        rows=rows, columns=columns,
        cells={(r, c): out((r, c)) for r in rows for c in columns},
        row_totals={r: out((r, total_col)) for r in rows},
        column_totals={c: out((total_row, c)) for c in columns} if column_totals else {},
        total=out((total_row, total_col)) if column_totals else None,
        hidden=len(hidden),
    )


def suppress_line(counts: Mapping[R, int], keys: Iterable[R], threshold: int) -> tuple[dict[R, int | None], int | None]:
    """A one-way table (counts by one thing, with their total): (suppressed counts, suppressed total)."""
    keys = list(keys)
    table = suppress_table({(k, 0): counts.get(k, 0) for k in keys}, keys, [0], threshold)
    return {k: table.cells[(k, 0)] for k in keys}, table.total


class _Total:
    """The key of a totals row or column (a sentinel that sorts and prints plainly)."""

    def __repr__(self) -> str:
        return "TOTAL"


_TOTAL: Any = _Total()


def _complete(lines: list[tuple[list[tuple[Any, Any]], tuple[Any, Any]]], value: dict[tuple[Any, Any], int],
              hidden: set[tuple[Any, Any]]) -> None:
    """Complementary suppression: the line rule, then an audit that no hidden entry follows from the shown ones
    by any sum of lines (a hidden total can be bypassed through its other lines), repeated until both hold."""
    while True:
        _line_rule(lines, value, hidden)
        exposed = _exposed(lines, hidden)
        if not exposed:
            return
        key = exposed[0]
        near = {k for cells, total in lines if key in cells or key == total for k in (*cells, total)}
        candidates = [k for k in near if k not in hidden and value[k] > 0]
        if not candidates:
            candidates = [k for k in value if k not in hidden and value[k] > 0]
        if not candidates:
            return  # everything left is a shown zero: nothing more can be hidden usefully
        hidden.add(min(candidates, key=lambda k: (value[k], str(k))))


def _line_rule(lines: list[tuple[list[tuple[Any, Any]], tuple[Any, Any]]], value: dict[tuple[Any, Any], int],
               hidden: set[tuple[Any, Any]]) -> None:
    """No shown total beside exactly one hidden cell of its line (the next-smallest non-zero cell goes too)."""
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            if total in hidden:
                continue  # nothing to subtract from
            gone = [c for c in cells if c in hidden]
            if len(gone) != 1:
                continue
            candidates = [c for c in cells if c not in hidden and value[c] > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda c: (value[c], str(c))))
            else:
                hidden.add(total)
            changed = True


def _exposed(lines: list[tuple[list[tuple[Any, Any]], tuple[Any, Any]]], hidden: set[tuple[Any, Any]]
             ) -> list[tuple[Any, Any]]:
    """Hidden entries the shown ones determine exactly. Each line says sum(cells) - total = 0; with the shown
    entries moved to the right-hand side the hidden ones are the unknowns, and an unknown is determined exactly
    when every solution of the homogeneous system leaves it at zero (its row of the null-space basis is 0).
    One SVD (numpy), so the audit costs milliseconds for a briefing's tables."""
    if not hidden:
        return []
    import numpy as np

    keys = sorted(hidden, key=str)
    index = {k: i for i, k in enumerate(keys)}
    equations = []
    for cells, total in lines:
        eq = np.zeros(len(keys))
        for c in cells:
            if c in index:
                eq[index[c]] += 1.0
        if total in index:
            eq[index[total]] -= 1.0
        if eq.any():
            equations.append(eq)
    if not equations:
        return []
    matrix = np.array(equations)
    _u, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9).sum())
    null = vt[rank:].T  # columns span the solutions of matrix @ x = 0
    if null.shape[1] == 0:
        return keys  # fully determined
    return [k for k in keys if np.abs(null[index[k]]).max() < 1e-9]


__all__ = ["SUPPRESSED_MARK", "SuppressedTable", "is_small", "share", "shown", "suppress_count", "suppress_line",
           "suppress_table"]
