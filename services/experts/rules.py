"""The expert record's rule books: one per part (profile, skill, language, clearance, training, absence).

Each is read by the service (which refuses with every problem), the API (its body schema) and the pages (each
field's problem shown at the field). The field names are the API's: ``capacity`` is the capacity's code,
``nationality`` an ISO 3166-1 alpha-3 code, ``skill``/``language``/``clearance`` the reference codes.
"""

from __future__ import annotations

from typing import Any

from models.enums import ContractType, ExpertStatus, Gender, LanguageLevel, UnavailabilityKind
from services.records.fields import Choice, Code, CountryCode, Date, Email, Integer, LanguageCode, Text
from services.records.problems import N_, Problem, register_messages
from services.records.rulebook import RuleBook, date_order

register_messages({
    "unknown_skill": N_("No skill with the code %(value)s in the taxonomy."),
    "unknown_language": N_("The hub does not list the language %(value)s."),
    "unknown_clearance": N_("No clearance type with the code %(value)s."),
    "unknown_team": N_("The capacity has no team named %(value)s."),
    "taken": N_("Another expert already has this value."),
    "already_listed": N_("The expert already has this one: change it instead."),
    "separated_needs_date": N_("Give the day the expert left."),
    "date_needs_separated": N_("Only a separated expert has a separation date."),
    "absence_overlap": N_("Overlaps the absence from %(start)s to %(end)s (%(kind)s)."),
    "has_history": N_("The expert has deployments: mark them separated instead; the record is kept while "
                      "history refers to it."),
    "has_user": N_("The user %(user)s keeps this expert's own record: give that user another role first."),
    "erase_not_separated": N_("Only a separated expert's personal fields can be erased: mark them separated "
                              "first."),
    "erased": N_("This expert's personal fields were erased: the record can no longer be changed."),
    "absence_ended": N_("An absence that has ended is part of the record: ask a planner to correct it."),
})

PROFILE = RuleBook("expert", [
    Text("staff_number", N_("Staff number"), required=True, max_length=20),
    Text("given_name", N_("Given name"), required=True, max_length=100),
    Text("family_name", N_("Family name"), required=True, max_length=100),
    Choice("gender", N_("Gender"), choices=Gender, required=True),
    CountryCode("nationality", N_("Nationality")),
    Code("capacity", N_("Capacity"), required=True),
    Text("team", N_("Team"), max_length=200),
    Text("grade", N_("Grade"), max_length=10),
    Choice("contract_type", N_("Contract"), choices=ContractType, required=True),
    Text("duty_station", N_("Duty station"), max_length=120),
    Text("functional_title", N_("Functional title"), max_length=200),
    Email("email", N_("E-mail"), max_length=200),
    Date("entry_on_duty", N_("Entry on duty")),
    Choice("status", N_("Status"), choices=ExpertStatus),
    Date("separated_on", N_("Separated on")),
], checks=[date_order("entry_on_duty", "separated_on")])

SKILL = RuleBook("expert_skill", [
    Text("skill", N_("Skill"), required=True, max_length=60),
    Integer("level", N_("Level"), required=True, low=1, high=5),
])

LANGUAGE = RuleBook("expert_language", [
    LanguageCode("language", N_("Language"), required=True),
    Choice("level", N_("Overall level"), choices=LanguageLevel, required=True),
    Choice("reading", N_("Reading"), choices=LanguageLevel),
    Choice("writing", N_("Writing"), choices=LanguageLevel),
    Choice("speaking", N_("Speaking"), choices=LanguageLevel),
])

CLEARANCE = RuleBook("expert_clearance", [
    Code("clearance", N_("Clearance"), required=True, max_length=40),
    Date("obtained_on", N_("Obtained on"), required=True),
    Date("valid_until", N_("Valid until")),
], checks=[date_order("obtained_on", "valid_until")])

TRAINING = RuleBook("expert_training", [
    Text("name", N_("Training"), required=True, max_length=200),
    Text("provider", N_("Provider"), max_length=200),
    Date("completed_on", N_("Completed on"), required=True),
    Date("valid_until", N_("Valid until")),
], checks=[date_order("completed_on", "valid_until")])

ABSENCE = RuleBook("absence", [
    Choice("kind", N_("Kind"), choices=UnavailabilityKind, required=True),
    Date("start_date", N_("From"), required=True),
    Date("end_date", N_("To"), required=True),
    Text("note", N_("Note"), max_length=2000),
], checks=[date_order("start_date", "end_date")])


def separation_consistent(data: dict[str, Any]) -> list[Problem]:
    """A separated expert has the day they left, and only a separated one. Run on the record as it would be
    after the change (a PATCH may send one of the two), so it is the service's check, not the book's."""
    separated = data.get("status") == ExpertStatus.SEPARATED.value
    if separated and data.get("separated_on") is None:
        return [Problem("separated_on", "separated_needs_date")]
    if not separated and data.get("separated_on") is not None:
        return [Problem("separated_on", "date_needs_separated")]
    return []
