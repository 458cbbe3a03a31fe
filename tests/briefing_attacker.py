"""An attacker of the briefing's suppression, written apart from it: it imports nothing of services/briefing.

It reads only what a briefing user receives — the ``/api/v1/briefing`` answer (figures, gender split, tables,
service level) and the page's mission table with its column totals — plus public geography (which region a
country is in), writes its own equations and inequalities, and asks its own linear programs (scipy's linprog)
for the smallest and largest value of every hidden number (``null``).

What it assumes (each is true of any data, so its intervals always hold the true value):
- a row's total is the sum of its cells; the mission table's column totals are sums of its column; the periods
  table's rows likewise; the deployments by gender marker sum to their total;
- every expert has one capacity and one gender: experts deployed = sum over capacities of D(c) (unknown
  distinct experts of capacity c) = sum of the experts by gender;
- D(c) is at least any one cell of column c of the missions, countries, regions or periods table, and at most
  the sum of that column (an expert counts once in each row they served in);
- a region's count is at least each of its countries' and at most their sum;
- experts on the day of the period <= experts deployed <= deployments; deployed requests <= requests, per
  quarter and capacity, and within target <= deployed;
- a hidden number is >= 1 (zeros are shown); all counts >= 0.

``additive=True`` adds the guess of the issue's example (every expert served in one place): a region's count is
the sum of its countries', and D(c) is the sum of each of the missions', countries' and regions' columns. A guess
can be wrong; when it contradicts what is shown the LP is infeasible and the guess is dropped (``None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.optimize import linprog

Var = tuple[Any, ...]
CAPACITY_COLUMNS_SKIP = {"mission", "name", "iso3", "country", "region", "period", "total"}


class Model:
    def __init__(self) -> None:
        self.index: dict[Var, int] = {}
        self.eq: list[tuple[dict[int, float], float]] = []  # sum(coef * x) == rhs
        self.le: list[tuple[dict[int, float], float]] = []  # sum(coef * x) <= rhs
        self.hidden: list[Var] = []

    def var(self, name: Var) -> int:
        if name not in self.index:
            self.index[name] = len(self.index)
        return self.index[name]

    def term(self, name: Var, value: Any, *, positive: bool = True) -> tuple[dict[int, float], float]:
        """A number as (coefficients, constant): a shown number is a constant, a hidden one a variable (>= 1
        when zeros are shown for it)."""
        if value is None:
            if name not in self.index:
                self.hidden.append(name)
                if positive:
                    self.le.append(({self.var(name): -1.0}, -1.0))
            return {self.var(name): 1.0}, 0.0
        return {}, float(value)

    @staticmethod
    def combine(*parts: tuple[float, tuple[dict[int, float], float]]) -> tuple[dict[int, float], float]:
        coef: dict[int, float] = {}
        const = 0.0
        for sign, (c, k) in parts:
            for i, v in c.items():
                coef[i] = coef.get(i, 0.0) + sign * v
            const += sign * k
        return coef, const

    def equal(self, left: list[tuple[dict[int, float], float]], right: list[tuple[dict[int, float], float]]) -> None:
        coef, const = self.combine(*[(1.0, t) for t in left], *[(-1.0, t) for t in right])
        if coef:
            self.eq.append((coef, -const))

    def at_most(self, left: list[tuple[dict[int, float], float]], right: list[tuple[dict[int, float], float]]
                ) -> None:
        coef, const = self.combine(*[(1.0, t) for t in left], *[(-1.0, t) for t in right])
        if coef:
            self.le.append((coef, -const))

    def intervals(self) -> dict[Var, tuple[float, float]] | None:
        """[min, max] of every hidden number; None when the constraints contradict each other."""
        n = len(self.index)
        if not self.hidden:
            return {}

        def matrix(rows: list[tuple[dict[int, float], float]]) -> tuple[Any, Any]:
            if not rows:
                return None, None
            a = np.zeros((len(rows), n))
            for r, (coef, _rhs) in enumerate(rows):
                for i, v in coef.items():
                    a[r, i] = v
            return a, np.array([rhs for _coef, rhs in rows])

        a_eq, b_eq = matrix(self.eq)
        a_ub, b_ub = matrix(self.le)
        out: dict[Var, tuple[float, float]] = {}
        for name in self.hidden:
            c = np.zeros(n)
            c[self.index[name]] = 1.0
            bounds = []
            for sign in (1.0, -1.0):
                res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None),
                              method="highs")
                if res.status == 2:  # HiGHS's presolve says "infeasible" for some unbounded problems: ask again
                    res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None),
                                  method="highs", options={"presolve": False})
                if res.status == 2:
                    return None
                bounds.append(np.inf if res.status == 3 else sign * res.fun)
            out[name] = (bounds[0], bounds[1])
        return out


def _capacities(rows: list[dict[str, Any]]) -> list[str]:
    return [k for k in (rows[0] if rows else {}) if k not in CAPACITY_COLUMNS_SKIP]


def build(answer: Mapping[str, Any], mission_totals: Mapping[str, int | None] | None,
          region_of: Mapping[str, str], day_in_period: bool, *, additive: bool = False) -> Model:
    """The attacker's model of one briefing view. ``answer``: the /api/v1/briefing JSON; ``mission_totals``:
    the page's mission table's total row (capacity -> number, "total" -> grand total) when it has one."""
    m = Model()
    tables = answer["tables"]
    figures = answer["figures"]
    keys = {"missions": "mission", "countries": "iso3", "regions": "region", "periods": "period"}
    capacities = _capacities(tables["missions"] or tables["periods"])
    deployed = m.term(("figures", "experts_deployed"), figures["experts_deployed"])
    distinct = {c: ({m.var(("D", c)): 1.0}, 0.0) for c in capacities}
    m.equal(list(distinct.values()), [deployed])
    cells: dict[str, dict[tuple[str, str], tuple[dict[int, float], float]]] = {}
    for table, key in keys.items():
        cells[table] = {}
        for row in tables[table]:
            r = str(row[key])
            parts = []
            for c in capacities:
                cells[table][(r, c)] = m.term((table, r, c), row[c])
                parts.append(cells[table][(r, c)])
            m.equal(parts, [m.term((table, r, "total"), row["total"])])
        for c in capacities:
            column = [t for (_r, cc), t in cells[table].items() if cc == c]
            if not column:
                continue
            m.at_most([distinct[c]], column)
            for t in column:
                m.at_most([t], [distinct[c]])
            if additive and table != "periods":
                m.equal([distinct[c]], column)
    if mission_totals:
        for c in capacities:
            m.equal([t for (_r, cc), t in cells["missions"].items() if cc == c],
                    [m.term(("missions", "TOTAL", c), mission_totals.get(c))])
        m.equal([m.term(("missions", "TOTAL", c), mission_totals.get(c)) for c in capacities],
                [m.term(("missions", "TOTAL", "total"), mission_totals.get("total"))])
    for (region, c), t in cells["regions"].items():
        inside = [tk for (k, cc), tk in cells["countries"].items() if cc == c and region_of.get(k) == region]
        if not inside:
            continue
        if additive:
            m.equal([t], inside)
        else:
            m.at_most([t], inside)
            for tk in inside:
                m.at_most([tk], [t])
    gender = answer["gender"]
    m.equal([m.term(("gender", g), v) for g, v in gender["experts_by_gender"].items()], [deployed])
    deployments = m.term(("marker", "total"), gender["deployments"])
    m.equal([m.term(("marker", k), v) for k, v in gender["by_marker"].items()], [deployments])
    m.at_most([deployed], [deployments])
    if day_in_period:
        m.at_most([m.term(("figures", "deployed_on_day"), figures["deployed_on_day"])], [deployed])
    service = answer["service_level"]
    requests = m.term(("service", "requests"), service["requests"])
    done = m.term(("service", "deployed"), service["deployed"])
    by_quarter = tables.get("service_level") or []
    if by_quarter:
        req = [m.term(("req", p["period"], p["capacity"]), p["requests"]) for p in by_quarter]
        dep = [m.term(("dep", p["period"], p["capacity"]), p["deployed"]) for p in by_quarter]
        m.equal(req, [requests])
        m.equal(dep, [done])
        for r, d in zip(req, dep, strict=True):
            m.at_most([d], [r])
    m.at_most([done], [requests])
    if service.get("within_target") is not None or service["deployed"] is None:
        # hidden also when what the target leaves beside it is small, so it may be a hidden 0
        m.at_most([m.term(("service", "within_target"), service.get("within_target"), positive=False)], [done])
    return m


def attack(answer: Mapping[str, Any], mission_totals: Mapping[str, int | None] | None,
           region_of: Mapping[str, str], day_in_period: bool) -> dict[str, dict[Var, tuple[float, float]] | None]:
    """Intervals of every hidden number under the sure model ("sure", never None on true data) and under the
    additive guess ("additive", None when the guess contradicts what is shown)."""
    return {"sure": build(answer, mission_totals, region_of, day_in_period).intervals(),
            "additive": build(answer, mission_totals, region_of, day_in_period, additive=True).intervals()}


def disclosed(found: Mapping[str, Mapping[Var, tuple[float, float]] | None], truth: Mapping[Var, int],
              threshold: int) -> list[tuple[str, Var, int, tuple[float, float]]]:
    """Hidden small numbers (1 .. threshold - 1) pinned to an interval narrower than the threshold that holds
    their true value (a guess that pins a number to a wrong interval discloses nothing)."""
    out = []
    for model, intervals in found.items():
        for name, (lo, hi) in (intervals or {}).items():
            value = truth.get(name)
            if value is None or not 0 < value < threshold:
                continue
            if hi - lo < threshold - 1e-6 and lo - 1e-6 <= value <= hi + 1e-6:
                out.append((model, name, value, (lo, hi)))
    return out


def attack_table(rows: list[dict[str, Any]], columns: list[str], column_totals: Mapping[str, Any] | None = None,
                 grand: Any = None) -> dict[Var, tuple[float, float]] | None:
    """One two-way table on its own: rows of {column: number or None, "total": ...}, and its column totals and
    grand total when it shows them. Names: ("cell", row index, column), ("row", i), ("col", column), ("all",)."""
    m = Model()
    for i, row in enumerate(rows):
        m.equal([m.term(("cell", i, c), row[c]) for c in columns], [m.term(("row", i), row["total"])])
    if column_totals is not None:
        for c in columns:
            m.equal([m.term(("cell", i, c), row[c]) for i, row in enumerate(rows)],
                    [m.term(("col", c), column_totals[c])])
        m.equal([m.term(("col", c), column_totals[c]) for c in columns], [m.term(("all",), grand)])
        m.equal([m.term(("row", i), row["total"]) for i, row in enumerate(rows)], [m.term(("all",), grand)])
    return m.intervals()
