"""The funding records' rule books (donors, grants, allocations, expenditures, rates of exchange), and the
database's refusals (the constraint triggers of migration 0021, unique keys) as problems at their field."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import ExpenditureCategory
from models.funding import ALLOCATION_WITHIN_GRANT, EXPENDITURE_WITHIN_GRANT
from services.records import (
    N_,
    Boolean,
    Choice,
    Code,
    CountryCode,
    Currency,
    Date,
    Decimal,
    Field,
    Integer,
    Problem,
    Problems,
    RuleBook,
    Text,
    as_date,
    date_order,
    register_messages,
)

register_messages({
    "over_allocated": N_("The allocations of grant %(grant)s would reach %(allocated)s %(currency)s, more than its "
                         "%(net)s %(currency)s net of programme support costs."),
    "outside_grant": N_("Dated %(spent_on)s, outside grant %(grant)s (%(start)s to %(end)s)."),
    "spending_outside": N_("Expenditure %(document_number)s, dated %(spent_on)s, would fall outside grant "
                           "%(grant)s (%(start)s to %(end)s)."),
    "closed_allocation": N_("This allocation of grant %(grant)s is closed: no spending can be recorded on it."),
    "closed_grant": N_("Grant %(grant)s is closed: no spending can be recorded on it."),
    "allocation_currency": N_("Allocations are in the grant's currency (%(currency)s)."),
    "already_used": N_("Already used by another record: %(value)s."),
    "negative_not_reversal": N_("A negative amount is recorded only as a reversal."),
    "one_earmark": N_("Earmark to one capacity, one mission or one theme, not several."),
    "currency_mismatch": N_("In the grant's currency (%(currency)s), please."),
    "amount_changed": N_("Document %(document_number)s was imported with %(before)s %(currency)s: a line with "
                         "another amount needs its own document number, or a reversal."),
    "unknown_grant": N_("No grant has the reference %(value)s."),
    "unknown_cost_centre": N_("Grant %(grant)s has no open allocation for fund/cost centre %(value)s."),
    "not_month": N_("Not a month: use YYYY-MM, e.g. 2026-11."),
    "not_dates": N_("Dates as YYYY-MM-DD separated by commas, e.g. 2026-06-30, 2026-12-31."),
    "closed_record": N_("This record is closed: reopen it before changing it."),
})

@dataclass(frozen=True)
class Month(Field):
    """A month as YYYY-MM (or any day of it): its first day."""

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        text_ = str(value).strip()
        day = as_date(value) if not re.fullmatch(r"\d{4}-\d{2}", text_) else as_date(text_ + "-01")
        return (date(day.year, day.month, 1), []) if day else self.problem("not_month")

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "pattern": r"^\d{4}-\d{2}(-\d{2})?$"}


@dataclass(frozen=True)
class DateList(Field):
    """Dates, as a list or as text separated by commas (a form's one line)."""

    kind: ClassVar[str] = "array"

    def check(self, value: Any) -> tuple[Any, list[Problem]]:
        if value is None or value == "" or value == []:
            return [], []
        return self.convert(value)

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        items = value if isinstance(value, list | tuple) else [v for v in str(value).split(",") if v.strip()]
        days = [as_date(v) for v in items]
        if any(d is None for d in days):
            return self.problem("not_dates")
        return sorted(set(d for d in days if d is not None)), []

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "items": {"type": "string", "format": "date"}}


MONEY_MAX = "99999999999999.99"  # NUMERIC(16, 2)
INT_MAX = 2**31 - 1  # the database's integer: an id past it is no record, not a server error


def _id(name: str, label: str, *, required: bool = False, help: str | None = None) -> Integer:
    return Integer(name, label, required=required, help=help, low=1, high=INT_MAX)


def _one_earmark(values: dict[str, Any]) -> list[Problem]:
    set_ = [n for n in ("earmark_capacity_id", "earmark_mission_id", "earmark_theme") if values.get(n) is not None]
    return [Problem(set_[-1], "one_earmark")] if len(set_) > 1 else []


def _reversal(values: dict[str, Any]) -> list[Problem]:
    amount = values.get("amount")
    if amount is not None and amount < 0 and not values.get("is_reversal"):
        return [Problem("amount", "negative_not_reversal")]
    return []


DONOR_KINDS = ("member_state", "intergovernmental", "foundation", "private", "other")

DONOR = RuleBook("donor", [
    Text("name", N_("Name"), required=True, max_length=200),
    Text("name_fr", N_("Name in French"), max_length=200),
    CountryCode("country_iso3", N_("Country")),
    Choice("kind", N_("Kind of donor"), required=True, choices=DONOR_KINDS),
])

GRANT = RuleBook("grant", [
    Code("reference", N_("Agreement reference"), required=True, max_length=40),
    _id("fund_id", N_("Funding source"), required=True),
    _id("donor_id", N_("Donor"), help=N_("None for the regular budget.")),
    Text("title", N_("Title"), required=True, max_length=250),
    Decimal("amount", N_("Amount"), required=True, low=0, low_inclusive=False, high=MONEY_MAX),
    Currency("currency", N_("Currency"), required=True),
    Date("start_date", N_("Start"), required=True),
    Date("end_date", N_("End"), required=True),
    Decimal("psc_rate", N_("Programme support cost rate"), required=True, low=0, high="0.99", places=4,
            help=N_("A share, e.g. 0.13 for 13%, charged on top of direct spending.")),
    _id("earmark_capacity_id", N_("Earmarked to a capacity")),
    _id("earmark_mission_id", N_("Earmarked to a mission")),
    Text("earmark_theme", N_("Earmarked to a theme"), max_length=120),
    Text("earmarking", N_("Earmarking note")),
    Text("conditions", N_("Conditions")),
    DateList("reporting_dates", N_("Reporting dates")),
], checks=(date_order("start_date", "end_date"), _one_earmark))

