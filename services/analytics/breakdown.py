"""The deployments in scope broken down by mission, by gender marker and by the expert's gender, with the
day's head count, in one statement instead of one scan a chart.

The deployments are first folded per expert and mission (a hash aggregate, no sort); the missions' rows and the
totals are then read from that much smaller set. GROUPING SETS with COUNT(DISTINCT) over the deployments
themselves sorted them three times and cost twice as much at 100,000 deployments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from models import Deployment, Expert, Mission
from models.enums import Gender, GenderMarker
from services.analytics.filters import MapFilter
from services.analytics.gender import GenderSummary, summary_of
from services.analytics.personnel import MissionCount, deployed_on_day, top_missions
from services.analytics.scope import capacity_codes, clipped_days, deployments_in_scope


@dataclass(frozen=True)
class Breakdown:
    missions: list[MissionCount]
    gender: GenderSummary
    deployed_on_day: int


def breakdown(session: Session, filt: MapFilter, mission_limit: int = 20) -> Breakdown:
    on_day = Deployment.period.op("@>")(literal(filt.day))
    # Grouped by ids over a lean FROM (no joins to mission and capacity); the missions are named afterwards.
    per_expert = deployments_in_scope(
        filt, Deployment.mission_id.label("mission_id"), Expert.capacity_id.label("capacity_id"),
        Expert.gender.label("gender"), Deployment.expert_id.label("expert_id"),
        func.count().label("n"),
        func.sum(clipped_days(Deployment.start_date, Deployment.end_date, filt.start, filt.end)).label("days"),
        func.sum(Deployment.gender_outputs_planned).label("planned"),
        func.sum(Deployment.gender_outputs_delivered).label("delivered"),
        *[func.count().filter(Deployment.gender_marker == m).label(f"m{m.value}") for m in GenderMarker],
        func.bool_or(on_day).label("on_day"),
        lean=True,
    ).group_by(Deployment.mission_id, Expert.capacity_id, Expert.gender, Deployment.expert_id).cte("per_expert")
    p = per_expert.c

    def whole(value: Any) -> Any:
        return cast(value, Integer)

    totals: list[Any] = [func.sum(p[f"m{m.value}"]) for m in GenderMarker]
    totals += [func.sum(p.planned), func.sum(p.delivered)]
    totals += [func.count(func.distinct(p.expert_id)).filter(p.gender == g) for g in Gender]
    totals += [func.count(func.distinct(p.expert_id)).filter(p.on_day)]
    width = len(totals)
    missions = select(literal("m"), p.mission_id, p.capacity_id, whole(func.count()), whole(func.sum(p.n)),
                      whole(func.sum(p.days)), *[cast(null(), Integer)] * (width - 3)
                      ).group_by(p.mission_id, p.capacity_id)
    summary = select(literal("t"), null(), null(), *[whole(t) for t in totals])
    missions_rows: list[tuple[int, int, int, int, int]] = []
    markers: dict[str, int] = {}
    genders: dict[str, int] = {}
    planned = delivered = day_count = 0
    for kind, mission_id, capacity_id, *values in session.execute(union_all(missions, summary)).all():
        if kind == "m":
            experts, deployments, days = values[:3]
            missions_rows.append((mission_id, capacity_id, int(experts), int(deployments), int(days or 0)))
            continue
        numbers = [int(v or 0) for v in values]
        markers = {m.value: numbers[i] for i, m in enumerate(GenderMarker)}
        planned, delivered = numbers[len(GenderMarker):len(GenderMarker) + 2]
        first = len(GenderMarker) + 2
        genders = {g.value: numbers[first + i] for i, g in enumerate(Gender)}
        day_count = numbers[-1]
    return assemble(session, filt, BreakdownParts(missions_rows, markers, genders, planned, delivered, day_count),
                    mission_limit)


@dataclass(frozen=True)
class BreakdownParts:
    """What either engine folds from the deployments in scope; names and codes are put on by assemble()."""

    missions: list[tuple[int, int, int, int, int]]  # mission id, capacity id, experts, deployments, expert-days
    markers: dict[str, int]
    genders: dict[str, int]  # distinct experts by gender
    planned: int
    delivered: int
    day_count: int  # distinct experts on the map's day, when the day lies in the period


def assemble(session: Session, filt: MapFilter, parts: BreakdownParts, mission_limit: int = 20,
             deployed_on_day_: Callable[[], int] | None = None, *, code_of: dict[int, str] | None = None,
             mission_names: dict[int, tuple[str, str]] | None = None) -> Breakdown:
    """The breakdown with missions named (their acronyms from PostgreSQL: tens of rows, unless ``mission_names``
    gives them, id -> (acronym, name), as ``code_of`` gives the capacities' codes); ``deployed_on_day_`` counts the
    day when it lies outside the period folded (the engine's own count, else PostgreSQL's)."""
    mission_ids = {row[0] for row in parts.missions}
    if mission_names is not None:
        names = mission_names
    else:
        names = {i: (a, n) for i, a, n in session.execute(
            select(Mission.id, Mission.acronym, Mission.name).where(Mission.id.in_(mission_ids)))
        } if mission_ids else {}
    code_of = capacity_codes(session) if code_of is None else code_of
    by_mission = [MissionCount(names[m][0], names[m][1], code_of[c], e, d, x) for m, c, e, d, x in parts.missions]
    day_count = parts.day_count
    if not filt.start <= filt.day <= filt.end:
        # The day lies outside the period scanned above.
        day_count = deployed_on_day_() if deployed_on_day_ is not None else deployed_on_day(session, filt)
    return Breakdown(top_missions(by_mission, mission_limit),
                     summary_of(parts.markers, parts.genders, parts.planned, parts.delivered), day_count)
