"""What finance staff read off the grants: committed, allocated, spent and available, the burn rate against the
time elapsed, the date a grant runs out at the present rate, and the grants ending soon and under-spent.

Amounts are in the grant's own currency (allocations and spending are kept in it: the services refuse another);
``usd`` converts the commitment at the rate of the grant's first month, or says there is none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from models import Allocation, Donor, Expenditure, Fund, Grant, Project
from models.enums import FundType, RecordStatus
from services.access import Permission, Principal
from services.errors import NotFound
from services.funding.rates import load_rates
from services.reference_data import localized_column

CENT = Decimal("0.01")
ENDING_DAYS = 90
# Under-spent: the share spent trails the share of the period elapsed by more than this.
UNDERSPENT_GAP = 0.10


@dataclass(frozen=True)
class GrantFigures:
    id: int
    reference: str
    title: str
    donor: str | None  # None: the regular budget
    fund_type: FundType
    currency: str
    start_date: date
    end_date: date
    status: RecordStatus
    version: int
    committed: Decimal  # the agreement's amount
    net: Decimal  # what may be allocated: amount / (1 + programme support cost rate)
    psc_rate: Decimal
    allocated: Decimal
    spent: Decimal
    committed_usd: Decimal | None  # at the rate of the grant's first month; None: no rate for it
    today: date

    @property
    def available(self) -> Decimal:
        """What can still be spent: the net amount less what is spent."""
        return self.net - self.spent

    @property
    def unallocated(self) -> Decimal:
        return self.net - self.allocated

    @property
    def burn_rate(self) -> float | None:
        return float(self.spent / self.net) if self.net else None

    @property
    def time_elapsed(self) -> float:
        days = (self.end_date - self.start_date).days + 1
        gone = (min(self.today, self.end_date) - self.start_date).days + 1
        return max(0.0, min(1.0, gone / days))

    @property
    def run_out(self) -> date | None:
        """When the net amount is spent at the rate spent so far; None before any spending or once spent."""
        elapsed = (min(self.today, self.end_date) - self.start_date).days + 1
        if self.spent <= 0 or elapsed <= 0 or self.available <= 0:
            return None
        return self.today + timedelta(days=int(self.available * elapsed / self.spent))

    @property
    def ends_soon(self) -> bool:
        return self.status == RecordStatus.OPEN and self.today <= self.end_date <= self.today + timedelta(ENDING_DAYS)

    @property
    def underspent(self) -> bool:
        rate = self.burn_rate
        return rate is not None and rate < self.time_elapsed - UNDERSPENT_GAP


def _sums(session: Session, grant_ids: list[int] | None) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    allocated = select(Allocation.grant_id, func.sum(Allocation.amount)).group_by(Allocation.grant_id)
    spent = (select(Allocation.grant_id, func.sum(Expenditure.amount))
             .join(Allocation, Allocation.id == Expenditure.allocation_id).group_by(Allocation.grant_id))
    if grant_ids is not None:
        allocated = allocated.where(Allocation.grant_id.in_(grant_ids))
        spent = spent.where(Allocation.grant_id.in_(grant_ids))
    return ({g: Decimal(v) for g, v in session.execute(allocated)}, {g: Decimal(v) for g, v in session.execute(spent)})


def grant_figures(session: Session, principal: Principal, *, grant_id: int | None = None, today: date | None = None,
                  locale: str = "en") -> list[GrantFigures]:
    """Every grant's figures (or one grant's), newest first."""
    principal.require(Permission.VIEW_FUNDING)
    today = today or date.today()
    stmt = (select(Grant, localized_column(Donor, locale), Fund.fund_type)
            .join(Fund, Fund.id == Grant.fund_id).outerjoin(Donor, Donor.id == Grant.donor_id)
            .order_by(Grant.end_date.desc(), Grant.reference))
    if grant_id is not None:
        stmt = stmt.where(Grant.id == grant_id)
    rows = session.execute(stmt).all()
    allocated, spent = _sums(session, None if grant_id is None else [grant_id])
    book = load_rates(session)
    out = []
    for grant, donor, fund_type in rows:
        net = (grant.amount / (1 + grant.psc_rate)).quantize(CENT, ROUND_HALF_UP)
        usd = book.usd(grant.amount, grant.currency, grant.start_date)
        out.append(GrantFigures(
            id=grant.id, reference=grant.reference, title=grant.title, donor=donor, fund_type=FundType(fund_type),
            currency=grant.currency, start_date=grant.start_date, end_date=grant.end_date,
            status=RecordStatus(grant.status), version=grant.version, committed=grant.amount, net=net,
            psc_rate=grant.psc_rate, allocated=allocated.get(grant.id, Decimal(0)),
            spent=spent.get(grant.id, Decimal(0)),
            committed_usd=None if usd is None else usd.quantize(CENT), today=today))
    return out


def one_grant(session: Session, principal: Principal, grant_id: int, *, today: date | None = None,
              locale: str = "en") -> GrantFigures:
    found = grant_figures(session, principal, grant_id=grant_id, today=today, locale=locale)
    if not found:
        raise NotFound(f"No grant {grant_id}.")
    return found[0]


def allocations_of(session: Session, principal: Principal, grant_id: int) -> list[dict[str, Any]]:
    """A grant's allocations with what each has spent."""
    principal.require(Permission.VIEW_FUNDING)
    spent = (select(Expenditure.allocation_id, func.sum(Expenditure.amount).label("spent"))
             .group_by(Expenditure.allocation_id).subquery())
    rows = session.execute(
        select(Allocation, Project.code, func.coalesce(spent.c.spent, 0))
        .outerjoin(Project, Project.id == Allocation.project_id)
        .outerjoin(spent, spent.c.allocation_id == Allocation.id)
        .where(Allocation.grant_id == grant_id).order_by(Allocation.allocated_on, Allocation.id)).all()
    return [{"id": a.id, "purpose": a.purpose, "project": code, "project_id": a.project_id, "amount": a.amount,
             "currency": a.currency, "allocated_on": a.allocated_on, "cost_centre": a.cost_centre,
             "status": str(a.status), "version": a.version, "spent": Decimal(s)} for a, code, s in rows]


