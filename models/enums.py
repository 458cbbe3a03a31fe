"""Controlled vocabularies of the domain."""

from __future__ import annotations

import enum


class StrEnum(enum.StrEnum):
    def __str__(self) -> str:
        return self.value


class MissionType(StrEnum):
    PKO = "peacekeeping_operation"
    SPM = "special_political_mission"
    OTHER = "other_un_entity"


class SiteKind(StrEnum):
    MISSION_HQ = "mission_hq"
    TEAM_SITE = "team_site"
    FIELD_OFFICE = "field_office"
    PROJECT_SITE = "project_site"
    TRAINING_CENTRE = "training_centre"
    DEPLOYMENT_LOCATION = "deployment_location"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNDISCLOSED = "undisclosed"


class ContractType(StrEnum):
    FIXED_TERM = "fixed_term"
    CONTINUING = "continuing"
    TEMPORARY = "temporary"
    SECONDED = "seconded"
    CONSULTANT = "consultant"


class ExpertStatus(StrEnum):
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    SEPARATED = "separated"


class UnavailabilityKind(StrEnum):
    LEAVE = "leave"
    TRAINING = "training"
    MEDICAL = "medical"
    OTHER = "other"


class DeploymentKind(StrEnum):
    START_UP = "start_up"
    SURGE = "surge"
    TRANSITION = "transition"
    ASSESSMENT = "assessment"
    MISSION_MANAGER_VISIT = "mission_manager_visit"
    TRAINING = "training"
    TECHNICAL_ASSISTANCE = "technical_assistance"


class DeploymentStatus(StrEnum):
    PLANNED = "planned"
    ONGOING = "ongoing"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class GenderMarker(StrEnum):
    """Gender marker of a deployment or project (0 = not expected to contribute ... 3 = principal objective)."""

    GM0 = "0"
    GM1 = "1"
    GM2 = "2"
    GM3 = "3"


class SurgeStatus(StrEnum):
    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    CANDIDATES_PROPOSED = "candidates_proposed"
    APPROVED = "approved"
    DEPLOYED = "deployed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class FundType(StrEnum):
    """The kinds of funding source: assessed regular budget, extra-budgetary trust funds, programme support
    (the support costs charged on extra-budgetary spending)."""

    REGULAR = "regular_budget"
    EXTRABUDGETARY = "extrabudgetary"  # a trust fund
    PROGRAMME_SUPPORT = "programme_support"


class RecordStatus(StrEnum):
    """A grant or an allocation is open (spending may be recorded on it) until finance closes it."""

    OPEN = "open"
    CLOSED = "closed"


class ExpenditureCategory(StrEnum):
    TRAVEL = "travel"
    STAFF = "staff"
    CONSULTANTS = "consultants"
    EQUIPMENT = "equipment"
    TRAINING = "training"
    CONTRACTUAL = "contractual_services"
    OTHER = "other"


class ProjectStatus(StrEnum):
    PIPELINE = "pipeline"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class MilestoneStatus(StrEnum):
    PLANNED = "planned"
    ACHIEVED = "achieved"
    DELAYED = "delayed"
    DROPPED = "dropped"


class ResultLevel(StrEnum):
    OUTCOME = "outcome"
    OUTPUT = "output"


class AssessmentKind(StrEnum):
    PRE_DEPLOYMENT_VISIT = "pre_deployment_visit"  # of a formed police unit
    FPU_VERIFICATION_VISIT = "fpu_verification_visit"
    INDIVIDUAL_POLICE_ASSESSMENT = "individual_police_assessment"
    TECHNOLOGY_NEEDS = "technology_needs_assessment"
    MISSION_MANAGER_VISIT = "mission_manager_visit"
    STANDING_CAPACITY = "standing_capacity_assessment"


class AssessmentMode(StrEnum):
    IN_PERSON = "in_person"
    HYBRID = "hybrid"
    VIRTUAL = "virtual"


class GapArea(StrEnum):
    """The areas of a technology-needs assessment's gap register."""

    PERSONNEL = "personnel"
    FACILITIES = "facilities"
    SOFTWARE = "software"
    EQUIPMENT = "equipment"
    WORKING_METHODS = "working_methods"


class RecommendationStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"
    PARTIALLY_IMPLEMENTED = "partially_implemented"
    NOT_ACCEPTED = "not_accepted"
    CLOSED_OVERTAKEN = "closed_overtaken"


# A recommendation in one of these is no longer followed up (it is never overdue).
RECOMMENDATION_CLOSED = frozenset({RecommendationStatus.IMPLEMENTED, RecommendationStatus.PARTIALLY_IMPLEMENTED,
                                   RecommendationStatus.NOT_ACCEPTED, RecommendationStatus.CLOSED_OVERTAKEN})


class Addressee(StrEnum):
    MISSION = "mission"
    CONTRIBUTING_COUNTRY = "contributing_country"
    HQ_UNIT = "hq_unit"


class LessonStatus(StrEnum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    PUBLISHED = "published"


class GeometryType(StrEnum):
    POINT = "Point"
    LINESTRING = "LineString"
    POLYGON = "Polygon"
    MULTIPOINT = "MultiPoint"
    MULTILINESTRING = "MultiLineString"
    MULTIPOLYGON = "MultiPolygon"
    GEOMETRY = "Geometry"


class LayerStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Role(StrEnum):
    ADMIN = "admin"
    GIS_EDITOR = "gis_editor"
    PLANNER = "planner"
    FINANCE = "finance"
    PROGRAMME = "programme"
    VIEWER = "viewer"
    BRIEFING = "briefing"
    ASSESSMENT_OFFICER = "assessment_officer"
    EXPERT = "expert"  # one expert keeping their own languages and absences (app_user.expert_id)


class LanguageLevel(StrEnum):
    """CEFR-like levels; order matters for "at least" comparisons (see LANGUAGE_LEVEL_RANK)."""

    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"
    NATIVE = "native"


LANGUAGE_LEVEL_RANK = {level: rank for rank, level in enumerate(LanguageLevel, start=1)}
