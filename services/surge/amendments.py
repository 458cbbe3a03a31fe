"""Amending a recorded surge request, and backdating its steps: every change kept, who, when, before/after.

A mission changes its request (a later start, a third expert, another skill): the planner amends the record
rather than recording a new one. Each amendment is a ``SurgeRequestAmendment`` row (shown on the request's
page) and an audit event. A step's ``occurred_at`` may be set in the past (the mission's e-mail arrived
yesterday): that is an amendment too. The service level reads ``occurred_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Deployment,
    SurgeRequest,
    SurgeRequestAmendment,
    SurgeRequestClearance,
    SurgeRequestLanguage,
    SurgeRequestSkill,
)
from models.enums import DeploymentStatus, LanguageLevel, Priority, SurgeStatus
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.deployments.records import flush_deployment
from services.records.problems import N_, Problem, Problems, register_messages
from services.records.versioning import audit_change, check_version, json_value
from services.surge.matching import period_of
from services.surge.requests import (
    CLOSED,
    LanguageWanted,
    RequestForm,
    SkillWanted,
    get_request,
    load_request,
    resolve_codes,
    step_time_problems,
)
from services.surge.rules import validate

ENTITY = "surge_request"
# What an amendment may change (the mission and the reference stay: another mission is another request).
AMENDABLE = ("title", "wanted_start", "duration_days", "experts_requested", "capacity", "accept_any_capacity",
             "site_id", "skills", "languages", "priority", "gender_considerations", "balance_gender", "notes",
             "received_on", "clearances")

register_messages({
    "closed": N_("This request is %(status)s: it can no longer be amended."),
    "no_change": N_("Nothing changed."),
    "not_amendable": N_("This field cannot be amended."),
    "no_step": N_("The request has no step “%(status)s”."),
    "below_team": N_("The team already has %(team)s experts."),
})


def current_form(session: Session, principal: Principal, request: SurgeRequest) -> dict[str, Any]:
    """The request as the form's data (what an amendment starts from)."""
    detail = get_request(session, principal, request.id)
    return {
        "mission": detail["mission"], "title": detail["title"], "wanted_start": detail["wanted_start"],
        "duration_days": detail["duration_days"], "experts_requested": detail["experts_requested"],
        "capacity": detail["capacity"], "accept_any_capacity": detail["accept_any_capacity"],
        "site_id": detail["site_id"], "priority": detail["priority"],
        "gender_considerations": detail["gender_considerations"], "balance_gender": detail["balance_gender"],
        "notes": detail["notes"], "received_on": detail["received_on"],
        "skills": [{"code": s["code"], "weight": s["weight"], "min_level": s["min_level"],
                    "required": s["required"]} for s in detail["skills"]],
        "languages": [dict(lang) for lang in detail["languages"]],
        "clearances": sorted(detail["clearances"]),
    }


