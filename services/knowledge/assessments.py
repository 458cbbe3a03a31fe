"""Assessments: create, edit (versioned, audited), the team, the gap register of a technology-needs assessment,
and what a role may read of them. Reading needs VIEW_OPERATIONS; the team's names VIEW_PERSON_NAMES; every
write MANAGE_ASSESSMENTS (assessment officers, planners, administrators)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, extract, func, insert, select
from sqlalchemy.orm import Session

from models import Assessment, AssessmentGap, Attachment, Capacity, Country, Deployment, Expert, Mission, Recommendation
from models.enums import AssessmentKind, GapArea, Priority
from models.knowledge import assessment_deployment, assessment_expert
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.knowledge import lookups
from services.knowledge.common import flush, load, load_for_change, refuse, touch, validate_change
from services.knowledge.rules import ASSESSMENT, GAP, ids
from services.records.problems import Problem
from services.records.versioning import audit_change, snapshot

ENTITY = "assessment"
TEAM_FIELDS = ("expert_ids", "deployment_ids")


@dataclass(frozen=True)
class AssessmentFilter:
    kind: str | None = None
    mission: str | None = None
    capacity: str | None = None
    year: int | None = None
    limit: int = 200
    offset: int = 0


def _resolve(session: Session, data: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """The rule book's cleaned values as the row's columns (codes looked up; unknown ones are problems)."""
    columns: dict[str, Any] = {}
    plain = {"kind": "kind", "title": "title", "start": "conducted_on", "end": "end_date", "mode": "mode",
             "cost": "cost", "findings": "findings", "report_ref": "report_ref"}
    for name, column in plain.items():
        if name in data:
            columns[column] = data[name]
    if "mission" in data:
        columns["mission_id"] = lookups.mission_id(session, data["mission"], "mission", problems)
    if "capacity" in data:
        columns["capacity_id"] = lookups.capacity_id(session, data["capacity"], "capacity", problems)
    if "contributing_country" in data:
        columns["contributing_country_iso3"] = lookups.country_key(session, data["contributing_country"],
                                                                   "contributing_country", problems)
    if "allocation_id" in data:
        columns["allocation_id"] = lookups.allocation_id(session, data["allocation_id"], "allocation_id", problems)
    return columns


def _team(session: Session, data: Mapping[str, Any], problems: list[Problem]) -> dict[str, list[int]]:
    team: dict[str, list[int]] = {}
    for field, model in lookups.TEAM_MODELS.items():
        if field in data:
            values, found = ids(data[field], field)
            problems += found
            team[field] = lookups.existing_ids(session, model, values, field, problems)
    return team


def _set_team(session: Session, assessment_id: int, team: Mapping[str, list[int]]) -> None:
    for field, table, column in (("expert_ids", assessment_expert, "expert_id"),
                                 ("deployment_ids", assessment_deployment, "deployment_id")):
        if field not in team:
            continue
        session.execute(delete(table).where(table.c.assessment_id == assessment_id))
        if team[field]:
            session.execute(insert(table), [{"assessment_id": assessment_id, column: v} for v in team[field]])


def _state(session: Session, a: Assessment) -> dict[str, Any]:
    """What the audit compares: the rule book's fields as the client names them, and the team."""
    codes = session.execute(select(Mission.acronym, Capacity.code, Country.iso_a3)
                            .select_from(Assessment)
                            .outerjoin(Mission, Mission.id == Assessment.mission_id)
                            .outerjoin(Capacity, Capacity.id == Assessment.capacity_id)
                            .outerjoin(Country, Country.iso3 == Assessment.contributing_country_iso3)
                            .where(Assessment.id == a.id)).one()
    out = snapshot(a, ["kind", "title", "mode", "allocation_id", "cost", "findings", "report_ref"])
    out.update(snapshot(a, ["conducted_on", "end_date"]))
    out["start"], out["end"] = out.pop("conducted_on"), out.pop("end_date")
    out["mission"], out["capacity"], out["contributing_country"] = codes
    out["expert_ids"] = sorted(session.scalars(select(assessment_expert.c.expert_id)
                                               .where(assessment_expert.c.assessment_id == a.id)))
    out["deployment_ids"] = sorted(session.scalars(select(assessment_deployment.c.deployment_id)
                                                   .where(assessment_deployment.c.assessment_id == a.id)))
    out["gaps"] = [snapshot(g, ["area", "gap", "severity", "estimated_cost"]) for g in a.gaps]
    return out


