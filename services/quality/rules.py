"""The data-quality rules, each code with its dimension and a sentence (the police performance document's six
dimensions: accurate, complete, consistent, timely, unique, valid).

A rule is one query over one kind of record: every record it checks, with its mission and capacity (for the
scores by mission and by capacity) and whether it fails. So the score is exact and the failing records are the
same query filtered: the drill-down can never disagree with the score. ``day`` is the day the rules are judged
on (an expired clearance, a deployment in progress).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    cast,
    exists,
    func,
    literal,
    not_,
    null,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from models import (
    Deployment,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    Mission,
    Site,
    SurgeRequest,
    SurgeRequestStep,
)
from models.enums import DeploymentStatus, ExpertStatus
from models.geography import Country, mission_host_country
from services.records.fields import iso639
from services.records.problems import N_


class Dimension(enum.StrEnum):
    ACCURATE = "accurate"
    COMPLETE = "complete"
    CONSISTENT = "consistent"
    TIMELY = "timely"
    UNIQUE = "unique"
    VALID = "valid"


DIMENSION_LABELS = {
    # The dimensions' usual names as nouns (DAMA): "Valid" alone is already the hub's word for a valid field.
    Dimension.ACCURATE: N_("Accuracy"), Dimension.COMPLETE: N_("Completeness"), Dimension.CONSISTENT: N_("Consistency"),
    Dimension.TIMELY: N_("Timeliness"), Dimension.UNIQUE: N_("Uniqueness"), Dimension.VALID: N_("Validity"),
}


class RecordKind(enum.StrEnum):
    EXPERT = "expert"
    DEPLOYMENT = "deployment"
    SITE = "site"
    EXPERT_LANGUAGE = "expert_language"
    SURGE_STEP = "surge_request_step"


RECORD_LABELS = {RecordKind.EXPERT: N_("Experts"), RecordKind.DEPLOYMENT: N_("Deployments"),
                 RecordKind.SITE: N_("Sites"), RecordKind.EXPERT_LANGUAGE: N_("Experts' languages"),
                 RecordKind.SURGE_STEP: N_("Surge request steps")}

# Where each kind of record is fixed (the drill-down's link): {id} is the record's id, {owner} the record it
# belongs to and is edited on (an expert language's expert, a request step's request reference).
FIX_LINKS = {RecordKind.EXPERT: "/experts/{id}", RecordKind.DEPLOYMENT: "/deployments/{id}",
             RecordKind.SITE: "/layers", RecordKind.EXPERT_LANGUAGE: "/experts/{owner}",
             RecordKind.SURGE_STEP: "/surge/requests/{owner}"}

LATE_ENTRY_DAYS = 7  # what happened is recorded within a week (timely)
SITE_TOLERANCE_DEGREES = 0.1  # ~11 km: a coastal site off the shipped 1:50m boundaries is not "inaccurate"
LIVE = (DeploymentStatus.PLANNED, DeploymentStatus.ONGOING, DeploymentStatus.COMPLETED)

_NO_ID = cast(null(), Integer)  # a typed NULL: the scope a kind of record has not

# A rule's query: columns id, owner (what FIX_LINKS' {owner} names, or NULL), mission, capacity, fails, label.
Query = Callable[[date], Select[*tuple[Any, ...]]]


@dataclass(frozen=True)
class Rule:
    code: str
    dimension: Dimension
    record: RecordKind
    sentence: str  # N_-marked: what a failing record is
    query: Query


def _deployments(fails: Callable[[date], ColumnElement[bool]]) -> Query:
    def query(day: date) -> Select[*tuple[Any, ...]]:
        return (select(Deployment.id.label("id"), Deployment.expert_id.label("owner"),
                       Deployment.mission_id.label("mission"), Expert.capacity_id.label("capacity"),
                       fails(day).label("fails"),
                       (Mission.acronym + literal(" · ") + func.to_char(Deployment.start_date, "YYYY-MM-DD"))
                       .label("label"))
                .join(Expert, Expert.id == Deployment.expert_id).join(Mission, Mission.id == Deployment.mission_id)
                .where(Deployment.status.in_(LIVE)))
    return query


def _experts(fails: Callable[[date], ColumnElement[bool]]) -> Query:
    def query(day: date) -> Select[*tuple[Any, ...]]:
        return (select(Expert.id.label("id"), Expert.id.label("owner"), _NO_ID.label("mission"),
                       Expert.capacity_id.label("capacity"), fails(day).label("fails"),
                       Expert.staff_number.label("label"))
                .where(Expert.status != ExpertStatus.SEPARATED))
    return query


# --- complete -------------------------------------------------------------------------------------------------
def _no_allocation(day: date) -> ColumnElement[bool]:
    return Deployment.allocation_id.is_(None)


def _no_site(day: date) -> ColumnElement[bool]:
    return Deployment.site_id.is_(None)


def _no_nationality(day: date) -> ColumnElement[bool]:
    return Expert.nationality_iso3.is_(None)


# --- consistent -----------------------------------------------------------------------------------------------
def _deployed_with_expired_clearance(day: date) -> ColumnElement[bool]:
    """In the field on ``day`` while one of their clearances has expired and no later one of the same type
    is valid."""
    renewed = aliased(ExpertClearance)
    # The experts holding an expired, unrenewed clearance: one set (a hashed subplan), not a probe per deployment.
    lapsed = select(ExpertClearance.expert_id).where(
        ExpertClearance.valid_until < day,
        not_(exists().where(renewed.expert_id == ExpertClearance.expert_id,
                            renewed.clearance_type_id == ExpertClearance.clearance_type_id,
                            or_(renewed.valid_until.is_(None), renewed.valid_until >= day))))
    return and_(Deployment.start_date <= day, Deployment.end_date >= day,
                Deployment.status != DeploymentStatus.CANCELLED, Deployment.expert_id.in_(lapsed))


def _completed_in_future(day: date) -> ColumnElement[bool]:
    return and_(Deployment.status == DeploymentStatus.COMPLETED, Deployment.end_date > day)


# --- timely -----------------------------------------------------------------------------------------------------
def _completion_not_recorded(day: date) -> ColumnElement[bool]:
    """Ended more than a week ago and still planned or ongoing: the record lags what happened."""
    return and_(Deployment.status.in_((DeploymentStatus.PLANNED, DeploymentStatus.ONGOING)),
                Deployment.end_date < day - timedelta(days=LATE_ENTRY_DAYS))


def _steps_recorded_late(day: date) -> Select[*tuple[Any, ...]]:
    """A surge request step recorded (``at``) more than 7 days after it happened (``occurred_at``, which a
    planner may set in the past): the hub learnt of it late, and the request's times were wrong meanwhile.
    Exactly 7 days is on time. Only steps recorded by the end of ``day``: a card for a past day is that day's."""
    late = SurgeRequestStep.at > SurgeRequestStep.occurred_at + timedelta(days=LATE_ENTRY_DAYS)
    when = func.to_char(SurgeRequestStep.occurred_at, "YYYY-MM-DD")
    recorded = func.to_char(SurgeRequestStep.at, "YYYY-MM-DD")
    return (select(SurgeRequestStep.id.label("id"), SurgeRequest.reference.label("owner"),
                   SurgeRequest.mission_id.label("mission"), SurgeRequest.capacity_id.label("capacity"),
                   late.label("fails"),
                   (SurgeRequest.reference + literal(" · ") + when + literal(" → ") + recorded).label("label"))
            .join(SurgeRequest, SurgeRequest.id == SurgeRequestStep.request_id)
            .where(func.date(SurgeRequestStep.at) <= day))