def _comparable(data: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe values, lists in a stable order, so an unchanged field compares equal."""
    out = {k: json_value(v) for k, v in data.items() if k in AMENDABLE}
    for key, order in (("skills", "code"), ("languages", "code")):
        if isinstance(out.get(key), list):
            out[key] = sorted(({k: v for k, v in row.items() if k in ("code", "weight", "min_level", "required")}
                               if key == "skills" else {k: v for k, v in row.items() if k in ("code", "min_level")}
                               for row in out[key]), key=lambda r: str(r.get(order)))
            if key == "skills":
                out[key] = [{**r, "weight": float(r.get("weight", 1)), "min_level": int(r.get("min_level", 1)),
                             "required": bool(r.get("required", True))} for r in out[key]]
    if isinstance(out.get("clearances"), list):
        out["clearances"] = sorted(str(c).strip().upper() for c in out["clearances"])
    return out


def amend_request(session: Session, principal: Principal, key: int | str, changes: Mapping[str, Any], *,
                  version: int | None, note: str | None = None, today: date | None = None,
                  origin: RequestOrigin | None = None) -> SurgeRequestAmendment:
    """Amends the fields given; the request's proposed team moves with its dates. ``Problems`` lists every
    problem at its field; a stale version is refused with who changed what."""
    principal.require(Permission.MANAGE_SURGE)
    today = today or date.today()
    request = load_request(session, key, for_update=True)
    check_version(session, entity=ENTITY, entity_id=request.id, current=request.version, expected=version)
    if request.status in CLOSED:
        raise Problems([Problem("status", "closed", {"status": request.status.value})],
                       "The request cannot be amended:")
    problems = [Problem(name, "not_amendable") for name in changes if name not in AMENDABLE]
    before = current_form(session, principal, request)
    data = {**before, **{k: v for k, v in changes.items() if k in AMENDABLE}}
    if isinstance(data.get("skills"), list):  # the form's defaults for what a skill row leaves out
        data["skills"] = [{"weight": 1.0, "min_level": 1, "required": True, **row} if isinstance(row, dict) else row
                          for row in data["skills"]]
    # A request recorded weeks ago keeps its start: only what changes is checked against today.
    problems += [p for p in validate(data, today) if p.field.split(".", 1)[0] in changes]
    after = _comparable(data)
    diff = audit_diff(_comparable(before), after)
    if not problems and not diff:
        problems.append(Problem("changes", "no_change"))
    form = None
    if not problems:
        form = _form(data)
        resolved = resolve_codes(session, form, problems)
    team = session.scalars(select(Deployment).where(
        Deployment.surge_request_id == request.id, Deployment.status != DeploymentStatus.CANCELLED)).all()
    if "experts_requested" in changes and not problems and int(data["experts_requested"]) < len(team):
        problems.append(Problem("experts_requested", "below_team", {"team": len(team)}))
    if problems:
        raise Problems(problems, "The request cannot be amended:")
    assert form is not None
    _write(request, form, resolved, diff)
    request.updated_at = func.now()  # bumps the version even when only the skills' rows changed
    session.flush()
    # The proposed (planned) team follows the new dates; the database refuses a date that runs into an
    # expert's other deployment, which is explained at the start.
    start, end = period_of(request)
    for deployment in team:
        if deployment.status == DeploymentStatus.PLANNED and (deployment.start_date, deployment.end_date) != (
                start, end):
            flush_deployment(session, principal, deployment, partial(_move_dates, deployment, start, end))
    amendment = SurgeRequestAmendment(request_id=request.id, by_user_id=principal.user_id,
                                      by_username=principal.username, changes=diff,
                                      note=(note or "").strip() or None, version=request.version)
    request.amendments.append(amendment)
    session.flush()
    audit_change(session, principal, "surge_request_amended", entity=ENTITY, entity_id=request.id,
                 before={k: v["before"] for k, v in diff.items()}, after={k: v["after"] for k, v in diff.items()},
                 origin=origin, extra={"reference": request.reference})
    return amendment


def form_changes(current: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """What the page's amendment form changes (``current_form`` against the form's values): only the fields that
    differ, so an untouched start recorded weeks ago is not checked again. A skill kept keeps its weight and
    level; one added takes the service's defaults."""
    out: dict[str, Any] = {}
    for name in ("title", "wanted_start", "duration_days", "experts_requested"):
        value = values.get(name)
        if name in values and str(json_value(value) if value is not None else "").strip() != str(
                json_value(current.get(name)) if current.get(name) is not None else ""):
            out[name] = value
    if "skills" in values:
        kept = {s["code"]: s for s in current.get("skills") or ()}
        codes = list(values.get("skills") or ())
        if sorted(codes) != sorted(kept):
            out["skills"] = [kept.get(code, {"code": code}) for code in codes]
    if "clearances" in values and sorted(values.get("clearances") or ()) != sorted(current.get("clearances") or ()):
        out["clearances"] = list(values.get("clearances") or ())
    return out


def _move_dates(deployment: Deployment, start: date, end: date) -> None:
    deployment.start_date, deployment.end_date = start, end


def audit_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"before": before.get(k), "after": after[k]} for k in after if before.get(k) != after[k]}