def create_assessment(session: Session, principal: Principal, data: Mapping[str, Any], *,
                      origin: RequestOrigin | None = None) -> Assessment:
    principal.require(Permission.MANAGE_ASSESSMENTS)
    cleaned, problems = ASSESSMENT.validate(data)
    columns = _resolve(session, cleaned, problems)
    team = _team(session, data, problems)
    refuse(problems)
    assessment = Assessment(**columns)
    session.add(assessment)
    flush(session)
    _set_team(session, assessment.id, team)
    audit_change(session, principal, "assessment_created", entity=ENTITY, entity_id=assessment.id, before={},
                 after=_state(session, assessment), origin=origin)
    return assessment


def update_assessment(session: Session, principal: Principal, assessment_id: int, data: Mapping[str, Any], *,
                      expected: int | None, origin: RequestOrigin | None = None) -> Assessment:
    """A change of the fields given (PATCH: only those), made against version ``expected``."""
    principal.require(Permission.MANAGE_ASSESSMENTS)
    assessment = load_for_change(session, Assessment, assessment_id, ENTITY, expected)
    before = _state(session, assessment)
    cleaned, problems = validate_change(ASSESSMENT, data, before)
    columns = _resolve(session, cleaned, problems)
    team = _team(session, data, problems)
    if columns.get("kind", assessment.kind) != AssessmentKind.TECHNOLOGY_NEEDS and assessment.gaps:
        problems.append(Problem("kind", "gaps_only_tna"))
    refuse(problems)
    for column, value in columns.items():
        setattr(assessment, column, value)
    _set_team(session, assessment.id, team)
    touch(assessment)
    flush(session)
    audit_change(session, principal, "assessment_updated", entity=ENTITY, entity_id=assessment.id, before=before,
                 after=_state(session, assessment), origin=origin)
    return assessment


def set_gaps(session: Session, principal: Principal, assessment_id: int, gaps: list[Mapping[str, Any]], *,
             expected: int | None, origin: RequestOrigin | None = None) -> Assessment:
    """Replaces the gap register (the page's grid and the API send it whole). Problems at ``gaps.K.field``."""
    principal.require(Permission.MANAGE_ASSESSMENTS)
    assessment = load_for_change(session, Assessment, assessment_id, ENTITY, expected)
    before = _state(session, assessment)
    problems: list[Problem] = []
    if gaps and assessment.kind != AssessmentKind.TECHNOLOGY_NEEDS:
        problems.append(Problem("gaps", "gaps_only_tna"))
    rows = []
    for k, gap in enumerate(gaps):
        cleaned, found = GAP.validate(gap)
        problems += [Problem(f"gaps.{k}.{p.field}", p.code, p.params) for p in found]
        rows.append(cleaned)
    refuse(problems)
    assessment.gaps.clear()
    flush(session)
    assessment.gaps.extend(AssessmentGap(area=GapArea(r["area"]), gap=r["gap"], severity=Priority(r["severity"]),
                                         estimated_cost=r.get("estimated_cost")) for r in rows)
    touch(assessment)
    flush(session)
    audit_change(session, principal, "assessment_gaps_set", entity=ENTITY, entity_id=assessment.id, before=before,
                 after=_state(session, assessment), origin=origin)
    return assessment


# --- reading ---------------------------------------------------------------------------------------------------
def _filtered(stmt: Any, filt: AssessmentFilter) -> Any:
    if filt.kind:
        stmt = stmt.where(Assessment.kind == filt.kind)
    if filt.mission:
        stmt = stmt.where(func.upper(Mission.acronym) == filt.mission.strip().upper())
    if filt.capacity:
        stmt = stmt.where(Capacity.code == filt.capacity.strip().upper())
    if filt.year:
        stmt = stmt.where(extract("year", Assessment.conducted_on) == filt.year)
    return stmt


