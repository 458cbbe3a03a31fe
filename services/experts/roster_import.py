"""The roster import and export: one row per expert (the profile, with the skills, languages and clearances in
three list cells), read with the records foundation's imports, checked with the expert rule books
(``services.experts.rules``) and written all or nothing, upserting by staff number.

List cells (the template's header says the form):
- skills: ``code:level; …`` (``investigations:4; data_analysis:2``; the level from 1 to 5);
- languages: ``ISO 639:CEFR; …`` (``fr:C1; en:B2``; A1 … C2 or native);
- clearances: ``code:obtained[:valid until]; …`` (``BSAFE:2024-03-01:2027-03-01``; dates YYYY-MM-DD).

The export writes each expert in the same columns with the same function the comparison uses (``roster_row``),
so an export imported again changes nothing. Only the columns a file has are compared and written: a file
without a clearances column leaves the clearances alone. A language's reading/writing/speaking levels (not in
the template) are kept when its overall level changes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

from psycopg import sql
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import (
    Capacity,
    ClearanceType,
    Country,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    ExpertSkill,
    Language,
    Skill,
    Team,
)
from models.enums import ContractType, ExpertStatus, Gender, LanguageLevel
from services import admin, audit
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.experts import rules
from services.experts.records import ENTITY
from services.records.fields import Text
from services.records.imports import (
    CellProblem,
    Column,
    ImportRefused,
    ImportResult,
    Preview,
    Table,
    map_columns,
    validate_rows,
)
from services.records.problems import N_, Problem, register_messages
from services.records.rulebook import RuleBook
from services.records.versioning import audit_change, change_detail
from services.spreadsheet_cells import FORMULA_PREFIXES

register_messages({
    "list_form": N_("“%(item)s” is not in the form %(form)s."),
    "skill_level": N_("“%(item)s”: the level is a whole number from 1 to 5."),
    "language_code": N_("“%(item)s”: the language code is not ISO 639 (two letters, such as fr)."),
    "language_level": N_("“%(item)s”: the level is one of A1, A2, B1, B2, C1, C2 or native."),
    "clearance_date": N_("“%(item)s”: write the dates as YYYY-MM-DD."),
    "clearance_order": N_("“%(item)s”: valid until is before obtained."),
    "listed_twice": N_("“%(item)s” is listed twice."),
})

LIST_SEPARATOR = ";"
SKILLS_FORM = "code:level"
LANGUAGES_FORM = "fr:C1"
CLEARANCES_FORM = "code:YYYY-MM-DD[:YYYY-MM-DD]"

COLUMNS: tuple[Column, ...] = (
    Column("staff_number", "Staff number", "Numéro de matricule", ("index number", "matricule"), required=True),
    Column("given_name", "Given name", "Prénom", ("first name",), required=True),
    Column("family_name", "Family name", "Nom de famille", ("surname", "last name", "nom"), required=True),
    Column("gender", "Gender", "Genre", ("sexe",), required=True),
    Column("nationality", "Nationality (ISO 3166 alpha-3)", "Nationalité (ISO 3166 alpha-3)",
           ("nationality", "nationalité")),
    Column("capacity", "Capacity (SPC or JCSC)", "Capacité (SPC ou JCSC)", ("capacity", "capacité"), required=True),
    Column("team", "Team", "Équipe"),
    Column("grade", "Grade", "Classe"),
    Column("contract_type", "Contract", "Contrat", ("contract type", "type de contrat"), required=True),
    Column("duty_station", "Duty station", "Lieu d’affectation"),
    Column("functional_title", "Functional title", "Titre fonctionnel"),
    Column("email", "E-mail", "Courriel", ("email",)),
    Column("entry_on_duty", "Entry on duty (YYYY-MM-DD)", "Entrée en fonctions (AAAA-MM-JJ)",
           ("entry on duty", "entrée en fonctions")),
    Column("status", "Status", "Statut"),
    Column("separated_on", "Separated on (YYYY-MM-DD)", "Cessation de service (AAAA-MM-JJ)",
           ("separated on", "cessation de service")),
    Column("skills", "Skills (code:level; …)", "Compétences (code:niveau; …)", ("skills", "compétences")),
    Column("languages", "Languages (ISO 639:CEFR; …)", "Langues (ISO 639:CECR; …)", ("languages", "langues")),
    Column("clearances", "Clearances (code:obtained:valid until; …)",
           "Habilitations (code:obtention:validité; …)", ("clearances", "habilitations")),
)
LIST_FIELDS = ("skills", "languages", "clearances")
ITEMS = "_items"  # a checked row's parsed list cells


# --- the list cells ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ListSpec:
    field: str
    book: RuleBook
    names: tuple[str, ...]  # the item's parts in order; the first is its code
    form: str
    codes: Mapping[str, str]  # a part's problem → this module's code


LISTS: dict[str, ListSpec] = {s.field: s for s in (
    ListSpec("skills", rules.SKILL, ("skill", "level"), SKILLS_FORM,
             {"skill": "list_form", "level": "skill_level"}),
    ListSpec("languages", rules.LANGUAGE, ("language", "level"), LANGUAGES_FORM,
             {"language": "language_code", "level": "language_level"}),
    ListSpec("clearances", rules.CLEARANCE, ("clearance", "obtained_on", "valid_until"), CLEARANCES_FORM,
             {"clearance": "list_form", "obtained_on": "clearance_date", "valid_until": "clearance_date"}),
)}


def parse_list(spec: ListSpec, text: str | None) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The items of a list cell, each checked by the part's own rule book; problems name the item."""
    items, problems = _parsed(spec.field, text)
    return list(items), list(problems)


