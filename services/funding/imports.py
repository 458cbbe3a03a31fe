"""Imports of the ERP's expenditure extract and of the rates of exchange, all or nothing (services.records.imports):
each row through the rule book, then against the database (the grant, its open allocation for the fund/cost
centre, its currency and period, a document number already imported with another amount); nothing is written
while any row is refused, and a second import of the same file changes nothing (by document number; a rate by
currency and month)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from models import Allocation, ExchangeRate, Expenditure, Grant
from models.enums import ExpenditureCategory, RecordStatus
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.funding import rules
from services.records import RuleBook, audit_change, snapshot
from services.records.imports import (
    CellProblem,
    Column,
    ImportRefused,
    ImportResult,
    Preview,
    Table,
    map_columns,
    read_table,
    validate_rows,
)

EXPENDITURE_COLUMNS = [
    Column("document_number", "Document number", "Numéro de pièce", ("document", "doc no", "doc number",
                                                                     "numéro de document", "pièce"), required=True),
    Column("spent_on", "Date", "Date", ("posting date", "date comptable", "value date"), required=True),
    Column("grant", "Grant", "Subvention", ("grant reference", "grant ref", "référence de la subvention", "don"),
           required=True),
    Column("fund_centre", "Fund/cost centre", "Fonds/centre de coût", ("fund centre", "cost centre", "fund",
                                                                       "centre de coût", "fonds")),
    Column("amount", "Amount", "Montant", ("value", "valeur"), required=True),
    Column("currency", "Currency", "Monnaie", ("devise", "currency code"), required=True),
    Column("description", "Description", "Description", ("text", "libellé", "texte")),
    Column("category", "Category", "Catégorie"),
    Column("is_reversal", "Reversal", "Contre-passation", ("reversal flag", "annulation", "reversed")),
]
RATE_COLUMNS = [
    Column("currency", "Currency", "Monnaie", ("devise", "currency code"), required=True),
    Column("month", "Month", "Mois", ("period", "période"), required=True),
    Column("usd_per_unit", "USD per unit", "USD par unité", ("rate", "taux", "usd rate", "rate to usd"),
           required=True),
]
# What a line of the extract writes, and what a second import compares.
CENT = Decimal("0.01")
LINE_FIELDS = ("document_number", "allocation_id", "spent_on", "amount", "currency", "category", "description",
               "fund_centre", "is_reversal")


@dataclass
class ImportPreview:
    """A checked file: the rows, every problem by row and column, and what an import would do."""

    preview: Preview
    columns: list[Column]
    headers: dict[str, str]  # field → the file's header (or the template's)
    writes: list[dict[str, Any]]  # the rows to create or update, by key
    result: ImportResult  # what importing would do

    @property
    def ok(self) -> bool:
        return self.preview.ok


Source = bytes | Table  # a file's bytes (with its name), or a table the page has read already


def _checked(source: Source, filename: str, columns: Sequence[Column], book: RuleBook, key: str | Sequence[str],
             mapping: Mapping[str, str] | None, locale: str) -> tuple[Preview, dict[str, str]]:
    table = source if isinstance(source, Table) else read_table(source, filename)
    column_map, problems = map_columns(table.headers, columns, mapping)
    if problems:
        raise ImportRefused(problems)
    headers = {c.field: c.header(locale) for c in columns}
    headers.update({name: table.headers[index] for index, name in column_map.items()})
    return validate_rows(table, column_map, book, columns, key=key, locale=locale), headers


def _cell(preview: Preview, headers: Mapping[str, str], row: Mapping[str, Any], field: str, code: str,
          **params: Any) -> None:
    preview.problems.append(CellProblem(field, code, params, row=int(row["_row"]), column=headers.get(field, field)))


def preview_expenditures(session: Session, principal: Principal, data: Source, filename: str = "", *,
                         mapping: Mapping[str, str] | None = None, locale: str = "en") -> ImportPreview:
    """The extract checked against the rule book and the database; writes nothing."""
    principal.require(Permission.MANAGE_FUNDING)
    preview, headers = _checked(data, filename, EXPENDITURE_COLUMNS, rules.EXPENDITURE_IMPORT, "document_number",
                                mapping, locale)
    rows = [r for r in preview.rows if r["_row"] not in preview.bad_rows()]
    references = {r["grant"] for r in rows}
    grants = {g.reference: g for g in session.scalars(select(Grant).where(Grant.reference.in_(references)))}
    allocations: dict[int, list[Allocation]] = {}
    for a in session.scalars(select(Allocation).where(Allocation.grant_id.in_([g.id for g in grants.values()]),
                                                      Allocation.status == RecordStatus.OPEN)):
        allocations.setdefault(a.grant_id, []).append(a)
    numbers = [r["document_number"] for r in rows]
    existing = {e.document_number: e for e in session.scalars(
        select(Expenditure).where(Expenditure.document_number.in_(numbers)))}
    writes: list[dict[str, Any]] = []
    created = updated = unchanged = 0
    for row in rows:
        grant = grants.get(row["grant"])
        if grant is None:
            _cell(preview, headers, row, "grant", "unknown_grant", value=row["grant"])
            continue
        bad = False
        if grant.status != RecordStatus.OPEN:
            _cell(preview, headers, row, "grant", "closed_grant", grant=grant.reference)
            bad = True
        if row["currency"] != grant.currency:
            _cell(preview, headers, row, "currency", "currency_mismatch", currency=grant.currency)
            bad = True
        if not grant.start_date <= row["spent_on"] <= grant.end_date:
            _cell(preview, headers, row, "spent_on", "outside_grant", grant=grant.reference,
                  start=grant.start_date.isoformat(), end=grant.end_date.isoformat(),
                  spent_on=row["spent_on"].isoformat(), document_number=row["document_number"])
            bad = True
        open_ = allocations.get(grant.id, [])
        centre = row.get("fund_centre")
        match = [a for a in open_ if a.cost_centre == centre] if centre else (open_ if len(open_) == 1 else [])
        if not match:
            _cell(preview, headers, row, "fund_centre", "unknown_cost_centre", grant=grant.reference,
                  value=centre or "—")
            bad = True
        before = existing.get(row["document_number"])
        if before is not None and before.amount != row["amount"]:
            _cell(preview, headers, row, "amount", "amount_changed", document_number=row["document_number"],
                  before=str(before.amount), currency=before.currency)
            bad = True
        if bad:
            continue
        line = {"document_number": row["document_number"], "allocation_id": match[0].id,
                "spent_on": row["spent_on"], "amount": row["amount"].quantize(CENT), "currency": row["currency"],
                "category": row.get("category") or ExpenditureCategory.OTHER.value,
                "description": row.get("description"), "fund_centre": centre,
                "is_reversal": bool(row.get("is_reversal"))}
        if before is None:
            created += 1
        elif snapshot(before, LINE_FIELDS) == snapshot(line, LINE_FIELDS):
            unchanged += 1
            continue
        else:
            updated += 1
        writes.append(line)
    return ImportPreview(preview, EXPENDITURE_COLUMNS, headers, writes, ImportResult(created, updated, unchanged))


def import_expenditures(session: Session, principal: Principal, data: Source, filename: str = "", *,
                        mapping: Mapping[str, str] | None = None, locale: str = "en", dry_run: bool = False,
                        origin: RequestOrigin | None = None) -> ImportResult:
    """All or nothing: ``ImportRefused`` with every bad row's reason, or every line written (the database's rules
    checked at once); ``dry_run`` checks only."""
    checked = preview_expenditures(session, principal, data, filename, mapping=mapping, locale=locale)
    checked.preview.refuse_if_bad()
    if dry_run or not checked.writes:
        return checked.result
    numbers = [w["document_number"] for w in checked.writes]
    existing = {e.document_number: e for e in session.scalars(
        select(Expenditure).where(Expenditure.document_number.in_(numbers)))}
    changes: dict[str, Any] = {}

    def write() -> None:
        for line in checked.writes:
            before = existing.get(line["document_number"])
            if before is None:
                session.add(Expenditure(**line))
                continue
            changes[line["document_number"]] = {"before": snapshot(before, LINE_FIELDS)}
            for name, value in line.items():
                setattr(before, name, value)
            changes[line["document_number"]]["after"] = snapshot(before, LINE_FIELDS)

    rules.enforce_now(session, write)
    # One event for the file: the lines it created, and each changed line's before and after.
    created = [w["document_number"] for w in checked.writes if w["document_number"] not in existing]
    audit_change(session, principal, "expenditure.import", entity="expenditure_import", entity_id=filename[:100],
                 before=None, after={"file": filename, "created": created, "updated": changes,
                                     "unchanged": checked.result.unchanged}, origin=origin)
    return checked.result


def preview_rates(session: Session, principal: Principal, data: Source, filename: str = "", *,
                  mapping: Mapping[str, str] | None = None, locale: str = "en") -> ImportPreview:
    principal.require(Permission.MANAGE_FUNDING)
    preview, headers = _checked(data, filename, RATE_COLUMNS, rules.RATE, ("currency", "month"), mapping, locale)
    rows = [r for r in preview.rows if r["_row"] not in preview.bad_rows()]
    keys = [(r["currency"], r["month"]) for r in rows]
    existing = {(r.currency, r.month): r.usd_per_unit for r in session.scalars(
        select(ExchangeRate).where(tuple_(ExchangeRate.currency, ExchangeRate.month).in_(keys)))} if keys else {}
    writes = [{"currency": r["currency"], "month": r["month"], "usd_per_unit": r["usd_per_unit"]} for r in rows
              if existing.get((r["currency"], r["month"])) != r["usd_per_unit"]]
    created = sum(1 for w in writes if (w["currency"], w["month"]) not in existing)
    return ImportPreview(preview, RATE_COLUMNS, headers, writes,
                         ImportResult(created, len(writes) - created, len(rows) - len(writes)))


def import_rates(session: Session, principal: Principal, data: Source, filename: str = "", *,
                 mapping: Mapping[str, str] | None = None, locale: str = "en", dry_run: bool = False,
                 origin: RequestOrigin | None = None) -> ImportResult:
    checked = preview_rates(session, principal, data, filename, mapping=mapping, locale=locale)
    checked.preview.refuse_if_bad()
    if dry_run or not checked.writes:
        return checked.result
    changed: dict[str, Any] = {}

    def write() -> None:
        for w in checked.writes:
            rate = session.get(ExchangeRate, (w["currency"], w["month"]))
            label = f"{w['currency']}:{w['month']:%Y-%m}"
            if rate is None:
                session.add(ExchangeRate(**w))
                changed[label] = {"before": None, "after": str(w["usd_per_unit"])}
            else:
                changed[label] = {"before": str(rate.usd_per_unit), "after": str(w["usd_per_unit"])}
                rate.usd_per_unit = Decimal(w["usd_per_unit"])

    rules.enforce_now(session, write)
    audit_change(session, principal, "exchange_rate.import", entity="exchange_rate_import", entity_id=filename[:100],
                 before=None, after={"file": filename, "rates": changed}, origin=origin)
    return checked.result


__all__ = ["EXPENDITURE_COLUMNS", "RATE_COLUMNS", "ImportPreview", "import_expenditures", "import_rates",
           "preview_expenditures", "preview_rates"]
