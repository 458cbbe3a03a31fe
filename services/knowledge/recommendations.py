"""Recommendations and their follow-up: create and edit (versioned, audited), follow-ups that move the status
(a recommendation is closed as implemented only with evidence), overdue and due-soon lists, and the
implementation rate by mission, contributing country, kind and year.

Reading needs VIEW_OPERATIONS; writing MANAGE_ASSESSMENTS, except that a recommendation's owner may follow
their own up (whatever their role): who answers for it reports on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, extract, func, or_, select
from sqlalchemy.orm import Session, aliased

from models import Assessment, Attachment, Country, Mission, Recommendation, RecommendationFollowUp, User
from models.enums import Addressee, RecommendationStatus
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.errors import Forbidden
from services.knowledge import lookups
from services.knowledge.assessments import attachment_rows
from services.knowledge.attachments import CheckedFile, store
from services.knowledge.common import flush, load, load_for_change, refuse, touch, validate_change
from services.knowledge.rules import FOLLOW_UP, NEXT_STATUS, OPEN_STATES, RECOMMENDATION, links
from services.records.problems import Problem
from services.records.versioning import audit_change, snapshot

ENTITY = "recommendation"
DUE_SOON_DAYS = 30
R = RecommendationStatus


@dataclass(frozen=True)
class RecommendationFilter:
    status: str | None = None
    owner: str | None = None  # a username
    owner_id: int | None = None
    mission: str | None = None
    assessment_id: int | None = None
    overdue: bool = False
    due_soon: bool = False
    today: date | None = None
    limit: int = 200
    offset: int = 0


def is_open() -> ColumnElement[bool]:
    return Recommendation.status.in_([s.value for s in OPEN_STATES])


def overdue_on(today: date) -> ColumnElement[bool]:
    return and_(is_open(), Recommendation.due_on < today)


def due_soon_on(today: date) -> ColumnElement[bool]:
    return and_(is_open(), Recommendation.due_on.between(today, today + timedelta(days=DUE_SOON_DAYS)))


def _resolve(session: Session, data: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    columns = {k: data[k] for k in ("text", "category", "priority", "addressee", "due_on") if k in data}
    if "addressee_mission" in data:
        columns["addressee_mission_id"] = lookups.mission_id(session, data["addressee_mission"],
                                                             "addressee_mission", problems)
    if "addressee_country" in data:
        columns["addressee_country_iso3"] = lookups.country_key(session, data["addressee_country"],
                                                                "addressee_country", problems)
    if "addressee_unit" in data:
        columns["responsible_entity"] = data["addressee_unit"]
    if "owner" in data:
        columns["owner_user_id"] = lookups.user_id(session, data["owner"], "owner", problems)
    return columns


def _addressee_only(rec: Recommendation) -> None:
    """Only the addressee's own field is kept (a mission addressed keeps no country, and so on)."""
    if rec.addressee != Addressee.MISSION:
        rec.addressee_mission_id = None
    if rec.addressee != Addressee.CONTRIBUTING_COUNTRY:
        rec.addressee_country_iso3 = None
    if rec.addressee != Addressee.HQ_UNIT:
        rec.responsible_entity = None


def _state(session: Session, rec: Recommendation) -> dict[str, Any]:
    out = snapshot(rec, ["text", "category", "priority", "addressee", "due_on", "status"])
    names = session.execute(select(Mission.acronym, Country.iso_a3, User.username)
                            .select_from(Recommendation)
                            .outerjoin(Mission, Mission.id == Recommendation.addressee_mission_id)
                            .outerjoin(Country, Country.iso3 == Recommendation.addressee_country_iso3)
                            .outerjoin(User, User.id == Recommendation.owner_user_id)
                            .where(Recommendation.id == rec.id)).one()
    out["addressee_mission"], out["addressee_country"], out["owner"] = names
    out["addressee_unit"] = rec.responsible_entity
    return out


