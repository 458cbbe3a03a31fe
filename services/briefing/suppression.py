"""Small-count suppression for the briefing role: the rule every number of a briefing passes through.

The rule (``threshold`` T is ``settings.suppression_threshold``, 5 by default):

- **Primary suppression**: a count of people (or requests) from 1 to T - 1 is not shown (``None``), in a cell
  and in a total alike. A count that small, crossed with a mission, a capacity and a period, can point at a
  person.
- **Zero is shown.** "Nobody" identifies nobody, and a briefing must be able to say that a mission had no
  deployment. So a reader knows that every hidden number is at least 1; the audit gives the attacker that.
- **Complementary suppression, for every table a reader sees at once.** The tables of one briefing view
  (missions, countries, regions, periods, their totals, the gender split, the map's points, the key figures,
  the service level) count the same people, so they share sums: the regions table minus the countries table
  gives a hidden country back. They are therefore protected together, as one linear system
  (:class:`Disclosure`), not table by table (the service level's requests in a system of their own: they share
  no unit with the people):

  * the **variables** are the finest cells there are: the number of people who fall in exactly the same set of
    published cells (one "pattern" per distinct combination of mission, country, region, capacity, periods,
    gender, deployments by gender marker, deployed on the day). Every number of the view is then exactly a
    linear form over these variables, whatever the overlaps (a person in two missions counts once in the
    region): region = sum of countries is one of the relations the system contains when it holds, and none
    when it does not. Giving the attacker the true list of patterns (only their counts unknown) is more than a
    reader knows, so every interval computed here is at most as wide as the reader's: safe.
  * what the reader knows: every shown number (an equation), every hidden number >= 1 (zeros are shown),
    every variable >= 0. Integers are relaxed to reals, the standard conservative bound (the real interval
    holds the integer one). The reader does not know which hidden numbers are primary (a complementary number
    carries the same mark), so no hidden number is bounded above by T - 1.
  * the **interval audit**: for each primary number p, linear programming (scipy's ``linprog``, HiGHS) gives the
    smallest and largest value p can take, [lo, hi]. It is **protected when hi - lo >= T**: the "sliding
    protection level" of the cell suppression literature (Fischetti & Salazar-González, "Solving the cell
    suppression problem on tabular data with linear constraints", Management Science 47(7), 2001; Hundepool et
    al., *Statistical Disclosure Control*, Wiley 2012, §4.2 and §5.5: a sensitive cell's feasible interval must
    be at least its protection level wide). Since lo >= 1, hi >= T + 1: the reader cannot even tell the hidden
    count is under the threshold.
  * while some p is not protected, one more number is hidden: among the shown numbers that bind p's bound (a
    non-zero dual value of the LP), the cheapest — inner cells before totals, totals before grand totals and
    headline figures, then the smallest value (it costs the least information). Hiding only ever widens every
    interval (an equation b = v becomes b >= 1, which v >= 1 satisfies), so cells already protected stay so and
    the loop ends (hiding everything leaves every interval unbounded). Before the LP, the cheap line rule of
    each table (no shown total beside exactly one hidden cell: the next-smallest non-zero cell of the line
    goes too, or the total when there is none) removes the obvious cases without solving anything.

Totals are the sums of their cells (so a reader can check every line); a table whose column sums mean nothing
(periods: one person counts in several) has no column totals. Hidden values are ``None`` here, ``null`` in JSON,
and shown as ``SUPPRESSED_MARK`` with a footnote.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

SUPPRESSED_MARK = "*"

R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)
Key = Hashable  # a number of a view: ("missions", "MINUSCA", "SPC"), ("figures", "experts_deployed"), ...
Atom = Hashable  # a finest cell a unit (a person, a request) falls in

# Ranks of a number for the choice of complementary suppressions: inner cells are hidden first.
CELL_RANK, TOTAL_RANK, GRAND_RANK = 0, 1, 2


def is_small(value: int | None, threshold: int) -> bool:
    """True for a count the primary rule hides: 1 .. threshold - 1."""
    return value is not None and 0 < value < threshold


def suppress_count(value: int | None, threshold: int) -> int | None:
    """One count on its own (no total beside it, no relation to any other shown count): hidden when small."""
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


class _Total:
    """The key of a totals row or column (a sentinel that sorts and prints plainly)."""

    def __repr__(self) -> str:
        return "TOTAL"


TOTAL: Any = _Total()


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


@dataclass(frozen=True)
class Protection:
    """What the audit decided: the true values, the hidden keys, and each primary number's interval."""

    values: dict[Key, int]
    hidden: frozenset[Key]
    primary: frozenset[Key]
    intervals: dict[Key, tuple[float, float]]  # primary key -> (lo, hi) the shown numbers allow
    linear_programs: int = 0  # how many LPs the audit solved (for the bench)
    seconds: float = 0.0  # the audit's wall-clock time (for the bench)
    cpu_seconds: float = 0.0  # ... and its processor time, which a loaded machine inflates less

    def shown(self, key: Key) -> int | None:
        return None if key in self.hidden else self.values[key]

    def table(self, name: Hashable, rows: Sequence[R], columns: Sequence[C], *, column_totals: bool = True
              ) -> SuppressedTable[R, C]:
        """A table registered with :meth:`Disclosure.add_table`, as the reader sees it."""
        rows, columns = list(rows), list(columns)
        keys = [(name, r, c) for r in rows for c in columns] + [(name, r, TOTAL) for r in rows]
        if column_totals:
            keys += [(name, TOTAL, c) for c in columns] + [(name, TOTAL, TOTAL)]
        return SuppressedTable(
            rows=rows, columns=columns,
            cells={(r, c): self.shown((name, r, c)) for r in rows for c in columns},
            row_totals={r: self.shown((name, r, TOTAL)) for r in rows},
            column_totals={c: self.shown((name, TOTAL, c)) for c in columns} if column_totals else {},
            total=self.shown((name, TOTAL, TOTAL)) if column_totals else None,
            hidden=sum(1 for k in keys if k in self.hidden),
        )


