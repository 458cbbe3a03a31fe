"""The briefing's suppression against an attacker written apart from it (tests/briefing_attacker.py): on the two
examples of issue 13, on random tables and random worlds, and on the real tables of the demo data as a briefing
user receives them through the HTTP API and the page."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from services.briefing.aggregates import _Expert, _People, protect_people
from services.briefing.suppression import TOTAL, suppress_table
from tests.briefing_attacker import attack, attack_table, disclosed
from tests.factories import callback_payload

T = 5
CAPS = ["JCSC", "SPC"]


# --- one table -----------------------------------------------------------------------------------------------
def _published(counts: dict[tuple[str, str], int], rows: list[str], cols: list[str], threshold: int = T
               ) -> tuple[list[dict[str, Any]], dict[str, Any], Any, dict[Any, int]]:
    """The table as a reader gets it (suppressed), and the truth under the attacker's names."""
    table = suppress_table(counts, rows, cols, threshold)
    published = [{**{c: table.cells[(r, c)] for c in cols}, "total": table.row_totals[r]} for r in rows]
    truth: dict[Any, int] = {("cell", i, c): counts.get((r, c), 0) for i, r in enumerate(rows) for c in cols}
    truth |= {("row", i): sum(counts.get((r, c), 0) for c in cols) for i, r in enumerate(rows)}
    truth |= {("col", c): sum(counts.get((r, c), 0) for r in rows) for c in cols}
    truth[("all",)] = sum(counts.values())
    return published, table.column_totals, table.total, truth


def test_issue_example_within_a_table_is_protected() -> None:
    """{A: SPC 1, JCSC 1, X 20; B: SPC 9, JCSC 8, X 30} with A's total and the column totals shown: the line rule
    alone hid A's and B's SPC and JCSC, and then A_SPC + A_JCSC = 22 - 20 = 2 with each >= 1 gave 1 and 1, and
    the column totals gave B's 9 and 8."""
    rows, cols = ["A", "B"], ["SPC", "JCSC", "X"]
    counts = {("A", "SPC"): 1, ("A", "JCSC"): 1, ("A", "X"): 20, ("B", "SPC"): 9, ("B", "JCSC"): 8, ("B", "X"): 30}
    published, column_totals, grand, truth = _published(counts, rows, cols)
    found = attack_table(published, cols, column_totals, grand)
    assert found is not None
    assert disclosed({"sure": found}, truth, T) == []
    for name in (("cell", 0, "SPC"), ("cell", 0, "JCSC")):
        lo, hi = found[name]
        assert hi - lo >= T, (name, lo, hi)
    # The attacker has teeth: what the line rule alone published gives every hidden cell back.
    before = [{"SPC": None, "JCSC": None, "X": 20, "total": 22}, {"SPC": None, "JCSC": None, "X": 30, "total": 47}]
    pinned = attack_table(before, cols, {"SPC": 10, "JCSC": 9, "X": 50}, 69)
    assert pinned is not None and pinned[("cell", 0, "SPC")] == (1.0, 1.0) and pinned[("cell", 1, "SPC")] == (9, 9)
    assert {d[1] for d in disclosed({"sure": pinned}, truth, T)} == {("cell", 0, "SPC"), ("cell", 0, "JCSC")}


@pytest.mark.parametrize("seed", range(250))
def test_random_tables_resist_the_attacker(seed: int) -> None:
    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randint(1, 6))]
    cols = [f"c{j}" for j in range(rng.randint(1, 4))]
    threshold = rng.choice([3, 5, 5, 10])
    counts = {(r, c): rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 11, 25]) for r in rows for c in cols}
    published, column_totals, grand, truth = _published(counts, rows, cols, threshold)
    found = attack_table(published, cols, column_totals, grand)
    assert found is not None  # the attacker's equations hold for the truth
    assert disclosed({"sure": found}, truth, threshold) == []
    assert _determined(found) == []