def create_recommendation(session: Session, principal: Principal, assessment_id: int, data: Mapping[str, Any], *,
                          origin: RequestOrigin | None = None) -> Recommendation:
    principal.require(Permission.MANAGE_ASSESSMENTS)
    load(session, Assessment, assessment_id, "assessment")
    cleaned, problems = RECOMMENDATION.validate(data)
    columns = _resolve(session, cleaned, problems)
    refuse(problems)
    rec = Recommendation(assessment_id=assessment_id, status=R.OPEN, **columns)
    _addressee_only(rec)
    session.add(rec)
    flush(session)
    audit_change(session, principal, "recommendation_created", entity=ENTITY, entity_id=rec.id, before={},
                 after=_state(session, rec), origin=origin)
    return rec


def update_recommendation(session: Session, principal: Principal, rec_id: int, data: Mapping[str, Any], *,
                          expected: int | None, origin: RequestOrigin | None = None) -> Recommendation:
    """Its text, addressee, owner, priority, due date (PATCH: the fields given). The status moves only by a
    follow-up, so that each change of status is dated, explained and, when implemented, evidenced."""
    principal.require(Permission.MANAGE_ASSESSMENTS)
    rec = load_for_change(session, Recommendation, rec_id, ENTITY, expected)
    before = _state(session, rec)
    cleaned, problems = validate_change(RECOMMENDATION, data, before)
    columns = _resolve(session, cleaned, problems)
    refuse(problems)
    for column, value in columns.items():
        setattr(rec, column, value)
    _addressee_only(rec)
    flush(session)
    audit_change(session, principal, "recommendation_updated", entity=ENTITY, entity_id=rec.id, before=before,
                 after=_state(session, rec), origin=origin)
    return rec


def _has_evidence(session: Session, rec_id: int) -> bool:
    """Evidence already given in an earlier follow-up: a file, a link or a reference."""
    earlier = select(RecommendationFollowUp.id).where(RecommendationFollowUp.recommendation_id == rec_id)
    return bool(session.scalar(select(or_(
        exists(earlier.where(or_(RecommendationFollowUp.evidence_ref.is_not(None),
                                 func.cardinality(RecommendationFollowUp.evidence_links) > 0))),
        exists(select(Attachment.id).where(Attachment.follow_up_id.in_(earlier)))))))


def add_follow_up(session: Session, principal: Principal, rec_id: int, data: Mapping[str, Any], *,
                  evidence_links: Sequence[Any] = (), files: Sequence[CheckedFile] = (), expected: int | None,
                  origin: RequestOrigin | None = None) -> RecommendationFollowUp:
    """A dated note that may move the status, with its evidence (links, checked files).

    Closing as implemented needs evidence, here or in an earlier follow-up; a refusal stores nothing."""
    rec = load(session, Recommendation, rec_id, "recommendation")
    if not principal.can(Permission.MANAGE_ASSESSMENTS) and rec.owner_user_id != principal.user_id:
        raise Forbidden("Only the recommendation's owner or an assessment officer may follow it up.")
    rec = load_for_change(session, Recommendation, rec_id, ENTITY, expected)
    before = _state(session, rec)
    cleaned, problems = FOLLOW_UP.validate(data)
    cleaned_links, link_problems = links(evidence_links)
    problems += link_problems
    status = R(cleaned["status"]) if cleaned.get("status") else None
    if status is not None and status not in NEXT_STATUS[rec.status]:
        problems.append(Problem("status", "status_not_allowed", {"from": rec.status.value, "to": status.value}))
    if status == R.IMPLEMENTED and not cleaned_links and not files and not _has_evidence(session, rec_id):
        problems.append(Problem("evidence", "evidence_required"))
    on = cleaned.get("on")
    if on is not None and on > date.today():
        problems.append(Problem("on", "range", {"max": date.today().isoformat()}))
    refuse(problems)
    assert status is not None  # required by the rule book: refuse() raised otherwise
    follow = RecommendationFollowUp(recommendation_id=rec.id, by_user_id=principal.user_id, status=status,
                                    note=cleaned["note"], evidence_links=cleaned_links)
    if on is not None:
        follow.at = datetime.combine(on, time(12), tzinfo=UTC)
    session.add(follow)
    flush(session)
    for checked in files:
        store(session, principal, checked, follow_up_id=follow.id, origin=origin)
    rec.status = status
    touch(rec)
    flush(session)
    after = _state(session, rec)
    after["follow_up"] = {"id": follow.id, "note": follow.note, "links": cleaned_links,
                          "files": [f.filename for f in files]}
    audit_change(session, principal, "recommendation_followed_up", entity=ENTITY, entity_id=rec.id, before=before,
                 after=after, origin=origin)
    return follow