class Disclosure:
    """The numbers one view shows, as linear forms over the units they count, suppressed together.

    Units (people, requests) are added with the atoms (finest cells) each falls in and how many times
    (``{("missions", "MINUSCA", "SPC"): 1, ("marker", "1"): 2}``); numbers are added as sums of atoms. Units with
    the same atoms are one variable of the audit's linear programs, counted.
    """

    def __init__(self, threshold: int) -> None:
        if threshold < 1:
            raise ValueError("The suppression threshold must be at least 1.")
        self.threshold = threshold
        self._units: dict[frozenset[tuple[Atom, int]], int] = {}
        self._numbers: dict[Key, tuple[tuple[Atom, ...], int]] = {}
        self._lines: list[tuple[list[Key], Key]] = []
        self._relations: list[tuple[tuple[Atom, ...], tuple[Atom, ...], bool]] = []

    def add_unit(self, atoms: Mapping[Atom, int], count: int = 1) -> None:
        """``count`` units that fall in these atoms. A count of 0 is a pattern the reader cannot rule out (a
        person in a single place, say): a variable of the audit that the true data leaves at 0."""
        pattern = frozenset((a, int(n)) for a, n in atoms.items() if n)
        if pattern:
            self._units[pattern] = self._units.get(pattern, 0) + int(count)

    def add_relation(self, lower: Iterable[Atom], upper: Iterable[Atom], *, equal: bool = False) -> None:
        """A relation every reader may know, shown or not: sum(lower) <= sum(upper) (== with ``equal``), e.g.
        the experts deployed on a day of the period are some of those deployed in the period."""
        self._relations.append((tuple(lower), tuple(upper), equal))

    def add_number(self, key: Key, atoms: Iterable[Atom], rank: int = CELL_RANK) -> None:
        """A number the view shows: the sum of these atoms over all units."""
        self._numbers[key] = (tuple(atoms), rank)

    def add_line(self, cells: Sequence[Key], total: Key) -> None:
        """A shown total beside its cells, for the line rule (the audit sees the relation anyway)."""
        self._lines.append((list(cells), total))

    def add_table(self, name: Hashable, rows: Sequence[Hashable], columns: Sequence[Hashable], *,
                  column_totals: bool = True, cell_atoms: Mapping[tuple[Any, Any], Iterable[Atom]] | None = None,
                  ) -> None:
        """A two-way table whose cell (r, c) is the atom (name, r, c) (or ``cell_atoms[(r, c)]``), with row
        totals and, with ``column_totals``, column totals and the grand total, each the sum of its cells."""
        def atoms(r: Any, c: Any) -> tuple[Atom, ...]:
            return tuple(cell_atoms[(r, c)]) if cell_atoms is not None else ((name, r, c),)

        for r in rows:
            for c in columns:
                self.add_number((name, r, c), atoms(r, c))
            self.add_number((name, r, TOTAL), [a for c in columns for a in atoms(r, c)], TOTAL_RANK)
            self._lines.append(([(name, r, c) for c in columns], (name, r, TOTAL)))
        if column_totals:
            for c in columns:
                self.add_number((name, TOTAL, c), [a for r in rows for a in atoms(r, c)], TOTAL_RANK)
                self._lines.append(([(name, r, c) for r in rows], (name, TOTAL, c)))
            self.add_number((name, TOTAL, TOTAL), [a for r in rows for c in columns for a in atoms(r, c)],
                            GRAND_RANK)
            self._lines.append(([(name, TOTAL, c) for c in columns], (name, TOTAL, TOTAL)))
            self._lines.append(([(name, r, TOTAL) for r in rows], (name, TOTAL, TOTAL)))

    def protect(self) -> Protection:
        """Primary suppression, the line rule, then the interval audit until every primary number is protected."""
        wall, cpu = time.perf_counter(), time.process_time()
        totals: dict[Atom, int] = {}
        for pattern, count in self._units.items():
            for atom, n in pattern:
                totals[atom] = totals.get(atom, 0) + count * n
        values = {key: sum(totals.get(a, 0) for a in atoms) for key, (atoms, _rank) in self._numbers.items()}
        if any(0 < v < self.threshold for v in values.values()):
            protection = _Audit(self).run()
        else:  # nothing small: nothing to hide, no program to solve (a large view, usually)
            protection = Protection(values=values, hidden=frozenset(), primary=frozenset(), intervals={})
        return replace(protection, seconds=time.perf_counter() - wall, cpu_seconds=time.process_time() - cpu)



