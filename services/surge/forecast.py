"""Capacity forecast: who (with a skill, a language) is free for the whole of the next 30, 60 and 90 days,
and a timeline of deployments and absences per expert or per team.

"Free" is ``services.availability.free_during``: the same rule the matcher and the experts page use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from models import Capacity, Deployment, Expert, ExpertLanguage, ExpertSkill, Mission, Skill, Team, Unavailability
from models.enums import LANGUAGE_LEVEL_RANK, DeploymentStatus, ExpertStatus, LanguageLevel
from services.access import Permission, Principal
from services.availability import free_during
from services.errors import NotFound, ValidationError

HORIZONS = (30, 60, 90)
MAX_TIMELINE_EXPERTS = 200


@dataclass(frozen=True)
class ForecastFilter:
    capacity: str | None = None  # SPC, JCSC
    team_id: int | None = None
    skill: str | None = None  # skill code
    min_skill_level: int = 1
    language: str | None = None  # ISO 639 code
    min_language_level: str = LanguageLevel.B2.value

    def __post_init__(self) -> None:
        if not 1 <= int(self.min_skill_level) <= 5:
            raise ValidationError("the minimum skill level must be from 1 to 5.")
        if self.min_language_level not in {v.value for v in LanguageLevel}:
            raise ValidationError(f"the minimum language level must be one of "
                                  f"{', '.join(v.value for v in LanguageLevel)}.")


@dataclass(frozen=True)
class Forecast:
    today: date
    horizons: tuple[int, ...]
    matching: int  # active experts with the skill and language
    free: dict[int, int]  # horizon -> experts free for the whole of [today, today + horizon - 1]
    experts: list[dict[str, Any]]  # the matching experts, each with free_<horizon> flags


def _filtered(session: Session, filt: ForecastFilter) -> Any:
    stmt = (select(Expert.id).select_from(Expert).join(Capacity, Capacity.id == Expert.capacity_id)
            .where(Expert.status == ExpertStatus.ACTIVE))
    if filt.capacity:
        stmt = stmt.where(Capacity.code == filt.capacity.strip().upper())
    if filt.team_id:
        stmt = stmt.where(Expert.team_id == int(filt.team_id))
    if filt.skill:
        skill_id = session.scalar(select(Skill.id).where(Skill.code == filt.skill.strip()))
        if skill_id is None:
            raise NotFound(f"No skill with code {filt.skill!r}.")
        stmt = stmt.where(exists().where(ExpertSkill.expert_id == Expert.id, ExpertSkill.skill_id == skill_id,
                                         ExpertSkill.level >= int(filt.min_skill_level)))
    if filt.language:
        ok = [lvl for lvl, r in LANGUAGE_LEVEL_RANK.items()
              if r >= LANGUAGE_LEVEL_RANK[LanguageLevel(filt.min_language_level)]]
        stmt = stmt.where(exists().where(ExpertLanguage.expert_id == Expert.id,
                                         ExpertLanguage.language_code == filt.language.strip().lower(),
                                         ExpertLanguage.level.in_(ok)))
    return stmt


def capacity_forecast(session: Session, principal: Principal, filt: ForecastFilter, *, today: date | None = None,
                      horizons: Sequence[int] = HORIZONS) -> Forecast:
    """Counts for everyone with VIEW_OPERATIONS; the list carries names only for roles that may see them."""
    principal.require(Permission.VIEW_OPERATIONS)
    today = today or date.today()
    horizons = tuple(sorted({int(h) for h in horizons}))
    if not horizons or horizons[0] < 1 or horizons[-1] > 730:
        raise ValidationError("horizons must be from 1 to 730 days.")
    ids = _filtered(session, filt).subquery()
    flags = [free_during(today, today + timedelta(days=h - 1)).label(f"free_{h}") for h in horizons]
    columns: list[Any] = [Capacity.code.label("capacity"), Team.name.label("team"), Expert.gender, *flags]
    if principal.can(Permission.VIEW_PERSON_NAMES):
        columns = [Expert.id.label("expert_id"),
                   (Expert.given_name + " " + Expert.family_name).label("expert_name"), *columns]
    rows = session.execute(
        select(*columns).select_from(Expert).join(ids, ids.c.id == Expert.id)
        .join(Capacity, Capacity.id == Expert.capacity_id).outerjoin(Team, Team.id == Expert.team_id)
        .order_by(Expert.family_name, Expert.given_name, Expert.id)
    ).mappings().all()
    experts = [{k: getattr(v, "value", v) for k, v in r.items()} for r in rows]
    free = {h: sum(1 for e in experts if e[f"free_{h}"]) for h in horizons}
    return Forecast(today=today, horizons=horizons, matching=len(experts), free=free, experts=experts)


def timeline(session: Session, principal: Principal, *, expert_ids: Sequence[int] = (), team_id: int | None = None,
             request_id: int | None = None, start: date, end: date) -> list[dict[str, Any]]:
    """Bars for a Gantt chart: deployments (and, for personnel detail, absences) overlapping [start, end].

    Pick the experts by id, by team, or as the team proposed for a surge request. ``who`` is the name for
    roles that may see names, else a neutral "Expert N" numbering that identifies nobody.
    """
    principal.require(Permission.VIEW_OPERATIONS)
    if end < start:
        raise ValidationError("the timeline ends before it starts.")
    chosen = select(Expert.id)
    if request_id is not None:
        chosen = select(Deployment.expert_id).where(Deployment.surge_request_id == int(request_id),
                                                    Deployment.status != DeploymentStatus.CANCELLED)
    elif team_id is not None:
        chosen = chosen.where(Expert.team_id == int(team_id), Expert.status == ExpertStatus.ACTIVE)
    elif expert_ids:
        chosen = chosen.where(Expert.id.in_([int(x) for x in expert_ids]))
    else:
        return []
    experts = session.execute(
        select(Expert.id, (Expert.given_name + " " + Expert.family_name).label("name"))
        .where(Expert.id.in_(chosen)).order_by(Expert.family_name, Expert.given_name, Expert.id)
        .limit(MAX_TIMELINE_EXPERTS)).all()
    names = principal.can(Permission.VIEW_PERSON_NAMES)
    who = {e.id: (e.name if names else f"Expert {k + 1}") for k, e in enumerate(experts)}
    bars: list[dict[str, Any]] = []
    deployments = session.execute(
        select(Deployment.expert_id, Deployment.start_date, Deployment.end_date, Deployment.status,
               Deployment.surge_request_id, Mission.acronym)
        .join(Mission, Mission.id == Deployment.mission_id)
        .where(Deployment.expert_id.in_(list(who)), Deployment.status != DeploymentStatus.CANCELLED,
               Deployment.start_date <= end, Deployment.end_date >= start)
        .order_by(Deployment.start_date))
    for d in deployments:
        bars.append({"who": who[d.expert_id], "start": max(d.start_date, start), "end": min(d.end_date, end),
                     "kind": "proposed" if d.status == DeploymentStatus.PLANNED and d.surge_request_id else
                     "deployment", "label": f"{d.acronym} ({d.status.value})", "mission": d.acronym,
                     "status": d.status.value})
    if principal.can(Permission.VIEW_PERSONNEL_DETAIL):
        absences = session.execute(
            select(Unavailability.expert_id, Unavailability.start_date, Unavailability.end_date, Unavailability.kind)
            .where(Unavailability.expert_id.in_(list(who)),
                   Unavailability.start_date <= end, Unavailability.end_date >= start))
        for a in absences:
            bars.append({"who": who[a.expert_id], "start": max(a.start_date, start), "end": min(a.end_date, end),
                         "kind": "absence", "label": a.kind.value, "absence": a.kind.value})
    # Experts with nothing planned still get a row (an empty bar of zero length would not show).
    busy = {b["who"] for b in bars}
    bars += [{"who": name, "start": start, "end": start, "kind": "free", "label": ""}
             for name in who.values() if name not in busy]
    return bars


def team_options(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(Team.id, Capacity.code, Team.name).join(Capacity, Capacity.id == Team.capacity_id)
                           .order_by(Capacity.code, Team.name))
    return [{"value": r.id, "label": f"{r.code} · {r.name}"} for r in rows]


def count_free(session: Session, start: date, end: date) -> int:
    return int(session.scalar(select(func.count()).select_from(Expert).where(free_during(start, end))) or 0)