# --- worlds of several tables (pure: the audit without the database) -------------------------------------------
def _answer(joint: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[Any, int]]:
    """What the API and the page give a reader for these protected tables, and the truth under the attacker's
    names."""
    p = joint["protection"]
    keys = {"missions": "mission", "countries": "iso3", "regions": "region", "periods": "period"}
    tables: dict[str, list[dict[str, Any]]] = {"service_level": []}
    truth: dict[Any, int] = {}
    for name, key in keys.items():
        t = joint[name]
        tables[name] = []
        for r in t.rows:
            label = r.isoformat() if isinstance(r, date) else str(r)
            tables[name].append({key: label, **{c: t.cells[(r, c)] for c in t.columns}, "total": t.row_totals[r]})
            truth |= {(name, label, c): p.values[(name, r, c)] for c in t.columns}
            truth[(name, label, "total")] = p.values[(name, r, TOTAL)]
    missions = joint["missions"]
    totals = {**missions.column_totals, "total": missions.total}
    truth |= {("missions", "TOTAL", c): p.values[("missions", TOTAL, c)] for c in missions.columns}
    truth[("missions", "TOTAL", "total")] = p.values[("missions", TOTAL, TOTAL)]
    for name in ("experts_deployed", "deployed_on_day"):
        truth[("figures", name)] = p.values[("figures", name)]
    genders = {k[1]: p.shown(k) for k in p.values if k[0] == "gender"}
    markers = {k[1]: p.shown(k) for k in p.values if k[0] == "marker" and k[1] is not TOTAL}
    truth |= {k: v for k, v in p.values.items() if k[0] == "gender" or (k[0] == "marker" and k[1] is not TOTAL)}
    truth[("marker", "total")] = p.values[("marker", TOTAL)]
    answer = {
        "tables": tables,
        "figures": {"experts_deployed": p.shown(("figures", "experts_deployed")),
                    "deployed_on_day": p.shown(("figures", "deployed_on_day"))},
        "gender": {"experts_by_gender": genders, "by_marker": markers, "deployments": p.shown(("marker", TOTAL))},
        "service_level": {"requests": 0, "deployed": 0, "within_target": 0},
    }
    return answer, totals, truth


PERIODS = [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]


def _determined(intervals: dict[Any, tuple[float, float]]) -> list[Any]:
    """Hidden numbers the attacker's sure model pins to one value."""
    return [name for name, (lo, hi) in intervals.items() if hi - lo < 1e-6]


def _reveal_complements(answer: dict[str, Any], truth: dict[Any, int]) -> dict[str, Any]:
    """The answer with every hidden count of the countries and regions tables that is not small shown again."""
    import copy

    out = copy.deepcopy(answer)
    for table, key in (("countries", "iso3"), ("regions", "region")):
        for row in out["tables"][table]:
            for column, value in row.items():
                name = (table, row[key], column)
                if value is None and truth.get(name, 0) >= T:
                    row[column] = truth[name]
    return out


def _expert(capacity: str, places: list[tuple[str, str, str]], periods: list[date], gender: str = "male",
            on_day: bool = False) -> _Expert:
    return _Expert(capacity=capacity, gender=gender, places=set(places), periods=set(periods),
                   markers={"1": 1}, on_day=on_day)


