"""The data-quality scorecard: each rule's score overall, by mission and by capacity, a daily snapshot so the
trend shows, and the failing records of any score.

A score is the share of checked records that pass (``1 - failing / checked``); a dimension's or a record
kind's score pools the checks of its rules (a record checked by three rules counts three checks). Each rule
is one grouped query (GROUPING SETS: all, by mission, by capacity), so the whole card is eleven statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from models import Capacity, Mission
from models.quality import QualitySnapshot
from services.access import Permission, Principal
from services.errors import NotFound
from services.quality.rules import FIX_LINKS, RULES, RULES_BY_CODE, Dimension, RecordKind, Rule


@dataclass(frozen=True)
class Score:
    checked: int = 0
    failing: int = 0

    @property
    def rate(self) -> float | None:
        """The share passing, 0..1; None when nothing was checked (no score, not a perfect one)."""
        return None if not self.checked else 1 - self.failing / self.checked

    def __add__(self, other: Score) -> Score:
        return Score(self.checked + other.checked, self.failing + other.failing)


def pooled(scores: Iterable[Score]) -> Score:
    total = Score()
    for score in scores:
        total = total + score
    return total


@dataclass
class Scorecard:
    day: date
    rules: dict[str, Score] = field(default_factory=dict)
    by_mission: dict[str, dict[int, Score]] = field(default_factory=dict)
    by_capacity: dict[str, dict[int, Score]] = field(default_factory=dict)

    def by_dimension(self) -> dict[Dimension, Score]:
        return {d: pooled(self.rules[r.code] for r in RULES if r.dimension == d) for d in Dimension}

    def by_record(self) -> dict[RecordKind, Score]:
        return {k: pooled(self.rules[r.code] for r in RULES if r.record == k) for k in RecordKind}

    def scope_scores(self, scope: str) -> dict[int, Score]:
        """Every rule pooled per mission (or capacity)."""
        table = self.by_mission if scope == "mission" else self.by_capacity
        out: dict[int, Score] = defaultdict(Score)
        for per_scope in table.values():
            for key, score in per_scope.items():
                out[key] = out[key] + score
        return dict(out)

    @property
    def overall(self) -> Score:
        return pooled(self.rules.values())


def _rule_counts(session: Session, rule: Rule, day: date) -> list[Any]:
    q = rule.query(day).subquery()
    stmt = (select(q.c.mission, q.c.capacity, func.grouping(q.c.mission).label("gm"),
                   func.grouping(q.c.capacity).label("gc"), func.count().label("checked"),
                   func.count().filter(q.c.fails.is_(True)).label("failing"))
            .group_by(func.grouping_sets(tuple_(), q.c.mission, q.c.capacity)))
    return list(session.execute(stmt).all())


def compute(session: Session, day: date | None = None) -> Scorecard:
    day = day or date.today()
    card = Scorecard(day)
    for rule in RULES:
        card.rules[rule.code] = Score()
        card.by_mission[rule.code] = {}
        card.by_capacity[rule.code] = {}
        for mission, capacity, gm, gc, checked, failing in _rule_counts(session, rule, day):
            score = Score(int(checked), int(failing))
            if gm and gc:
                card.rules[rule.code] = score
            elif not gm and mission is not None:
                card.by_mission[rule.code][int(mission)] = score
            elif not gc and capacity is not None:
                card.by_capacity[rule.code][int(capacity)] = score
    return card


# --- the daily snapshot and the trend -----------------------------------------------------------------------
def snapshot_rows(card: Scorecard) -> list[dict[str, Any]]:
    rows = [{"day": card.day, "rule": code, "scope": "all", "scope_id": 0, "checked": s.checked,
             "failing": s.failing} for code, s in card.rules.items()]
    for scope, table in (("mission", card.by_mission), ("capacity", card.by_capacity)):
        rows += [{"day": card.day, "rule": code, "scope": scope, "scope_id": key, "checked": s.checked,
                  "failing": s.failing} for code, per in table.items() for key, s in per.items()]
    return rows


def take_snapshot(session: Session, day: date | None = None) -> Scorecard:
    """Computes the card and keeps its counts for the day (a second run the same day replaces them)."""
    card = compute(session, day)
    rows = snapshot_rows(card)
    if rows:
        stmt = insert(QualitySnapshot).values(rows)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["day", "rule", "scope", "scope_id"],
            set_={"checked": stmt.excluded.checked, "failing": stmt.excluded.failing}))
    return card


def ensure_snapshot(session: Session, day: date | None = None) -> None:
    """Today's snapshot if none was taken yet (the page opens it; `hub quality snapshot` runs it from cron)."""
    day = day or date.today()
    if session.scalar(select(func.count()).select_from(QualitySnapshot).where(QualitySnapshot.day == day)) == 0:
        take_snapshot(session, day)


