"""The deployments in scope broken down by mission, by gender marker and by the expert's gender, with the
day's head count, in one scan (GROUPING SETS) instead of one scan a chart."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, tuple_
from sqlalchemy.orm import Session

from models import Capacity, Deployment, Expert, Mission
from services.analytics.filters import MapFilter
from services.analytics.gender import GenderSummary, summary_of
from services.analytics.personnel import MissionCount, deployed_on_day, top_missions
from services.analytics.scope import clipped_days, deployments_in_scope


@dataclass(frozen=True)
class Breakdown:
    missions: list[MissionCount]
    gender: GenderSummary
    deployed_on_day: int


def breakdown(session: Session, filt: MapFilter, mission_limit: int = 20) -> Breakdown:
    on_day = Deployment.period.op("@>")(literal(filt.day))
    group = func.grouping(Mission.acronym, Mission.name, Capacity.code, Deployment.gender_marker, Expert.gender)
    stmt = deployments_in_scope(
        filt, group.label("g"), Mission.acronym, Mission.name, Capacity.code, Deployment.gender_marker,
        Expert.gender,
        func.count(func.distinct(Deployment.expert_id)), func.count(Deployment.id),
        func.sum(clipped_days(Deployment.start_date, Deployment.end_date, filt.start, filt.end)),
        func.coalesce(func.sum(Deployment.gender_outputs_planned), 0),
        func.coalesce(func.sum(Deployment.gender_outputs_delivered), 0),
        func.count(func.distinct(Deployment.expert_id)).filter(on_day),
    ).group_by(func.grouping_sets(
        tuple_(Mission.acronym, Mission.name, Capacity.code), tuple_(Deployment.gender_marker),
        tuple_(Expert.gender), tuple_()))
    # grouping() is a bit mask over its five arguments, 1 where the column is not grouped.
    by_mission, markers, genders = [], {}, {}
    planned = delivered = day_count = 0
    for g, acronym, name, code, marker, gender, experts, deployments, days, plan, done, today in session.execute(stmt):
        if g == 0b00011:
            by_mission.append(MissionCount(acronym, name, code, int(experts), int(deployments), int(days or 0)))
        elif g == 0b11101:
            markers[str(marker)] = int(deployments)
        elif g == 0b11110:
            genders[str(gender)] = int(experts)
        elif g == 0b11111:
            planned, delivered, day_count = int(plan), int(done), int(today)
    if not filt.start <= filt.day <= filt.end:
        day_count = deployed_on_day(session, filt)  # the day lies outside the period scanned above
    return Breakdown(top_missions(by_mission, mission_limit), summary_of(markers, genders, planned, delivered),
                     day_count)