def test_issue_example_across_tables_is_protected() -> None:
    """The regions table showed Americas SPC 7 and the countries table Haiti SPC 5, so Colombia's hidden SPC
    count was 2: each table passed its own audit. Here a region with two countries, every expert in one place."""
    haiti, colombia = ("BINUH", "HTI", "Americas"), ("UNVMC", "COL", "Americas")
    mali, car = ("MINUSMA", "MLI", "Africa"), ("MINUSCA", "CAF", "Africa")
    experts = ([_expert("SPC", [haiti], PERIODS) for _ in range(5)]
               + [_expert("SPC", [colombia], PERIODS) for _ in range(2)]
               + [_expert("JCSC", [haiti], PERIODS) for _ in range(6)]
               + [_expert("JCSC", [colombia], PERIODS) for _ in range(7)]
               + [_expert(c, [p], PERIODS, g) for c, p, g, n in (
                   ("SPC", mali, "female", 9), ("JCSC", mali, "male", 8), ("SPC", car, "female", 12),
                   ("JCSC", car, "male", 10)) for _ in range(n)])
    people = _People(experts=dict(enumerate(experts)))
    joint = protect_people(people, CAPS, PERIODS, False, T)
    answer, totals, truth = _answer(joint)
    regions = {"HTI": "Americas", "COL": "Americas", "MLI": "Africa", "CAF": "Africa"}
    assert joint["countries"].cells[("COL", "SPC")] is None
    found = attack(answer, totals, regions, False)
    assert found["sure"] is not None and found["additive"] is not None  # the additive guess is right here
    assert disclosed(found, truth, T) == []
    # What the per-table rule published: Americas SPC 7 beside Haiti SPC 5 (Colombia = 2). Not both any more.
    assert (joint["regions"].cells[("Americas", "SPC")] is None or joint["countries"].cells[("HTI", "SPC")] is None
            or joint["countries"].cells[("COL", "SPC")] is not None)
    # The attacker has teeth: with the complements of the joint audit shown again (each table still passes the
    # line rule on its own), it finds Colombia's 2.
    revealed = _reveal_complements(answer, truth)
    found = attack(revealed, totals, regions, False)
    assert ("additive", ("countries", "COL", "SPC"), 2, (2.0, 2.0)) in disclosed(found, truth, T)


def _random_world(rng: random.Random) -> tuple[_People, dict[str, str], bool]:
    regions = {"HTI": "Americas", "COL": "Americas", "MLI": "Africa", "CAF": "Africa", "SSD": "Africa",
               "LBN": "Asia"}
    countries = rng.sample(sorted(regions), rng.randint(2, 5))
    places = [(f"M{i}", k, regions[k]) for i, k in enumerate(countries)]
    if rng.random() < 0.4:  # a mission in two countries
        places.append(("M0", countries[-1], regions[countries[-1]]))
    multi = rng.random() < 0.3  # some experts served in two places (the additive guess is then wrong)
    experts = {}
    for i in range(rng.randint(3, 30)):
        where = rng.sample(places, 2 if multi and rng.random() < 0.3 else 1)
        periods = sorted(rng.sample(PERIODS, rng.randint(1, 3)))
        experts[i] = _Expert(capacity=rng.choice(CAPS), gender=rng.choice(["female", "male", "male", "other"]),
                             places=set(where), periods=set(periods),
                             markers={str(rng.randint(0, 3)): rng.randint(1, 2)}, on_day=rng.random() < 0.5)
    return _People(experts=experts), regions, True


@pytest.mark.parametrize("seed", range(80))
def test_random_worlds_resist_the_attacker(seed: int) -> None:
    rng = random.Random(7000 + seed)
    people, regions, day_in_period = _random_world(rng)
    joint = protect_people(people, CAPS, PERIODS, day_in_period, T)
    answer, totals, truth = _answer(joint)
    found = attack(answer, totals, regions, day_in_period)
    assert found["sure"] is not None
    assert disclosed(found, truth, T) == []
    assert _determined(found["sure"]) == []  # a complement the shown numbers give back is shown instead


# --- the real tables of the demo data, through HTTP as a briefing user -------------------------------------------
VIEWS = [{}, {"start": "2025-01-01", "end": "2025-12-31"}, {"start": "2025-10-01", "end": "2025-12-31"},
         {"start": "2025-01-01", "end": "2025-12-31", "capacity": "SPC"}, {"region": "Africa"},
         {"start": "2025-04-01", "end": "2025-06-30", "region": "Africa,Americas"}]


def _texts(node: Any) -> list[list[str]]:
    """Rows of cell texts of every table row (html.Tr) in a Dash component tree as JSON."""
    rows: list[list[str]] = []
    if isinstance(node, dict):
        if node.get("type") == "Tr":
            cells = node["props"]["children"]
            rows.append([str(c["props"].get("children", "")) for c in cells])
            return rows
        for v in node.get("props", {}).values() if "props" in node else node.values():
            rows += _texts(v)
    elif isinstance(node, list):
        for v in node:
            rows += _texts(v)
    return rows