class _Audit:
    def __init__(self, system: Disclosure) -> None:
        self.t = system.threshold
        # A canonical order (not the order numbers were added, which follows the language of the row labels, nor
        # set order, which follows the process's hash seed): the same view must hide the same numbers in every
        # worker, language and format, or two answers together would show more than one.
        self.keys = sorted(system._numbers, key=repr)
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.rank = np.array([system._numbers[k][1] for k in self.keys])
        self.lines = sorted(([self.index[c] for c in cells], self.index[total]) for cells, total in system._lines)
        patterns = sorted(system._units, key=lambda p: sorted(repr(item) for item in p))
        counts = np.array([system._units[p] for p in patterns], dtype=float)
        by_atom: dict[Atom, list[tuple[int, int]]] = {}
        for j, pattern in enumerate(patterns):
            for atom, n in pattern:
                by_atom.setdefault(atom, []).append((j, n))
        rows: list[int] = []
        cols: list[int] = []
        data: list[float] = []
        for i, key in enumerate(self.keys):
            for atom in system._numbers[key][0]:
                for j, n in by_atom.get(atom, ()):
                    rows.append(i)
                    cols.append(j)
                    data.append(float(n))
        self.matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(self.keys), len(patterns)))
        self.relations_eq, self.relations_ub = self._relations(system, by_atom, len(patterns), counts)
        self.values = np.rint(self.matrix @ counts).astype(int) if patterns else np.zeros(len(self.keys), int)
        self.solved = 0
        # Every number's value at each feasible point seen (the true counts, then each LP's optimum). Hiding
        # only widens the feasible set, so they stay feasible: a target whose values at two of them are T apart
        # is protected without solving anything.
        self.points = np.array(self.values, dtype=float).reshape(-1, 1)
        self._cached: tuple[frozenset[int], Any] | None = None

    @staticmethod
    def _relations(system: Disclosure, by_atom: Mapping[Atom, list[tuple[int, int]]], width: int,
                   counts: np.ndarray) -> tuple[Any, Any]:
        """Rows lower - upper (== 0 or <= 0) over the units; each must hold for the true counts."""
        equal_rows: list[np.ndarray] = []
        upper_rows: list[np.ndarray] = []
        for lower, upper, equal in system._relations:
            row = np.zeros(width)
            for sign, atoms in ((1.0, lower), (-1.0, upper)):
                for atom in atoms:
                    for j, n in by_atom.get(atom, ()):
                        row[j] += sign * n
            gap = float(row @ counts)
            if (equal and abs(gap) > 1e-9) or gap > 1e-9:
                raise ValueError(f"The relation {lower} <= {upper} does not hold for the data.")
            (equal_rows if equal else upper_rows).append(row)
        return (sparse.csr_matrix(np.array(equal_rows)) if equal_rows else None,
                sparse.csr_matrix(np.array(upper_rows)) if upper_rows else None)

    def run(self) -> Protection:
        values = {k: int(v) for k, v in zip(self.keys, self.values, strict=True)}
        hidden = {i for i, v in enumerate(self.values) if 0 < v < self.t}
        primary = sorted(hidden, key=lambda i: (self.values[i], i))
        self._line_rule(hidden)
        intervals: dict[Key, tuple[float, float]] = {}
        for target in primary:
            while True:
                seen = self.points[target]
                if seen.max() - seen.min() >= self.t:  # two feasible points already this far apart
                    intervals[self.keys[target]] = (float(seen.min()), float(seen.max()))
                    break
                lo, hi, binding = self._interval(target, hidden)
                if hi - lo >= self.t:
                    intervals[self.keys[target]] = (lo, hi)
                    break
                candidates = [i for i in binding if i not in hidden and self.values[i] > 0]
                if not candidates:  # degenerate duals: any shown non-zero number that shares a unit with it
                    share_units = self.matrix @ self.matrix[target].T
                    candidates = [i for i in share_units.nonzero()[0] if i not in hidden and self.values[i] > 0]
                if not candidates:
                    candidates = [i for i in range(len(self.keys)) if i not in hidden and self.values[i] > 0]
                if not candidates:  # everything non-zero is hidden (cannot happen: the LP would be unbounded)
                    intervals[self.keys[target]] = (lo, hi)
                    break
                hidden.add(min(candidates, key=self._cost))
                self._line_rule(hidden)
        self._show_determined(hidden, set(primary))
        return Protection(values=values, hidden=frozenset(self.keys[i] for i in hidden),
                          primary=frozenset(self.keys[i] for i in primary), intervals=intervals,
                          linear_programs=self.solved)

    def _cost(self, i: int) -> tuple[int, int, str]:
        return (int(self.rank[i]), int(self.values[i]), str(self.keys[i]))

    def _line_rule(self, hidden: set[int]) -> None:
        """No shown total beside exactly one hidden cell of its line (the next-smallest non-zero cell goes too,
        or the total when the line has no other non-zero cell)."""
        changed = True
        while changed:
            changed = False
            for cells, total in self.lines:
                if total in hidden or sum(1 for c in cells if c in hidden) != 1:
                    continue
                candidates = [c for c in cells if c not in hidden and self.values[c] > 0]
                hidden.add(min(candidates, key=self._cost) if candidates else total)
                changed = True

    def _constraints(self, hidden: set[int]) -> tuple[np.ndarray, Any, np.ndarray, Any, np.ndarray]:
        """(shown rows, A_eq, b_eq, A_ub, b_ub) for this hidden set; kept while the set does not change, which
        is for most of the targets."""
        key = frozenset(hidden)
        if self._cached is None or self._cached[0] != key:
            shown_rows = np.array([i for i in range(len(self.keys)) if i not in hidden], dtype=int)
            hidden_rows = np.array(sorted(hidden), dtype=int)
            a_eq, b_eq = self.matrix[shown_rows], self.values[shown_rows].astype(float)
            a_ub, b_ub = -self.matrix[hidden_rows], -np.ones(len(hidden_rows))
            if self.relations_eq is not None:
                a_eq = sparse.vstack([a_eq, self.relations_eq])
                b_eq = np.concatenate([b_eq, np.zeros(self.relations_eq.shape[0])])
            if self.relations_ub is not None:
                a_ub = sparse.vstack([a_ub, self.relations_ub])
                b_ub = np.concatenate([b_ub, np.zeros(self.relations_ub.shape[0])])
            self._cached = (key, (shown_rows, sparse.csc_matrix(a_eq), b_eq, sparse.csc_matrix(a_ub), b_ub))
        return self._cached[1]

    def _solve(self, target: int, sign: float, hidden: set[int]) -> tuple[float, np.ndarray | None] | None:
        """The target's maximum (sign -1) or minimum (+1) over the feasible set, with the duals of the shown
        numbers' equations; None when the solver fails (the true counts are feasible, so it should not)."""
        shown_rows, a_eq, b_eq, a_ub, b_ub = self._constraints(hidden)
        objective = sign * self.matrix[target].toarray().ravel()
        problem = {"A_ub": a_ub if len(b_ub) else None, "b_ub": b_ub if len(b_ub) else None,
                   "A_eq": a_eq if len(b_eq) else None, "b_eq": b_eq if len(b_eq) else None}
        self.solved += 1
        res = linprog(objective, **problem, bounds=(0, None), method="highs")
        if res.status == 2:  # the true counts are feasible: HiGHS's presolve says so of some unbounded ones
            res = linprog(objective, **problem, bounds=(0, None), method="highs", options={"presolve": False})
        if res.status == 3:
            return -sign * np.inf, None
        if res.status != 0:
            return None
        self.points = np.hstack([self.points, (self.matrix @ res.x).reshape(-1, 1)])
        dual = res.eqlin.marginals[: len(shown_rows)] if len(b_eq) else np.zeros(0)
        return sign * float(res.fun), dual

    def _binding(self, dual: np.ndarray | None, hidden: set[int]) -> list[int]:
        if dual is None:
            return []
        shown_rows = self._constraints(hidden)[0]
        return [int(shown_rows[k]) for k in np.nonzero(np.abs(dual) > 1e-9)[0]]

    def _interval(self, target: int, hidden: set[int]) -> tuple[float, float, list[int]]:
        """[lo, hi] of the target given the shown numbers (equations), the hidden ones (>= 1) and units >= 0,
        with the shown numbers whose equations bind the bounds (non-zero duals). When hi alone proves the width
        (hi - the true value >= T, and lo <= the true value), lo is not computed and the true value stands in.
        A solver failure counts as exposed (the true value for both), so more is hidden: the safe side."""
        value = float(self.values[target])
        top = self._solve(target, -1.0, hidden)
        if top is None:
            return value, value, []
        hi, dual = top
        binding = self._binding(dual, hidden)
        if hi == np.inf or hi - 1.0 < self.t:  # unbounded; or failing whatever lo is (lo >= 1: it is hidden)
            return 1.0, hi, binding
        if hi - value >= self.t:  # lo <= the true value: wide enough whatever lo is
            return value, hi, binding
        bottom = self._solve(target, 1.0, hidden)
        if bottom is None:
            return value, value, binding
        return bottom[0], hi, binding + self._binding(bottom[1], hidden)

    def _show_determined(self, hidden: set[int], primary: set[int]) -> None:
        """Shows again the complementary numbers the shown ones determine exactly: hiding them protects nothing,
        and showing them adds an equation the feasible set already satisfies, so no interval changes."""
        for i in sorted(hidden - primary, key=lambda i: repr(self.keys[i])):
            seen = self.points[i]
            if seen.max() - seen.min() > 1e-6:
                continue  # two feasible points disagree: not determined
            top = self._solve(i, -1.0, hidden)
            bottom = self._solve(i, 1.0, hidden) if top is not None else None
            if top is not None and bottom is not None and top[0] - bottom[0] < 1e-6:
                hidden.discard(i)


