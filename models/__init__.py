"""SQLAlchemy models of the whole domain. Importing this package registers every table on Base.metadata."""

from models.auth import ApiToken, AuditEvent, DataLoad, RevokedSession, User
from models.base import Base
from models.funding import Allocation, Donor, Expenditure, Fund, Grant
from models.geography import Country, Mission, Site, mission_host_country
from models.gis import Layer, LayerFeature, LayerVersion
from models.knowledge import Assessment, Lesson, Recommendation, RecommendationFollowUp
from models.operations import (
    Deployment,
    SurgeRequest,
    SurgeRequestClearance,
    SurgeRequestLanguage,
    SurgeRequestSkill,
    SurgeRequestStep,
)
from models.people import (
    Capacity,
    ClearanceType,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    ExpertSkill,
    ExpertTraining,
    Language,
    Skill,
    Team,
    Unavailability,
)
from models.projects import Activity, Milestone, Project, Result, ResultActual, project_mission, project_site
from models.quality import QualitySnapshot
from models.rate_limit import RateLimitCounter

__all__ = [
    "Activity",
    "Allocation",
    "ApiToken",
    "Assessment",
    "AuditEvent",
    "Base",
    "Capacity",
    "ClearanceType",
    "Country",
    "DataLoad",
    "Deployment",
    "Donor",
    "Expenditure",
    "Expert",
    "ExpertClearance",
    "ExpertLanguage",
    "ExpertSkill",
    "ExpertTraining",
    "Fund",
    "Grant",
    "Language",
    "Layer",
    "LayerFeature",
    "LayerVersion",
    "Lesson",
    "Milestone",
    "Mission",
    "Project",
    "QualitySnapshot",
    "RateLimitCounter",
    "Recommendation",
    "RecommendationFollowUp",
    "Result",
    "ResultActual",
    "RevokedSession",
    "Site",
    "Skill",
    "SurgeRequest",
    "SurgeRequestClearance",
    "SurgeRequestLanguage",
    "SurgeRequestSkill",
    "SurgeRequestStep",
    "Team",
    "Unavailability",
    "User",
    "mission_host_country",
    "project_mission",
    "project_site",
]
