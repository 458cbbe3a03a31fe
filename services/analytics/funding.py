"""Funding in scope: committed and spent, by source (regular budget or extra-budgetary) and donor, in USD.

- Spent: expenditures dated in the period, on deployments in scope or on projects in scope.
- Committed: allocations of grants running in the period, to projects in scope; and the allocations that pay
  deployments (no project), pro-rated by the share of their spending in the period that went to deployments
  in scope, so a region's committed money is the part of each envelope it actually draws on.
- Money is numeric in the database and Decimal here; amounts in other currencies are converted with the
  configured rates (settings.usd_rates). A currency without a rate is left out and named in ``unconverted``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Allocation, Deployment, Donor, Expenditure, Fund, Grant, Project
from models.enums import FundType
from services.analytics.filters import MapFilter
from services.analytics.scope import day_range, deployments_in_scope, period_of, project_conditions
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
    unconverted: list[str] = field(default_factory=list)

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


def _restricts_deployments(filt: MapFilter) -> bool:
    return bool(filt.capacity or filt.mission or filt.region or filt.country or filt.skill or filt.gender
                or filt.kind or filt.marker or filt.bbox or filt.area)


def funding_summary(session: Session, filt: MapFilter, rates: Mapping[str, Decimal], locale: str = "en",
                    spend_of_deployments: Callable[[MapFilter, bool], dict[tuple[int, str], Decimal]] | None = None
                    ) -> FundingSummary:
    """A few grouped queries by allocation (there are tens of allocations, not thousands), combined here:
    a subquery of the deployments in scope tested per expenditure cost seconds at 100,000 deployments.
    ``spend_of_deployments(filt, scoped)``: the columnar copy's sums of the period's spending on the deployments in
    scope (``scoped``) or on all deployments, by (allocation, currency), instead of PostgreSQL's."""
    in_period = Expenditure.spent_on.between(filt.start, filt.end)
    by_allocation = (Expenditure.allocation_id, Expenditure.currency)

    def sums(stmt: Any) -> dict[tuple[int, str], Decimal]:
        return {(a, c): Decimal(v or 0) for a, c, v in session.execute(stmt.group_by(*by_allocation))}

    restricted = _restricts_deployments(filt)
    copy = spend_of_deployments
    all_deployments = select(*by_allocation, func.sum(Expenditure.amount)).where(
        in_period, Expenditure.deployment_id.is_not(None))
    if restricted or filt.source:
        scoped_deployment_spend = copy(filt, True) if copy else sums(
            deployments_in_scope(filt, *by_allocation, func.sum(Expenditure.amount), when="any", lean=True)
            .join(Expenditure, Expenditure.deployment_id == Deployment.id).where(in_period))
    else:
        # Unrestricted, every deployment is in scope: no need to join 100,000 of them to their expenditures.
        scoped_deployment_spend = copy(filt, False) if copy else sums(all_deployments)
    project_ids = set(session.scalars(select(Project.id).where(*project_conditions(filt, running=False))))
    project_spend = sums(
        select(*by_allocation, func.sum(Expenditure.amount))
        .join(Allocation, Allocation.id == Expenditure.allocation_id)
        .where(in_period, Expenditure.deployment_id.is_(None), Allocation.project_id.in_(project_ids)))
    all_deployment_spend = (copy(filt, False) if copy else sums(all_deployments)) if restricted else {}

    grant_running = day_range(Grant.start_date, Grant.end_date).bool_op("&&")(period_of(filt))
    allocations = session.execute(
        select(Allocation.id, Allocation.project_id, Allocation.amount, Allocation.currency,
               func.coalesce(localized_column(Donor, locale), REGULAR_BUDGET), Fund.fund_type, grant_running)
        .join(Grant, Grant.id == Allocation.grant_id).join(Fund, Fund.id == Grant.fund_id)
        .outerjoin(Donor, Donor.id == Grant.donor_id)
    ).all()

    unconverted: set[str] = set()

    def usd(amount: Decimal, currency: str) -> Decimal:
        if currency not in rates:
            unconverted.add(currency)
            return Decimal(0)
        return amount * Decimal(rates[currency])

    table: dict[tuple[str, FundType], list[Decimal]] = {}
    for alloc_id, project_id, amount, currency, donor, fund_type, running in allocations:
        source = FundType(fund_type)
        if filt.source and source not in filt.source:
            continue
        spent = sum((usd(v, c) for (a, c), v in (*scoped_deployment_spend.items(), *project_spend.items())
                     if a == alloc_id), Decimal(0))
        committed = Decimal(0)
        if running and project_id is not None and project_id in project_ids:
            committed = usd(amount, currency)
        elif running and project_id is None:
            share = Decimal(1)
            if restricted:
                drawn = sum((v for (a, _c), v in all_deployment_spend.items() if a == alloc_id), Decimal(0))
                mine = sum((v for (a, _c), v in scoped_deployment_spend.items() if a == alloc_id), Decimal(0))
                share = mine / drawn if drawn else Decimal(0)
            committed = usd(amount, currency) * share
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
        unconverted=sorted(unconverted),
    )