def _mission_totals(app, client, query: dict[str, str]) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    """The page's mission table's total row, as the briefing page's callback sends it."""
    from services.analytics.filters import MapFilter

    filt = MapFilter.from_query(query)
    key = next(k for k in app.callback_map if "briefing-mission-table.children" in k)
    values = {"briefing-period.start_date": filt.start.isoformat(), "briefing-period.end_date": filt.end.isoformat(),
              "briefing-capacity.value": [c for c in query.get("capacity", "").split(",") if c],
              "briefing-mission.value": [], "briefing-lang.value": "en",
              "briefing-region.value": [r for r in query.get("region", "").split(",") if r]}
    response = client.post("/_dash-update-component", json=callback_payload(app, key, values))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    rows = _texts(response.get_json()["response"]["briefing-mission-table"]["children"])
    if len(rows) < 2:
        return {}
    header, last = rows[0], rows[-1]

    def number(text: str) -> int | None:
        return None if text == "*" else int(text.replace(",", ""))

    return {**{c: number(v) for c, v in zip(header[1:-1], last[1:-1], strict=True)}, "total": number(last[-1])}


def test_the_demo_views_resist_the_attacker(app, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    from models import Country
    from services.analytics.figures import _mission_ids
    from services.analytics.filters import MapFilter
    from services.briefing.aggregates import _capacities, protect_view
    from services.surge.service_level import service_level_by_period

    client = logged_in("briefing")
    # The API names countries by ISO 3166-1 alpha-3 (Country.code); the view inside by Natural Earth's key.
    regions = {code: region for code, region in session.execute(select(Country.code, Country.region))}
    codes = dict(session.execute(select(Country.iso3, Country.code)).all())
    checked = hidden = 0
    for query in VIEWS:
        response = client.get("/api/v1/briefing", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        answer = response.get_json()
        totals = _mission_totals(app, client, query)
        filt = MapFilter.from_query(query)
        day_in_period = filt.start <= filt.day <= filt.end
        found = attack(answer, totals, regions, day_in_period)
        assert found["sure"] is not None, query  # the sure model holds for true data
        # The judge's truth (the attacker never sees it): the view's own counts, which
        # test_briefing_joint checks against the analytics services' SQL.
        _unused, _totals, truth = _answer(protect_view(session, filt, _capacities(session, filt), T, False))
        truth = {(k[0], codes.get(k[1], k[1]), *k[2:]) if k[0] == "countries" else k: v for k, v in truth.items()}
        for row in service_level_by_period(session, capacity_codes=filt.capacity,
                                           mission_ids=_mission_ids(session, filt), start=filt.start,
                                           end=filt.end, unit="quarter"):
            truth[("req", row.period.isoformat(), row.capacity or "")] = row.level.requests
            truth[("dep", row.period.isoformat(), row.capacity or "")] = row.level.deployed
        assert disclosed(found, truth, T) == [], query
        assert _determined(found["sure"]) == [], query
        if query == VIEWS[1]:  # the attacker has teeth on these tables too: show the complements and it wins
            assert disclosed(attack(_reveal_complements(answer, truth), totals, regions, day_in_period), truth, T)
        checked += 1
        hidden += len(found["sure"])
    assert checked == len(VIEWS) and hidden > 20  # the demo data has small counts: the attacker had work


def test_same_hidden_numbers_in_every_worker() -> None:
    """Workers (gunicorn's processes) hash strings each with their own seed; the hidden numbers of a view must
    not depend on it, or two answers of two workers together would show more than either."""
    import subprocess
    import sys

    script = ("import random, tests.test_briefing_attack as t\n"
              "people, _r, day = t._random_world(random.Random(7034))\n"
              "joint = t.protect_people(people, t.CAPS, t.PERIODS, day, t.T)\n"
              "print(sorted(repr(k) for k in joint['protection'].hidden))\n")
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": seed, "PATH": ""}, cwd=str(__import__("pathlib").Path(
                                  __file__).parents[1])).stdout for seed in ("1", "2", "3")}
    assert len(outputs) == 1 and "missions" in next(iter(outputs))