# --- reading ---------------------------------------------------------------------------------------------------
def _listing(principal: Principal, filt: RecommendationFilter) -> Any:
    owner = aliased(User)
    addressed = aliased(Mission)
    today = filt.today or date.today()
    stmt = (select(Recommendation.id, Recommendation.text, Recommendation.priority, Recommendation.status,
                   Recommendation.due_on, Recommendation.addressee, addressed.acronym, Country.iso_a3,
                   Recommendation.responsible_entity, owner.username, owner.display_name, Assessment.id,
                   Assessment.title, Assessment.kind, Mission.acronym, Recommendation.version,
                   overdue_on(today), Recommendation.owner_user_id)
            .join(Assessment, Assessment.id == Recommendation.assessment_id)
            .outerjoin(Mission, Mission.id == Assessment.mission_id)
            .outerjoin(addressed, addressed.id == Recommendation.addressee_mission_id)
            .outerjoin(Country, Country.iso3 == Recommendation.addressee_country_iso3)
            .outerjoin(owner, owner.id == Recommendation.owner_user_id))
    if filt.status:
        stmt = stmt.where(Recommendation.status == filt.status)
    if filt.owner:
        stmt = stmt.where(owner.username == filt.owner)
    if filt.owner_id is not None:
        stmt = stmt.where(Recommendation.owner_user_id == filt.owner_id)
    if filt.mission:
        stmt = stmt.where(func.upper(Mission.acronym) == filt.mission.strip().upper())
    if filt.assessment_id:
        stmt = stmt.where(Recommendation.assessment_id == filt.assessment_id)
    if filt.overdue:
        stmt = stmt.where(overdue_on(today))
    if filt.due_soon:
        stmt = stmt.where(due_soon_on(today))
    return stmt


def _row(r: Any, names: bool) -> dict[str, Any]:
    addressee = {Addressee.MISSION: r[6], Addressee.CONTRIBUTING_COUNTRY: r[7], Addressee.HQ_UNIT: r[8]}
    return {"id": r[0], "text": r[1], "priority": str(r[2]), "status": str(r[3]), "due_on": r[4],
            "addressee": str(r[5]), "addressee_name": addressee.get(r[5]),
            "owner": r[9] if names else None, "owner_name": r[10] if names else None,
            "assessment_id": r[11], "assessment_title": r[12], "kind": str(r[13]), "mission": r[14],
            "version": r[15], "overdue": bool(r[16])}


def list_recommendations(session: Session, principal: Principal, filt: RecommendationFilter) -> dict[str, Any]:
    if filt.owner_id != principal.user_id:  # one's own list is open to every role (the home page)
        principal.require(Permission.VIEW_OPERATIONS)
    stmt = _listing(principal, filt)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(stmt.order_by(Recommendation.due_on.asc().nulls_last(), Recommendation.id)
                           .limit(filt.limit).offset(filt.offset)).all()
    names = principal.can(Permission.VIEW_PERSON_NAMES) or filt.owner_id == principal.user_id
    return {"items": [_row(r, names) for r in rows], "total": total or 0, "limit": filt.limit,
            "offset": filt.offset}