def suppress_table(counts: Mapping[tuple[R, C], int], rows: Sequence[R], columns: Sequence[C], threshold: int,
                   *, column_totals: bool = True) -> SuppressedTable[R, C]:
    """A two-way table of counts on its own (no other table shares its units), with row totals (and, with
    ``column_totals``, column totals and the grand total): each cell is a variable of the audit."""
    system = Disclosure(threshold)
    system.add_table("t", rows, columns, column_totals=column_totals)
    for r in rows:
        for c in columns:
            system.add_unit({("t", r, c): 1}, int(counts.get((r, c), 0)))
    return system.protect().table("t", rows, columns, column_totals=column_totals)


def suppress_line(counts: Mapping[R, int], keys: Iterable[R], threshold: int) -> tuple[dict[R, int | None], int | None]:
    """A one-way table (counts by one thing, with their total): (suppressed counts, suppressed total)."""
    keys = list(keys)
    table = suppress_table({(k, 0): counts.get(k, 0) for k in keys}, keys, [0], threshold)
    return {k: table.cells[(k, 0)] for k in keys}, table.total


__all__ = ["CELL_RANK", "GRAND_RANK", "SUPPRESSED_MARK", "TOTAL", "TOTAL_RANK", "Disclosure", "Protection",
           "SuppressedTable", "is_small", "share", "shown", "suppress_count", "suppress_line", "suppress_table"]