# A cell is parsed twice (the row's rule book checks it, the import then reads its items) and the same cell text
# recurs across a roster ("en:C1; fr:B2"): parsed once. The items are read, never changed, by the callers.
@functools.lru_cache(maxsize=65_536)
def _parsed(field: str, text: str | None) -> tuple[tuple[dict[str, Any], ...], tuple[Problem, ...]]:
    spec = LISTS[field]
    items: list[dict[str, Any]] = []
    problems: list[Problem] = []
    seen: set[Any] = set()
    for item in (text or "").split(LIST_SEPARATOR):
        item = item.strip()
        if not item:
            continue
        parts = [p.strip() for p in item.split(":")]
        if not (len(spec.names) - (spec.field == "clearances") <= len(parts) <= len(spec.names)):
            problems.append(Problem(spec.field, "list_form", {"item": item, "form": spec.form}))
            continue
        clean, found = spec.book.validate(dict(zip(spec.names, parts, strict=False)))
        for p in found:
            code = "clearance_order" if p.code == "date_order" else spec.codes.get(p.field, "list_form")
            problems.append(Problem(spec.field, code, {"item": item, "form": spec.form}))
        if found:
            continue
        if clean[spec.names[0]] in seen:
            problems.append(Problem(spec.field, "listed_twice", {"item": item}))
            continue
        seen.add(clean[spec.names[0]])
        items.append(clean)
    return tuple(items), tuple(problems)