def get_recommendation(session: Session, principal: Principal, rec_id: int) -> dict[str, Any]:
    rec = load(session, Recommendation, rec_id, "recommendation")
    if rec.owner_user_id != principal.user_id:
        principal.require(Permission.VIEW_OPERATIONS)
    row = session.execute(_listing(principal, RecommendationFilter()).where(Recommendation.id == rec_id)).one()
    names = principal.can(Permission.VIEW_PERSON_NAMES) or rec.owner_user_id == principal.user_id
    out = _row(row, names)
    out.update({k: v for k, v in _state(session, rec).items() if k != "due_on"})
    if not names:
        out["owner"] = None
    out["category"] = rec.category
    out["next_statuses"] = sorted(s.value for s in NEXT_STATUS[rec.status])
    by = aliased(User)
    follows = session.execute(select(RecommendationFollowUp, by.username).outerjoin(
        by, by.id == RecommendationFollowUp.by_user_id).where(RecommendationFollowUp.recommendation_id == rec_id)
        .order_by(RecommendationFollowUp.at, RecommendationFollowUp.id)).all()
    files = attachment_rows(session, principal, follow_up_ids=[f.id for f, _u in follows])
    out["follow_ups"] = [{"id": f.id, "at": f.at, "status": str(f.status), "note": f.note,
                          "by": username if names else None, "evidence_ref": f.evidence_ref,
                          "evidence_links": list(f.evidence_links or []),
                          "files": [x for x in files if x["follow_up_id"] == f.id]} for f, username in follows]
    return out


# --- implementation rate ---------------------------------------------------------------------------------------
RATE_DIMENSIONS = ("mission", "country", "kind", "year")


def implementation_rate(session: Session, principal: Principal, by: str, *, year: int | None = None
                        ) -> list[dict[str, Any]]:
    """Per mission, contributing country, kind or year: how many recommendations, how many implemented (in
    full, in part), and the rate = implemented in full / those still to be acted on or acted on, i.e. every
    one except those not accepted or closed as overtaken (they were never going to be implemented)."""
    principal.require(Permission.VIEW_OPERATIONS)
    if by not in RATE_DIMENSIONS:
        raise ValueError(by)
    key: Any = {"mission": Mission.acronym, "country": Country.iso_a3, "kind": Assessment.kind,
                "year": extract("year", Assessment.conducted_on)}[by]
    counted = Recommendation.status.notin_([R.NOT_ACCEPTED.value, R.CLOSED_OVERTAKEN.value])
    stmt = (select(key, func.count(), func.count().filter(counted),
                   func.count().filter(Recommendation.status == R.IMPLEMENTED.value),
                   func.count().filter(Recommendation.status == R.PARTIALLY_IMPLEMENTED.value),
                   func.count().filter(overdue_on(date.today())))
            .join(Assessment, Assessment.id == Recommendation.assessment_id)
            .outerjoin(Mission, Mission.id == Assessment.mission_id)
            .outerjoin(Country, Country.iso3 == Assessment.contributing_country_iso3)
            .group_by(key).order_by(key))
    if year:
        stmt = stmt.where(extract("year", Assessment.conducted_on) == year)
    out = []
    for k, total, counted_n, implemented, partial, overdue in session.execute(stmt):
        out.append({"key": None if k is None else (int(k) if by == "year" else str(k)), "total": total,
                    "counted": counted_n, "implemented": implemented, "partially_implemented": partial,
                    "overdue": overdue, "rate": round(implemented / counted_n, 4) if counted_n else None})
    return out




def owner_options(session: Session, principal: Principal) -> list[tuple[str, str]]:
    """Who may own a recommendation: the active users, (username, display name)."""
    principal.require(Permission.MANAGE_ASSESSMENTS)
    return [(u, n) for u, n in session.execute(select(User.username, User.display_name)
                                               .where(User.active.is_(True)).order_by(User.display_name))]
