"""One expert's whole record as a principal may see it: the profile by services.access.EXPERT_FIELD_RULES (as
services.personnel), the parts, absences and deployment history by the permission each needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    ClearanceType,
    Deployment,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    ExpertSkill,
    ExpertTraining,
    Language,
    Mission,
    Site,
    Skill,
    Unavailability,
)
from services import personnel
from services.access import Permission, Principal
from services.catalog import country_codes
from services.errors import NotFound
from services.experts.records import profile_values
from services.reference_data import language_label, localized_column


def expert_record(session: Session, principal: Principal, expert_id: int, *,
                  locale: str = "en") -> dict[str, Any]:
    """The record for the page and the API: what the role may not see is never read."""
    detail = personnel.get_expert(session, principal, expert_id)  # VIEW_OPERATIONS and the field rule
    return _whole(session, detail, expert_id, principal.can(Permission.VIEW_PERSONNEL_DETAIL), locale)


def own_record(session: Session, principal: Principal, *, locale: str = "en") -> dict[str, Any]:
    """An expert user's own whole record (MANAGE_OWN_AVAILABILITY): the id comes from the principal, never from
    the client, so no other expert's record can be asked for."""
    detail = personnel.own_expert(session, principal)
    return _whole(session, detail, int(detail["id"]), True, locale)


def _whole(session: Session, detail: dict[str, Any], expert_id: int, parts: bool, locale: str) -> dict[str, Any]:
    if detail.get("nationality_iso3"):
        detail["nationality_iso3"] = country_codes(session).get(detail["nationality_iso3"],
                                                                detail["nationality_iso3"])
    expert = session.get(Expert, expert_id)
    assert expert is not None  # get_expert found it
    out: dict[str, Any] = {**detail, "id": expert_id, "version": expert.version,
                           "separated_on": expert.separated_on, "erased": expert.erased_at is not None}
    if parts:
        out["skills"] = _skills(session, expert_id, locale)
        out["languages"] = _languages(session, expert_id, locale)
        out["clearances"] = _clearances(session, expert_id, locale)
        out["trainings"] = [
            {"id": t.id, "name": t.name, "provider": t.provider, "completed_on": t.completed_on,
             "valid_until": t.valid_until}
            for t in session.scalars(select(ExpertTraining).where(ExpertTraining.expert_id == expert_id)
                                     .order_by(ExpertTraining.completed_on.desc(), ExpertTraining.id))]
        out["absences"] = [
            {"id": a.id, "kind": getattr(a.kind, "value", a.kind), "start_date": a.start_date,
             "end_date": a.end_date, "note": a.note}
            for a in session.scalars(select(Unavailability).where(Unavailability.expert_id == expert_id)
                                     .order_by(Unavailability.start_date))]
    out["deployments"] = deployment_history(session, expert_id)
    return out


def editable_profile(session: Session, principal: Principal, expert_id: int) -> dict[str, Any]:
    """The profile in the rule book's names, for an edit form (MANAGE_PERSONNEL sees every field)."""
    principal.require(Permission.MANAGE_PERSONNEL)
    expert = session.get(Expert, expert_id)
    if expert is None:
        raise NotFound(f"No expert with id {expert_id}.")
    return {**profile_values(session, expert), "version": expert.version}


def _skills(session: Session, expert_id: int, locale: str) -> list[dict[str, Any]]:
    name = localized_column(Skill, locale)
    rows = session.execute(select(Skill.code, name.label("name"), Skill.area, ExpertSkill.level)
                           .join(ExpertSkill, ExpertSkill.skill_id == Skill.id)
                           .where(ExpertSkill.expert_id == expert_id).order_by(ExpertSkill.level.desc(), Skill.code))
    return [dict(r._mapping) for r in rows]


def _languages(session: Session, expert_id: int, locale: str) -> list[dict[str, Any]]:
    rows = session.execute(select(ExpertLanguage, Language.name).join(Language)
                           .where(ExpertLanguage.expert_id == expert_id).order_by(ExpertLanguage.language_code))
    return [{"code": row.language_code, "name": language_label(row.language_code, name, locale),
             **{k: getattr(getattr(row, k), "value", getattr(row, k)) for k in ("level", "reading", "writing",
                                                                                "speaking")}}
            for row, name in rows]


def _clearances(session: Session, expert_id: int, locale: str) -> list[dict[str, Any]]:
    name = localized_column(ClearanceType, locale)
    rows = session.execute(select(ExpertClearance.id, ClearanceType.code, name.label("name"),
                                  ClearanceType.is_training, ExpertClearance.obtained_on, ExpertClearance.valid_until)
                           .join(ClearanceType).where(ExpertClearance.expert_id == expert_id)
                           .order_by(ClearanceType.code, ExpertClearance.obtained_on))
    return [dict(r._mapping) for r in rows]


def deployment_history(session: Session, expert_id: int) -> list[dict[str, Any]]:
    """Every deployment, oldest first, with where it was (the site, else the mission's headquarters)."""
    point = func.coalesce(Site.location, Mission.hq)
    rows = session.execute(
        select(Deployment.id, Mission.acronym.label("mission"), Site.name.label("site"), Deployment.role,
               Deployment.kind, Deployment.status, Deployment.start_date, Deployment.end_date,
               func.ST_Y(func.ST_PointOnSurface(point)).label("lat"),
               func.ST_X(func.ST_PointOnSurface(point)).label("lon"))
        .join(Mission, Mission.id == Deployment.mission_id).outerjoin(Site, Site.id == Deployment.site_id)
        .where(Deployment.expert_id == expert_id).order_by(Deployment.start_date, Deployment.id))
    return [{k: getattr(v, "value", v) for k, v in r._mapping.items()} for r in rows]