def expenditures_of(session: Session, principal: Principal, grant_id: int, *, limit: int | None = None
                    ) -> list[dict[str, Any]]:
    """A grant's spending, newest first."""
    principal.require(Permission.VIEW_FUNDING)
    stmt = (select(Expenditure, Allocation.purpose).join(Allocation, Allocation.id == Expenditure.allocation_id)
            .where(Allocation.grant_id == grant_id)
            .order_by(Expenditure.spent_on.desc(), Expenditure.document_number.desc()))
    if limit:
        stmt = stmt.limit(limit)
    return [{"id": e.id, "document_number": e.document_number, "spent_on": e.spent_on, "amount": e.amount,
             "currency": e.currency, "category": str(e.category), "description": e.description,
             "fund_centre": e.fund_centre, "is_reversal": e.is_reversal, "allocation_id": e.allocation_id,
             "allocation": purpose, "version": e.version} for e, purpose in session.execute(stmt)]


def monthly_spending(session: Session, principal: Principal, grant_id: int) -> list[tuple[date, Decimal]]:
    """The grant's spending by month, in its currency (for the burn chart and the donor report)."""
    principal.require(Permission.VIEW_FUNDING)
    month = cast(func.date_trunc("month", Expenditure.spent_on), Date)
    rows = session.execute(select(month, func.sum(Expenditure.amount))
                           .join(Allocation, Allocation.id == Expenditure.allocation_id)
                           .where(Allocation.grant_id == grant_id).group_by(month).order_by(month)).all()
    return [(m, Decimal(v)) for m, v in rows]


__all__ = ["ENDING_DAYS", "GrantFigures", "allocations_of", "expenditures_of", "grant_figures", "monthly_spending",
           "one_grant"]