def _lists_check(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for name in LIST_FIELDS:
        if name in data:
            problems += parse_list(LISTS[name], data.get(name))[1]
    return problems


ROW = RuleBook("roster", [
    *rules.PROFILE.fields,
    Text("skills", N_("Skills"), max_length=4000),
    Text("languages", N_("Languages"), max_length=2000),
    Text("clearances", N_("Clearances"), max_length=4000),
], checks=[*rules.PROFILE.checks, rules.separation_consistent, _lists_check])


# --- the reference data, loaded once per file ------------------------------------------------------------------
@dataclass
class References:
    capacities: dict[str, int]
    capacity_codes: dict[int, str]
    teams: dict[tuple[int, str], tuple[int, str]]  # (capacity id, lower name) → (id, name)
    team_names: dict[int, str]
    countries: dict[str, str]  # code → iso3
    country_codes: dict[str, str]  # iso3 → code
    skills: dict[str, int]
    skill_codes: dict[int, str]
    languages: set[str]
    clearances: dict[str, int]
    clearance_codes: dict[int, str]

    @classmethod
    def load(cls, session: Session) -> References:
        capacities = dict(session.execute(select(Capacity.code, Capacity.id)).all())
        teams = session.execute(select(Team.id, Team.capacity_id, Team.name)).all()
        countries = dict(session.execute(select(Country.code, Country.iso3)).all())
        skills = dict(session.execute(select(Skill.code, Skill.id)).all())
        clearances = dict(session.execute(select(ClearanceType.code, ClearanceType.id)).all())
        return cls(capacities, {v: k for k, v in capacities.items()},
                   {(c, n.lower()): (i, n) for i, c, n in teams}, {i: n for i, _c, n in teams},
                   countries, {v: k for k, v in countries.items()}, skills, {v: k for k, v in skills.items()},
                   set(session.scalars(select(Language.code))), clearances, {v: k for k, v in clearances.items()})


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _v(value: Any) -> Any:
    return getattr(value, "value", value)


def _join(items: Iterable[str]) -> str | None:
    text = f"{LIST_SEPARATOR} ".join(sorted(items))
    return text or None


def roster_row(expert: Expert, refs: References) -> dict[str, Any]:
    """An expert as one roster row (the export's cells, and what an imported row is compared with)."""
    return {
        "staff_number": expert.staff_number, "given_name": expert.given_name, "family_name": expert.family_name,
        "gender": _v(expert.gender),
        "nationality": refs.country_codes.get(expert.nationality_iso3) if expert.nationality_iso3 else None,
        "capacity": refs.capacity_codes.get(expert.capacity_id),
        "team": refs.team_names.get(expert.team_id) if expert.team_id else None,
        "grade": expert.grade, "contract_type": _v(expert.contract_type), "duty_station": expert.duty_station,
        "functional_title": expert.functional_title, "email": expert.email,
        "entry_on_duty": _iso(expert.entry_on_duty), "status": _v(expert.status),
        "separated_on": _iso(expert.separated_on),
        "skills": _join(f"{refs.skill_codes[s.skill_id]}:{s.level}" for s in expert.skills),
        "languages": _join(f"{lang.language_code}:{_v(lang.level)}" for lang in expert.languages),
        "clearances": _join(
            f"{refs.clearance_codes[c.clearance_type_id]}:{_iso(c.obtained_on)}"
            + (f":{_iso(c.valid_until)}" if c.valid_until else "") for c in expert.clearances),
    }


def _wanted(row: Mapping[str, Any], refs: References) -> dict[str, Any]:
    """A checked file row in ``roster_row``'s forms (defaults the service applies, the team's own spelling)."""
    capacity_id = refs.capacities[row["capacity"]]
    team = refs.teams[(capacity_id, row["team"].lower())][1] if row.get("team") else None
    wanted = {k: row.get(k) for k in ("staff_number", "given_name", "family_name", "gender", "nationality", "grade",
                                      "contract_type", "functional_title", "email")}
    wanted |= {"capacity": row["capacity"], "team": team, "duty_station": row.get("duty_station") or "Brindisi",
               "entry_on_duty": _iso(row.get("entry_on_duty")), "separated_on": _iso(row.get("separated_on")),
               "status": row.get("status") or ExpertStatus.ACTIVE.value}
    items = row[ITEMS]
    wanted["skills"] = _join(f"{i['skill']}:{i['level']}" for i in items["skills"])
    wanted["languages"] = _join(f"{i['language']}:{i['level']}" for i in items["languages"])
    wanted["clearances"] = _join(f"{i['clearance']}:{_iso(i['obtained_on'])}"
                                 + (f":{_iso(i['valid_until'])}" if i.get("valid_until") else "")
                                 for i in items["clearances"])
    return wanted


# --- preview: the rule book on every row, then the database's checks ------------------------------------------
def _unescaped(value: Any) -> Any:
    """The inverse of ``escape_formula``: the hub's own export writes "'=…" so a spreadsheet keeps it as text;
    read back, the value is the text it was ("=…"), so an export imports again unchanged."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _header(field: str, column_map: Mapping[int, str], table: Table, locale: str) -> str:
    for index, name in column_map.items():
        if name == field:
            return table.headers[index]
    return next(c.header(locale) for c in COLUMNS if c.field == field)


def _checked(session: Session, table: Table, mapping: Mapping[str, str] | None,
             locale: str) -> tuple[Preview, dict[int, str], References]:
    column_map, problems = map_columns(table.headers, COLUMNS, mapping)
    if problems:
        raise ImportRefused(problems)
    table = Table(table.headers, [[_unescaped(c) for c in row] for row in table.rows])
    preview = validate_rows(table, column_map, ROW, COLUMNS, key="staff_number", locale=locale)
    refs = References.load(session)
    bad = {(p.row, p.field) for p in preview.problems}
    existing = {str(s).lower(): (i, erased) for s, i, erased in session.execute(
        select(Expert.staff_number, Expert.id, Expert.erased_at.is_not(None)))}
    emails = {str(e).lower(): str(s).lower() for e, s in session.execute(
        select(Expert.email, Expert.staff_number).where(Expert.email.is_not(None)))}
    file_emails: dict[str, int] = {}

    def add(row: int, field: str, code: str, **params: Any) -> None:
        preview.problems.append(CellProblem(field, code, params, row=row,
                                            column=_header(field, column_map, table, locale)))

    for row in preview.rows:
        n = row["_row"]
        capacity_id = refs.capacities.get(row["capacity"]) if row.get("capacity") else None
        if row.get("capacity") and capacity_id is None:
            add(n, "capacity", "unknown_capacity", value=row["capacity"])
        if row.get("team") and capacity_id is not None and (capacity_id, row["team"].lower()) not in refs.teams:
            add(n, "team", "unknown_team", value=row["team"])
        if row.get("nationality") and row["nationality"] not in refs.countries:
            add(n, "nationality", "unknown_country", value=row["nationality"])
        staff = str(row.get("staff_number") or "").lower()
        if staff in existing and existing[staff][1]:
            add(n, "staff_number", "erased")
        if row.get("email") and (n, "email") not in bad:
            email = row["email"].lower()
            if emails.get(email, staff) != staff or email in file_emails:
                add(n, "email", "taken")
            file_emails.setdefault(email, n)
        items: dict[str, list[dict[str, Any]]] = {}
        for name, known, code in (("skills", refs.skills, "unknown_skill"),
                                  ("languages", refs.languages, "unknown_language"),
                                  ("clearances", refs.clearances, "unknown_clearance")):
            if (n, name) in bad:
                continue
            spec = LISTS[name]
            items[name] = parse_list(spec, row.get(name))[0]
            for item in items[name]:
                if item[spec.names[0]] not in known:
                    add(n, name, code, value=item[spec.names[0]])
        row[ITEMS] = items  # parsed once: the writes read them from here
    preview.problems.sort(key=lambda p: (p.row, [c.field for c in COLUMNS].index(p.field.split(".")[0])
                                         if p.field.split(".")[0] in ROW.fields_by_name else 0))
    return preview, column_map, refs


def preview(session: Session, principal: Principal, table: Table, mapping: Mapping[str, str] | None = None, *,
            locale: str = "en") -> Preview:
    """Every problem of the file (the rule book's and the database's), by row and column; writes nothing."""
    principal.require(Permission.MANAGE_PERSONNEL)
    return _checked(session, table, mapping, locale)[0]


# --- commit: all rows or none, by staff number ------------------------------------------------------------------
def _profile_columns(wanted: Mapping[str, Any], refs: References, present: set[str]) -> dict[str, Any]:
    """The expert's columns for the profile fields the file has."""
    columns: dict[str, Any] = {}
    simple = ("staff_number", "given_name", "family_name", "grade", "duty_station", "functional_title", "email")
    for name in simple:
        if name in present:
            columns[name] = wanted[name]
    if "gender" in present:
        columns["gender"] = Gender(wanted["gender"])
    if "contract_type" in present:
        columns["contract_type"] = ContractType(wanted["contract_type"])
    if "status" in present or "separated_on" in present:
        columns["status"] = ExpertStatus(wanted["status"])
    for name in ("entry_on_duty", "separated_on"):
        if name in present:
            columns[name] = date.fromisoformat(wanted[name]) if wanted[name] else None
    capacity_id = refs.capacities[wanted["capacity"]]
    columns["capacity_id"] = capacity_id
    if "team" in present:
        columns["team_id"] = refs.teams[(capacity_id, wanted["team"].lower())][0] if wanted["team"] else None
    if "nationality" in present:
        columns["nationality_iso3"] = refs.countries[wanted["nationality"]] if wanted["nationality"] else None
    return columns


def _write_parts(session: Session, expert: Expert, row: Mapping[str, Any], refs: References,
                 present: set[str]) -> None:
    """Makes the expert's skills, languages and clearances those of the row (for the lists the file has)."""
    if "skills" in present:
        wanted = {refs.skills[i["skill"]]: i["level"] for i in row[ITEMS]["skills"]}
        for skill in list(expert.skills):
            if skill.skill_id not in wanted:
                expert.skills.remove(skill)
            else:
                skill.level = wanted.pop(skill.skill_id)
        expert.skills.extend(ExpertSkill(skill_id=k, level=v) for k, v in wanted.items())
    if "languages" in present:
        levels = {i["language"]: LanguageLevel(i["level"]) for i in row[ITEMS]["languages"]}
        for language in list(expert.languages):
            if language.language_code not in levels:
                expert.languages.remove(language)
            else:
                language.level = levels.pop(language.language_code)  # reading/writing/speaking are kept
        expert.languages.extend(ExpertLanguage(language_code=k, level=v) for k, v in levels.items())
    if "clearances" in present:
        keep = {(refs.clearances[i["clearance"]], i["obtained_on"]): i.get("valid_until")
                for i in row[ITEMS]["clearances"]}
        for clearance in list(expert.clearances):
            key = (clearance.clearance_type_id, clearance.obtained_on)
            if key not in keep:
                expert.clearances.remove(clearance)
            else:
                clearance.valid_until = keep.pop(key)
        expert.clearances.extend(ExpertClearance(clearance_type_id=t, obtained_on=o, valid_until=v)
                                 for (t, o), v in keep.items())


def _copy(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows into a table with PostgreSQL's COPY, in the session's transaction: psycopg's executemany sends one
    INSERT a row (30,000 skills of a 10,000-expert roster took seconds); COPY streams them in one statement."""
    connection = session.connection().connection.driver_connection
    assert connection is not None
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_v(v) for v in row])


def _insert_new(session: Session, rows: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], refs: References,
                present: set[str]) -> list[int]:
    """New experts and their lists: their ids taken from the sequence in one query, then each table in one COPY
    (a 10,000-row roster one by one through the unit of work took most of the import's time); returns their ids
    in the rows' order. The columns left out (created_at, version …) take their server defaults."""
    if not rows:
        return []
    values = [_profile_columns(full, refs, present | {"status"}) for _row, full in rows]
    sequence = func.pg_get_serial_sequence(Expert.__tablename__, "id")
    ids = list(session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))))
    names = list(values[0])
    _copy(session, Expert.__tablename__, ["id", *names], ([i, *(v[n] for n in names)] for i, v in zip(ids, values,
                                                                                                   strict=True)))
    skills: list[tuple[Any, ...]] = []
    languages: list[tuple[Any, ...]] = []
    clearances: list[tuple[Any, ...]] = []
    for expert_id, (row, _full) in zip(ids, rows, strict=True):
        items = row[ITEMS]
        if "skills" in present:
            skills += [(expert_id, refs.skills[i["skill"]], i["level"]) for i in items.get("skills", [])]
        if "languages" in present:
            languages += [(expert_id, i["language"], i["level"]) for i in items.get("languages", [])]
        if "clearances" in present:
            clearances += [(expert_id, refs.clearances[i["clearance"]], i["obtained_on"], i.get("valid_until"))
                           for i in items.get("clearances", [])]
    for model, columns, part_rows in (
            (ExpertSkill, ("expert_id", "skill_id", "level"), skills),
            (ExpertLanguage, ("expert_id", "language_code", "level"), languages),
            (ExpertClearance, ("expert_id", "clearance_type_id", "obtained_on", "valid_until"), clearances)):
        if part_rows:
            _copy(session, model.__tablename__, columns, part_rows)
    return ids