# --- unique -----------------------------------------------------------------------------------------------------
def _same_person_twice(day: date) -> Select[*tuple[Any, ...]]:
    """Another expert with the same names (case and accents aside) and nationality: the hub keeps no birth
    date (data minimisation), so names and nationality are the key; staff numbers are unique in the schema.
    A window count over the key: one sort, not a comparison of every pair."""
    key = (func.lower(func.hub_unaccent(Expert.family_name)), func.lower(func.hub_unaccent(Expert.given_name)),
           Expert.nationality_iso3)
    return (select(Expert.id.label("id"), Expert.id.label("owner"), _NO_ID.label("mission"),
                   Expert.capacity_id.label("capacity"), (func.count().over(partition_by=key) > 1).label("fails"),
                   Expert.staff_number.label("label"))
            .where(Expert.status != ExpertStatus.SEPARATED))


# --- accurate ---------------------------------------------------------------------------------------------------
def _sites_outside_hosts(day: date) -> Select[*tuple[Any, ...]]:
    inside = exists().where(
        mission_host_country.c.mission_id == Site.mission_id, Country.iso3 == mission_host_country.c.country_iso3,
        func.ST_DWithin(Country.boundary, Site.location, SITE_TOLERANCE_DEGREES))
    has_hosts = exists().where(mission_host_country.c.mission_id == Site.mission_id)
    return (select(Site.id.label("id"), _NO_ID.label("owner"), Site.mission_id.label("mission"),
                   _NO_ID.label("capacity"), not_(inside).label("fails"), Site.name.label("label"))
            .where(Site.mission_id.is_not(None), has_hosts))


