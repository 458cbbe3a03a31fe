"""Deployments kept by the people who own them: record, edit, extend, curtail, complete, delete.

The rule book (``BOOK``) is read by the page's form, the API's schema, the spreadsheet import and these
functions. Every change names the version it was made against (a stale one is refused with who changed what)
and writes one audit event with each changed field's before and after. The database's ``deployment_no_overlap``
exclusion has the last word on an expert's dates: its refusal becomes a ``Problem`` that names the expert and
the other deployment (mission, dates), never a traceback.

``start_date``/``end_date`` are the planned period (extending or curtailing moves the end);
``actual_start_date``/``actual_end_date`` are the days the expert actually arrived and left.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import Allocation, Deployment, Expenditure, Expert, Grant, Mission, Site, SurgeRequest
from models.enums import DeploymentKind, DeploymentStatus, ExpertStatus, GenderMarker
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.catalog import find_mission_id
from services.errors import Conflict, NotFound
from services.records.fields import Choice, Code, Date, Integer, Text
from services.records.problems import N_, Problem, Problems, register_messages
from services.records.rulebook import RuleBook, date_order
from services.records.versioning import audit_change, check_version, snapshot
from services.reference_data import localized_column

ENTITY = "deployment"
FINISHED = (DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED)


def rating_after_start(values: dict[str, Any]) -> list[Problem]:
    """A client rates what they saw: not a deployment that is still planned or was cancelled."""
    if values.get("client_rating") is not None and values.get("status") in (
            DeploymentStatus.PLANNED.value, DeploymentStatus.CANCELLED.value):
        return [Problem("client_rating", "rating_before_start")]
    return []


def actual_not_future(values: Mapping[str, Any], today: date) -> list[Problem]:
    """An actual date has happened (the rule needs today, so the service and the import run it)."""
    return [Problem(name, "actual_future") for name in ("actual_start_date", "actual_end_date")
            if values.get(name) is not None and values[name] > today]


def _completed_needs_actual_dates(values: dict[str, Any]) -> list[Problem]:
    if values.get("status") != DeploymentStatus.COMPLETED.value:
        return []
    return [Problem(name, "required_when_completed") for name in ("actual_start_date", "actual_end_date")
            if name in values and values.get(name) is None]


BOOK = RuleBook("deployment", [
    Integer("expert_id", N_("Expert"), required=True, low=1, high=2_147_483_647),
    Code("mission", N_("Mission"), required=True, max_length=40,
         help=N_("The mission's acronym, e.g. MINUSCA.")),
    Integer("site_id", N_("Site"), low=1, high=2_147_483_647),
    Text("role", N_("Role"), required=True, max_length=200),
    Choice("kind", N_("Kind of deployment"), required=True, choices=DeploymentKind),
    Date("start_date", N_("Start (planned)"), required=True),
    Date("end_date", N_("End (planned)"), required=True),
    Date("actual_start_date", N_("Arrived on")),
    Date("actual_end_date", N_("Left on")),
    Choice("status", N_("Status"), choices=DeploymentStatus,
           help=N_("Not given: planned, ongoing or completed by the dates.")),
    Choice("gender_marker", N_("Gender marker"), choices=GenderMarker,
           help=N_("0: not expected to contribute to gender equality … 3: its principal objective.")),
    Integer("gender_outputs_planned", N_("Gender-specific outputs planned"), low=0, high=1000),
    Integer("gender_outputs_delivered", N_("Gender-specific outputs delivered"), low=0, high=1000),
    Integer("client_rating", N_("Client rating"), low=1, high=5),
    Text("client_feedback", N_("Client feedback"), max_length=4000),
    Integer("allocation_id", N_("Funding allocation"), low=1, high=2_147_483_647),
], checks=[date_order("start_date", "end_date"), date_order("actual_start_date", "actual_end_date"),
           rating_after_start, _completed_needs_actual_dates])

# The fields a snapshot (audit, API, form) holds, in the rule book's names; mission by acronym.
FIELDS = [*BOOK.names, "surge_request_id"]

register_messages({
    "overlap": N_("%(expert)s is already deployed to %(mission)s from %(start)s to %(end)s (deployment "
                  "%(other)s): these dates overlap it."),
    "rating_before_start": N_("Only a deployment that started can be rated."),
    "actual_future": N_("This day has not come yet."),
    "required_when_completed": N_("Required to complete the deployment."),
    "site_of_other_mission": N_("This place is not a site of the deployment's mission."),
    "expert_separated": N_("This expert has left (separated): a new deployment cannot be recorded."),
    "not_longer": N_("An extension ends after the current end (%(end)s)."),
    "not_shorter": N_("Curtailing ends before the current end (%(end)s)."),
    "finished": N_("This deployment is %(status)s: it can no longer change this way."),
    "has_expenditure": N_("Spending is recorded against this deployment: cancel it instead of deleting it."),
    "fixed": N_("The expert of a recorded deployment cannot change: record a new deployment."),
})


@dataclass(frozen=True)
class Overlap:
    """The other deployment an expert's dates run into."""

    deployment_id: int
    mission: str
    start: date
    end: date
    status: str
    surge_request: str | None


