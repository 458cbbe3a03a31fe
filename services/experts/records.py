"""Writing an expert's record: the profile and its parts (skills, languages, clearances, trainings, absences).

Every function takes a session and a principal, checks MANAGE_PERSONNEL (or, for languages and absences, that an
expert user changes their own record: ``require_part_write``), never commits, and:
- checks the version the change was made against (the expert's ``version``; a change to a part bumps it too,
  so two planners editing the same expert, even different parts of it, cannot both win: the second is told
  who changed what, from the audit);
- refuses with ``Problems`` listing every problem found (field, code, parameters), never a sentence;
- writes one audit event with the before and after values (``services.records.versioning.audit_change``).

Retention (the documented rule, README "Expert records"):
- An expert who leaves is marked **separated** (status and the day), never deleted while history refers to
  them: deleting an expert with deployments is refused. An expert with no deployments (entered by mistake)
  can be deleted.
- On request, a separated expert's **personal fields are erased** (``erase_expert``): given and family names,
  staff number, e-mail and functional title are replaced, and the skills, languages, clearances, trainings and
  absences (with their notes) are deleted. What stays is anonymous history: capacity, team, grade, gender,
  nationality, contract type, entry on duty and separation dates, and the deployments, so that counts, gender
  balance and mission history remain true. ``erased_at`` marks the record; it can no longer be changed.
- The audit log is append-only (the app's role may not change it) and keeps the values that were written,
  names included, for accountability; only administrators read it. The erasure event itself names no
  personal value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import (
    Capacity,
    ClearanceType,
    Country,
    Deployment,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    ExpertSkill,
    ExpertTraining,
    Language,
    Skill,
    Team,
    Unavailability,
    User,
)
from models.enums import ContractType, ExpertStatus, Gender, LanguageLevel, UnavailabilityKind
from services import admin
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.errors import Conflict, Forbidden, NotFound
from services.experts import rules
from services.records.problems import Problem, Problems
from services.records.rulebook import RuleBook
from services.records.versioning import audit_change, check_version

ENTITY = "expert"
ERASED_GIVEN_NAME = "Erased"


class HasHistory(Problems):
    """Deleting an expert whom deployments refer to: refused (409 in the API); separate them instead."""


# --- the profile -----------------------------------------------------------------------------------------
def profile_values(session: Session, expert: Expert) -> dict[str, Any]:
    """The profile in the rule book's names and forms (ISO dates, codes): what a form shows, what the audit
    keeps and what a partial change is merged into."""
    iso = session.scalar(select(Country.code).where(Country.iso3 == expert.nationality_iso3)) \
        if expert.nationality_iso3 else None
    return {
        "staff_number": expert.staff_number, "given_name": expert.given_name, "family_name": expert.family_name,
        "gender": _v(expert.gender), "nationality": iso,
        "capacity": session.scalar(select(Capacity.code).where(Capacity.id == expert.capacity_id)),
        "team": session.scalar(select(Team.name).where(Team.id == expert.team_id)) if expert.team_id else None,
        "grade": expert.grade, "contract_type": _v(expert.contract_type), "duty_station": expert.duty_station,
        "functional_title": expert.functional_title, "email": expert.email,
        "entry_on_duty": _iso(expert.entry_on_duty), "status": _v(expert.status),
        "separated_on": _iso(expert.separated_on),
    }


def _v(value: Any) -> Any:
    return getattr(value, "value", value)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _profile_columns(session: Session, clean: dict[str, Any], expert_id: int | None) -> tuple[dict[str, Any],
                                                                                            list[Problem]]:
    """The cleaned profile as the expert's columns: codes looked up, unique values checked."""
    problems = rules.separation_consistent(clean)
    columns = {k: clean[k] for k in ("staff_number", "given_name", "family_name", "gender", "grade",
                                     "contract_type", "functional_title", "email", "entry_on_duty",
                                     "separated_on")}
    columns["duty_station"] = clean.get("duty_station") or "Brindisi"
    columns["gender"] = Gender(clean["gender"])
    columns["contract_type"] = ContractType(clean["contract_type"])
    columns["status"] = ExpertStatus(clean.get("status") or ExpertStatus.ACTIVE.value)
    capacity_id = session.scalar(select(Capacity.id).where(Capacity.code == clean["capacity"]))
    if capacity_id is None:
        problems.append(Problem("capacity", "unknown_capacity", {"value": clean["capacity"]}))
    columns["capacity_id"] = capacity_id
    columns["team_id"] = None
    if clean.get("team") and capacity_id is not None:
        columns["team_id"] = session.scalar(select(Team.id).where(Team.capacity_id == capacity_id,
                                                                  func.lower(Team.name) == clean["team"].lower()))
        if columns["team_id"] is None:
            problems.append(Problem("team", "unknown_team", {"value": clean["team"]}))
    columns["nationality_iso3"] = None
    if clean.get("nationality"):
        columns["nationality_iso3"] = session.scalar(select(Country.iso3).where(Country.code == clean["nationality"]))
        if columns["nationality_iso3"] is None:
            problems.append(Problem("nationality", "unknown_country", {"value": clean["nationality"]}))
    for name, column in (("staff_number", Expert.staff_number), ("email", Expert.email)):
        if clean.get(name) is None:
            continue
        other = select(Expert.id).where(func.lower(column) == str(clean[name]).lower())
        if expert_id is not None:
            other = other.where(Expert.id != expert_id)
        if session.scalar(other.limit(1)) is not None:
            problems.append(Problem(name, "taken"))
    return columns, problems


