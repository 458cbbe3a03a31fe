"""Numbers, money and dates for a language, by Babel (CLDR): "7,9 jours", "1 234 567 $US", "30 nov. 2026".

One module for the pages, the components and the briefing packs, so that a figure reads the same everywhere.
Each function takes the locale code ("en", "fr") explicitly: services have no request to ask.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_currency, format_decimal, format_percent

Number = int | float | Decimal
MISSING = "–"

__all__ = ["MISSING", "day", "decimal", "integer", "language_name", "money", "month", "number", "percent",
           "timestamp"]


def _babel(locale: str | None) -> Locale:
    return Locale.parse(locale or "en")


def integer(value: Number | None, locale: str | None) -> str:
    """A count with the locale's grouping: 12,345 in English, 12 345 in French."""
    return MISSING if value is None else format_decimal(round(value), format="#,##0", locale=_babel(locale))


def decimal(value: Number | None, locale: str | None, digits: int = 1) -> str:
    """A figure with exactly ``digits`` decimals in the locale's separator: 7.9 / 7,9."""
    if value is None:
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_babel(locale), decimal_quantization=True)


def number(value: Number | None, locale: str | None) -> str:
    """A figure with as many decimals as it has, up to three: 0.96 / 0,96; 3 / 3."""
    return MISSING if value is None else format_decimal(value, locale=_babel(locale))


def percent(share: Number | None, locale: str | None, digits: int = 0) -> str:
    """A share of 1 as a percentage: 42% / 42 % (``digits`` decimals: 99.6% is not 100%)."""
    if share is None:
        return MISSING
    babel_locale = _babel(locale)
    pattern = None
    if digits:  # the locale's own pattern (its spacing before %), with decimals
        pattern = babel_locale.percent_formats[None].pattern.replace("0", "0." + "0" * digits, 1)
    return format_percent(share, format=pattern, locale=babel_locale)


def money(amount: Number | None, locale: str | None, currency: str = "USD") -> str:
    """An amount with its currency and no cents: $1,234,567 / 1 234 567 $US."""
    if amount is None:
        return MISSING
    babel_locale = _babel(locale)
    whole = babel_locale.currency_formats["standard"].pattern.replace(".00", "")  # the locale's pattern, no cents
    return format_currency(amount, currency, format=whole, locale=babel_locale, currency_digits=False)


def day(value: date | None, locale: str | None, width: str = "medium") -> str:
    """A date: Nov 30, 2026 / 30 nov. 2026 (medium); 11/30/26 / 30/11/2026 (short); long spells the month."""
    return MISSING if value is None else format_date(value, format=width, locale=_babel(locale))


def month(value: date, locale: str | None) -> str:
    """A month and year: Nov 2026 / nov. 2026."""
    return format_skeleton("yMMM", value, locale=_babel(locale))


def timestamp(value: datetime | None, locale: str | None) -> str:
    """A date and time to the minute: Nov 30, 2026, 14:05 / 30 nov. 2026, 14:05."""
    if value is None:
        return MISSING
    return format_datetime(value, format=f"{_babel(locale).date_formats['medium'].pattern} HH:mm",
                           locale=_babel(locale))


def language_name(code: str, locale: str | None, fallback: str | None = None) -> str:
    """A language's name in ``locale`` from CLDR (arabe, swahili), else ``fallback``, else the code."""
    return _babel(locale).languages.get(code) or fallback or code