def overlapping(session: Session, expert_id: int, start: date, end: date, *,
                exclude_id: int | None = None) -> Overlap | None:
    """The expert's first other (not cancelled) deployment that meets [start, end], both days included."""
    stmt = (select(Deployment.id, Mission.acronym, Deployment.start_date, Deployment.end_date, Deployment.status,
                   SurgeRequest.reference)
            .join(Mission, Mission.id == Deployment.mission_id)
            .outerjoin(SurgeRequest, SurgeRequest.id == Deployment.surge_request_id)
            .where(Deployment.expert_id == expert_id, Deployment.status != DeploymentStatus.CANCELLED,
                   Deployment.start_date <= end, Deployment.end_date >= start)
            .order_by(Deployment.start_date).limit(1))
    if exclude_id is not None:
        stmt = stmt.where(Deployment.id != exclude_id)
    row = session.execute(stmt).first()
    if row is None:
        return None
    return Overlap(row[0], row[1], row[2], row[3], str(row[4]), row[5])


def expert_label(session: Session, principal: Principal, expert_id: int) -> str:
    """The expert's name for those who may see it, else their number."""
    if principal.can(Permission.VIEW_PERSON_NAMES):
        name = session.scalar(select(Expert.given_name + " " + Expert.family_name).where(Expert.id == expert_id))
        if name:
            return name
    return f"#{expert_id}"


def overlap_problem(session: Session, principal: Principal, expert_id: int, start: date, end: date,
                    exclude_id: int | None = None) -> Problem:
    other = overlapping(session, expert_id, start, end, exclude_id=exclude_id)
    if other is None:  # the row that refused us was rolled back since: say what we can
        return Problem("start_date", "overlap", {"expert": expert_label(session, principal, expert_id),
                                                 "mission": "?", "start": "?", "end": "?", "other": "?"})
    return Problem("start_date", "overlap", {
        "expert": expert_label(session, principal, expert_id), "mission": other.mission,
        "start": other.start.isoformat(), "end": other.end.isoformat(), "other": other.deployment_id})


def flush_deployment(session: Session, principal: Principal, deployment: Deployment,
                     change: Callable[[], None] | None = None) -> None:
    """Makes ``change`` and writes it inside a savepoint, turning the database's refusals into problems at their
    field. (A change made before the savepoint would be flushed by ``begin_nested`` itself, outside it: a
    refusal would then break the whole transaction.)"""
    wanted: tuple[int, date, date, int | None] | None = None
    try:
        with session.begin_nested():
            if change is not None:
                change()
            # The dates asked for: the savepoint's rollback expires the object back to the stored ones.
            wanted = (deployment.expert_id, deployment.start_date, deployment.end_date, deployment.id)
            session.flush()
    except IntegrityError as error:
        text = str(error.orig)
        if "deployment_no_overlap" in text and wanted is not None:
            expert_id, start, end, own_id = wanted
            raise Problems([overlap_problem(session, principal, expert_id, start, end, exclude_id=own_id)]) \
                from error
        if "dates_ordered" in text:
            raise Problems([Problem("end_date", "date_order", {"other": "start_date"})]) from error
        raise
    except StaleDataError as error:
        raise Conflict(f"Deployment {deployment.id} was changed by someone else at the same moment: reload it "
                       "and make your change again.") from error


def as_dict(session: Session, deployment: Deployment) -> dict[str, Any]:
    """The record in the rule book's names (mission by acronym), JSON-safe, with its version."""
    mission = session.scalar(select(Mission.acronym).where(Mission.id == deployment.mission_id))
    values = snapshot(deployment, [n for n in FIELDS if n != "mission"])
    return {"id": deployment.id, **values, "mission": mission, "version": deployment.version}


def _kept(session: Session, deployment: Deployment) -> dict[str, Any]:
    """What the audit keeps of a deployment: its fields (the version is the edit's, not a field)."""
    values = as_dict(session, deployment)
    values.pop("version")
    return values


