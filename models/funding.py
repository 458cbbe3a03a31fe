"""Money, from donor to grant to project or deployment to spending. Always numeric, never float."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import MONEY, Base, Generated, Timestamped, currency_column, enum_column
from models.enums import ExpenditureCategory, FundType, RecordStatus

# The rules between rows (allocations within a grant's net amount, spending inside the grant's period and on an
# open allocation) are constraint triggers of migration 0021; their names, as the refusals carry them:
ALLOCATION_WITHIN_GRANT = "allocation_within_grant"
EXPENDITURE_WITHIN_GRANT = "expenditure_within_grant"


class Donor(Generated, Base):
    __tablename__ = "donor"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    name_fr: Mapped[str | None] = mapped_column(String(200))
    country_iso3: Mapped[str | None] = mapped_column(ForeignKey("country.iso3"))
    kind: Mapped[str] = mapped_column(String(40), nullable=False, default="member_state")
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Fund(Base):
    __tablename__ = "fund"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    fund_type: Mapped[FundType] = mapped_column(enum_column(FundType, "fund_type"), nullable=False)


class Grant(Generated, Timestamped, Base):
    __tablename__ = "grant_agreement"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        CheckConstraint("psc_rate >= 0 AND psc_rate < 1", name="psc_rate_range"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
        CheckConstraint("num_nonnulls(earmark_capacity_id, earmark_mission_id, earmark_theme) <= 1",
                        name="one_earmark"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The agreement's reference, as the ERP extract names the grant.
    reference: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), nullable=False, index=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donor.id"), index=True)  # None: regular budget
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = currency_column()
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    earmarking: Mapped[str | None] = mapped_column(Text)
    # Programme support cost rate; 13% unless the agreement says otherwise.
    # It is charged on top of direct spending, so the grant's net amount (what may be allocated) is
    # amount / (1 + psc_rate).
    psc_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4), nullable=False, default=Decimal("0.13"),
                                              server_default="0.13")
    # Earmarking: to one capacity, one mission or one theme, or none (unearmarked).
    earmark_capacity_id: Mapped[int | None] = mapped_column(ForeignKey("capacity.id", ondelete="RESTRICT"))
    earmark_mission_id: Mapped[int | None] = mapped_column(ForeignKey("mission.id", ondelete="RESTRICT"))
    earmark_theme: Mapped[str | None] = mapped_column(String(120))
    conditions: Mapped[str | None] = mapped_column(Text)
    # The dates the donor expects a report on.
    reporting_dates: Mapped[list[date]] = mapped_column(ARRAY(Date), nullable=False, default=list,
                                                        server_default="{}")
    status: Mapped[RecordStatus] = mapped_column(enum_column(RecordStatus, "grant_status"), nullable=False,
                                                 default=RecordStatus.OPEN, server_default="open")
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    fund: Mapped[Fund] = relationship()
    donor: Mapped[Donor | None] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(back_populates="grant")


class Allocation(Generated, Base):
    """Part of a grant set aside for a project or for deployments."""

    __tablename__ = "allocation"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
        # The ERP books spending to a grant and a fund/cost centre: that pair names the allocation.
        UniqueConstraint("grant_id", "cost_centre", name="uq_allocation_grant_cost_centre"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant_agreement.id", ondelete="RESTRICT"), nullable=False,
                                          index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"), index=True)
    purpose: Mapped[str] = mapped_column(String(250), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = currency_column()
    allocated_on: Mapped[date] = mapped_column(Date, nullable=False)
    cost_centre: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[RecordStatus] = mapped_column(enum_column(RecordStatus, "allocation_status"), nullable=False,
                                                 default=RecordStatus.OPEN, server_default="open")
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    grant: Mapped[Grant] = relationship(back_populates="allocations")


class Expenditure(Generated, Base):
    __tablename__ = "expenditure"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
        # A negative amount only reverses an earlier line.
        CheckConstraint("amount >= 0 OR is_reversal", name="negative_only_reversal"),
        # The operations map sums the spending of a period by allocation: an index-only scan (migration 0007).
        Index("ix_expenditure_spent_on_cover", "spent_on",
              postgresql_include=["allocation_id", "currency", "amount", "deployment_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The ERP's document number: an import recognises a line it has already written by it.
    document_number: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id", ondelete="RESTRICT"), nullable=False,
                                               index=True)
    deployment_id: Mapped[int | None] = mapped_column(ForeignKey("deployment.id", ondelete="SET NULL"), index=True)
    spent_on: Mapped[date] = mapped_column(Date, nullable=False)
    # Negative amounts are refunds or corrections, marked as reversals.
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = currency_column()
    category: Mapped[ExpenditureCategory] = mapped_column(
        enum_column(ExpenditureCategory, "expenditure_category"), nullable=False
    )
    description: Mapped[str | None] = mapped_column(Text)
    fund_centre: Mapped[str | None] = mapped_column(String(40))
    is_reversal: Mapped[bool] = mapped_column(nullable=False, default=False, server_default="false")
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    allocation: Mapped[Allocation] = relationship()


class ExchangeRate(Base):
    """A UN operational rate of exchange: USD for one unit of a currency, for one month (its first day)."""

    __tablename__ = "exchange_rate"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
        CheckConstraint("usd_per_unit > 0", name="rate_positive"),
        CheckConstraint("extract(day FROM month) = 1", name="first_of_month"),
    )

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    usd_per_unit: Mapped[Decimal] = mapped_column(Numeric(18, 8), nullable=False)
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
