"""Funding in scope: committed and spent, by source (regular budget or extra-budgetary) and donor, in USD.

- Spent: expenditures dated in the period, on deployments in scope or on projects in scope.
- Committed: allocations of grants running in the period, to projects in scope; and the allocations that pay
  deployments (no project), pro-rated by the share of their spending in the period that went to deployments
  in scope, so a region's committed money is the part of each envelope it actually draws on.
- Money is numeric in the database and Decimal here; amounts in other currencies are converted with the
  configured rates (settings.usd_rates). A currency without a rate is left out and named in ``unconverted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric, case, func, literal, select
from sqlalchemy.orm import Session

from models import Allocation, Deployment, Donor, Expenditure, Fund, Grant, Project
from models.enums import FundType
from services.analytics.filters import MapFilter
from services.analytics.scope import day_range, deployments_in_scope, period_of, project_conditions

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


def _usd(amount: ColumnElement[Any], currency: ColumnElement[Any], rates: Mapping[str, Decimal]) -> ColumnElement:
    rate = case(*((currency == code, literal(Decimal(str(r)), Numeric(12, 6))) for code, r in rates.items()),
                else_=None)
    return amount * rate


def _restricts_deployments(filt: MapFilter) -> bool:
    return bool(filt.capacity or filt.mission or filt.region or filt.country or filt.skill or filt.gender
                or filt.kind or filt.marker or filt.bbox or filt.area)


def funding_summary(session: Session, filt: MapFilter, rates: Mapping[str, Decimal]) -> FundingSummary:
    donor = func.coalesce(Donor.name, REGULAR_BUDGET).label("donor")
    scoped_deployments = deployments_in_scope(filt, Deployment.id, when="any")
    scoped_projects = select(Project.id).where(*project_conditions(filt, running=False))
    source_ok = Fund.fund_type.in_(filt.source) if filt.source else literal(True)
    in_period = Expenditure.spent_on.between(filt.start, filt.end)

    def money_from(*columns: Any) -> Any:
        return (select(*columns).select_from(Allocation)
                .join(Grant, Grant.id == Allocation.grant_id).join(Fund, Fund.id == Grant.fund_id)
                .outerjoin(Donor, Donor.id == Grant.donor_id))

    spent_usd = func.sum(_usd(Expenditure.amount, Expenditure.currency, rates))
    on_scope = (Expenditure.deployment_id.in_(scoped_deployments)
                | (Expenditure.deployment_id.is_(None) & Allocation.project_id.in_(scoped_projects)))
    spent = session.execute(
        money_from(donor, Fund.fund_type, spent_usd)
        .join(Expenditure, Expenditure.allocation_id == Allocation.id)
        .where(in_period, on_scope, source_ok)
        .group_by(donor, Fund.fund_type)
    ).all()

    grant_running = day_range(Grant.start_date, Grant.end_date).op("&&")(period_of(filt))
    committed_projects = session.execute(
        money_from(donor, Fund.fund_type, func.sum(_usd(Allocation.amount, Allocation.currency, rates)))
        .where(grant_running, Allocation.project_id.in_(scoped_projects), source_ok)
        .group_by(donor, Fund.fund_type)
    ).all()

    # Envelopes that pay deployments: pro-rate by what the scope drew from each in the period.
    envelope_share: Any = literal(1)
    if _restricts_deployments(filt):
        spent_on = (select(func.sum(Expenditure.amount)).where(Expenditure.allocation_id == Allocation.id, in_period))
        scoped_spent = spent_on.where(Expenditure.deployment_id.in_(scoped_deployments)).scalar_subquery()
        all_spent = spent_on.scalar_subquery()
        envelope_share = func.coalesce(scoped_spent / func.nullif(all_spent, 0), 0)
    committed_envelopes = session.execute(
        money_from(donor, Fund.fund_type,
                   func.sum(_usd(Allocation.amount, Allocation.currency, rates) * envelope_share))
        .where(grant_running, Allocation.project_id.is_(None), source_ok)
        .group_by(donor, Fund.fund_type)
    ).all()

    table: dict[tuple[str, FundType], list[Decimal]] = {}
    for part, rows in ((1, spent), (0, committed_projects), (0, committed_envelopes)):
        for name, source, amount in rows:
            entry = table.setdefault((name, FundType(source)), [Decimal(0), Decimal(0)])
            entry[part] += Decimal(amount or 0)
    cents = Decimal("0.01")
    result = [
        FundingRow(name, source, committed.quantize(cents), spent_.quantize(cents))
        for (name, source), (committed, spent_) in table.items()
        if committed or spent_
    ]
    # Regular budget first, then donors by what they committed.
    result.sort(key=lambda r: (r.source != FundType.REGULAR, -r.committed_usd, r.donor))
    known = set(rates)
    unconverted = sorted(
        {c for (c,) in session.execute(select(func.distinct(Grant.currency)))} - known
    )
    return FundingSummary(
        rows=result,
        committed_usd=sum((r.committed_usd for r in result), Decimal(0)),
        spent_usd=sum((r.spent_usd for r in result), Decimal(0)),
        unconverted=unconverted,
    )