def _form(data: Mapping[str, Any]) -> RequestForm:
    return RequestForm(
        mission=str(data["mission"]), title=str(data["title"]).strip(),
        wanted_start=_date(data["wanted_start"]), duration_days=int(float(data["duration_days"])),
        experts_requested=int(float(data["experts_requested"])), capacity=data.get("capacity") or None,
        accept_any_capacity=bool(data.get("accept_any_capacity")),
        site_id=None if data.get("site_id") in (None, "") else int(data["site_id"]),
        skills=tuple(SkillWanted(str(s["code"]), float(s.get("weight", 1)), int(float(s.get("min_level", 1))),
                                 bool(s.get("required", True))) for s in data.get("skills") or ()),
        languages=tuple(LanguageWanted(str(lang["code"]), str(lang.get("min_level", LanguageLevel.B2.value)))
                        for lang in data.get("languages") or ()),
        priority=str(data["priority"]), gender_considerations=data.get("gender_considerations"),
        balance_gender=bool(data.get("balance_gender")), notes=data.get("notes"),
        received_on=_date(data["received_on"]) if data.get("received_on") else None,
        clearances=tuple(str(c).strip().upper() for c in data.get("clearances") or ()))


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip()[:10])


def _write(request: SurgeRequest, form: RequestForm, resolved: Any, diff: Mapping[str, Any]) -> None:
    request.title = form.title
    request.wanted_start = form.wanted_start
    request.duration_days = form.duration_days
    request.experts_requested = form.experts_requested
    request.capacity_id = resolved.capacity_id
    request.accept_any_capacity = form.accept_any_capacity
    request.site_id = form.site_id
    request.priority = Priority(form.priority)
    request.gender_considerations = (form.gender_considerations or "").strip() or None
    request.balance_gender = form.balance_gender
    request.notes = (form.notes or "").strip() or None
    if form.received_on is not None:
        request.received_on = form.received_on
    if "skills" in diff:
        request.skills = [SurgeRequestSkill(skill_id=resolved.skill_ids[s.code], weight=s.weight,
                                            min_level=s.min_level, required=s.required) for s in form.skills]
    if "languages" in diff:
        request.languages = [SurgeRequestLanguage(language_code=lang.code, min_level=LanguageLevel(lang.min_level))
                             for lang in form.languages]
    if "clearances" in diff:
        request.clearances = [SurgeRequestClearance(clearance_type_id=resolved.clearance_ids[c])
                              for c in sorted(set(form.clearances))]


def set_step_time(session: Session, principal: Principal, key: int | str, status: SurgeStatus | str,
                  occurred_at: datetime, *, version: int | None, note: str | None = None,
                  origin: RequestOrigin | None = None) -> SurgeRequestAmendment:
    """When a step really happened (e.g. the mission's request came by e-mail yesterday). Kept as an
    amendment: the recorded time stays, so the record shows both."""
    principal.require(Permission.MANAGE_SURGE)
    request = load_request(session, key, for_update=True)
    check_version(session, entity=ENTITY, entity_id=request.id, current=request.version, expected=version)
    try:
        status = SurgeStatus(status)
    except ValueError as error:
        raise Problems([Problem("status", "one_of", {"choices": ", ".join(s.value for s in SurgeStatus)})]) \
            from error
    step = next((s for s in request.steps if s.status == status), None)
    if step is None:
        raise Problems([Problem("status", "no_step", {"status": status.value})], "The step cannot be changed:")
    problems = step_time_problems(request, status, occurred_at)
    if problems:
        raise Problems(problems, "The step cannot be changed:")
    name = f"steps.{status.value}.occurred_at"
    diff = {name: {"before": json_value(step.occurred_at), "after": json_value(occurred_at)}}
    if diff[name]["before"] == diff[name]["after"]:
        raise Problems([Problem("occurred_at", "no_change")], "The step cannot be changed:")
    step.occurred_at = occurred_at
    request.updated_at = func.now()  # bumps the version: the record changed
    session.flush()
    amendment = SurgeRequestAmendment(request_id=request.id, by_user_id=principal.user_id,
                                      by_username=principal.username, changes=diff,
                                      note=(note or "").strip() or None, version=request.version)
    request.amendments.append(amendment)
    session.flush()
    audit_change(session, principal, "surge_step_backdated", entity=ENTITY, entity_id=request.id,
                 before={name: diff[name]["before"]}, after={name: diff[name]["after"]}, origin=origin,
                 extra={"reference": request.reference})
    return amendment


__all__ = ["AMENDABLE", "amend_request", "current_form", "form_changes", "set_step_time"]
