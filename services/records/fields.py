"""A record's fields and their rules, declared once.

Each field checks one incoming value, as a form, an API body or a spreadsheet cell gives it (text, a number,
a date or None), and returns the cleaned value with its problems: text stripped and '' read as None, numbers
parsed (money as ``decimal.Decimal``, never float), dates parsed from ISO ``YYYY-MM-DD``. The same objects
describe the field to the API's schema (``RuleBook.marshmallow_schema``) and to the import's template.
"""

from __future__ import annotations

import decimal
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar

from services.records.problems import Problem


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # N_-marked; the edges translate it
    required: bool = False
    help: str | None = None  # N_-marked; shown under the field and in the API's description

    kind: ClassVar[str] = "string"  # the OpenAPI type

    def check(self, value: Any) -> tuple[Any, list[Problem]]:
        if blank(value):
            return None, [Problem(self.name, "required")] if self.required else []
        return self.convert(value)

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        return value, []

    def schema(self) -> dict[str, Any]:
        """The field's properties for the OpenAPI document."""
        out: dict[str, Any] = {"type": self.kind}
        if self.help:
            out["description"] = self.help
        return out

    def problem(self, code: str, **params: Any) -> tuple[Any, list[Problem]]:
        return None, [Problem(self.name, code, params)]


@dataclass(frozen=True)
class Text(Field):
    max_length: int = 4000
    min_length: int = 0

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        if not isinstance(value, str | int | float | decimal.Decimal) or isinstance(value, bool):
            return self.problem("invalid")
        text = str(value).strip()
        if len(text) > self.max_length:
            return self.problem("too_long", max=self.max_length)
        if len(text) < self.min_length:
            return self.problem("too_short", min=self.min_length)
        return text, []

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "maxLength": self.max_length}


@dataclass(frozen=True)
class Code(Text):
    """A reference code the service looks up (a skill, a mission, a grant reference): upper-cased."""

    max_length: int = 20

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        text, problems = super().convert(value)
        return (text.upper() if text is not None else None), problems


CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Currency(Code):
    """An ISO 4217 code, upper-cased (the hub keeps no list: a rate of exchange is what makes one usable)."""

    max_length: int = 3

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        code, problems = super().convert(value)
        if problems:
            return None, problems
        return (code, []) if CURRENCY.fullmatch(code or "") else self.problem("not_currency")


def _number(value: Any) -> decimal.Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)  # 0.1 stays 0.1, not the binary fraction's 55 digits
    try:
        number = decimal.Decimal(str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", ""))
    except (decimal.InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True)
class _Bounded(Field):
    low: float | int | str | None = None
    high: float | int | str | None = None
    low_inclusive: bool = True

    def bounds_problem(self, number: decimal.Decimal) -> list[Problem]:
        low = None if self.low is None else decimal.Decimal(str(self.low))
        high = None if self.high is None else decimal.Decimal(str(self.high))
        too_low = low is not None and (number < low if self.low_inclusive else number <= low)
        too_high = high is not None and number > high
        if not (too_low or too_high):
            return []
        if low is not None and high is not None:
            return [Problem(self.name, "range", {"min": _show(low), "max": _show(high)})]
        if too_low and low is not None:
            return [Problem(self.name, "at_least" if self.low_inclusive else "above", {"min": _show(low)})]
        assert high is not None
        return [Problem(self.name, "at_most", {"max": _show(high)})]

    def schema(self) -> dict[str, Any]:
        out = super().schema()
        if self.low is not None:
            out["minimum"] = float(self.low)
            if not self.low_inclusive:
                out["exclusiveMinimum"] = True  # OpenAPI 3.0's boolean form, as flask-smorest writes 3.0
        if self.high is not None:
            out["maximum"] = float(self.high)
        return out


def _show(number: decimal.Decimal) -> int | str:
    """A bound as a message shows it: whole numbers as int (for %(min)d), others as their exact text."""
    return int(number) if number == number.to_integral_value() else str(number)


@dataclass(frozen=True)
class Integer(_Bounded):
    kind: ClassVar[str] = "integer"

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        number = _number(value)
        if number is None:
            return self.problem("not_a_number")
        if number != number.to_integral_value():
            return self.problem("not_whole")
        return (None, problems) if (problems := self.bounds_problem(number)) else (int(number), [])


@dataclass(frozen=True)
class Decimal(_Bounded):
    """Exact decimals (money in its own currency): never a float on the way."""

    places: int = 2
    kind: ClassVar[str] = "string"  # sent as text so no client rounds it through a float

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        number = _number(value)
        if number is None:
            return self.problem("not_a_number")
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.places:
            return self.problem("places", places=self.places)
        return (None, problems) if (problems := self.bounds_problem(number)) else (number, [])

    def schema(self) -> dict[str, Any]:
        out = super().schema()
        out["format"] = "decimal"
        out["pattern"] = rf"^-?\d+(\.\d{{1,{self.places}}})?$"
        for key in ("minimum", "maximum", "exclusiveMinimum"):  # bounds of a number, not of a string
            out.pop(key, None)
        return out


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class Date(Field):
    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        day = as_date(value)
        return (day, []) if day is not None else self.problem("not_a_date")

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "format": "date"}