def _flush(session: Session, expert_id: int) -> None:
    """Writes now, inside a savepoint, so a unique value taken at the same moment by another writer is the
    field's problem, not a traceback."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        text = str(error.orig)
        for name in ("staff_number", "email"):
            if f"uq_expert_{name}" in text:
                raise Problems([Problem(name, "taken")]) from error
        if "unavailability_no_overlap" in text:
            raise Problems([Problem("start_date", "absence_overlap", {"start": "?", "end": "?", "kind": "?"})]) \
                from error
        raise
    except StaleDataError as error:  # the row was locked, so only a writer outside these functions gets here
        raise Conflict(f"Expert {expert_id} was changed by someone else at the same moment: reload it.") from error


def create_expert(session: Session, principal: Principal, data: Mapping[str, Any],
                  origin: RequestOrigin | None = None) -> Expert:
    principal.require(Permission.MANAGE_PERSONNEL)
    clean, problems = rules.PROFILE.validate(data)
    if not problems:
        columns, problems = _profile_columns(session, clean, None)
    if problems:
        raise Problems(problems)
    expert = Expert(**columns)
    session.add(expert)
    _flush(session, 0)
    audit_change(session, principal, "expert.create", entity=ENTITY, entity_id=expert.id, before=None,
                 after=profile_values(session, expert), origin=origin)
    return expert


def load_for_change(session: Session, expert_id: int, version: int | None) -> Expert:
    """The expert, locked until the transaction ends (a second writer waits, then sees the new version and is
    told), after checking the version the change was made against."""
    expert = session.scalar(select(Expert).where(Expert.id == expert_id).with_for_update(of=Expert))
    if expert is None:
        raise NotFound(f"No expert with id {expert_id}.")
    check_version(session, entity=ENTITY, entity_id=expert_id, current=expert.version, expected=version)
    if expert.erased_at is not None:
        raise Problems([Problem("expert", "erased")])
    return expert


def update_expert(session: Session, principal: Principal, expert_id: int, data: Mapping[str, Any], *,
                  version: int | None, origin: RequestOrigin | None = None) -> Expert:
    """A partial change of the profile: only the fields given change; the record as it would be is checked."""
    principal.require(Permission.MANAGE_PERSONNEL)
    expert = load_for_change(session, expert_id, version)
    before = profile_values(session, expert)
    data = {k: v for k, v in data.items() if k != "version"}
    _given, problems = rules.PROFILE.validate(data, partial=True)
    if problems:
        raise Problems(problems)
    clean, problems = rules.PROFILE.validate({**before, **data})
    if not problems:
        columns, problems = _profile_columns(session, clean, expert_id)
    if problems:
        raise Problems(problems)
    for name, value in columns.items():
        setattr(expert, name, value)
    _touch(session, expert)
    audit_change(session, principal, "expert.update", entity=ENTITY, entity_id=expert_id, before=before,
                 after=profile_values(session, expert), origin=origin)
    if expert.status == ExpertStatus.SEPARATED and before.get("status") != ExpertStatus.SEPARATED.value:
        admin.end_login_of_separated_expert(session, principal, expert_id, origin)
    return expert


def separate_expert(session: Session, principal: Principal, expert_id: int, separated_on: Any, *,
                    version: int | None, origin: RequestOrigin | None = None) -> Expert:
    """Marks the expert separated on that day (their record and history stay)."""
    return update_expert(session, principal, expert_id,
                         {"status": ExpertStatus.SEPARATED.value, "separated_on": separated_on},
                         version=version, origin=origin)


def deployment_count(session: Session, expert_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Deployment).where(Deployment.expert_id == expert_id)) or 0


def delete_expert(session: Session, principal: Principal, expert_id: int, *, version: int | None,
                  origin: RequestOrigin | None = None) -> None:
    """Deletes an expert entered by mistake; one whom deployments refer to is refused (``HasHistory``)."""
    principal.require(Permission.MANAGE_PERSONNEL)
    expert = load_for_change(session, expert_id, version)
    count = deployment_count(session, expert_id)
    if count:
        raise HasHistory([Problem("expert", "has_history", {"deployments": count})])
    user = session.scalar(select(User.username).where(User.expert_id == expert_id))
    if user is not None:  # the user's link would dangle (the foreign key refuses it)
        raise HasHistory([Problem("expert", "has_user", {"user": user})])
    before = profile_values(session, expert)
    session.delete(expert)
    _flush(session, expert_id)
    audit_change(session, principal, "expert.delete", entity=ENTITY, entity_id=expert_id, before=before, after=None,
                 origin=origin)


def erase_expert(session: Session, principal: Principal, expert_id: int, *, version: int | None,
                 origin: RequestOrigin | None = None) -> Expert:
    """Erases a separated expert's personal fields on request (the retention rule in this module's docstring)."""
    principal.require(Permission.MANAGE_PERSONNEL)
    expert = load_for_change(session, expert_id, version)
    if expert.status != ExpertStatus.SEPARATED:
        raise Problems([Problem("status", "erase_not_separated")])
    for model in (ExpertSkill, ExpertLanguage, ExpertClearance, ExpertTraining, Unavailability):
        session.execute(delete(model).where(model.expert_id == expert_id))
    session.expire(expert, ["skills", "languages", "clearances", "trainings"])
    expert.given_name = ERASED_GIVEN_NAME
    expert.family_name = f"#{expert_id}"
    expert.staff_number = f"ERASED-{expert_id}"
    expert.email = None
    expert.functional_title = None
    expert.erased_at = datetime.now(UTC)
    _flush(session, expert_id)
    # Field names only: the event must not hold what was erased.
    audit_change(session, principal, "expert.erase", entity=ENTITY, entity_id=expert_id,
                 before={"personal_fields": "kept"}, after={"personal_fields": "erased"}, origin=origin)
    return expert


def _touch(session: Session, expert: Expert) -> None:
    """Writes the expert's row (its version goes up by one): a part changed, so the record did."""
    expert.updated_at = func.now()
    _flush(session, expert.id)
    session.refresh(expert, ["updated_at"])


