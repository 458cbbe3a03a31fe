"""The rule books of a project and its parts: read by the project page's forms, the API and the services."""

from __future__ import annotations

import re
from typing import Any

from models.enums import GenderMarker, MilestoneStatus, ProjectStatus, ResultLevel
from services.records import (
    N_,
    Boolean,
    Choice,
    Code,
    Currency,
    Date,
    Decimal,
    Integer,
    Problem,
    RuleBook,
    Text,
    date_order,
    register_messages,
)

UNITS = ("count", "percent")

register_messages({
    "not_sector": N_("Not a DAC purpose code (five digits, e.g. 15210)."),
    ("achieved_on", "required"): N_("An achieved milestone needs the date it was achieved."),
    "only_when_achieved": N_("Only an achieved milestone has a date achieved."),
    "needs_outcome": N_("An output sits under an outcome of the same project."),
    "outcome_has_no_parent": N_("An outcome sits at the top of the results framework."),
    "split_exceeds_value": N_("Women and men together cannot exceed the value (%(value)s)."),
    "split_by_sex": N_("This indicator counts people: give women and men."),
    "no_geometry": N_("Click the map, draw a shape or choose a feature of a layer."),
    "not_site_geometry": N_("A site is a point or an area (polygon)."),
    "invalid_geometry": N_("This shape is not valid (it crosses itself or has too few points)."),
    "project_closed": N_("This project is closed: reopen it before changing it."),
    "already_closed": N_("This project is already closed."),
})


def _pattern(name: str, pattern: str, code: str) -> Any:
    """A check that a cleaned text field matches ``pattern`` (a DAC sector code)."""
    regex = re.compile(pattern)

    def check(values: dict[str, Any]) -> list[Problem]:
        value = values.get(name)
        return [] if value is None or regex.fullmatch(str(value)) else [Problem(name, code)]

    return check


PROJECT = RuleBook("project", [
    Text(name="code", label=N_("Code"), required=True, max_length=30),
    Text(name="name", label=N_("Title (English)"), required=True, max_length=250),
    Text(name="name_fr", label=N_("Title (French)"), max_length=250),
    Text(name="description", label=N_("Description (English)"), max_length=4000),
    Text(name="description_fr", label=N_("Description (French)"), max_length=4000),
    Code(name="capacity", label=N_("Capacity"), required=True),
    Decimal(name="budget", label=N_("Budget"), required=True, low=0),
    Currency(name="currency", label=N_("Currency"), required=True),
    Date(name="start_date", label=N_("Start"), required=True),
    Date(name="end_date", label=N_("End")),
    Choice(name="status", label=N_("Status"), required=True, choices=ProjectStatus),
    Choice(name="gender_marker", label=N_("Gender marker"), required=True, choices=GenderMarker),
    Text(name="sector_code", label=N_("DAC sector"), max_length=5),
], checks=[date_order("start_date", "end_date"), _pattern("sector_code", r"[0-9]{5}", "not_sector")])

ACTIVITY = RuleBook("activity", [
    Text(name="title", label=N_("Activity"), required=True, max_length=250),
    Date(name="start_date", label=N_("Start")),
    Date(name="end_date", label=N_("End")),
], checks=[date_order("start_date", "end_date")])


def _achieved(values: dict[str, Any]) -> list[Problem]:
    status, day = values.get("status"), values.get("achieved_on")
    if status == MilestoneStatus.ACHIEVED.value and day is None:
        return [Problem("achieved_on", "required")]
    if status is not None and status != MilestoneStatus.ACHIEVED.value and day is not None:
        return [Problem("achieved_on", "only_when_achieved")]
    return []


MILESTONE = RuleBook("milestone", [
    Text(name="title", label=N_("Milestone"), required=True, max_length=250),
    Date(name="due_on", label=N_("Planned date"), required=True),
    Date(name="achieved_on", label=N_("Date achieved")),
    Choice(name="status", label=N_("Status"), required=True, choices=MilestoneStatus),
], checks=[_achieved])

RESULT = RuleBook("result", [
    Choice(name="level", label=N_("Level"), required=True, choices=ResultLevel),
    Integer(name="parent_id", label=N_("Under the outcome"), low=1),
    Text(name="statement", label=N_("Result"), required=True, max_length=2000),
    Text(name="indicator", label=N_("Indicator"), required=True, max_length=2000),
    Choice(name="unit", label=N_("Unit"), required=True, choices=UNITS),
    Decimal(name="baseline", label=N_("Baseline"), low=0),
    Decimal(name="target", label=N_("Target"), required=True, low=0),
    Boolean(name="gender_specific", label=N_("Gender-specific output")),
    Boolean(name="about_people", label=N_("Counts people (split by sex)")),
])


def _split(values: dict[str, Any]) -> list[Problem]:
    women, men, value = values.get("women"), values.get("men"), values.get("value")
    if (women is None) != (men is None):
        return [Problem("men" if men is None else "women", "required")]
    if women is not None and value is not None and women + men > value:
        return [Problem("women", "split_exceeds_value", {"value": str(value)})]
    return []


ACTUAL = RuleBook("result_actual", [
    Date(name="period_start", label=N_("Period from"), required=True),
    Date(name="period_end", label=N_("Period to"), required=True),
    Decimal(name="value", label=N_("Actual value"), required=True, low=0),
    Decimal(name="women", label=N_("Women"), low=0),
    Decimal(name="men", label=N_("Men"), low=0),
    Text(name="note", label=N_("Note"), max_length=2000),
], checks=[date_order("period_start", "period_end"), _split])

SITE = RuleBook("site", [
    Text(name="name", label=N_("Site name"), required=True, max_length=200),
])


__all__ = ["ACTIVITY", "ACTUAL", "MILESTONE", "PROJECT", "RESULT", "SITE", "UNITS"]