def _status_by_dates(start: date, end: date, today: date) -> str:
    if start > today:
        return DeploymentStatus.PLANNED.value
    return DeploymentStatus.ONGOING.value if end >= today else DeploymentStatus.COMPLETED.value


def _lookups(session: Session, values: dict[str, Any], problems: list[Problem], *, new: bool) -> dict[str, Any]:
    """Resolves the codes and ids the rule book cannot check alone (unknown mission, expert, site, grant)."""
    out: dict[str, Any] = {}
    if values.get("mission") is not None:
        try:
            out["mission_id"] = find_mission_id(session, values["mission"])
        except NotFound:
            problems.append(Problem("mission", "unknown", {"value": values["mission"]}))
    if values.get("expert_id") is not None:
        status = session.scalar(select(Expert.status).where(Expert.id == values["expert_id"]))
        if status is None:
            problems.append(Problem("expert_id", "unknown", {"value": values["expert_id"]}))
        elif new and status == ExpertStatus.SEPARATED:
            problems.append(Problem("expert_id", "expert_separated"))
    if values.get("allocation_id") is not None and session.get(Allocation, values["allocation_id"]) is None:
        problems.append(Problem("allocation_id", "unknown", {"value": values["allocation_id"]}))
    return out


def _site_check(session: Session, site_id: int | None, mission_id: int | None, problems: list[Problem]) -> None:
    if site_id is None or mission_id is None:
        return
    site_mission = session.scalar(select(Site.mission_id).where(Site.id == site_id))
    if site_mission is None:
        problems.append(Problem("site_id", "unknown", {"value": site_id}))
    elif site_mission != mission_id:
        problems.append(Problem("site_id", "site_of_other_mission"))


def _apply(deployment: Deployment, values: Mapping[str, Any]) -> None:
    enums = {"kind": DeploymentKind, "status": DeploymentStatus, "gender_marker": GenderMarker}
    for name, value in values.items():
        if name == "mission" or name not in BOOK.fields_by_name:
            continue
        if name in enums and value is not None:
            value = enums[name](value)
        if name in ("gender_outputs_planned", "gender_outputs_delivered") and value is None:
            value = 0
        if name == "gender_marker" and value is None:
            value = GenderMarker.GM1
        setattr(deployment, name, value)


def record_deployment(session: Session, principal: Principal, data: Mapping[str, Any], *,
                      today: date | None = None, origin: RequestOrigin | None = None,
                      surge_request_id: int | None = None, allow_separated: bool = False) -> Deployment:
    """Records a deployment of any kind. ``Problems`` lists every problem, at its field. ``allow_separated``:
    history (an import) may name an expert who has left since."""
    principal.require(Permission.MANAGE_PERSONNEL)
    today = today or date.today()
    values, problems = BOOK.validate(data)
    problems += actual_not_future(values, today)
    found = _lookups(session, values, problems, new=not allow_separated)
    _site_check(session, values.get("site_id"), found.get("mission_id"), problems)
    if problems:
        raise Problems(problems, "The deployment cannot be recorded:")
    if values.get("status") is None:
        values["status"] = _status_by_dates(values["start_date"], values["end_date"], today)
        if values["status"] == DeploymentStatus.COMPLETED.value and values.get("actual_start_date") is None:
            values["actual_start_date"] = values["start_date"]  # a past deployment recorded as it was planned
            values["actual_end_date"] = values.get("actual_end_date") or values["end_date"]
    problems = rating_after_start(values)  # again, now that the status is known
    if problems:
        raise Problems(problems, "The deployment cannot be recorded:")
    deployment = Deployment(mission_id=found["mission_id"], surge_request_id=surge_request_id)
    _apply(deployment, values)
    flush_deployment(session, principal, deployment, lambda: session.add(deployment))
    audit_change(session, principal, "deployment_created", entity=ENTITY, entity_id=deployment.id, before=None,
                 after=_kept(session, deployment), origin=origin)
    return deployment


def load_deployment(session: Session, deployment_id: int, *, for_update: bool = False) -> Deployment:
    stmt = select(Deployment).where(Deployment.id == int(deployment_id))
    if for_update:
        stmt = stmt.with_for_update(of=Deployment)
    deployment = session.scalar(stmt)
    if deployment is None:
        raise NotFound(f"No deployment {deployment_id}.")
    return deployment