def _held(session: Session, staff_numbers: Sequence[str]) -> dict[str, Any]:
    """The experts the file names (by lower-case staff number), locked, with their skills, languages and
    clearances, read as ``roster_row`` reads a record: four plain queries, no ORM record a row (a 10,000-expert
    roster imported again spent seconds building records it then left unchanged)."""
    found = {r.id: SimpleNamespace(**r._asdict(), skills=[], languages=[], clearances=[])
             for r in session.execute(select(*Expert.__table__.c)
                                      .where(func.lower(Expert.staff_number).in_(list(staff_numbers)))
                                      .with_for_update())}
    if found:
        ids = list(found)
        for part, query in (
                ("skills", select(ExpertSkill.expert_id, ExpertSkill.skill_id, ExpertSkill.level)
                 .where(ExpertSkill.expert_id.in_(ids)).order_by(ExpertSkill.expert_id, ExpertSkill.skill_id)),
                ("languages", select(ExpertLanguage.expert_id, ExpertLanguage.language_code, ExpertLanguage.level)
                 .where(ExpertLanguage.expert_id.in_(ids))
                 .order_by(ExpertLanguage.expert_id, ExpertLanguage.language_code)),
                ("clearances", select(ExpertClearance.expert_id, ExpertClearance.clearance_type_id,
                                      ExpertClearance.obtained_on, ExpertClearance.valid_until)
                 .where(ExpertClearance.expert_id.in_(ids)).order_by(ExpertClearance.expert_id, ExpertClearance.id))):
            for r in session.execute(query):
                getattr(found[r.expert_id], part).append(r)
    return {e.staff_number.lower(): e for e in found.values()}


