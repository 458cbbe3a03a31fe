"""Problems with a record's input: what every rule book returns and every service raises.

A problem is ``Problem(field, code, params)``: the field in the API's names (dotted for nested rows:
``languages.0.code``), a stable code, and the values its message needs. A service raises ``Problems`` with
every problem it found, never one English sentence; each edge puts them into words in its language with
``message`` (the page under the field, the API as problem+json ``errors``, an import per row and column).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from models.errors import ValidationError


def N_(message: str) -> str:
    """Marks a message for the catalogue (a pybabel keyword) without translating it: the edges translate."""
    return message


def ngettext(singular: str, plural: str, by: str) -> tuple[str, str, str]:
    """Marks a message with a plural for the catalogue (pybabel reads ngettext's first two arguments as one
    plural entry) without translating it; ``by`` names the parameter whose number chooses the form."""
    return singular, plural, by


@dataclass(frozen=True)
class Problem:
    field: str  # the API's name of the field: "experts_requested", "skills.0.min_level"
    code: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def as_tuple(self) -> tuple[str, str]:
        return self.field, self.code


class Problems(ValidationError):
    """The input is refused for these problems (every one, not the first). ``str()`` is English."""

    def __init__(self, problems: Sequence[Problem], lead: str = "The record cannot be saved:") -> None:
        self.problems = list(problems)
        super().__init__(lead + " " + " ".join(f"{p.field}: {message(p)}" for p in self.problems))


# Messages by code, or by (field, code) where a field says it better; (field, code) matches the full dotted
# name or its last part. A tuple is (singular, plural, the parameter that chooses). Each is translated at the
# edge, then %-formatted with the problem's params.
Message = str | tuple[str, str, str]
MESSAGES: dict[str | tuple[str, str], Message] = {
    "required": N_("This field is required."),
    "not_a_date": N_("Not a date: use YYYY-MM-DD, e.g. 2030-02-15."),
    "not_a_number": N_("Not a number."),
    "not_whole": N_("A whole number, please."),
    "too_long": N_("At most %(max)d characters."),
    "too_short": N_("At least %(min)d characters."),
    "range": N_("From %(min)s to %(max)s."),
    "at_least": N_("At least %(min)s."),
    "at_most": N_("At most %(max)s."),
    "above": N_("More than %(min)s."),
    "places": N_("At most %(places)d decimal places."),
    "one_of": N_("Choose one of: %(choices)s."),
    "duplicate": N_("Listed twice."),
    "unknown": N_("Unknown: %(value)s."),
    "not_iso639": N_("Not an ISO 639-1 language code (two letters, e.g. en, fr, ar)."),
    "not_iso3166": N_("Not an ISO 3166 country code (three letters, e.g. MLI, HTI)."),
    "not_email": N_("Not an e-mail address."),
    "not_bool": N_("Yes or no, please."),
    "date_order": N_("Cannot be before %(other)s."),
    "stale": N_("Someone else (%(by)s, %(at)s) changed this record since you opened it (%(fields)s): reload "
                "it and make your change again."),
    "version_required": N_("The version you read is missing: reload the record and make your change again."),
    "invalid": N_("Not a valid value."),
}


def register_messages(messages: Mapping[str | tuple[str, str], Message]) -> None:
    """A record's module adds its own codes (or field-specific wording) when it is imported. A code already
    registered with another text is a programming error: two records would show each other's words."""
    for key, text in messages.items():
        if key in MESSAGES and MESSAGES[key] != text:
            raise ValueError(f"Message {key!r} is already registered with another text")
        MESSAGES[key] = text


def _english(text: str, **params: Any) -> str:
    return text % params if params else text


def _english_plural(singular: str, plural: str, num: int, **params: Any) -> str:
    return _english(singular if num == 1 else plural, num=num, **params)


def message(problem: Problem, translate: Callable[..., str] = _english,
            translate_plural: Callable[..., str] = _english_plural) -> str:
    """The problem in words, through the caller's translation functions (flask_babel's signatures: they
    translate, then %-format with the keyword arguments); English without them."""
    last = problem.field.rsplit(".", 1)[-1]
    text = MESSAGES.get((problem.field, problem.code)) or MESSAGES.get((last, problem.code)) \
        or MESSAGES.get(problem.code, problem.code)
    params = dict(problem.params)
    if isinstance(text, tuple):
        singular, plural, by = text
        return translate_plural(singular, plural, int(params[by]), **params)
    return translate(text, **params)


__all__ = ["MESSAGES", "N_", "Message", "Problem", "Problems", "message", "ngettext", "register_messages"]