def _change_problems(session: Session, deployment: Deployment, data: Mapping[str, Any], today: date
                     ) -> tuple[dict[str, Any], int, list[Problem]]:
    """The fields given (cleaned), the mission they make, and every problem: each field's own, then the whole
    record as it would become (cross-field rules over old and new values together), then the lookups."""
    before = _kept(session, deployment)
    given, problems = BOOK.validate(data, partial=True)
    if "expert_id" in given and given["expert_id"] != deployment.expert_id:
        problems.append(Problem("expert_id", "fixed"))
    merged = {name: before.get(name) for name in BOOK.names}
    merged.update(given)
    whole_values, whole = BOOK.validate(merged)
    whole += actual_not_future({k: v for k, v in whole_values.items() if k in given}, today)
    seen = {p.field for p in problems}
    problems += [p for p in whole if p.field not in seen and (p.field in given or p.code != "required")]
    found = _lookups(session, {k: v for k, v in given.items() if k != "expert_id"}, problems, new=False)
    mission_id = found.get("mission_id", deployment.mission_id)
    if "site_id" in given or "mission" in given:
        _site_check(session, merged.get("site_id"), mission_id, problems)
    return given, mission_id, problems


def check_change(session: Session, principal: Principal, deployment_id: int, data: Mapping[str, Any], *,
                 today: date | None = None) -> None:
    """Raises ``Problems`` for a change that would be refused whatever the version (the API answers a
    malformed body with 422 before it compares versions)."""
    principal.require(Permission.MANAGE_PERSONNEL)
    deployment = load_deployment(session, deployment_id)
    _, _, problems = _change_problems(session, deployment, data, today or date.today())
    if problems:
        raise Problems(problems, "The deployment cannot be changed:")


def update_deployment(session: Session, principal: Principal, deployment_id: int, data: Mapping[str, Any], *,
                      version: int | None, today: date | None = None, origin: RequestOrigin | None = None,
                      action: str = "deployment_updated") -> Deployment:
    """Changes the fields given (a PATCH): dates, kind, marker, allocation, outputs, rating and feedback …
    The whole record is then checked again, so a change cannot leave it invalid."""
    principal.require(Permission.MANAGE_PERSONNEL)
    today = today or date.today()
    deployment = load_deployment(session, deployment_id, for_update=True)
    check_version(session, entity=ENTITY, entity_id=deployment.id, current=deployment.version, expected=version)
    before = _kept(session, deployment)
    given, mission_id, problems = _change_problems(session, deployment, data, today)
    if problems:
        raise Problems(problems, "The deployment cannot be changed:")

    def change() -> None:
        _apply(deployment, given)
        deployment.mission_id = mission_id

    flush_deployment(session, principal, deployment, change)
    audit_change(session, principal, action, entity=ENTITY, entity_id=deployment.id, before=before,
                 after=_kept(session, deployment), origin=origin)
    return deployment


def extend(session: Session, principal: Principal, deployment_id: int, new_end: Any, *, version: int | None,
           today: date | None = None, origin: RequestOrigin | None = None) -> Deployment:
    """A later planned end. Refused on a finished deployment, or one that would run into the next."""
    deployment = load_deployment(session, deployment_id)
    end, problems = BOOK.fields_by_name["end_date"].check(new_end)
    if not problems and end <= deployment.end_date:
        problems = [Problem("end_date", "not_longer", {"end": deployment.end_date.isoformat()})]
    _refuse_finished(deployment, "end_date", problems)
    if problems:
        raise Problems(problems, "The deployment cannot be extended:")
    return update_deployment(session, principal, deployment_id, {"end_date": end}, version=version, today=today,
                             origin=origin, action="deployment_extended")


def curtail(session: Session, principal: Principal, deployment_id: int, new_end: Any, *, version: int | None,
            today: date | None = None, origin: RequestOrigin | None = None) -> Deployment:
    """An earlier planned end (not before the start). An expert already back: ``complete`` with the dates."""
    deployment = load_deployment(session, deployment_id)
    end, problems = BOOK.fields_by_name["end_date"].check(new_end)
    if not problems and end >= deployment.end_date:
        problems = [Problem("end_date", "not_shorter", {"end": deployment.end_date.isoformat()})]
    _refuse_finished(deployment, "end_date", problems)
    if problems:
        raise Problems(problems, "The deployment cannot be curtailed:")
    return update_deployment(session, principal, deployment_id, {"end_date": end}, version=version, today=today,
                             origin=origin, action="deployment_curtailed")