# --- the parts -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """One kind of row of an expert: its rule book, how it is found and how its values map to columns.

    ``key_field`` names the field that identifies a row among the expert's (a skill's or language's code);
    None: rows are found by their id."""

    name: str  # the API's path and the audit's prefix: "languages"
    book: RuleBook
    model: type
    key_field: str | None
    columns: Callable[[Session, dict[str, Any]], tuple[dict[str, Any], list[Problem]]]
    values: Callable[[Session, Any], dict[str, Any]]


def _lookup(session: Session, stmt: Any, field: str, code: str, value: Any) -> tuple[Any, list[Problem]]:
    found = session.scalar(stmt)
    return found, [] if found is not None else [Problem(field, code, {"value": value})]


def _skill_columns(session: Session, clean: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    skill_id, problems = _lookup(session, select(Skill.id).where(Skill.code == clean["skill"]), "skill",
                                 "unknown_skill", clean["skill"])
    return {"skill_id": skill_id, "level": clean["level"]}, problems


def _skill_values(session: Session, row: ExpertSkill) -> dict[str, Any]:
    return {"skill": session.scalar(select(Skill.code).where(Skill.id == row.skill_id)), "level": row.level}


def _language_columns(session: Session, clean: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    code, problems = _lookup(session, select(Language.code).where(Language.code == clean["language"]), "language",
                             "unknown_language", clean["language"])
    levels = {k: None if clean.get(k) is None else LanguageLevel(clean[k])
              for k in ("level", "reading", "writing", "speaking")}
    return {"language_code": code, **levels}, problems


def _language_values(_session: Session, row: ExpertLanguage) -> dict[str, Any]:
    return {"language": row.language_code,
            **{k: getattr(getattr(row, k), "value", getattr(row, k)) for k in ("level", "reading", "writing",
                                                                               "speaking")}}


def _clearance_columns(session: Session, clean: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    type_id, problems = _lookup(session, select(ClearanceType.id).where(ClearanceType.code == clean["clearance"]),
                                "clearance", "unknown_clearance", clean["clearance"])
    return {"clearance_type_id": type_id, "obtained_on": clean["obtained_on"],
            "valid_until": clean.get("valid_until")}, problems


def _clearance_values(session: Session, row: ExpertClearance) -> dict[str, Any]:
    code = session.scalar(select(ClearanceType.code).where(ClearanceType.id == row.clearance_type_id))
    return {"id": row.id, "clearance": code, "obtained_on": _iso(row.obtained_on),
            "valid_until": _iso(row.valid_until)}


def _training_columns(_session: Session, clean: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    return {k: clean.get(k) for k in ("name", "provider", "completed_on", "valid_until")}, []


def _training_values(_session: Session, row: ExpertTraining) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "provider": row.provider, "completed_on": _iso(row.completed_on),
            "valid_until": _iso(row.valid_until)}


def _absence_columns(_session: Session, clean: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    dates = {k: clean.get(k) for k in ("start_date", "end_date", "note")}
    return {"kind": UnavailabilityKind(clean["kind"]), **dates}, []


def _absence_values(_session: Session, row: Unavailability) -> dict[str, Any]:
    return {"id": row.id, "kind": getattr(row.kind, "value", row.kind), "start_date": _iso(row.start_date),
            "end_date": _iso(row.end_date), "note": row.note}


PARTS: dict[str, Part] = {p.name: p for p in (
    Part("skills", rules.SKILL, ExpertSkill, "skill", _skill_columns, _skill_values),
    Part("languages", rules.LANGUAGE, ExpertLanguage, "language", _language_columns, _language_values),
    Part("clearances", rules.CLEARANCE, ExpertClearance, None, _clearance_columns, _clearance_values),
    Part("trainings", rules.TRAINING, ExpertTraining, None, _training_columns, _training_values),
    Part("absences", rules.ABSENCE, Unavailability, None, _absence_columns, _absence_values),
)}


# What an expert keeps on their own record (MANAGE_OWN_AVAILABILITY); the rest is the planners'.
OWN_PARTS = frozenset({"languages", "absences"})


def require_part_write(principal: Principal, expert_id: int, part_name: str) -> None:
    """Planners and admins change any expert's parts; an expert user only their own record's OWN_PARTS. Another
    expert's id is "not found" to them (their scope has no other expert, so nothing tells whether it exists)."""
    if principal.can(Permission.MANAGE_PERSONNEL):
        return
    if principal.own_expert() != expert_id:
        raise NotFound(f"No expert with id {expert_id}.")
    if part_name not in OWN_PARTS:
        raise Forbidden(f"Your role ({principal.role.value}) keeps only its own languages and absences.")


