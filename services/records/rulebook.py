"""A record's rule book: its fields and the checks across them, read by every edge.

The form shows each problem at its field, the API returns them as problem+json ``errors`` (and documents the
fields from ``marshmallow_schema``), the spreadsheet import marks each bad cell, and the service raises them:
one place says what a valid record is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from marshmallow import RAISE, Schema
from marshmallow import fields as mfields

from services.records.fields import Field
from services.records.problems import Problem, Problems

Check = Callable[[dict[str, Any]], list[Problem]]


@dataclass(frozen=True)
class RuleBook:
    name: str
    fields: Sequence[Field]
    checks: Sequence[Check] = field(default_factory=tuple)

    @cached_property
    def fields_by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def validate(self, data: Mapping[str, Any], *, partial: bool = False) -> tuple[dict[str, Any], list[Problem]]:
        """The cleaned values and every problem. ``partial``: only the fields present (a PATCH); the checks
        across fields then see only those, and skip what is missing."""
        clean: dict[str, Any] = {}
        problems: list[Problem] = []
        for f in self.fields:
            if partial and f.name not in data:
                continue
            value, found = f.check(data.get(f.name))
            problems += found
            if not found:
                clean[f.name] = value
        failed = {p.field.split(".", 1)[0] for p in problems}
        for check in self.checks:
            # A check across fields speaks only of fields that are themselves valid: no second message on a
            # date that is already "not a date".
            problems += [p for p in check(clean) if p.field.split(".", 1)[0] not in failed]
        return clean, problems

    def clean(self, data: Mapping[str, Any], *, partial: bool = False,
              lead: str = "The record cannot be saved:") -> dict[str, Any]:
        values, problems = self.validate(data, partial=partial)
        if problems:
            raise Problems(problems, lead)
        return values

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": {f.name: f.schema() for f in self.fields},
                "required": [f.name for f in self.fields if f.required]}

    def marshmallow_schema(self, name: str, *, extra: Mapping[str, mfields.Field[Any]] | None = None,
                           exclude: Iterable[str] = ()) -> type[Schema]:
        """A schema for the API's body that documents the fields (types, limits, choices) and loads them as
        they come, so that the rule book, not marshmallow, says what is wrong (one shape of ``errors``).
        Unknown keys are refused (a misspelt field is not silently dropped)."""
        skip = set(exclude)
        attrs: dict[str, Any] = {
            f.name: mfields.Raw(required=False, allow_none=True, metadata=f.schema())
            for f in self.fields if f.name not in skip
        }
        attrs.update(extra or {})
        attrs["Meta"] = type("Meta", (), {"unknown": RAISE})
        return type(name, (Schema,), attrs)


# --- checks across fields ---------------------------------------------------------------------------------
def date_order(first: str, second: str, *, strict: bool = False) -> Check:
    """``second`` is not before ``first`` (strict: after it); the problem is at ``second``."""

    def check(values: dict[str, Any]) -> list[Problem]:
        a, b = values.get(first), values.get(second)
        if a is None or b is None:
            return []
        if b < a or (strict and b == a):
            return [Problem(second, "date_order", {"other": first})]
        return []

    return check


def required_with(name: str, *, when: str, equals: Any) -> Check:
    """``name`` is required when ``when`` equals ``equals`` (e.g. the actual end of a completed deployment)."""

    def check(values: dict[str, Any]) -> list[Problem]:
        if values.get(when) == equals and values.get(name) is None:
            return [Problem(name, "required")]
        return []

    return check


__all__ = ["Check", "RuleBook", "date_order", "required_with"]
