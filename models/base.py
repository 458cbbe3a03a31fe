"""Declarative base, naming convention and shared column helpers."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import DateTime, Enum, MetaData, Numeric, String, Table, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names make Alembic migrations reproducible.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # Every model here is mapped to a Table (none to a join or a select), as SQLAlchemy's typing docs suggest
    # saying, so insert(Model.__table__) and the like type-check.
    __table__: ClassVar[Table]


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A VARCHAR with a CHECK constraint: adding a value later is a plain migration, unlike a PG ENUM."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


MONEY = Numeric(16, 2)

# Inclusive date range of a row with start_date and end_date, kept by the database.
PERIOD_SQL = "CASE WHEN end_date >= start_date THEN daterange(start_date, end_date, '[]') END"


def money_column(nullable: bool = False) -> Mapped[Decimal]:
    return mapped_column(MONEY, nullable=nullable)


def currency_column() -> Mapped[str]:
    # ISO 4217 code; USD unless stated.
    return mapped_column(String(3), nullable=False, default="USD", server_default="USD")


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class Generated:
    """Rows made by the demo generator carry is_generated = true, so they are never mistaken for real data."""

    is_generated: Mapped[bool] = mapped_column(nullable=False, default=False, server_default="false")