@dataclass(frozen=True)
class Choice(Field):
    choices: Sequence[str] | type[enum.Enum] = ()

    def values(self) -> list[str]:
        if isinstance(self.choices, type) and issubclass(self.choices, enum.Enum):
            return [str(member.value) for member in self.choices]
        return [str(c) for c in self.choices]

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        text = str(value.value if isinstance(value, enum.Enum) else value).strip()
        values = self.values()
        if text in values:
            return text, []
        folded = {v.casefold(): v for v in values}  # a spreadsheet's "Surge" for "surge"
        if text.casefold() in folded:
            return folded[text.casefold()], []
        return self.problem("one_of", choices=", ".join(values))

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "enum": self.values()}


TRUE = {"true", "yes", "y", "1", "oui", "o", "vrai", "x"}
FALSE = {"false", "no", "n", "0", "non", "faux"}


@dataclass(frozen=True)
class Boolean(Field):
    kind: ClassVar[str] = "boolean"

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        if isinstance(value, bool):
            return value, []
        text = str(value).strip().casefold()
        if text in TRUE:
            return True, []
        if text in FALSE:
            return False, []
        return self.problem("not_bool")


@cache
def iso639_1() -> frozenset[str]:
    """ISO 639-1 codes: the two-letter language codes of the CLDR (Babel's data), the list the UN uses."""
    from babel import Locale

    return frozenset(str(code) for code in Locale("en").languages if len(str(code)) == 2 and str(code).isalpha())


@cache
def iso639() -> frozenset[str]:
    """ISO 639 codes the CLDR knows: the two-letter ones and the three-letter ones of languages without one."""
    from babel import Locale

    return frozenset(str(c) for c in Locale("en").languages if 2 <= len(str(c)) <= 3 and str(c).isalpha())


@dataclass(frozen=True)
class LanguageCode(Field):
    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        code = str(value).strip().lower()
        return (code, []) if code in iso639_1() else self.problem("not_iso639")

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "pattern": "^[a-z]{2}$"}


@dataclass(frozen=True)
class CountryCode(Field):
    """ISO 3166-1 alpha-3; whether the country is known is the service's question (the countries table)."""

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        code = str(value).strip().upper()
        return (code, []) if re.fullmatch(r"[A-Z]{3}", code) else self.problem("not_iso3166")

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "pattern": "^[A-Z]{3}$"}


# Deliberately loose (one @, a dot in the domain, no spaces): deliverability is the mail server's business.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Email(Field):
    max_length: int = 254

    def convert(self, value: Any) -> tuple[Any, list[Problem]]:
        text = str(value).strip()
        if len(text) > self.max_length:
            return self.problem("too_long", max=self.max_length)
        return (text.lower(), []) if EMAIL.fullmatch(text) else self.problem("not_email")

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "format": "email", "maxLength": self.max_length}


@dataclass(frozen=True)
class Rows(Field):
    """A list of sub-records (an expert's languages): each row checked by its own rule book; problems are
    named ``<name>.<index>.<field>``. ``key`` names the field that must not repeat across rows."""

    book: Any = None  # a RuleBook (typed Any to avoid the import cycle with rulebook.py)
    key: str | None = None
    max_rows: int = 200
    kind: ClassVar[str] = "array"

    def check(self, value: Any) -> tuple[Any, list[Problem]]:
        if value is None:
            return [], [Problem(self.name, "required")] if self.required else []
        if not isinstance(value, list | tuple):
            return self.problem("invalid")
        if len(value) > self.max_rows:
            return self.problem("at_most", max=self.max_rows)
        rows: list[dict[str, Any]] = []
        problems: list[Problem] = []
        seen: set[Any] = set()
        for k, row in enumerate(value):
            if not isinstance(row, dict):
                problems.append(Problem(f"{self.name}.{k}", "invalid"))
                continue
            clean, found = self.book.validate(row)
            problems += [Problem(f"{self.name}.{k}.{p.field}", p.code, p.params) for p in found]
            if self.key and clean.get(self.key) is not None:
                if clean[self.key] in seen:
                    problems.append(Problem(f"{self.name}.{k}.{self.key}", "duplicate"))
                seen.add(clean[self.key])
            rows.append(clean)
        return rows, problems

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "maxItems": self.max_rows, "items": self.book.json_schema()}


__all__ = ["Boolean", "Choice", "Code", "CountryCode", "Currency", "Date", "Decimal", "Email", "Field", "Integer",
           "LanguageCode", "Rows", "Text", "as_date", "blank", "iso639", "iso639_1"]