def complete(session: Session, principal: Principal, deployment_id: int, actual_start: Any, actual_end: Any, *,
             version: int | None, today: date | None = None, origin: RequestOrigin | None = None) -> Deployment:
    """Marks the deployment completed with the days the expert actually arrived and left."""
    deployment = load_deployment(session, deployment_id)
    problems: list[Problem] = []
    for name, value in (("actual_start_date", actual_start), ("actual_end_date", actual_end)):
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(Problem(name, "required_when_completed"))
    _refuse_finished(deployment, "status", problems)
    if problems:
        raise Problems(problems, "The deployment cannot be completed:")
    return update_deployment(session, principal, deployment_id, {
        "actual_start_date": actual_start, "actual_end_date": actual_end,
        "status": DeploymentStatus.COMPLETED.value}, version=version, today=today, origin=origin,
        action="deployment_completed")


def _refuse_finished(deployment: Deployment, name: str, problems: list[Problem]) -> None:
    if deployment.status in FINISHED:
        problems.append(Problem(name, "finished", {"status": deployment.status.value}))


def delete_deployment(session: Session, principal: Principal, deployment_id: int, *, version: int | None,
                      origin: RequestOrigin | None = None) -> None:
    """Removes a deployment recorded in error (the audit keeps what it was). One with spending recorded
    against it is refused: cancel it instead, so the money still has its deployment."""
    principal.require(Permission.MANAGE_PERSONNEL)
    deployment = load_deployment(session, deployment_id, for_update=True)
    check_version(session, entity=ENTITY, entity_id=deployment.id, current=deployment.version, expected=version)
    spent = session.scalar(select(func.count()).select_from(Expenditure)
                           .where(Expenditure.deployment_id == deployment.id))
    if spent:
        raise Problems([Problem("id", "has_expenditure")], "The deployment cannot be deleted:")
    before = _kept(session, deployment)
    flush_deployment(session, principal, deployment, lambda: session.delete(deployment))
    audit_change(session, principal, "deployment_deleted", entity=ENTITY, entity_id=before["id"], before=before,
                 after=None, origin=origin)

__all__ = [
    "BOOK",
    "FIELDS",
    "Overlap",
    "actual_not_future",
    "as_dict",
    "check_change",
    "complete",
    "curtail",
    "delete_deployment",
    "deployment_detail",
    "expert_label",
    "extend",
    "flush_deployment",
    "form_options",
    "load_deployment",
    "overlap_problem",
    "overlapping",
    "rating_after_start",
    "record_deployment",
    "update_deployment",
]


def form_options(session: Session, locale: str = "en") -> dict[str, list[dict[str, str]]]:
    """The choices of a deployment's form: active missions, and the funding allocations (newest first)."""
    missions = session.execute(select(Mission.acronym, localized_column(Mission, locale).label("name"))
                               .where(Mission.active.is_(True)).order_by(Mission.acronym)).all()
    # By the grant's reference and the day allocated: the purpose is free text in its writer's language.
    allocations = session.execute(select(Allocation.id, Grant.reference, Allocation.allocated_on)
                                  .join(Grant, Grant.id == Allocation.grant_id)
                                  .order_by(Allocation.allocated_on.desc(), Allocation.id.desc())).all()
    return {"missions": [{"value": m.acronym, "label": f"{m.acronym} · {m.name}"} for m in missions],
            "allocations": [{"value": str(a.id), "label": f"{a.reference} · {a.allocated_on.isoformat()}"}
                            for a in allocations]}


def deployment_detail(session: Session, principal: Principal, deployment_id: int) -> dict[str, Any]:
    """One deployment for a page or the API: the record, its mission's and site's names, the allocation's
    purpose and the request's reference; the expert (id and name) only for roles that may see names."""
    principal.require(Permission.VIEW_OPERATIONS)
    deployment = load_deployment(session, deployment_id)
    out = as_dict(session, deployment)
    row = session.execute(
        select(Mission.name.label("mission_name"), Site.name.label("site_name"),
               Allocation.purpose.label("allocation_purpose"), SurgeRequest.reference.label("surge_request"))
        .select_from(Deployment).join(Mission, Mission.id == Deployment.mission_id)
        .outerjoin(Site, Site.id == Deployment.site_id)
        .outerjoin(Allocation, Allocation.id == Deployment.allocation_id)
        .outerjoin(SurgeRequest, SurgeRequest.id == Deployment.surge_request_id)
        .where(Deployment.id == deployment.id)).mappings().one()
    out.update(row)
    if principal.can(Permission.VIEW_PERSON_NAMES):
        out["expert_name"] = expert_label(session, principal, deployment.expert_id)
    else:
        out.pop("expert_id", None)
    return out