def commit(session: Session, principal: Principal, table: Table, mapping: Mapping[str, str] | None = None,
           origin: RequestOrigin | None = None, *, locale: str = "en") -> ImportResult:
    """Writes the whole file in the caller's transaction, or nothing (``ImportRefused`` with every problem).

    Upsert by staff number; an expert whose row equals what the hub holds is not touched (a second import of
    the same file: all unchanged). One audit event for the file, and one per created or changed expert with
    its before and after values."""
    principal.require(Permission.MANAGE_PERSONNEL)
    checked, column_map, refs = _checked(session, table, mapping, locale)
    checked.refuse_if_bad()
    present = set(column_map.values())
    held = _held(session, [str(r["staff_number"]).lower() for r in checked.rows])
    created: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    differing: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    unchanged = 0
    for row in checked.rows:
        full = _wanted(row, refs)
        wanted = {k: v for k, v in full.items() if k in present or k == "capacity"}
        now = held.get(str(row["staff_number"]).lower())
        if now is None:
            created.append((row, full, wanted))
            continue
        before = {k: v for k, v in roster_row(now, refs).items() if k in wanted}
        if before == wanted:
            unchanged += 1
            continue
        differing.append((row, full, wanted, before))
    # Only the experts that change are loaded as records (most of a roster imported again is unchanged).
    experts = {e.id: e for e in session.scalars(
        select(Expert).where(Expert.id.in_([held[str(r["staff_number"]).lower()].id for r, *_ in differing]))
        .options(selectinload(Expert.skills), selectinload(Expert.languages), selectinload(Expert.clearances)))
    } if differing else {}
    changed: list[tuple[Expert, dict[str, Any], dict[str, Any]]] = []
    for row, full, wanted, before in differing:
        expert = experts[held[str(row["staff_number"]).lower()].id]
        for name, value in _profile_columns(full, refs, present).items():
            if name != "staff_number" or value.lower() != expert.staff_number.lower():
                setattr(expert, name, value)
        _write_parts(session, expert, row, refs, present)
        expert.updated_at = func.now()  # a part alone changed: the record's version goes up all the same
        changed.append((expert, before, wanted))
    session.flush()
    new_ids = _insert_new(session, [(row, full) for row, full, _w in created], refs, present)
    audit.record_many(session, "expert.import.create", ((expert_id, change_detail(None, after) or {})
                                                          for (_r, _f, after), expert_id in zip(created, new_ids,
                                                                                                strict=True)),
                      principal=principal, entity=ENTITY, origin=origin)
    for expert, before, after in changed:
        audit_change(session, principal, "expert.import.update", entity=ENTITY, entity_id=expert.id,
                     before=before, after=after, origin=origin)
        if expert.status == ExpertStatus.SEPARATED and before.get("status") != ExpertStatus.SEPARATED.value:
            admin.end_login_of_separated_expert(session, principal, expert.id, origin)
    result = ImportResult(created=len(created), updated=len(changed), unchanged=unchanged)
    audit.record(session, "expert.import", principal=principal, entity="roster", origin=origin,
                 detail={"rows": result.total, "created": result.created, "updated": result.updated,
                         "unchanged": result.unchanged, "columns": sorted(present),
                         "staff_numbers": {"created": [w["staff_number"] for _r, _f, w in created],
                                           "updated": [e.staff_number for e, _b, _a in changed]}})
    return result


# --- export -------------------------------------------------------------------------------------------------
def export_rows(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Every expert whose personal fields are kept, as roster rows (by staff number): the export's content."""
    principal.require(Permission.MANAGE_PERSONNEL)
    refs = References.load(session)
    experts = session.scalars(
        select(Expert).where(Expert.erased_at.is_(None)).order_by(Expert.staff_number)
        .options(selectinload(Expert.skills), selectinload(Expert.languages), selectinload(Expert.clearances)))
    return [roster_row(e, refs) for e in experts]


def problem_lines(problems: Sequence[Problem]) -> list[str]:
    """The refusal in English, one line per problem (the command line's output)."""
    from services.records.imports import cell_message

    return [cell_message(p) for p in problems]


__all__ = ["COLUMNS", "ROW", "References", "commit", "export_rows", "parse_list", "preview", "problem_lines",
           "roster_row"]
