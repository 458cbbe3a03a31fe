"""Cells of the files the hub hands out: the one escape of formula-looking text (CSV/XLSX injection, OWASP),
shared by the map's downloads, the briefing tables and the layer export, and the rule for money columns."""

from __future__ import annotations

from typing import Any

# Cells a spreadsheet would run as a formula: prefixed with ' so they stay text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Columns named ``*_usd`` hold money in US dollars: numbers in a file, shown with the currency.
MONEY_SUFFIXES = {"_usd": "USD"}


def escape_formula(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading '; anything else (numbers) as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def spreadsheet_safe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every text cell of the rows escaped (numbers are left alone)."""
    return [{k: escape_formula(v) for k, v in row.items()} for row in rows]


def money_currency(column: str) -> str | None:
    """The currency of a money column (by its name), or None."""
    return next((code for suffix, code in MONEY_SUFFIXES.items() if column.endswith(suffix)), None)
