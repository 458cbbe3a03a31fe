"""Historical deployments from a spreadsheet (XLSX or CSV), all or nothing.

The template's columns name the expert by staff number and the mission by acronym; the natural key of a row is
(staff number, mission, planned start): a second import of the same file finds every row and changes nothing.
Every row is checked against the rule book and the database (unknown staff number or mission, an actual date
not yet come, dates that overlap another deployment of the expert, in the file or in the hub) before anything
is written; any problem refuses the whole file, each named by row and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from models import Deployment, Expert, Mission
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.deployments import records
from services.records import N_, Problems, RuleBook, Text, register_messages
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
from services.records.versioning import json_value

COLUMNS = [
    Column("staff_number", "Staff number", "Matricule", ("staff no", "index number"), required=True),
    Column("mission", "Mission", "Mission", ("mission acronym",), required=True),
    Column("role", "Role", "Rôle", ("function", "fonction"), required=True),
    Column("kind", "Kind", "Type", ("deployment kind", "type de déploiement"), required=True),
    Column("start_date", "Start", "Début", ("start date", "date de début"), required=True),
    Column("end_date", "End", "Fin", ("end date", "date de fin"), required=True),
    Column("actual_start_date", "Arrived on", "Arrivé le", ("actual start", "arrivée")),
    Column("actual_end_date", "Left on", "Parti le", ("actual end", "départ")),
    Column("status", "Status", "Statut"),
    Column("gender_marker", "Gender marker", "Marqueur de genre"),
    Column("gender_outputs_planned", "Gender outputs planned", "Produits sexospécifiques prévus"),
    Column("gender_outputs_delivered", "Gender outputs delivered", "Produits sexospécifiques réalisés"),
    Column("client_rating", "Client rating", "Note du client"),
    Column("client_feedback", "Client feedback", "Commentaires du client"),
]
KEY = ("staff_number", "mission", "start_date")
# The deployment's rule book with the expert by staff number (the file knows people by it, not by the hub's id).
BOOK = RuleBook("deployment_import", [
    Text("staff_number", N_("Staff number"), required=True, max_length=30),
    *(f for f in records.BOOK.fields if f.name in {c.field for c in COLUMNS}),
], checks=records.BOOK.checks)

register_messages({
    "unknown_staff_number": N_("No expert with staff number %(value)s."),
    "overlap_in_file": N_("These dates overlap row %(other_row)d of the same expert."),
})


def _cell(row: Mapping[str, Any], field: str, code: str, header: str, **params: Any) -> CellProblem:
    return CellProblem(field, code, params, row=int(row["_row"]), column=header)


def preview(session: Session, principal: Principal, table: Table, mapping: Mapping[str, str] | None = None, *,
            locale: str = "en", today: date | None = None) -> Preview:
    """Every problem of the file, the database's included, each at its row and column; nothing written."""
    principal.require(Permission.MANAGE_PERSONNEL)
    today = today or date.today()
    column_map, problems = map_columns(table.headers, COLUMNS, mapping)
    if problems:
        raise ImportRefused(problems)
    found = validate_rows(table, column_map, BOOK, COLUMNS, key=KEY, locale=locale)
    header = {c.field: c.header(locale) for c in COLUMNS}
    for index, name in column_map.items():
        header[name] = table.headers[index]
    staff = {r.get("staff_number") for r in found.rows} - {None}
    experts = dict(session.execute(select(Expert.staff_number, Expert.id).where(
        Expert.staff_number.in_(staff))).all()) if staff else {}
    acronyms = {r.get("mission") for r in found.rows} - {None}
    missions = dict(session.execute(select(Mission.acronym, Mission.id).where(
        Mission.acronym.in_(acronyms))).all()) if acronyms else {}
    spans: dict[int, list[tuple[date, date, int]]] = {}
    for row in found.rows:
        bad = {p.field for p in found.problems if p.row == row["_row"]}
        expert_id = experts.get(str(row.get("staff_number")))
        if row.get("staff_number") is not None and expert_id is None:
            found.problems.append(_cell(row, "staff_number", "unknown_staff_number", header["staff_number"],
                                        value=row["staff_number"]))
        if row.get("mission") is not None and row["mission"] not in missions:
            found.problems.append(_cell(row, "mission", "unknown", header["mission"], value=row["mission"]))
        found.problems += [_cell(row, p.field, p.code, header[p.field])
                           for p in records.actual_not_future(row, today) if p.field not in bad]
        start, end = row.get("start_date"), row.get("end_date")
        if expert_id is None or start is None or end is None or "end_date" in bad or row.get("status") == "cancelled":
            continue
        for other_start, other_end, other_row in spans.get(expert_id, []):
            if start <= other_end and end >= other_start:
                found.problems.append(_cell(row, "start_date", "overlap_in_file", header["start_date"],
                                            other_row=other_row))
        spans.setdefault(expert_id, []).append((start, end, int(row["_row"])))
        existing = _existing(session, expert_id, missions.get(str(row.get("mission"))), start)
        clash = records.overlapping(session, expert_id, start, end,
                                    exclude_id=existing.id if existing is not None else None)
        if clash is not None:
            p = records.overlap_problem(session, principal, expert_id, start, end,
                                        exclude_id=existing.id if existing is not None else None)
            found.problems.append(_cell(row, "start_date", p.code, header["start_date"], **dict(p.params)))
    found.problems.sort(key=lambda p: (p.row, p.column))
    return found


def _existing(session: Session, expert_id: int, mission_id: int | None, start: date) -> Deployment | None:
    if mission_id is None:
        return None
    return session.scalar(select(Deployment).where(
        tuple_(Deployment.expert_id, Deployment.mission_id, Deployment.start_date) == (expert_id, mission_id, start)))


def commit(session: Session, principal: Principal, table: Table, mapping: Mapping[str, str] | None = None,
           origin: RequestOrigin | None = None, *, locale: str = "en", today: date | None = None) -> ImportResult:
    """Writes every row or none (in the caller's one transaction): creates a deployment for a new natural key,
    updates one whose values differ, leaves one that is the same."""
    checked = preview(session, principal, table, mapping, locale=locale, today=today)
    checked.refuse_if_bad()
    staff = {r["staff_number"] for r in checked.rows}
    experts = dict(session.execute(select(Expert.staff_number, Expert.id).where(Expert.staff_number.in_(staff))).all())
    created = updated = unchanged = 0
    for row in checked.rows:
        values = {k: v for k, v in row.items() if k not in ("_row", "staff_number") and v is not None}
        values["expert_id"] = experts[row["staff_number"]]
        mission_id = session.scalar(select(Mission.id).where(Mission.acronym == row["mission"]))
        existing = _existing(session, values["expert_id"], mission_id, row["start_date"])
        try:
            if existing is None:
                records.record_deployment(session, principal, values, today=today, origin=origin,
                                          allow_separated=True)
                created += 1
                continue
            stored = records.as_dict(session, existing)
            differ = {k: v for k, v in values.items() if k != "expert_id" and stored.get(k) != json_value(v)}
            if not differ:
                unchanged += 1
                continue
            records.update_deployment(session, principal, existing.id, differ, version=existing.version,
                                      today=today, origin=origin, action="deployment_imported")
            updated += 1
        except Problems as error:  # the database had the last word after all (a concurrent write)
            raise ImportRefused([_cell(row, p.field, p.code, p.field, **dict(p.params)) for p in error.problems]) \
                from error
    return ImportResult(created, updated, unchanged)


__all__ = ["BOOK", "COLUMNS", "KEY", "commit", "preview"]