# --- valid ------------------------------------------------------------------------------------------------------
def _languages_not_iso(day: date) -> Select[*tuple[Any, ...]]:
    codes = sorted(iso639())
    return (select(ExpertLanguage.expert_id.label("id"),
                   ExpertLanguage.expert_id.label("owner"), _NO_ID.label("mission"),
                   Expert.capacity_id.label("capacity"),
                   ExpertLanguage.language_code.not_in(codes).label("fails"),
                   (Expert.staff_number + literal(" · ") + ExpertLanguage.language_code).label("label"))
            .join(Expert, Expert.id == ExpertLanguage.expert_id).where(Expert.status != ExpertStatus.SEPARATED))


def _rating_without_feedback(day: date) -> ColumnElement[bool]:
    return and_(Deployment.client_rating.is_not(None), Deployment.client_rating <= 2,
                func.coalesce(func.length(func.trim(Deployment.client_feedback)), 0) == 0)


RULES: tuple[Rule, ...] = (
    Rule("deployment_without_allocation", Dimension.COMPLETE, RecordKind.DEPLOYMENT,
         N_("A deployment without a funding allocation."), _deployments(_no_allocation)),
    Rule("deployment_without_site", Dimension.COMPLETE, RecordKind.DEPLOYMENT,
         N_("A deployment without a duty location (site)."), _deployments(_no_site)),
    Rule("expert_without_nationality", Dimension.COMPLETE, RecordKind.EXPERT,
         N_("An expert without a nationality."), _experts(_no_nationality)),
    Rule("deployed_with_expired_clearance", Dimension.CONSISTENT, RecordKind.DEPLOYMENT,
         N_("An expert deployed today whose clearance has expired."), _deployments(_deployed_with_expired_clearance)),
    Rule("completed_before_its_end", Dimension.CONSISTENT, RecordKind.DEPLOYMENT,
         N_("A deployment marked completed whose end date is still to come."), _deployments(_completed_in_future)),
    Rule("completion_not_recorded", Dimension.TIMELY, RecordKind.DEPLOYMENT,
         N_("A deployment that ended more than 7 days ago and is still not marked completed."),
         _deployments(_completion_not_recorded)),
    Rule("step_recorded_late", Dimension.TIMELY, RecordKind.SURGE_STEP,
         N_("A surge request step recorded more than 7 days after it happened."), _steps_recorded_late),
    Rule("expert_recorded_twice", Dimension.UNIQUE, RecordKind.EXPERT,
         N_("Two experts with the same name and nationality."), _same_person_twice),
    Rule("site_outside_host_countries", Dimension.ACCURATE, RecordKind.SITE,
         N_("A site whose coordinates fall outside its mission's host countries."), _sites_outside_hosts),
    Rule("language_not_iso639", Dimension.VALID, RecordKind.EXPERT_LANGUAGE,
         N_("A language code that is not ISO 639."), _languages_not_iso),
    Rule("low_rating_without_feedback", Dimension.COMPLETE, RecordKind.DEPLOYMENT,
         N_("A client rating of 1 or 2 without the client's feedback."), _deployments(_rating_without_feedback)),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}

__all__ = ["DIMENSION_LABELS", "FIX_LINKS", "RECORD_LABELS", "RULES", "RULES_BY_CODE", "Dimension", "RecordKind",
           "Rule"]
