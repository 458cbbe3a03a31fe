"""Surge requests: the form, the status workflow (each step dated and attributed), proposals and approval.

received -> under review -> candidates proposed -> approved -> deployed, or declined / withdrawn on the way.
Proposing creates planned deployments answering the request; the database's ``deployment_no_overlap``
exclusion has the last word, and a refusal becomes a ``Conflict`` that names the expert and what blocks
them, never a traceback. The request's ``version`` (optimistic lock) catches two planners editing one request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Date, Select, case, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from models import (
    Allocation,
    Capacity,
    ClearanceType,
    Deployment,
    Expert,
    Language,
    Mission,
    Site,
    Skill,
    SurgeRequest,
    SurgeRequestClearance,
    SurgeRequestLanguage,
    SurgeRequestSkill,
    SurgeRequestStep,
    User,
)
from models.enums import DeploymentKind, DeploymentStatus, GenderMarker, LanguageLevel, Priority, SurgeStatus
from services.access import Permission, Principal
from services.audit import RequestOrigin, record
from services.catalog import Page, Paging, count_of, find_mission_id
from services.deployments.records import overlapping
from services.errors import Conflict, NotFound, ValidationError
from services.records.problems import N_, Problems, register_messages
from services.records.versioning import check_version
from services.reference_data import localized_column, localized_name
from services.surge.matching import (
    DEFAULT_REQUIRED_CLEARANCES,
    Ranking,
    Rule,
    TeamMember,
    Weights,
    need_for_request,
    period_of,
    propose_team,
    rank,
)
from services.surge.rules import Problem, RequestProblems, as_date, validate

DEFAULT_TARGET_DAYS = 3
CLOSED = (SurgeStatus.DEPLOYED, SurgeStatus.DECLINED, SurgeStatus.WITHDRAWN)
# Which status may follow which (proposing also passes through "under review" when skipped).
NEXT: dict[SurgeStatus, frozenset[SurgeStatus]] = {
    SurgeStatus.RECEIVED: frozenset({SurgeStatus.UNDER_REVIEW, SurgeStatus.CANDIDATES_PROPOSED,
                                     SurgeStatus.DECLINED, SurgeStatus.WITHDRAWN}),
    SurgeStatus.UNDER_REVIEW: frozenset({SurgeStatus.CANDIDATES_PROPOSED, SurgeStatus.DECLINED,
                                         SurgeStatus.WITHDRAWN}),
    SurgeStatus.CANDIDATES_PROPOSED: frozenset({SurgeStatus.APPROVED, SurgeStatus.DECLINED, SurgeStatus.WITHDRAWN}),
    SurgeStatus.APPROVED: frozenset({SurgeStatus.DEPLOYED, SurgeStatus.WITHDRAWN}),
    SurgeStatus.DEPLOYED: frozenset(),
    SurgeStatus.DECLINED: frozenset(),
    SurgeStatus.WITHDRAWN: frozenset(),
}


# --- the form ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SkillWanted:
    code: str
    weight: float = 1.0
    min_level: int = 1
    required: bool = True  # False: desirable, scored but not a hard rule


@dataclass(frozen=True)
class LanguageWanted:
    code: str
    min_level: str = LanguageLevel.B2.value


@dataclass(frozen=True)
class RequestForm:
    mission: str  # acronym
    title: str
    wanted_start: date
    duration_days: int
    experts_requested: int = 1
    capacity: str | None = None  # SPC, JCSC
    accept_any_capacity: bool = False  # the capacity is then a preference of the record, not a hard rule
    site_id: int | None = None
    skills: tuple[SkillWanted, ...] = ()
    languages: tuple[LanguageWanted, ...] = ()
    priority: str = Priority.MEDIUM.value
    gender_considerations: str | None = None
    balance_gender: bool = False
    notes: str | None = None
    received_on: date | None = None  # today unless the request came in earlier
    # Clearance type codes every proposed expert must hold for the whole period (none: no clearance required).
    clearances: tuple[str, ...] = DEFAULT_REQUIRED_CLEARANCES
    # When the mission's request arrived, if earlier than it is recorded (an e-mail of yesterday evening).
    received_at: datetime | None = None


def form_data(form: RequestForm) -> dict[str, Any]:
    """The form as the rule book reads it (``services.surge.rules.validate``)."""
    return asdict(form)


def form_from_data(data: Mapping[str, Any]) -> RequestForm:
    """A RequestForm from the rule book's data once ``validate`` found no problem (the page's form sends text)."""
    return RequestForm(
        mission=str(data["mission"]).strip(), title=str(data["title"]),
        wanted_start=cast(date, as_date(data["wanted_start"])),
        duration_days=int(float(data["duration_days"])), experts_requested=int(float(data["experts_requested"])),
        capacity=data.get("capacity") or None, accept_any_capacity=bool(data.get("accept_any_capacity")),
        priority=str(data["priority"]), balance_gender=bool(data.get("balance_gender")),
        gender_considerations=data.get("gender_considerations"), notes=data.get("notes"),
        skills=tuple(SkillWanted(s["code"], float(s["weight"]), int(float(s["min_level"])), bool(s["required"]))
                     for s in data.get("skills", ())),
        languages=tuple(LanguageWanted(lang["code"], lang["min_level"]) for lang in data.get("languages", ())),
        clearances=tuple(data.get("clearances", ())))


def _next_reference(session: Session, year: int) -> str:
    prefix = f"SR-{year}-"
    last = session.scalar(select(func.max(SurgeRequest.reference)).where(SurgeRequest.reference.like(f"{prefix}%")))
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:05d}"


def _step(session: Session, request: SurgeRequest, status: SurgeStatus, principal: Principal,
          note: str | None = None, occurred_at: datetime | None = None) -> None:
    """A new step, recorded now; ``occurred_at`` when it happened earlier (checked: not in the future, not
    before the request's previous step)."""
    if occurred_at is not None:
        problems = step_time_problems(request, status, occurred_at)
        if problems:
            raise Problems(problems, "The step cannot be recorded:")
    request.steps.append(SurgeRequestStep(status=status, by_user_id=principal.user_id, note=note,
                                          occurred_at=occurred_at))
    request.status = status


def step_time_problems(request: SurgeRequest, status: SurgeStatus, occurred_at: datetime,
                       now: datetime | None = None) -> list[Problem]:
    """When a step happened: not in the future, not before the step before it nor after the step after it
    (in the workflow's order)."""
    now = now or datetime.now(UTC)
    if occurred_at.tzinfo is None:
        return [Problem("occurred_at", "no_time_zone")]
    if occurred_at > now + timedelta(minutes=5):  # a client's clock a little ahead is not a future step
        return [Problem("occurred_at", "future_step")]
    order = [s for s in sorted(request.steps, key=lambda x: (x.occurred_at or now, x.id or 0))
             if s.status != status]
    position = STEP_ORDER.index(status)
    for step in order:
        other = STEP_ORDER.index(step.status)
        when = step.occurred_at
        if when is None:
            continue
        if other < position and occurred_at < when:
            return [Problem("occurred_at", "before_previous_step",
                            {"step": step.status.value, "at": when.strftime("%Y-%m-%d %H:%M")})]
        if other > position and occurred_at > when:
            return [Problem("occurred_at", "after_next_step",
                            {"step": step.status.value, "at": when.strftime("%Y-%m-%d %H:%M")})]
    return []


register_messages({
    "future_step": N_("A step cannot have happened in the future."),
    "no_time_zone": N_("Give the time with its time zone (e.g. 2031-02-19T18:30:00+00:00)."),
    "before_previous_step": N_("Before the step “%(step)s” (%(at)s), which comes first."),
    "after_next_step": N_("After the step “%(step)s” (%(at)s), which comes later."),
})


# The workflow's order, for the order of the steps' times (declined/withdrawn close it, after any other).
STEP_ORDER = [SurgeStatus.RECEIVED, SurgeStatus.UNDER_REVIEW, SurgeStatus.CANDIDATES_PROPOSED,
              SurgeStatus.APPROVED, SurgeStatus.DEPLOYED, SurgeStatus.DECLINED, SurgeStatus.WITHDRAWN]


@dataclass(frozen=True)
class Resolved:
    mission_id: int | None
    capacity_id: int | None
    skill_ids: dict[str, int]
    clearance_ids: dict[str, int]


def resolve_codes(session: Session, form: RequestForm, problems: list[Problem]) -> Resolved:
    """The ids of the form's codes (mission, capacity, skills, languages, clearances); each unknown one is a
    problem at its field. Recording and amending a request read the same."""
    mission_id = None
    if form.mission and form.mission.strip():
        try:
            mission_id = find_mission_id(session, form.mission)
        except NotFound:
            problems.append(Problem("mission", "unknown", {"value": form.mission}))
    capacity_id = None
    if form.capacity:
        capacity_id = session.scalar(select(Capacity.id).where(Capacity.code == form.capacity.strip().upper()))
        if capacity_id is None:
            problems.append(Problem("capacity", "unknown", {"value": form.capacity}))
    if form.site_id is not None and mission_id is not None:
        site_mission = session.scalar(select(Site.mission_id).where(Site.id == form.site_id))
        if site_mission != mission_id:
            problems.append(Problem("site_id", "not_of_mission"))
    skill_ids = dict(session.execute(
        select(Skill.code, Skill.id).where(Skill.code.in_([s.code for s in form.skills]))).all())
    problems += [Problem(f"skills.{k}.code", "unknown", {"value": s.code})
                 for k, s in enumerate(form.skills) if s.code not in skill_ids]
    known_langs = set(session.scalars(select(Language.code).where(
        Language.code.in_([lang.code for lang in form.languages]))))
    problems += [Problem(f"languages.{k}.code", "unknown", {"value": lang.code})
                 for k, lang in enumerate(form.languages) if lang.code not in known_langs]
    clearance_ids = dict(session.execute(
        select(ClearanceType.code, ClearanceType.id).where(ClearanceType.code.in_(list(form.clearances)))).all())
    problems += [Problem(f"clearances.{k}", "unknown", {"value": code})
                 for k, code in enumerate(form.clearances) if code not in clearance_ids]
    return Resolved(mission_id, capacity_id, skill_ids, clearance_ids)


def create_request(session: Session, principal: Principal, form: RequestForm, *, today: date | None = None,
                   origin: RequestOrigin | None = None) -> SurgeRequest:
    """Records a request (status received, first step dated and attributed). ValidationError lists every problem."""
    principal.require(Permission.MANAGE_SURGE)
    today = today or date.today()
    problems = validate(form_data(form), today)
    found = resolve_codes(session, form, problems)
    mission_id, capacity_id = found.mission_id, found.capacity_id
    skill_ids, clearance_ids = found.skill_ids, found.clearance_ids
    if problems:
        raise RequestProblems(problems)
    received = form.received_on or today
    request = SurgeRequest(
        reference=_next_reference(session, received.year), mission_id=mission_id, site_id=form.site_id,
        capacity_id=capacity_id, accept_any_capacity=bool(form.accept_any_capacity), title=form.title.strip(),
        received_on=received,
        experts_requested=int(form.experts_requested), wanted_start=form.wanted_start,
        duration_days=int(form.duration_days), priority=Priority(form.priority),
        gender_considerations=(form.gender_considerations or "").strip() or None,
        balance_gender=bool(form.balance_gender), notes=(form.notes or "").strip() or None,
        status=SurgeStatus.RECEIVED,
        skills=[SurgeRequestSkill(skill_id=skill_ids[s.code], weight=float(s.weight), min_level=int(s.min_level),
                                  required=bool(s.required)) for s in form.skills],
        languages=[SurgeRequestLanguage(language_code=lang.code, min_level=LanguageLevel(lang.min_level))
                   for lang in form.languages],
        clearances=[SurgeRequestClearance(clearance_type_id=clearance_ids[code]) for code in set(form.clearances)],
    )
    session.add(request)
    # A request that arrived before today was received then (the day's start, UTC, unless the time is given):
    # the service level counts from when the mission asked, not from when the planner typed it in.
    received_at = form.received_at or (datetime.combine(received, time(0), UTC) if received < today else None)
    end_of_today = datetime.combine(today, time.max, UTC)
    if received_at is not None and (problems := step_time_problems(request, SurgeStatus.RECEIVED, received_at,
                                                                   now=end_of_today)):
        raise RequestProblems([Problem("received_at", p.code, p.params) for p in problems])
    request.steps.append(SurgeRequestStep(status=SurgeStatus.RECEIVED, by_user_id=principal.user_id,
                                          occurred_at=received_at))
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        # Two requests recorded at the same moment drew the same reference: the second one tries again.
        raise Conflict("Another request was recorded at the same moment; submit again.") from error
    record(session, "surge_request_created", principal=principal, entity="surge_request", entity_id=request.id,
           detail={"reference": request.reference}, origin=origin)
    return request


# --- reading -----------------------------------------------------------------------------------------------
def load_request(session: Session, key: int | str, *, for_update: bool = False) -> SurgeRequest:
    """By id or by reference (``SR-2026-00012``)."""
    stmt = select(SurgeRequest).options(selectinload(SurgeRequest.skills), selectinload(SurgeRequest.languages),
                                        selectinload(SurgeRequest.steps))
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        stmt = stmt.where(SurgeRequest.id == int(key))
    else:
        stmt = stmt.where(SurgeRequest.reference == str(key).strip())
    if for_update:
        stmt = stmt.with_for_update(of=SurgeRequest)
    request = session.scalar(stmt)
    if request is None:
        raise NotFound(f"No surge request {key!r}.")
    return request


def _target_days() -> ColumnElement[int]:
    return func.coalesce(Capacity.target_days_to_deploy, DEFAULT_TARGET_DAYS)


def _proposed_count() -> ColumnElement[int]:
    return (select(func.count()).select_from(Deployment)
            .where(Deployment.surge_request_id == SurgeRequest.id, Deployment.status != DeploymentStatus.CANCELLED)
            .scalar_subquery())


def overdue(today: date) -> ColumnElement[bool]:
    """Still open and older than the capacity's target days to deploy."""
    return SurgeRequest.status.not_in(CLOSED) & ((literal_date(today) - SurgeRequest.received_on) > _target_days())


def literal_date(day: date) -> ColumnElement[date]:
    return literal(day, Date)


@dataclass(frozen=True)
class RequestFilter:
    status: SurgeStatus | None = None
    capacity: str | None = None
    mission: str | None = None
    overdue_only: bool = False
    paging: Paging = field(default_factory=Paging)


def list_requests(session: Session, principal: Principal, filt: RequestFilter, *, today: date | None = None
                  ) -> Page[dict[str, Any]]:
    principal.require(Permission.VIEW_OPERATIONS)
    today = today or date.today()
    stmt = cast(Select[Any], select(
        SurgeRequest.id, SurgeRequest.reference, Mission.acronym.label("mission"), Capacity.code.label("capacity"),
        SurgeRequest.title, SurgeRequest.received_on, SurgeRequest.wanted_start, SurgeRequest.duration_days,
        SurgeRequest.experts_requested, _proposed_count().label("experts_proposed"), SurgeRequest.priority,
        SurgeRequest.status, SurgeRequest.balance_gender, SurgeRequest.version,
        (literal_date(today) - SurgeRequest.received_on).label("days_open"),
        _target_days().label("target_days"), overdue(today).label("overdue"))
        .select_from(SurgeRequest).join(Mission, Mission.id == SurgeRequest.mission_id)
        .outerjoin(Capacity, Capacity.id == SurgeRequest.capacity_id))
    if filt.status is not None:
        stmt = stmt.where(SurgeRequest.status == filt.status)
    if filt.capacity:
        stmt = stmt.where(Capacity.code == filt.capacity.strip().upper())
    if filt.mission:
        stmt = stmt.where(SurgeRequest.mission_id == find_mission_id(session, filt.mission))
    if filt.overdue_only:
        stmt = stmt.where(overdue(today))
    total = count_of(session, stmt)
    order = (case((SurgeRequest.status.in_(CLOSED), 1), else_=0), SurgeRequest.received_on.desc(),
             SurgeRequest.id.desc())
    rows = session.execute(stmt.order_by(*order).limit(filt.paging.limit).offset(filt.paging.offset)).mappings()
    return Page([_plain(r) for r in rows], total, filt.paging.limit, filt.paging.offset)


def _plain(row: Any) -> dict[str, Any]:
    return {k: getattr(v, "value", v) for k, v in dict(row).items()}


def _expert_label(principal: Principal, expert_id: int, name: str) -> dict[str, Any]:
    if principal.can(Permission.VIEW_PERSON_NAMES):
        return {"expert_id": expert_id, "expert_name": name}
    return {}


def request_team(session: Session, principal: Principal, request_id: int) -> list[dict[str, Any]]:
    """The deployments answering the request (proposed, approved or deployed); names only for roles allowed."""
    rows = session.execute(
        select(Deployment.id, Deployment.expert_id, (Expert.given_name + " " + Expert.family_name).label("name"),
               Expert.gender, Deployment.start_date, Deployment.end_date, Deployment.status, Deployment.role)
        .join(Expert, Expert.id == Deployment.expert_id)
        .where(Deployment.surge_request_id == request_id, Deployment.status != DeploymentStatus.CANCELLED)
        .order_by(Deployment.id)
    ).all()
    return [{"deployment_id": r.id, **_expert_label(principal, r.expert_id, r.name), "gender": str(r.gender),
             "start_date": r.start_date, "end_date": r.end_date, "status": str(r.status), "role": r.role}
            for r in rows]


def get_request(session: Session, principal: Principal, key: int | str, *, today: date | None = None
                ) -> dict[str, Any]:
    principal.require(Permission.VIEW_OPERATIONS)
    today = today or date.today()
    request = load_request(session, key)
    start, end = period_of(request)
    mission = session.get(Mission, request.mission_id)
    capacity = session.get(Capacity, request.capacity_id) if request.capacity_id else None
    target = capacity.target_days_to_deploy if capacity else DEFAULT_TARGET_DAYS
    skills = session.execute(select(Skill.code, Skill.name, Skill.name_fr, SurgeRequestSkill.weight,
                                    SurgeRequestSkill.min_level, SurgeRequestSkill.required)
                             .join(Skill, Skill.id == SurgeRequestSkill.skill_id)
                             .where(SurgeRequestSkill.request_id == request.id)
                             .order_by(SurgeRequestSkill.required.desc(), SurgeRequestSkill.weight.desc(),
                                       Skill.code)).all()
    clearances = sorted((dict(c) for c in session.execute(
        select(ClearanceType.code, ClearanceType.name, ClearanceType.name_fr)
        .where(ClearanceType.id.in_([c.clearance_type_id for c in request.clearances]))).mappings()),
        key=lambda c: c["code"])
    users = dict(session.execute(select(User.id, User.username).where(
        User.id.in_([s.by_user_id for s in request.steps if s.by_user_id]))).all())
    return {
        "id": request.id, "reference": request.reference, "mission": mission.acronym if mission else None,
        "mission_id": request.mission_id, "capacity": capacity.code if capacity else None,
        "site_id": request.site_id, "title": request.title, "received_on": request.received_on,
        "experts_requested": request.experts_requested, "wanted_start": start, "wanted_end": end,
        "duration_days": request.duration_days, "priority": str(request.priority),
        "gender_considerations": request.gender_considerations, "balance_gender": request.balance_gender,
        "notes": request.notes, "status": str(request.status), "version": request.version,
        "target_days": target,
        "weights": saved_weights(request).as_dict(), "weights_saved": request.score_weights is not None,
        "overdue": request.status not in CLOSED and (today - request.received_on).days > target,
        "accept_any_capacity": request.accept_any_capacity,
        "skills": [{"code": s.code, "name": s.name, "name_fr": s.name_fr, "weight": float(s.weight),
                    "min_level": s.min_level, "required": s.required} for s in skills],
        "languages": [{"code": lang.language_code, "min_level": str(lang.min_level)}
                      for lang in sorted(request.languages, key=lambda x: x.language_code)],
        "clearances": [c["code"] for c in clearances],
        "clearance_names": clearances,
        "steps": [{"status": str(s.status), "at": s.occurred_at, "occurred_at": s.occurred_at,
                   "recorded_at": s.at, "by": users.get(s.by_user_id) if s.by_user_id else None, "note": s.note}
                  for s in request.steps],
        "amendments": [{"at": a.at, "by": a.by_username, "changes": a.changes, "note": a.note,
                        "version": a.version} for a in request.amendments],
        "next_statuses": sorted(str(s) for s in NEXT[request.status]),
        "team": request_team(session, principal, request.id),
    }


# --- candidates -------------------------------------------------------------------------------------------
def saved_weights(request: SurgeRequest) -> Weights:
    """The weights saved for the request, or the defaults."""
    return Weights.from_mapping(request.score_weights)


def candidates(session: Session, principal: Principal, key: int | str,
               weights: Weights | Mapping[str, float] | None = None,
               clearances: Sequence[str] | None = None) -> Ranking:
    """The request's ranking of every expert (planners and admins: it is about named people); with the given
    clearance codes, else the request's own.

    ``weights``: all of them (the page while a planner adjusts them), or some of them by name over the request's
    saved ones (an API query), or None for the saved ones."""
    principal.require(Permission.MANAGE_SURGE)
    request = load_request(session, key)
    if not isinstance(weights, Weights):
        weights = Weights.from_mapping({**saved_weights(request).as_dict(), **(weights or {})})
    return rank(session, need_for_request(session, request, clearances), weights)


def save_weights(session: Session, principal: Principal, key: int | str, weights: Weights, *,
                 version: int | None = None, origin: RequestOrigin | None = None) -> SurgeRequest:
    """Saves the weights the request's candidates are ranked with (the defaults are saved as none)."""
    principal.require(Permission.MANAGE_SURGE)
    request = load_request(session, key, for_update=True)
    _check_version(session, request, version)
    if request.status in CLOSED:
        raise Conflict(f"Request {request.reference} is {request.status.value.replace('_', ' ')}: "
                       "its ranking can no longer change.")
    before = request.score_weights
    request.score_weights = None if weights == Weights() else weights.as_dict()
    _flush(session, request)
    record(session, "surge_weights_saved", principal=principal, entity="surge_request", entity_id=request.id,
           detail={"reference": request.reference, "weights": weights.as_dict(),
                   "changes": {"weights": {"before": before, "after": request.score_weights}}}, origin=origin)
    return request


def suggested_team(session: Session, principal: Principal, key: int | str,
                   weights: Weights | Mapping[str, float] | None = None,
                   size: int | None = None) -> tuple[Ranking, list[TeamMember]]:
    """The ranking, and a team for the experts still wanted (all of ``size`` when given), chosen as a team."""
    ranking = candidates(session, principal, key, weights)
    wanted = size if size is not None else max(ranking.need.experts_requested - len(ranking.need.team_genders), 0)
    return ranking, (propose_team(ranking, wanted) if wanted else [])


def expert_names(session: Session, principal: Principal, expert_ids: Sequence[int]) -> dict[int, str]:
    if not principal.can(Permission.VIEW_PERSON_NAMES) or not expert_ids:
        return {}
    return dict(session.execute(select(Expert.id, Expert.given_name + " " + Expert.family_name)
                                .where(Expert.id.in_(list(expert_ids)))).all())


# --- the workflow --------------------------------------------------------------------------------------------
def _check_version(session: Session, request: SurgeRequest, version: int | None) -> None:
    """A stale version is refused with who changed the request, when and what (``StaleEdit``, from its latest
    audit event), as an amendment is; no version given: the caller chose not to check (the page's first load)."""
    if version is not None:
        check_version(session, entity="surge_request", entity_id=request.id, current=request.version,
                      expected=version)


def _move(session: Session, principal: Principal, request: SurgeRequest, status: SurgeStatus,
          note: str | None = None, occurred_at: datetime | None = None) -> None:
    if status not in NEXT[request.status]:
        raise Conflict(f"Request {request.reference} is {request.status.value.replace('_', ' ')}: "
                       f"it cannot become {status.value.replace('_', ' ')}.")
    _step(session, request, status, principal, note, occurred_at)


def _flush(session: Session, request: SurgeRequest) -> None:
    try:
        session.flush()
    except StaleDataError as error:
        raise Conflict(f"Request {request.reference} was changed by someone else at the same moment: "
                       "reload it and try again.") from error


def _blocking(session: Session, expert_id: int, start: date, end: date) -> str:
    """What keeps the expert busy in [start, end], in words, for a refusal message."""
    row = overlapping(session, expert_id, start, end)
    if row is None:
        return "another deployment overlaps those dates"
    what = f"{row.status} at {row.mission} from {row.start.isoformat()} to {row.end.isoformat()}"
    return what + (f" (request {row.surge_request})" if row.surge_request else "")


def _marker_and_allocation(session: Session, gender_marker: GenderMarker | str | None,
                           allocation_id: int | None) -> tuple[GenderMarker, int | None]:
    """The gender marker and funding allocation a planner chose for the team's deployments (1 and none when
    not chosen), refused at their field when unknown."""
    problems = []
    marker = GenderMarker.GM1
    if gender_marker is not None and str(gender_marker) != "":
        try:
            marker = GenderMarker(str(gender_marker))
        except ValueError:
            problems.append(Problem("gender_marker", "one_of", {"choices": ", ".join(m.value for m in GenderMarker)}))
    if allocation_id is not None and session.get(Allocation, int(allocation_id)) is None:
        problems.append(Problem("allocation_id", "unknown", {"value": allocation_id}))
    if problems:
        raise Problems(problems, "Not proposed:")
    return marker, None if allocation_id is None else int(allocation_id)


RULE_WORDS = {
    Rule.INACTIVE: "is not active",
    Rule.ABSENT: "is on leave, training or medical absence during the period",
    Rule.PROPOSED_ELSEWHERE: "is already proposed for another request over those dates",
    Rule.DEPLOYED: "is deployed over those dates",
    Rule.CAPACITY: "is of the other capacity (the request does not accept either)",
    Rule.SKILL: "is below a required skill's minimum level",
    Rule.LANGUAGE: "does not meet a required language level",
    Rule.CLEARANCE: "lacks a required clearance valid for the whole period",
}


def propose(session: Session, principal: Principal, key: int | str, expert_ids: Sequence[int], *,
            version: int | None = None, role: str | None = None, origin: RequestOrigin | None = None,
            gender_marker: GenderMarker | str | None = None, allocation_id: int | None = None) -> list[int]:
    """Proposes experts for the request: one planned deployment each over the wanted period.

    Every expert is re-checked against the hard rules; the database's no-overlap constraint decides a race
    with another planner, and either refusal is a Conflict that says who and why. Returns deployment ids.
    """
    principal.require(Permission.MANAGE_SURGE)
    ids = list(dict.fromkeys(int(x) for x in expert_ids))
    if not ids:
        raise ValidationError("Choose at least one expert to propose.")
    request = load_request(session, key, for_update=True)
    _check_version(session, request, version)
    if request.status not in (SurgeStatus.RECEIVED, SurgeStatus.UNDER_REVIEW, SurgeStatus.CANDIDATES_PROPOSED):
        raise Conflict(f"Request {request.reference} is {request.status.value.replace('_', ' ')}: "
                       "candidates can no longer be proposed.")
    start, end = period_of(request)
    ranking = rank(session, need_for_request(session, request))
    names = expert_names(session, principal, ids)
    already = {d["expert_id"] for d in request_team(session, principal, request.id) if "expert_id" in d}
    refusals = []
    for expert_id in ids:
        who = names.get(expert_id, f"expert #{expert_id}")
        if expert_id in already:
            refusals.append(f"{who} is already in this request's team")
            continue
        rules = ranking.explain(expert_id).excluded_by
        if rules:
            detail = _blocking(session, expert_id, start, end) if rules[0] in (
                Rule.DEPLOYED, Rule.PROPOSED_ELSEWHERE) else ""
            refusals.append(f"{who} {RULE_WORDS[rules[0]]}" + (f": {detail}" if detail else ""))
    if refusals:
        raise Conflict("Not proposed: " + "; ".join(refusals) + ".")
    marker, allocation = _marker_and_allocation(session, gender_marker, allocation_id)
    mission = session.get(Mission, request.mission_id)
    status_before = request.status.value
    made = []
    for expert_id in ids:
        deployment = Deployment(
            expert_id=expert_id, mission_id=request.mission_id, site_id=request.site_id,
            surge_request_id=request.id, role=(role or request.title)[:200], kind=DeploymentKind.SURGE,
            start_date=start, end_date=end, status=DeploymentStatus.PLANNED, gender_marker=marker,
            allocation_id=allocation,
        )
        try:
            with session.begin_nested():
                session.add(deployment)
                session.flush()
        except IntegrityError as error:
            if "deployment_no_overlap" not in str(error.orig):
                raise
            who = names.get(expert_id, f"expert #{expert_id}")
            # Another planner got there first (their transaction committed while ours waited on the lock).
            raise Conflict(f"{who} was just assigned by someone else: {_blocking(session, expert_id, start, end)}."
                           f" Nothing was proposed; pick another expert.") from error
        made.append(deployment.id)
    if request.status == SurgeStatus.RECEIVED:
        _move(session, principal, request, SurgeStatus.UNDER_REVIEW)
    if request.status != SurgeStatus.CANDIDATES_PROPOSED:
        _move(session, principal, request, SurgeStatus.CANDIDATES_PROPOSED)
    else:
        request.updated_at = func.now()  # bumps the version: the team changed
    _flush(session, request)
    record(session, "surge_candidates_proposed", principal=principal, entity="surge_request", entity_id=request.id,
           detail={"reference": request.reference, "experts": ids, "deployments": made,
                   "mission": mission.acronym if mission else None,
                   "changes": {"team": {"before": sorted(already), "after": sorted(already | set(ids))},
                               "status": {"before": status_before, "after": request.status.value}}},
           origin=origin)
    return made


def remove_candidate(session: Session, principal: Principal, key: int | str, expert_id: int, *,
                     version: int | None = None, origin: RequestOrigin | None = None) -> None:
    """Takes a proposed expert out of the team (their planned deployment is cancelled, kept for the record)."""
    principal.require(Permission.MANAGE_SURGE)
    request = load_request(session, key, for_update=True)
    _check_version(session, request, version)
    if request.status != SurgeStatus.CANDIDATES_PROPOSED:
        raise Conflict(f"Request {request.reference} is {request.status.value.replace('_', ' ')}: "
                       "its team can no longer be changed here.")
    changed = cast(CursorResult[Any], session.execute(
        update(Deployment).where(Deployment.surge_request_id == request.id, Deployment.expert_id == int(expert_id),
                                 Deployment.status == DeploymentStatus.PLANNED)
        .values(status=DeploymentStatus.CANCELLED, version=Deployment.version + 1)
        .execution_options(synchronize_session=False)
    )).rowcount
    if not changed:
        raise NotFound(f"Expert #{expert_id} is not proposed for request {request.reference}.")
    request.updated_at = func.now()
    _flush(session, request)
    record(session, "surge_candidate_removed", principal=principal, entity="surge_request", entity_id=request.id,
           detail={"expert_id": int(expert_id), "changes": {"team": {"before": int(expert_id), "after": None}}},
           origin=origin)


def advance(session: Session, principal: Principal, key: int | str, status: SurgeStatus | str, *,
            version: int | None = None, note: str | None = None, origin: RequestOrigin | None = None,
            occurred_at: datetime | None = None) -> SurgeRequest:
    """Moves the request to its next status: under review, approved, deployed, declined or withdrawn.

    Approving needs a proposed team; deploying starts the team's deployments; declining or withdrawing
    cancels the planned ones so the experts are free again. "Candidates proposed" comes from propose().
    """
    principal.require(Permission.MANAGE_SURGE)
    try:
        status = SurgeStatus(status)
    except ValueError as error:
        raise ValidationError(f"unknown status {status!r}: use one of {', '.join(s.value for s in SurgeStatus)}.") \
            from error
    if status == SurgeStatus.CANDIDATES_PROPOSED:
        raise ValidationError("Propose candidates to move a request to 'candidates proposed'.")
    request = load_request(session, key, for_update=True)
    _check_version(session, request, version)
    team = select(Deployment.id).where(Deployment.surge_request_id == request.id,
                                       Deployment.status == DeploymentStatus.PLANNED)
    if status == SurgeStatus.APPROVED and not session.scalars(team.limit(1)).first():
        raise Conflict(f"Request {request.reference} has no proposed expert to approve.")
    status_before = request.status.value
    _move(session, principal, request, status, (note or "").strip() or None, occurred_at)
    if status == SurgeStatus.DEPLOYED:
        session.execute(update(Deployment).where(Deployment.id.in_(team))
                        .values(status=DeploymentStatus.ONGOING, version=Deployment.version + 1)
                        .execution_options(synchronize_session=False))
    elif status in (SurgeStatus.DECLINED, SurgeStatus.WITHDRAWN):
        session.execute(update(Deployment).where(Deployment.id.in_(team))
                        .values(status=DeploymentStatus.CANCELLED, version=Deployment.version + 1)
                        .execution_options(synchronize_session=False))
    _flush(session, request)
    record(session, f"surge_request_{status.value}", principal=principal, entity="surge_request",
           entity_id=request.id, origin=origin,
           detail={"reference": request.reference,
                   "changes": {"status": {"before": status_before, "after": status.value}}})
    return request



def form_options(session: Session, locale: str = "en") -> dict[str, list[dict[str, Any]]]:
    """Choices for the request form and the filters: active missions, capacities, skills, languages, clearance
    types, teams."""
    missions = session.execute(select(Mission.acronym, localized_column(Mission, locale).label("name"))
                               .where(Mission.active.is_(True)).order_by(Mission.acronym)).all()
    skills = session.execute(select(Skill.code, Skill.name, Skill.name_fr).order_by(Skill.area, Skill.name)).all()
    languages = session.execute(select(Language.code, Language.name, Language.is_un_official)
                                .order_by(Language.is_un_official.desc(), Language.name)).all()
    capacities = session.execute(select(Capacity.code, localized_column(Capacity, locale).label("name"))
                                 .order_by(Capacity.code)).all()
    clearance_name = localized_column(ClearanceType, locale)
    clearance_types = session.execute(select(ClearanceType.code, clearance_name.label("name"))
                                      .order_by(clearance_name)).all()
    from services.surge.forecast import team_options

    return {
        "missions": [{"value": m.acronym, "label": f"{m.acronym} · {m.name}"} for m in missions],
        "capacities": [{"value": c.code, "label": f"{c.code} · {c.name}"} for c in capacities],
        "skills": [{"value": s.code, "label": localized_name(s, locale)} for s in skills],
        "languages": [{"value": lang.code, "label": localized_name(lang._asdict(), locale)} for lang in languages],
        "clearances": [{"value": c.code, "label": c.name} for c in clearance_types],
        "teams": team_options(session),
    }