ALLOCATION = RuleBook("allocation", [
    _id("grant_id", N_("Grant"), required=True),
    _id("project_id", N_("Project")),
    Text("purpose", N_("Purpose"), required=True, max_length=250),
    Decimal("amount", N_("Amount"), required=True, low=0, low_inclusive=False, high=MONEY_MAX),
    Date("allocated_on", N_("Allocated on"), required=True),
    Code("cost_centre", N_("Fund/cost centre"), max_length=40),
])

EXPENDITURE = RuleBook("expenditure", [
    Code("document_number", N_("Document number"), required=True, max_length=40),
    _id("allocation_id", N_("Allocation"), required=True),
    Date("spent_on", N_("Date"), required=True),
    Decimal("amount", N_("Amount"), required=True, low=f"-{MONEY_MAX}", high=MONEY_MAX),
    Currency("currency", N_("Currency"), required=True),
    Choice("category", N_("Category"), required=True, choices=ExpenditureCategory),
    Text("description", N_("Description"), max_length=2000),
    Code("fund_centre", N_("Fund/cost centre"), max_length=40),
    Boolean("is_reversal", N_("Reversal")),
], checks=(_reversal,))

# The ERP extract names the grant by its reference and the allocation by its fund/cost centre.
EXPENDITURE_IMPORT = RuleBook("expenditure_import", [
    Code("document_number", N_("Document number"), required=True, max_length=40),
    Date("spent_on", N_("Date"), required=True),
    Code("grant", N_("Grant"), required=True, max_length=40),
    Code("fund_centre", N_("Fund/cost centre"), max_length=40),
    Decimal("amount", N_("Amount"), required=True, low=f"-{MONEY_MAX}", high=MONEY_MAX),
    Currency("currency", N_("Currency"), required=True),
    Text("description", N_("Description"), max_length=2000),
    Choice("category", N_("Category"), choices=ExpenditureCategory),
    Boolean("is_reversal", N_("Reversal")),
], checks=(_reversal,))

RATE = RuleBook("exchange_rate", [
    Currency("currency", N_("Currency"), required=True),
    Month("month", N_("Month"), required=True),
    Decimal("usd_per_unit", N_("USD per unit"), required=True, low=0, low_inclusive=False, high="9999999999",
            places=8),
])


# --- the database's refusals --------------------------------------------------------------------------------
UNIQUE_FIELDS = {
    "uq_grant_agreement_reference": "reference",
    "uq_expenditure_document_number": "document_number",
    "uq_allocation_grant_cost_centre": "cost_centre",
    "uq_donor_name": "name",
    "pk_exchange_rate": "month",
}
RULES = (ALLOCATION_WITHIN_GRANT, EXPENDITURE_WITHIN_GRANT)


def db_problem(error: IntegrityError, values: dict[str, Any] | None = None) -> Problem | None:
    """The problem a refusal of the database stands for, or None when it is none of the funding rules."""
    diag = getattr(error.orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if constraint in UNIQUE_FIELDS:
        name = UNIQUE_FIELDS[constraint]
        return Problem(name, "already_used", {"value": str((values or {}).get(name, ""))})
    if constraint.endswith("negative_only_reversal"):
        return Problem("amount", "negative_not_reversal")
    if constraint not in RULES:
        return None
    detail = json.loads(getattr(diag, "message_detail", None) or "{}")
    rule = detail.get("rule")
    if rule == "over_allocated":
        return Problem("amount", "over_allocated", {k: detail[k] for k in ("grant", "allocated", "net", "currency")})
    if rule == "allocation_currency":
        return Problem("currency", "allocation_currency", {"currency": detail["currency"]})
    if rule == "outside_period":
        params = {k: detail[k] for k in ("grant", "start", "end", "spent_on", "document_number")}
        # A grant's new period leaving spending out, or spending outside the period.
        return Problem("spent_on", "outside_grant", params) if values is None or "spent_on" in values \
            else Problem("end_date", "spending_outside", params)
    return Problem("allocation_id", rule, {"grant": detail["grant"]})


def enforce_now(session: Session, write: Callable[[], object] = lambda: None,
                values: dict[str, Any] | None = None) -> None:
    """Makes the write (``write``: adds or changes objects) in a savepoint and checks the database's rules now
    (they are deferred to the commit): a refusal undoes this write only and is raised as ``Problems`` naming
    the grant and amounts. (begin_nested flushes what came before, so the write happens inside it.)"""
    rules = ", ".join(RULES)
    try:
        with session.begin_nested():
            write()
            session.flush()
            session.execute(text(f"SET CONSTRAINTS {rules} IMMEDIATE"))
    except IntegrityError as error:
        problem = db_problem(error, values)
        if problem is None:
            raise
        raise Problems([problem]) from error
    finally:
        session.execute(text(f"SET CONSTRAINTS {rules} DEFERRED"))


__all__ = ["ALLOCATION", "DONOR", "DONOR_KINDS", "EXPENDITURE", "EXPENDITURE_IMPORT", "GRANT", "RATE", "Currency",
           "DateList", "Month", "db_problem", "enforce_now"]