def list_assessments(session: Session, principal: Principal, filt: AssessmentFilter) -> dict[str, Any]:
    principal.require(Permission.VIEW_OPERATIONS)
    open_recs = (select(func.count()).where(Recommendation.assessment_id == Assessment.id,
                                            Recommendation.status.in_(("open", "in_progress")))
                 .correlate(Assessment).scalar_subquery())
    base = (select(Assessment.id).outerjoin(Mission, Mission.id == Assessment.mission_id)
            .outerjoin(Capacity, Capacity.id == Assessment.capacity_id))
    total = session.scalar(select(func.count()).select_from(_filtered(base, filt).subquery()))
    rows = session.execute(_filtered(
        select(Assessment.id, Assessment.kind, Assessment.title, Mission.acronym, Capacity.code,
               Assessment.conducted_on, Assessment.end_date, Assessment.mode, Assessment.version, open_recs)
        .outerjoin(Mission, Mission.id == Assessment.mission_id)
        .outerjoin(Capacity, Capacity.id == Assessment.capacity_id), filt)
        .order_by(Assessment.conducted_on.desc(), Assessment.id.desc()).limit(filt.limit).offset(filt.offset)).all()
    items = [{"id": r[0], "kind": str(r[1]), "title": r[2], "mission": r[3], "capacity": r[4],
              "start": r[5], "end": r[6], "mode": str(r[7]) if r[7] else None, "version": r[8],
              "open_recommendations": r[9]} for r in rows]
    return {"items": items, "total": total or 0, "limit": filt.limit, "offset": filt.offset}


def get_assessment(session: Session, principal: Principal, assessment_id: int) -> dict[str, Any]:
    principal.require(Permission.VIEW_OPERATIONS)
    a = load(session, Assessment, assessment_id, "assessment")
    out = _state(session, a)
    out.update(id=a.id, version=a.version, kind=str(a.kind), mode=str(a.mode) if a.mode else None,
               start=a.conducted_on, end=a.end_date, cost=a.cost)
    out["gaps"] = [{"id": g.id, "area": str(g.area), "gap": g.gap, "severity": str(g.severity),
                    "estimated_cost": g.estimated_cost} for g in a.gaps]
    out["gap_total"] = sum((g.estimated_cost or 0 for g in a.gaps), start=0)
    team_names = principal.can(Permission.VIEW_PERSON_NAMES)
    experts = session.execute(select(Expert.id, Expert.given_name, Expert.family_name)
                              .join(assessment_expert, assessment_expert.c.expert_id == Expert.id)
                              .where(assessment_expert.c.assessment_id == a.id).order_by(Expert.family_name)).all()
    deployments = session.execute(select(Deployment.id, Deployment.start_date, Deployment.end_date, Mission.acronym)
                                  .join(Mission, Mission.id == Deployment.mission_id)
                                  .join(assessment_deployment, assessment_deployment.c.deployment_id == Deployment.id)
                                  .where(assessment_deployment.c.assessment_id == a.id)).all()
    out["team"] = {
        "experts": [{"id": e[0], "name": f"{e[1]} {e[2]}"} if team_names else {"id": None, "name": None}
                    for e in experts] if team_names else [],
        "experts_count": len(experts),
        "deployments": [{"id": d[0], "start": d[1], "end": d[2], "mission": d[3]} for d in deployments],
    }
    out["attachments"] = attachment_rows(session, principal, assessment_id=a.id)
    return out


def attachment_rows(session: Session, principal: Principal, *, assessment_id: int | None = None,
                    follow_up_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The attachments' descriptions (never their bytes); reports may name people: VIEW_PERSON_NAMES."""
    if not principal.can(Permission.VIEW_PERSON_NAMES):
        return []
    stmt = select(Attachment.id, Attachment.filename, Attachment.content_type, Attachment.size_bytes,
                  Attachment.sha256, Attachment.uploaded_at, Attachment.follow_up_id)
    if assessment_id is not None:
        stmt = stmt.where(Attachment.assessment_id == assessment_id)
    else:
        stmt = stmt.where(Attachment.follow_up_id.in_(follow_up_ids or []))
    return [{"id": r[0], "filename": r[1], "content_type": r[2], "size_bytes": r[3], "sha256": r[4],
             "uploaded_at": r[5], "follow_up_id": r[6], "href": f"/files/knowledge/{r[0]}"}
            for r in session.execute(stmt.order_by(Attachment.id))]


def assessment_options(session: Session, principal: Principal, limit: int = 500) -> list[tuple[int, str, date]]:
    principal.require(Permission.VIEW_OPERATIONS)
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(Assessment.id, Assessment.title, Assessment.conducted_on)
        .order_by(Assessment.conducted_on.desc()).limit(limit))]
