"""A surge request's field rules, written once: the page's form, the API's schema and the service read them.

``validate(data)`` checks a request as it comes in (values may still be text, as a form sends them) and
returns every problem as ``Problem(field, code, params)``: the field in the API's names (``skills.1.weight``
for the second skill's weight), a stable code, and the numbers the message needs. The service raises them
all at once (``RequestProblems``); each edge puts them into words in its language (``message``) and shows
them at their field: the page under the field, the API as problem+json ``errors``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.enums import LanguageLevel, Priority
from services.records.fields import Date, Integer, Text, as_date
from services.records.problems import MESSAGES, N_, Problem, Problems, message, ngettext, register_messages
from services.records.rulebook import RuleBook


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float
    low_inclusive: bool = True

    def contains(self, value: float) -> bool:
        above = value >= self.low if self.low_inclusive else value > self.low
        return above and value <= self.high


@dataclass(frozen=True)
class RequestRules:
    """The limits of a request's fields (the database's check constraints say the same)."""

    title_max: int = 250
    gender_considerations_max: int = 2000
    notes_max: int = 4000
    duration: Bounds = Bounds(1, 730)  # days
    experts: Bounds = Bounds(1, 50)
    weight: Bounds = Bounds(0, 10, low_inclusive=False)  # a skill's weight: above 0, at most 10
    level: Bounds = Bounds(1, 5)  # a skill's minimum level


RULES = RequestRules()


class RequestProblems(Problems):
    """The request is refused for these problems (every one, not the first). ``str()`` is English."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems, "The request cannot be recorded:")


# The request's own wording; the common codes (required, not_a_date, range …) are services.records.problems'.
register_messages({
    "past": N_("The start cannot be in the past."),
    "before_received": N_("The start cannot be before the day the request was received (%(received)s)."),
    "future": N_("The day received cannot be in the future."),
    "not_of_mission": N_("This place is not a site of the requesting mission."),
    ("experts_requested", "range"): ngettext("At least %(min)d expert, at most %(max)d.",
                                             "At least %(min)d experts, at most %(max)d.", "min"),
    ("duration_days", "range"): ngettext("At least %(min)d day, at most %(max)d.",
                                         "At least %(min)d days, at most %(max)d.", "min"),
    ("weight", "range"): N_("Above %(min)s and at most %(max)s."),
    ("min_level", "range"): N_("A level from %(min)d to %(max)d."),
})


# --- checking ----------------------------------------------------------------------------------------------
def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any, whole: bool) -> float | None:
    """The value as a number (None when it is not one); a whole number must have no fraction."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if whole and not number.is_integer():
        return None
    return number


def _bounded(problems: list[Problem], name: str, value: Any, bounds: Bounds, *, whole: bool,
             required: bool = True) -> None:
    if _blank(value):
        if required:
            problems.append(Problem(name, "required"))
        return
    number = _number(value, whole)
    if number is None:
        problems.append(Problem(name, "not_a_number"))
    elif not bounds.contains(number):
        low, high = (int(bounds.low), int(bounds.high)) if whole else (f"{bounds.low:g}", f"{bounds.high:g}")
        problems.append(Problem(name, "range", {"min": low, "max": high}))


def _duplicates(problems: list[Problem], name: str, codes: Sequence[Any]) -> None:
    seen: set[Any] = set()
    for k, code in enumerate(codes):
        if code in seen:
            problems.append(Problem(f"{name}.{k}", "duplicate"))
        seen.add(code)


def validate(data: Mapping[str, Any], today: date, rules: RequestRules = RULES) -> list[Problem]:
    """Every problem of a request's fields that needs no database (unknown codes are the service's)."""
    problems: list[Problem] = []
    if _blank(data.get("mission")):
        problems.append(Problem("mission", "required"))
    title = data.get("title")
    if _blank(title):
        problems.append(Problem("title", "required"))
    elif len(str(title).strip()) > rules.title_max:
        problems.append(Problem("title", "too_long", {"max": rules.title_max}))
    for name, limit in (("gender_considerations", rules.gender_considerations_max), ("notes", rules.notes_max)):
        if not _blank(data.get(name)) and len(str(data[name])) > limit:
            problems.append(Problem(name, "too_long", {"max": limit}))
    _bounded(problems, "duration_days", data.get("duration_days"), rules.duration, whole=True)
    _bounded(problems, "experts_requested", data.get("experts_requested"), rules.experts, whole=True)
    received = today
    if not _blank(data.get("received_on")):
        received_on = as_date(data["received_on"])
        if received_on is None:
            problems.append(Problem("received_on", "not_a_date"))
        elif received_on > today:
            problems.append(Problem("received_on", "future"))
        else:
            received = received_on
    start = data.get("wanted_start")
    if _blank(start):
        problems.append(Problem("wanted_start", "required"))
    elif (wanted := as_date(start)) is None:
        problems.append(Problem("wanted_start", "not_a_date"))
    elif wanted < received:
        problems.append(Problem("wanted_start", "past") if received == today
                        else Problem("wanted_start", "before_received", {"received": received.isoformat()}))
    priorities = [p.value for p in Priority]
    if data.get("priority") not in priorities:
        problems.append(Problem("priority", "one_of", {"choices": ", ".join(priorities)}))
    skills = list(data.get("skills") or ())
    for k, skill in enumerate(skills):
        _bounded(problems, f"skills.{k}.weight", skill.get("weight"), rules.weight, whole=False)
        _bounded(problems, f"skills.{k}.min_level", skill.get("min_level"), rules.level, whole=True)
    _duplicates(problems, "skills", [s.get("code") for s in skills])
    languages = list(data.get("languages") or ())
    levels = [v.value for v in LanguageLevel]
    for k, lang in enumerate(languages):
        if lang.get("min_level") not in levels:
            problems.append(Problem(f"languages.{k}.min_level", "one_of", {"choices": ", ".join(levels)}))
    _duplicates(problems, "languages", [lang.get("code") for lang in languages])
    _duplicates(problems, "clearances", list(data.get("clearances") or ()))
    return problems


# The page's amendment form: its fields' labels and limits, from the same rules (``validate`` checks them, in
# ``services.surge.amendments.amend_request``; this book gives the form its labels and the controls their bounds).
AMEND_FORM = RuleBook("surge_amendment", [
    Text("title", N_("Title"), required=True, max_length=RULES.title_max),
    Date("wanted_start", N_("Wanted start"), required=True),
    Integer("duration_days", N_("Duration (days)"), required=True, low=int(RULES.duration.low),
            high=int(RULES.duration.high)),
    Integer("experts_requested", N_("Experts requested"), required=True, low=int(RULES.experts.low),
            high=int(RULES.experts.high)),
    Text("skills", N_("Skills"), help=N_("A skill added is required at level 1 or more, weight 1; the others keep "
                                         "theirs.")),
    Text("clearances", N_("Required clearances")),
    Text("note", N_("Why it changed (the mission's cable, an e-mail …)"), max_length=2000),
])

__all__ = ["AMEND_FORM", "MESSAGES", "RULES", "Bounds", "Problem", "RequestProblems", "RequestRules", "as_date",
           "message", "validate"]
