"""Why a candidate ranks where it does, as data: one entry per score component and per failed rule.

The page and the API put these into words (the page through the translation catalogue); the numbers
are the same ones the score was computed from.
"""

from __future__ import annotations

from typing import Any

from models.enums import LANGUAGE_LEVEL_RANK
from services.surge.matching import COMPONENTS, Candidate, Need

LEVEL_OF_RANK = {rank: level.value for level, rank in LANGUAGE_LEVEL_RANK.items()}


def factors(candidate: Candidate, need: Need) -> list[dict[str, Any]]:
    """Per component: its value in [0, 1], the weighted contribution, and the facts behind it."""
    detail: dict[str, Any] = {
        "skills": {s.code: {"level": lvl, "min_level": s.min_level, "weight": s.weight, "required": s.required}
                   for s, lvl in zip(need.skills, candidate.skill_levels, strict=True)},
        "languages": {lang.code: {"level": LEVEL_OF_RANK.get(r), "min_level": lang.min_level.value}
                      for lang, r in zip(need.languages, candidate.language_ranks, strict=True)},
        "experience": {"deployments_to_mission": candidate.experience},
        "region": {"same_region": candidate.region_match, "language_zone": candidate.language_zone},
        "rotation": {"last_deployment_end": candidate.last_end},
        "gender": {"gender": candidate.gender, "balance_asked": need.balance_gender,
                   "team_so_far": list(need.team_genders)},
    }
    return [{"component": name, "value": candidate.components[name],
             "contribution": candidate.contributions[name], "detail": detail[name]} for name in COMPONENTS]


def english(candidate: Candidate, need: Need) -> list[str]:
    """Short English sentences for the API (the page has translated ones)."""
    out = []
    for s, lvl in zip(need.skills, candidate.skill_levels, strict=True):
        mark = "" if lvl >= s.min_level else f", below the minimum {s.min_level}"
        out.append(f"{s.name}: level {lvl}/5{mark}" + ("" if s.required else " (desirable)"))
    for lang, r in zip(need.languages, candidate.language_ranks, strict=True):
        out.append(f"{lang.code}: {LEVEL_OF_RANK.get(r, 'none')} (needs {lang.min_level.value})")
    if candidate.experience:
        out.append(f"{candidate.experience} earlier deployment{'' if candidate.experience == 1 else 's'} "
                   "to this mission")
    if candidate.region_match:
        out.append("from the mission's region")
    elif candidate.language_zone:
        out.append("native speaker of a requested language")
    out.append("not deployed in the past year" if candidate.last_end is None
               else f"last deployment ended {candidate.last_end.isoformat()}")
    return out