def keep_the_past(principal: Principal, part_name: str, *rows: Mapping[str, Any] | None) -> None:
    """An expert keeps their absences to come, not the record's past: an absence that has ended (the one
    changed or removed, or what a change or an addition would make) feeds availability and utilisation history,
    which planners correct. Planners and admins are not bound."""
    if part_name != "absences" or principal.can(Permission.MANAGE_PERSONNEL):
        return
    today = date.today()
    for row in rows:
        end = (row or {}).get("end_date")
        if isinstance(end, str):
            try:
                end = date.fromisoformat(end)
            except ValueError:
                continue  # the rule book says what is wrong with it
        if isinstance(end, date) and end < today:
            raise Problems([Problem("end_date", "absence_ended")])


def part_of(name: str) -> Part:
    if name not in PARTS:
        raise NotFound(f"An expert has no part {name!r}.")
    return PARTS[name]


def _key_column(part: Part) -> Any:
    if part.name == "skills":
        return ExpertSkill.skill_id
    if part.name == "languages":
        return ExpertLanguage.language_code
    return part.model.id  # type: ignore[attr-defined]


def _find(session: Session, part: Part, expert_id: int, key: str | int) -> Any:
    value: Any = key
    if part.name == "skills":
        value = session.scalar(select(Skill.id).where(Skill.code == str(key)))
    elif part.key_field is None:
        value = int(key) if str(key).isdigit() else None
    row = None if value is None else session.scalar(
        select(part.model).where(part.model.expert_id == expert_id, _key_column(part) == value))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"Expert {expert_id} has no {part.name} row {key!r}.")
    return row


def _row_label(part: Part, values: dict[str, Any]) -> str:
    return f"{part.name}.{values[part.key_field] if part.key_field else values['id']}"


def _prefixed(part: Part, values: dict[str, Any]) -> dict[str, Any]:
    """A row's values named as the audit shows them: ``languages.fr.level``."""
    label = _row_label(part, values)
    return {f"{label}.{k}": v for k, v in values.items() if k not in ("id", part.key_field)}


