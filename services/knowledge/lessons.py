"""Lessons and good practices: drafted, reviewed by someone else, published; English, French or both; linked
to a mission, a capacity, an assessment and recommendations; tagged. Writing and the workflow need
MANAGE_ASSESSMENTS; everyone reads published lessons, only MANAGE_ASSESSMENTS reads drafts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from models import Assessment, Capacity, Lesson, Mission, Recommendation, User
from models.enums import LessonStatus, Role
from models.knowledge import lesson_recommendation
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.errors import NotFound
from services.knowledge import lookups
from services.knowledge.common import flush, load_for_change, refuse, touch, validate_change
from services.knowledge.rules import LESSON, ids, tags
from services.records.problems import Problem
from services.records.versioning import audit_change, snapshot

ENTITY = "lesson"
TEXT_FIELDS = ("title_en", "body_en", "title_fr", "body_fr")
# The workflow's steps: action -> (from, to).
STEPS: dict[str, tuple[frozenset[LessonStatus], LessonStatus]] = {
    "review": (frozenset({LessonStatus.DRAFT}), LessonStatus.REVIEWED),
    "publish": (frozenset({LessonStatus.REVIEWED}), LessonStatus.PUBLISHED),
    "withdraw": (frozenset({LessonStatus.REVIEWED, LessonStatus.PUBLISHED}), LessonStatus.DRAFT),
}


@dataclass(frozen=True)
class LessonFilter:
    status: str | None = None
    tag: str | None = None
    limit: int = 200
    offset: int = 0


def _resolve(session: Session, data: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    columns = {k: data[k] for k in TEXT_FIELDS if k in data}
    if "mission" in data:
        columns["mission_id"] = lookups.mission_id(session, data["mission"], "mission", problems)
    if "capacity" in data:
        columns["capacity_id"] = lookups.capacity_id(session, data["capacity"], "capacity", problems)
    if "assessment_id" in data:
        found: list[Problem] = []
        known = lookups.existing_ids(session, Assessment, {0: data["assessment_id"]}, "assessment_id", found) \
            if data["assessment_id"] is not None else []
        columns["assessment_id"] = known[0] if known else None
        problems += [Problem("assessment_id", p.code) for p in found]
    return columns


def _links(session: Session, raw: Mapping[str, Any], problems: list[Problem]) -> tuple[dict[str, Any], bool]:
    extra: dict[str, Any] = {}
    if "tags" in raw:
        extra["tags"], found = tags(raw["tags"])
        problems += found
    if "recommendation_ids" in raw:
        values, found = ids(raw["recommendation_ids"], "recommendation_ids")
        problems += found
        extra["recommendation_ids"] = lookups.existing_ids(session, Recommendation, values, "recommendation_ids",
                                                           problems)
    return extra, "recommendation_ids" in extra


def _state(session: Session, lesson: Lesson) -> dict[str, Any]:
    out = snapshot(lesson, [*TEXT_FIELDS, "status", "tags", "assessment_id"])
    out["mission"], out["capacity"] = session.execute(
        select(Mission.acronym, Capacity.code).select_from(Lesson)
        .outerjoin(Mission, Mission.id == Lesson.mission_id).outerjoin(Capacity, Capacity.id == Lesson.capacity_id)
        .where(Lesson.id == lesson.id)).one()
    out["recommendation_ids"] = sorted(session.scalars(select(lesson_recommendation.c.recommendation_id).where(
        lesson_recommendation.c.lesson_id == lesson.id)))
    return out


def _set_recommendations(session: Session, lesson_id: int, rec_ids: list[int]) -> None:
    session.execute(delete(lesson_recommendation).where(lesson_recommendation.c.lesson_id == lesson_id))
    if rec_ids:
        session.execute(insert(lesson_recommendation), [{"lesson_id": lesson_id, "recommendation_id": r}
                                                        for r in rec_ids])


def create_lesson(session: Session, principal: Principal, data: Mapping[str, Any], *,
                  origin: RequestOrigin | None = None) -> Lesson:
    principal.require(Permission.MANAGE_ASSESSMENTS)
    cleaned, problems = LESSON.validate(data)
    columns = _resolve(session, cleaned, problems)
    extra, set_recs = _links(session, data, problems)
    refuse(problems)
    lesson = Lesson(status=LessonStatus.DRAFT, author_user_id=principal.user_id, tags=extra.get("tags", []),
                    **columns)
    session.add(lesson)
    flush(session)
    if set_recs:
        _set_recommendations(session, lesson.id, extra["recommendation_ids"])
    audit_change(session, principal, "lesson_created", entity=ENTITY, entity_id=lesson.id, before={},
                 after=_state(session, lesson), origin=origin)
    return lesson


def update_lesson(session: Session, principal: Principal, lesson_id: int, data: Mapping[str, Any], *,
                  expected: int | None, origin: RequestOrigin | None = None) -> Lesson:
    principal.require(Permission.MANAGE_ASSESSMENTS)
    lesson = load_for_change(session, Lesson, lesson_id, ENTITY, expected)
    before = _state(session, lesson)
    cleaned, problems = validate_change(LESSON, data, before)
    columns = _resolve(session, cleaned, problems)
    extra, set_recs = _links(session, data, problems)
    refuse(problems)
    for column, value in columns.items():
        setattr(lesson, column, value)
    if "tags" in extra:
        lesson.tags = extra["tags"]
    if set_recs:
        _set_recommendations(session, lesson.id, extra["recommendation_ids"])
    touch(lesson)
    flush(session)
    audit_change(session, principal, "lesson_updated", entity=ENTITY, entity_id=lesson.id, before=before,
                 after=_state(session, lesson), origin=origin)
    return lesson


def step(session: Session, principal: Principal, lesson_id: int, action: str, *, expected: int | None,
         origin: RequestOrigin | None = None) -> Lesson:
    """review (draft -> reviewed, by someone other than the author), publish, withdraw (back to draft)."""
    principal.require(Permission.MANAGE_ASSESSMENTS)
    if action not in STEPS:
        raise NotFound(f"No lesson step {action!r}.")
    lesson = load_for_change(session, Lesson, lesson_id, ENTITY, expected)
    before = _state(session, lesson)
    allowed_from, to = STEPS[action]
    problems: list[Problem] = []
    if lesson.status not in allowed_from:
        problems.append(Problem("status", "lesson_step", {"from": lesson.status.value, "to": to.value}))
    if action == "review" and lesson.author_user_id == principal.user_id and principal.role != Role.ADMIN:
        problems.append(Problem("status", "own_review"))
    refuse(problems)
    lesson.status = to
    if action == "review":
        lesson.reviewed_by_user_id = principal.user_id
    lesson.published_at = datetime.now(UTC) if to == LessonStatus.PUBLISHED else None
    flush(session)
    audit_change(session, principal, f"lesson_{action}", entity=ENTITY, entity_id=lesson.id, before=before,
                 after=_state(session, lesson), origin=origin)
    return lesson


def _visible(principal: Principal) -> Any:
    if principal.can(Permission.MANAGE_ASSESSMENTS):
        return Lesson.id.is_not(None)
    return Lesson.status == LessonStatus.PUBLISHED


def list_lessons(session: Session, principal: Principal, filt: LessonFilter, locale: str = "en") -> dict[str, Any]:
    principal.require(Permission.VIEW_AGGREGATES)
    stmt = (select(Lesson.id, Lesson.title_en, Lesson.title_fr, Lesson.status, Lesson.tags, Mission.acronym,
                   Capacity.code, Lesson.updated_at, Lesson.version)
            .outerjoin(Mission, Mission.id == Lesson.mission_id).outerjoin(Capacity, Capacity.id == Lesson.capacity_id)
            .where(_visible(principal)))
    if filt.status:
        stmt = stmt.where(Lesson.status == filt.status)
    if filt.tag:
        stmt = stmt.where(Lesson.tags.contains([filt.tag]))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(stmt.order_by(Lesson.updated_at.desc(), Lesson.id.desc())
                           .limit(filt.limit).offset(filt.offset)).all()
    items = [{"id": r[0], "title": (r[2] or r[1]) if locale == "fr" else (r[1] or r[2]), "title_en": r[1],
              "title_fr": r[2], "languages": [lang for lang, t in (("en", r[1]), ("fr", r[2])) if t],
              "status": str(r[3]), "tags": list(r[4] or []), "mission": r[5], "capacity": r[6],
              "updated_at": r[7], "version": r[8]} for r in rows]
    return {"items": items, "total": total or 0, "limit": filt.limit, "offset": filt.offset}


def get_lesson(session: Session, principal: Principal, lesson_id: int) -> dict[str, Any]:
    principal.require(Permission.VIEW_AGGREGATES)
    lesson = session.scalar(select(Lesson).where(Lesson.id == lesson_id, _visible(principal))) \
        if 0 < lesson_id <= 2_147_483_647 else None
    if lesson is None:
        raise NotFound(f"No lesson {lesson_id}.")
    out = _state(session, lesson)
    names = principal.can(Permission.VIEW_PERSON_NAMES)
    author, reviewer = (session.scalar(select(User.username).where(User.id == uid)) if uid and names else None
                        for uid in (lesson.author_user_id, lesson.reviewed_by_user_id))
    out.update(id=lesson.id, version=lesson.version, status=str(lesson.status), author=author, reviewed_by=reviewer,
               published_at=lesson.published_at, updated_at=lesson.updated_at,
               next_steps=[a for a, (frm, _to) in STEPS.items() if lesson.status in frm])
    if not principal.can(Permission.VIEW_OPERATIONS):
        out["recommendation_ids"] = []
        out["assessment_id"] = None
    return out


__all__ = ["STEPS", "LessonFilter", "create_lesson", "get_lesson", "list_lessons", "step", "update_lesson"]
