"""Funding in scope: committed and spent, by source (regular budget or extra-budgetary) and donor, in USD.

- Spent: expenditures dated in the period, on deployments in scope or on projects in scope.
- Committed: allocations of grants running in the period, to projects in scope; and the allocations that pay
  deployments (no project), pro-rated by the share of their spending in the period that went to deployments
  in scope, so a region's committed money is the part of each envelope it actually draws on.
- Money is numeric in the database and Decimal here; amounts in other currencies are converted with the rate of
  their month (the exchange_rate table: spending by the month it was spent, an allocation by the month it was
  made). An amount whose currency has no rate for its month is left out and named in ``missing`` (and
  ``unconverted``, "EUR 2026-11"), never converted with another month's rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from models import Allocation, Deployment, Donor, Expenditure, Fund, Grant, Project
from models.enums import FundType
from services.analytics.filters import MapFilter
from services.analytics.scope import day_range, deployments_in_scope, period_of, project_conditions
from services.funding.rates import MissingRate, RateBook, load_rates
from services.reference_data import localized_column

REGULAR_BUDGET = "Regular budget"


@dataclass(frozen=True)
class FundingRow:
    donor: str
    source: FundType
    committed_usd: Decimal
    spent_usd: Decimal

    @property
    def burn_rate(self) -> float | None:
        return float(self.spent_usd / self.committed_usd) if self.committed_usd else None


@dataclass(frozen=True)
class FundingSummary:
    rows: list[FundingRow]
    committed_usd: Decimal
    spent_usd: Decimal
    # Amounts left out of the totals: their currency has no rate for their month.
    missing: list[MissingRate] = field(default_factory=list)

    @property
    def unconverted(self) -> list[str]:
        """The currency-months without a rate, as "EUR 2026-11"."""
        return [m.label for m in self.missing]

    @property
    def burn_rate(self) -> float | None:
        return float(self.spent_usd / self.committed_usd) if self.committed_usd else None

    def by_source(self) -> dict[str, dict[str, Decimal]]:
        out: dict[str, dict[str, Decimal]] = {}
        for row in self.rows:
            entry = out.setdefault(str(row.source), {"committed_usd": Decimal(0), "spent_usd": Decimal(0)})
            entry["committed_usd"] += row.committed_usd
            entry["spent_usd"] += row.spent_usd
        return out


# Spending by (allocation, currency, first day of the month) -> amount (numeric, 2 decimals).
Sums = dict[tuple[int, str, date], Decimal]


def restricts_deployments(filt: MapFilter) -> bool:
    """Whether the filter leaves some deployments out (else all of them are in scope)."""
    return bool(filt.capacity or filt.mission or filt.region or filt.country or filt.skill or filt.gender
                or filt.kind or filt.marker or filt.bbox or filt.area)


def deployment_spend(session: Session, filt: MapFilter) -> tuple[Sums, Sums]:
    """The period's spending on deployments: (on the deployments in scope, on all deployments). The second is {}
    unless the filter restricts the deployments; unrestricted and with no source, the first is every spending on a
    deployment (cancelled ones included: no join to 100,000 deployments)."""
    in_period = Expenditure.spent_on.between(filt.start, filt.end)
    by_allocation = (Expenditure.allocation_id, Expenditure.currency,
                     cast(func.date_trunc("month", Expenditure.spent_on), Date))

    def sums(stmt: Any) -> Sums:
        return {(a, c, m): Decimal(v or 0) for a, c, m, v in session.execute(stmt.group_by(*by_allocation))}

    restricted = restricts_deployments(filt)
    every = select(*by_allocation, func.sum(Expenditure.amount)).where(in_period,
                                                                       Expenditure.deployment_id.is_not(None))
    if not (restricted or filt.source):
        return sums(every), {}
    scoped = sums(deployments_in_scope(filt, *by_allocation, func.sum(Expenditure.amount), when="any", lean=True)
                  .join(Expenditure, Expenditure.deployment_id == Deployment.id).where(in_period))
    return scoped, (sums(every) if restricted else {})


def funding_summary(session: Session, filt: MapFilter, rates: RateBook | None = None,
                    locale: str = "en",
                    deployment_spend_: Callable[[Session, MapFilter], tuple[Sums, Sums]] = deployment_spend,
                    ) -> FundingSummary:
    """A few grouped queries by allocation and month (there are tens of allocations, not thousands), combined
    here: a subquery of the deployments in scope tested per expenditure cost seconds at 100,000 deployments.
    ``rates``: the exchange_rate table unless given; ``deployment_spend_``: deployment_spend's answer, from
    PostgreSQL unless given (the columnar copy's)."""
    book = load_rates(session) if rates is None else RateBook(dict(rates.rates))
    in_period = Expenditure.spent_on.between(filt.start, filt.end)
    by_allocation = (Expenditure.allocation_id, Expenditure.currency,
                     cast(func.date_trunc("month", Expenditure.spent_on), Date))
    restricted = restricts_deployments(filt)
    scoped_deployment_spend, all_deployment_spend = deployment_spend_(session, filt)
    # The projects in scope as a subquery of both statements below (one round trip fewer than reading their ids).
    in_scope = Allocation.project_id.in_(select(Project.id).where(*project_conditions(filt, running=False)))
    project_spend = {(a, c, m): Decimal(v or 0) for a, c, m, v in session.execute(
        select(*by_allocation, func.sum(Expenditure.amount))
        .join(Allocation, Allocation.id == Expenditure.allocation_id)
        .where(in_period, Expenditure.deployment_id.is_(None), in_scope)
        .group_by(*by_allocation))}
    # Each allocation's entries, gathered once: tens of allocations times a thousand entries, scanned per
    # allocation, cost tens of milliseconds in Python.
    spent_of = _by_allocation(scoped_deployment_spend, project_spend)
    mine_of = _by_allocation(scoped_deployment_spend)
    drawn_of = _by_allocation(all_deployment_spend)

    grant_running = day_range(Grant.start_date, Grant.end_date).bool_op("&&")(period_of(filt))
    allocations = session.execute(
        select(Allocation.id, Allocation.project_id, Allocation.amount, Allocation.currency, Allocation.allocated_on,
               func.coalesce(localized_column(Donor, locale), REGULAR_BUDGET), Fund.fund_type, grant_running,
               func.coalesce(in_scope, False))
        .join(Grant, Grant.id == Allocation.grant_id).join(Fund, Fund.id == Grant.fund_id)
        .outerjoin(Donor, Donor.id == Grant.donor_id)
    ).all()

    usd = book.usd_or_zero
    table: dict[tuple[str, FundType], list[Decimal]] = {}
    for alloc_id, project_id, amount, currency, allocated_on, donor, fund_type, running, project_shown in allocations:
        source = FundType(fund_type)
        if filt.source and source not in filt.source:
            continue
        spent = sum((usd(v, c, m) for c, m, v in spent_of.get(alloc_id, ())), Decimal(0))
        committed = Decimal(0)
        if running and project_id is not None and project_shown:
            committed = usd(amount, currency, allocated_on)
        elif running and project_id is None:
            share = Decimal(1)
            if restricted:
                drawn = sum((v for _c, _m, v in drawn_of.get(alloc_id, ())), Decimal(0))
                mine = sum((v for _c, _m, v in mine_of.get(alloc_id, ())), Decimal(0))
                share = mine / drawn if drawn else Decimal(0)
            committed = usd(amount, currency, allocated_on) * share
        entry = table.setdefault((donor, source), [Decimal(0), Decimal(0)])
        entry[0] += committed
        entry[1] += spent
    cents = Decimal("0.01")
    result = [
        FundingRow(name, source, committed.quantize(cents), spent.quantize(cents))
        for (name, source), (committed, spent) in table.items()
        if committed or spent
    ]
    # Regular budget first, then donors by what they committed.
    result.sort(key=lambda r: (r.source != FundType.REGULAR, -r.committed_usd, r.donor))
    return FundingSummary(
        rows=result,
        committed_usd=sum((r.committed_usd for r in result), Decimal(0)),
        spent_usd=sum((r.spent_usd for r in result), Decimal(0)),
        missing=book.missing_rates(),
    )


def _by_allocation(*sums: Sums) -> dict[int, list[tuple[str, date, Decimal]]]:
    out: dict[int, list[tuple[str, date, Decimal]]] = {}
    for table in sums:
        for (allocation, currency, month), value in table.items():
            out.setdefault(allocation, []).append((currency, month, value))
    return out
