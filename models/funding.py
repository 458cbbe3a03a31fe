"""Money, from donor to grant to project or deployment to spending. Always numeric, never float."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import MONEY, Base, Generated, Timestamped, currency_column, enum_column
from models.enums import ExpenditureCategory, FundType


class Donor(Generated, Base):
    __tablename__ = "donor"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    name_fr: Mapped[str | None] = mapped_column(String(200))
    country_iso3: Mapped[str | None] = mapped_column(ForeignKey("country.iso3"))
    kind: Mapped[str] = mapped_column(String(40), nullable=False, default="member_state")


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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
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
    psc_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4), nullable=False, default=Decimal("0.13"),
                                              server_default="0.13")

    fund: Mapped[Fund] = relationship()
    donor: Mapped[Donor | None] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(back_populates="grant")


class Allocation(Generated, Base):
    """Part of a grant set aside for a project or for deployments."""

    __tablename__ = "allocation"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant_agreement.id", ondelete="RESTRICT"), nullable=False,
                                          index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"), index=True)
    purpose: Mapped[str] = mapped_column(String(250), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = currency_column()
    allocated_on: Mapped[date] = mapped_column(Date, nullable=False)

    grant: Mapped[Grant] = relationship(back_populates="allocations")


class Expenditure(Generated, Base):
    __tablename__ = "expenditure"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
        # The operations map sums the spending of a period by allocation: an index-only scan (migration 0007).
        Index("ix_expenditure_spent_on_cover", "spent_on",
              postgresql_include=["allocation_id", "currency", "amount", "deployment_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id", ondelete="RESTRICT"), nullable=False,
                                               index=True)
    deployment_id: Mapped[int | None] = mapped_column(ForeignKey("deployment.id", ondelete="SET NULL"), index=True)
    spent_on: Mapped[date] = mapped_column(Date, nullable=False)
    # Negative amounts are refunds or corrections.
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = currency_column()
    category: Mapped[ExpenditureCategory] = mapped_column(
        enum_column(ExpenditureCategory, "expenditure_category"), nullable=False
    )
    description: Mapped[str | None] = mapped_column(Text)
