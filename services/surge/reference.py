"""The matcher written the obvious way: load every expert's rows, loop over experts in Python.

Not used by the pages or the API. It is the yardstick ``bench/bench_matching.py`` times the SQL + numpy
ranking against, and the tests hold both to the same answer, so the fast one cannot drift from the rules.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Country,
    Deployment,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    ExpertSkill,
    SurgeRequest,
    Unavailability,
)
from models.enums import LANGUAGE_LEVEL_RANK, DeploymentStatus, ExpertStatus, LanguageLevel
from services.surge.matching import (
    BELOW_MINIMUM_CREDIT,
    EXPERIENCE_CAP,
    MAX_LEVEL,
    MAX_RANK,
    OPEN_STATUSES,
    ROTATION_CAP_DAYS,
    Need,
    Rule,
    Weights,
    gender_component,
    mission_regions,
)


def _overlaps(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    return a_start <= b_end and b_start <= a_end


def reference_rank(session: Session, need: Need, weights: Weights | None = None
                   ) -> tuple[list[tuple[int, float]], dict[int, tuple[Rule, ...]]]:
    """(expert id, score) best first, and the rules excluding each excluded expert."""
    weights = weights or Weights()
    experts = session.execute(select(Expert.id, Expert.gender, Expert.status, Country.region, Expert.capacity_id)
                              .outerjoin(Country, Country.iso3 == Expert.nationality_iso3)).all()
    skills: dict[int, dict[int, int]] = defaultdict(dict)
    for e, s, level in session.execute(select(ExpertSkill.expert_id, ExpertSkill.skill_id, ExpertSkill.level)):
        skills[e][s] = level
    languages: dict[int, dict[str, int]] = defaultdict(dict)
    for e, code, cefr in session.execute(select(ExpertLanguage.expert_id, ExpertLanguage.language_code,
                                                ExpertLanguage.level)):
        languages[e][code] = LANGUAGE_LEVEL_RANK[LanguageLevel(cefr)]
    clearances: dict[int, list[tuple[int, date, date | None]]] = defaultdict(list)
    for e, t, obtained, until in session.execute(select(ExpertClearance.expert_id, ExpertClearance.clearance_type_id,
                                                        ExpertClearance.obtained_on, ExpertClearance.valid_until)):
        clearances[e].append((t, obtained, until))
    open_requests = set(session.scalars(select(SurgeRequest.id).where(SurgeRequest.status.in_(OPEN_STATUSES))))
    deployments: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in session.execute(select(Deployment.expert_id, Deployment.mission_id, Deployment.start_date,
                                      Deployment.end_date, Deployment.status, Deployment.surge_request_id)):
        deployments[row[0]].append(tuple(row[1:]))
    absences: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for e, away_from, away_to in session.execute(select(Unavailability.expert_id, Unavailability.start_date,
                                                        Unavailability.end_date)):
        absences[e].append((away_from, away_to))
    regions = set(mission_regions(session, need.mission_id))
    w = weights.as_dict()
    total_skill_weight = sum(s.weight for s in need.skills)

    ranked: list[tuple[int, float]] = []
    excluded: dict[int, tuple[Rule, ...]] = {}
    for expert_id, gender, status, region, capacity_id in experts:
        failed: list[Rule] = []
        if status != ExpertStatus.ACTIVE:
            failed.append(Rule.INACTIVE)
        if any(_overlaps(s, t, need.start, need.end) for s, t in absences[expert_id]):
            failed.append(Rule.ABSENT)
        live = [d for d in deployments[expert_id] if d[3] != DeploymentStatus.CANCELLED]
        busy = [d for d in live if _overlaps(d[1], d[2], need.start, need.end)
                and (need.request_id is None or d[4] != need.request_id)]
        if any(d[3] == DeploymentStatus.PLANNED and d[4] is not None and d[4] in open_requests for d in busy):
            failed.append(Rule.PROPOSED_ELSEWHERE)
        elif busy:
            failed.append(Rule.DEPLOYED)
        if need.capacity_rule and capacity_id != need.capacity_id:
            failed.append(Rule.CAPACITY)
        if any(s.required and skills[expert_id].get(s.skill_id, 0) < s.min_level for s in need.skills):
            failed.append(Rule.SKILL)
        mine = languages[expert_id]
        if any(mine.get(lang.code, 0) < lang.min_rank for lang in need.languages):
            failed.append(Rule.LANGUAGE)
        for type_id in need.clearance_type_ids:
            if not any(t == type_id and obtained <= need.start and (until is None or until >= need.end)
                       for t, obtained, until in clearances[expert_id]):
                failed.append(Rule.CLEARANCE)
                break
        if failed:
            excluded[expert_id] = tuple(failed)
            continue

        score = 0.0
        if need.skills:
            fit = 0.0
            for wanted in need.skills:
                level = skills[expert_id].get(wanted.skill_id, 0)
                credit = min(level, MAX_LEVEL) / MAX_LEVEL
                fit += wanted.weight * (credit if level >= wanted.min_level else credit * BELOW_MINIMUM_CREDIT)
            score += w["skills"] * fit / total_skill_weight
        if need.languages:
            score += w["languages"] * sum(mine.get(lang.code, 0) / MAX_RANK for lang in need.languages) \
                / len(need.languages)
        past = [d for d in live if d[1] < need.start]
        visits = sum(1 for d in past if d[0] == need.mission_id
                     and d[3] in (DeploymentStatus.ONGOING, DeploymentStatus.COMPLETED))
        score += w["experience"] * min(visits, EXPERIENCE_CAP) / EXPERIENCE_CAP
        if region in regions:
            score += w["region"]
        elif any(mine.get(lang.code, 0) >= MAX_RANK for lang in need.languages):
            score += w["region"] * 0.5
        # Only the year before the start counts (the component is capped there), as in the SQL.
        ended = [d[2] for d in past if need.start - timedelta(days=ROTATION_CAP_DAYS) <= d[2] < need.start]
        if ended:
            score += w["rotation"] * min(max((need.start - max(ended)).days, 0), ROTATION_CAP_DAYS) / ROTATION_CAP_DAYS
        else:
            score += w["rotation"]
        score += w["gender"] * gender_component(str(gender), need.team_genders, need.balance_gender)
        ranked.append((expert_id, round(score, 6)))
    ranked.sort(key=lambda item: (-item[1], item[0]))
    return ranked, excluded