def trend(session: Session, since: date) -> dict[Dimension, list[tuple[date, float]]]:
    """Each dimension's score per snapshot day since ``since`` (overall scope)."""
    rows = session.execute(
        select(QualitySnapshot.day, QualitySnapshot.rule, QualitySnapshot.checked, QualitySnapshot.failing)
        .where(QualitySnapshot.scope == "all", QualitySnapshot.day >= since).order_by(QualitySnapshot.day)).all()
    per_day: dict[date, dict[Dimension, Score]] = defaultdict(lambda: defaultdict(Score))
    for day, code, checked, failing in rows:
        rule = RULES_BY_CODE.get(code)
        if rule is not None:
            per_day[day][rule.dimension] = per_day[day][rule.dimension] + Score(checked, failing)
    out: dict[Dimension, list[tuple[date, float]]] = {d: [] for d in Dimension}
    for day in sorted(per_day):
        for dimension, score in per_day[day].items():
            if score.rate is not None:
                out[dimension].append((day, score.rate))
    return out


# --- names and the failing records ----------------------------------------------------------------------------
def scope_names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    missions = {int(i): str(a) for i, a in session.execute(select(Mission.id, Mission.acronym))}
    capacities = {int(i): str(c) for i, c in session.execute(select(Capacity.id, Capacity.code))}
    return missions, capacities


@dataclass(frozen=True)
class FailingRecord:
    id: int
    label: str
    mission: str | None
    link: str


def failing_records(session: Session, principal: Principal, code: str, *, day: date | None = None,
                    mission: int | None = None, capacity: int | None = None, limit: int = 500
                    ) -> list[FailingRecord]:
    """The records failing a rule (in a mission or capacity if given), each with the page where it is fixed.
    Only for roles that keep the records (their labels are staff numbers and site names)."""
    principal.require(Permission.MANAGE_PERSONNEL)
    rule = RULES_BY_CODE.get(code)
    if rule is None:
        raise NotFound(f"No data-quality rule {code!r}.")
    q = rule.query(day or date.today()).subquery()
    stmt = select(q.c.id, q.c.owner, q.c.label, Mission.acronym).outerjoin(Mission, Mission.id == q.c.mission) \
        .where(q.c.fails.is_(True)).order_by(q.c.id).limit(limit)
    if mission is not None:
        stmt = stmt.where(q.c.mission == mission)
    if capacity is not None:
        stmt = stmt.where(q.c.capacity == capacity)
    link = FIX_LINKS[rule.record]
    return [FailingRecord(int(i), str(label or ""), acronym, link.format(id=i, owner=quote(str(owner), safe="")))
            for i, owner, label, acronym in session.execute(stmt).all()]


def as_rows(card: Scorecard, names: Mapping[int, str], scope: str) -> list[dict[str, Any]]:
    """Scores per mission or capacity as grid rows (every rule pooled, worst first)."""
    rows = [{"id": key, "name": names.get(key, str(key)), "checked": s.checked, "failing": s.failing,
             "score": None if s.rate is None else round(100 * s.rate, 1)}
            for key, s in card.scope_scores(scope).items()]
    return sorted(rows, key=lambda r: (r["score"] if r["score"] is not None else 101, r["name"]))


__all__ = ["FailingRecord", "QualitySnapshot", "Score", "Scorecard", "as_rows", "compute", "ensure_snapshot",
           "failing_records", "scope_names", "take_snapshot", "trend"]
