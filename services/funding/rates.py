"""UN operational rates of exchange, one per currency per month, as data: every USD figure uses the rate of its
month, and an amount in a month without a rate is named, never converted with another month's rate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ExchangeRate

USD = "USD"


def month_of(day: date) -> date:
    return date(day.year, day.month, 1)


@dataclass(frozen=True)
class MissingRate:
    """An amount left out of a USD figure because its currency has no rate for its month."""

    currency: str
    month: date
    amount: Decimal

    @property
    def label(self) -> str:
        return f"{self.currency} {self.month:%Y-%m}"


@dataclass
class RateBook:
    """The rates of the months a figure needs; ``usd`` converts or records what it could not."""

    rates: dict[tuple[str, date], Decimal]
    missing: dict[tuple[str, date], Decimal] = field(default_factory=dict)

    def rate(self, currency: str, day: date) -> Decimal | None:
        if currency == USD:
            return Decimal(1)
        return self.rates.get((currency, month_of(day)))

    def usd(self, amount: Decimal, currency: str, day: date) -> Decimal | None:
        """The amount in USD at the rate of its month; None (and kept in ``missing``) when there is none."""
        rate = self.rate(currency, day)
        if rate is None:
            key = (currency, month_of(day))
            self.missing[key] = self.missing.get(key, Decimal(0)) + amount
            return None
        return amount * rate

    def usd_or_zero(self, amount: Decimal, currency: str, day: date) -> Decimal:
        value = self.usd(amount, currency, day)
        return Decimal(0) if value is None else value

    def missing_rates(self) -> list[MissingRate]:
        return [MissingRate(c, m, a) for (c, m), a in sorted(self.missing.items())]


def load_rates(session: Session, currencies: Iterable[str] | None = None) -> RateBook:
    """Every rate kept (a few currencies times the months of some years: hundreds of rows)."""
    stmt = select(ExchangeRate.currency, ExchangeRate.month, ExchangeRate.usd_per_unit)
    if currencies is not None:
        stmt = stmt.where(ExchangeRate.currency.in_(sorted(set(currencies))))
    return RateBook({(c, m): Decimal(r) for c, m, r in session.execute(stmt)})
