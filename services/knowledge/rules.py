"""The knowledge records' rule books (the foundation's pattern, services.records): the forms, the API schemas and
the services read the same field rules. Checks that need the database (an unknown mission, an owner who is not
a user) are the services'; they add their problems to the same list, so a refusal names every problem at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from models.enums import (
    Addressee,
    AssessmentKind,
    AssessmentMode,
    GapArea,
    Priority,
    RecommendationStatus,
)
from services.records.fields import Choice, CountryCode, Date, Decimal, Integer, Text
from services.records.problems import N_, Problem, register_messages
from services.records.rulebook import RuleBook, date_order

TITLE_MAX = 250
LONG_TEXT_MAX = 20_000
NOTE_MAX = 4_000
LINK_MAX = 500
LINKS_MAX = 10
TAG_MAX = 60
TAGS_MAX = 20
TEAM_MAX = 50

register_messages({
    "unknown_mission": N_("No mission has this acronym."),
    "unknown_user": N_("No active user has this name."),
    "unknown_record": N_("No such record."),
    "gaps_only_tna": N_("Only a technology-needs assessment keeps a gap register."),
    "not_base64": N_("The file is not base64-encoded."),
    "not_a_link": N_("Give a web address starting with http:// or https://."),
    "too_many": N_("At most %(max)d."),
    "evidence_required": N_("A recommendation is closed as implemented only with evidence: attach a file or "
                            "give a link."),
    "status_not_allowed": N_("A recommendation cannot go from “%(from)s” to “%(to)s”."),
    "one_language": N_("Give the title and text in English, in French, or in both."),
    "not_owner": N_("Only the recommendation's owner or an assessment officer may follow it up."),
    "own_review": N_("Someone other than the author reviews a lesson."),
    "lesson_step": N_("A lesson goes from draft to reviewed to published; this step is not allowed from here."),
})


def _needs(field: str, when: Callable[[Mapping[str, Any]], bool]) -> Callable[[dict[str, Any]], list[Problem]]:
    def check(data: dict[str, Any]) -> list[Problem]:
        return [Problem(field, "required")] if when(data) and data.get(field) in (None, "") else []
    return check


ASSESSMENT = RuleBook("assessment", [
    Choice("kind", N_("Kind"), choices=AssessmentKind, required=True),
    Text("title", N_("Title"), required=True, max_length=TITLE_MAX),
    Text("mission", N_("Mission"), max_length=40),
    Text("capacity", N_("Capacity"), max_length=20),
    CountryCode("contributing_country", N_("Contributing country")),
    Date("start", N_("Start"), required=True),
    Date("end", N_("End")),
    Choice("mode", N_("Mode"), choices=AssessmentMode),
    Integer("allocation_id", N_("Funding allocation"), low=1, high=2_147_483_647),
    Decimal("cost", N_("Cost (USD)"), low=0, high=10**12),
    Text("findings", N_("Findings"), max_length=LONG_TEXT_MAX),
    Text("report_ref", N_("Report reference"), max_length=TITLE_MAX),
], [date_order("start", "end")])

GAP = RuleBook("gap", [
    Choice("area", N_("Area"), choices=GapArea, required=True),
    Text("gap", N_("Gap"), required=True, max_length=NOTE_MAX),
    Choice("severity", N_("Severity"), choices=Priority, required=True),
    Decimal("estimated_cost", N_("Estimated cost (USD)"), low=0, high=10**12),
])

RECOMMENDATION = RuleBook("recommendation", [
    Text("text", N_("Recommendation"), required=True, max_length=NOTE_MAX),
    Text("category", N_("Category"), max_length=80),
    Choice("priority", N_("Priority"), choices=Priority, required=True),
    Choice("addressee", N_("Addressee"), choices=Addressee, required=True),
    Text("addressee_mission", N_("Mission addressed"), max_length=40),
    CountryCode("addressee_country", N_("Country addressed")),
    Text("addressee_unit", N_("Headquarters unit addressed"), max_length=200),
    Text("owner", N_("Owner"), max_length=80),
    Date("due_on", N_("Due")),
], [
    _needs("addressee_mission", lambda d: d.get("addressee") == Addressee.MISSION),
    _needs("addressee_country", lambda d: d.get("addressee") == Addressee.CONTRIBUTING_COUNTRY),
    _needs("addressee_unit", lambda d: d.get("addressee") == Addressee.HQ_UNIT),
])

FOLLOW_UP = RuleBook("follow_up", [
    Date("on", N_("Date")),
    Choice("status", N_("Status"), choices=RecommendationStatus, required=True),
    Text("note", N_("Note"), required=True, max_length=NOTE_MAX),
])

LESSON = RuleBook("lesson", [
    Text("title_en", N_("Title (English)"), max_length=TITLE_MAX),
    Text("body_en", N_("Text (English)"), max_length=LONG_TEXT_MAX),
    Text("title_fr", N_("Title (French)"), max_length=TITLE_MAX),
    Text("body_fr", N_("Text (French)"), max_length=LONG_TEXT_MAX),
    Text("mission", N_("Mission"), max_length=40),
    Text("capacity", N_("Capacity"), max_length=20),
    Integer("assessment_id", N_("Assessment"), low=1, high=2_147_483_647),
], [lambda d: _one_language(d)])


def _one_language(data: Mapping[str, Any]) -> list[Problem]:
    """Title and text go in pairs: one language in full at least, and no title without its text (or back)."""
    problems: list[Problem] = []
    complete = False
    for lang in ("en", "fr"):
        title, body = data.get(f"title_{lang}"), data.get(f"body_{lang}")
        if title and body:
            complete = True
        elif title or body:
            problems.append(Problem(f"body_{lang}" if title else f"title_{lang}", "required"))
    if not complete and not problems:
        problems.append(Problem("title_en", "one_language"))
    return problems


def links(values: Sequence[Any] | None, field: str = "evidence_links") -> tuple[list[str], list[Problem]]:
    """Evidence links: http(s) web addresses, each at most LINK_MAX characters, at most LINKS_MAX of them."""
    cleaned: list[str] = []
    problems: list[Problem] = []
    for k, value in enumerate(values or []):
        text = str(value or "").strip()
        if not text:
            continue
        parts = urlsplit(text) if len(text) <= LINK_MAX and text.isprintable() else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(Problem(f"{field}.{k}", "not_a_link"))
        else:
            cleaned.append(text)
    if len(cleaned) > LINKS_MAX:
        problems.append(Problem(field, "too_many", {"max": LINKS_MAX}))
    return cleaned, problems


def tags(values: Sequence[Any] | None) -> tuple[list[str], list[Problem]]:
    cleaned = list(dict.fromkeys(str(v).strip()[:TAG_MAX] for v in values or [] if str(v or "").strip()))
    return cleaned, ([Problem("tags", "too_many", {"max": TAGS_MAX})] if len(cleaned) > TAGS_MAX else [])


def ids(values: Sequence[Any] | None, field: str) -> tuple[dict[int, int], list[Problem]]:
    """Record ids (team members, linked recommendations) by their position in the list sent (problems name the
    position): whole numbers, each once, at most TEAM_MAX."""
    out: dict[int, int] = {}
    problems: list[Problem] = []
    for k, value in enumerate(values or []):
        try:
            number = int(str(value).strip())
        except ValueError:
            problems.append(Problem(f"{field}.{k}", "not_whole"))
            continue
        if not 1 <= number <= 2_147_483_647:
            problems.append(Problem(f"{field}.{k}", "unknown_record"))
        elif number not in out.values():
            out[k] = number
    if len(out) > TEAM_MAX:
        problems.append(Problem(field, "too_many", {"max": TEAM_MAX}))
    return out, problems


# Which status may follow which. A closed recommendation may be reopened (new facts), never silently changed.
OPEN_STATES = (RecommendationStatus.OPEN, RecommendationStatus.IN_PROGRESS)
NEXT_STATUS: dict[RecommendationStatus, frozenset[RecommendationStatus]] = {
    s: frozenset(RecommendationStatus) if s in OPEN_STATES else frozenset({*OPEN_STATES, s})
    for s in RecommendationStatus
}