def _absence_overlaps(session: Session, expert_id: int, columns: dict[str, Any], own_id: int | None) -> list[Problem]:
    """The absence overlapping [start, end], in words (the database's exclusion has the last word)."""
    stmt = select(Unavailability).where(
        Unavailability.expert_id == expert_id, Unavailability.start_date <= columns["end_date"],
        Unavailability.end_date >= columns["start_date"])
    if own_id is not None:
        stmt = stmt.where(Unavailability.id != own_id)
    other = session.scalars(stmt.order_by(Unavailability.start_date).limit(1)).first()
    if other is None:
        return []
    return [Problem("start_date", "absence_overlap", {"start": other.start_date.isoformat(),
                                                      "end": other.end_date.isoformat(),
                                                      "kind": UnavailabilityKind(other.kind).value})]


def _part_columns(session: Session, part: Part, expert_id: int, data: Mapping[str, Any],
                  own: Any = None) -> dict[str, Any]:
    clean, problems = part.book.validate(data)
    if problems:
        raise Problems(problems)
    columns, problems = part.columns(session, clean)
    if part.key_field and not problems and (own is None or part.values(session, own)[part.key_field]
                                            != clean[part.key_field]):
        key_value = columns[next(iter(columns))]  # skill_id / language_code: the first column
        taken = session.scalar(select(part.model).where(part.model.expert_id == expert_id,  # type: ignore[attr-defined]
                                                        _key_column(part) == key_value))
        if taken is not None:
            problems.append(Problem(part.key_field, "already_listed"))
    if part.name == "absences" and not problems:
        problems += _absence_overlaps(session, expert_id, columns, getattr(own, "id", None))
    if problems:
        raise Problems(problems)
    return columns


# A part's add or removal is a change of the expert (before {} or after {}), so the audit's ``changes`` name the
# part's fields ("languages.fr.level") and a stale edit is told which.
def add_part(session: Session, principal: Principal, expert_id: int, part_name: str, data: Mapping[str, Any], *,
             version: int | None, origin: RequestOrigin | None = None) -> dict[str, Any]:
    """Adds a row (a skill, a language...) to the expert; returns its values (with its id or code)."""
    require_part_write(principal, expert_id, part_name)
    part = part_of(part_name)
    expert = load_for_change(session, expert_id, version)
    columns = _part_columns(session, part, expert_id, data)
    keep_the_past(principal, part_name, columns)
    row = part.model(expert_id=expert_id, **columns)
    session.add(row)
    _flush(session, expert_id)
    after = part.values(session, row)
    _touch(session, expert)
    audit_change(session, principal, f"expert.{part.name}.add", entity=ENTITY, entity_id=expert_id, before={},
                 after=_prefixed(part, after), origin=origin)
    return after


def change_part(session: Session, principal: Principal, expert_id: int, part_name: str, key: str | int,
                data: Mapping[str, Any], *, version: int | None,
                origin: RequestOrigin | None = None) -> dict[str, Any]:
    """Changes the fields given of one row (the row as it would be is checked whole)."""
    require_part_write(principal, expert_id, part_name)
    part = part_of(part_name)
    expert = load_for_change(session, expert_id, version)
    row = _find(session, part, expert_id, key)
    before = part.values(session, row)
    data = {k: v for k, v in data.items() if k != "version"}
    _given, problems = part.book.validate(data, partial=True)
    if problems:
        raise Problems(problems)
    merged = {k: v for k, v in before.items() if k != "id"} | data
    columns = _part_columns(session, part, expert_id, merged, own=row)
    keep_the_past(principal, part_name, before, columns)
    for name, value in columns.items():
        setattr(row, name, value)
    _flush(session, expert_id)
    after = part.values(session, row)
    _touch(session, expert)
    audit_change(session, principal, f"expert.{part.name}.change", entity=ENTITY, entity_id=expert_id,
                 before=_prefixed(part, before), after=_prefixed(part, after), origin=origin)
    return after


def remove_part(session: Session, principal: Principal, expert_id: int, part_name: str, key: str | int, *,
                version: int | None, origin: RequestOrigin | None = None) -> None:
    require_part_write(principal, expert_id, part_name)
    part = part_of(part_name)
    expert = load_for_change(session, expert_id, version)
    row = _find(session, part, expert_id, key)
    before = part.values(session, row)
    keep_the_past(principal, part_name, before)
    session.delete(row)
    _flush(session, expert_id)
    _touch(session, expert)
    audit_change(session, principal, f"expert.{part.name}.remove", entity=ENTITY, entity_id=expert_id,
                 before=_prefixed(part, before), after={}, origin=origin)
