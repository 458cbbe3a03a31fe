"""Deployments of experts to missions, and the surge requests they answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import DATERANGE, JSONB, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import PERIOD_SQL, Base, Generated, Timestamped, enum_column
from models.enums import (
    DeploymentKind,
    DeploymentStatus,
    GenderMarker,
    LanguageLevel,
    Priority,
    SurgeStatus,
)
from models.geography import Mission, Site
from models.people import Expert


class SurgeRequest(Generated, Timestamped, Base):
    __tablename__ = "surge_request"
    __table_args__ = (
        CheckConstraint("experts_requested BETWEEN 1 AND 50", name="experts_requested_range"),
        CheckConstraint("duration_days BETWEEN 1 AND 730", name="duration_range"),
        CheckConstraint("score_weights IS NULL OR jsonb_typeof(score_weights) = 'object'",
                        name="score_weights_object"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    mission_id: Mapped[int] = mapped_column(ForeignKey("mission.id"), nullable=False, index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    capacity_id: Mapped[int | None] = mapped_column(ForeignKey("capacity.id"), index=True)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    experts_requested: Mapped[int] = mapped_column(nullable=False, default=1)
    wanted_start: Mapped[date] = mapped_column(Date, nullable=False)
    duration_days: Mapped[int] = mapped_column(nullable=False)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"), nullable=False)
    gender_considerations: Mapped[str | None] = mapped_column(Text)
    # Ask the matcher for a gender-balanced team.
    balance_gender: Mapped[bool] = mapped_column(nullable=False, default=False)
    # The request's capacity is a hard rule of the matcher unless the planner accepts either capacity.
    accept_any_capacity: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=false())
    notes: Mapped[str | None] = mapped_column(Text)
    # The matcher's weights a planner saved for this request (services.surge.matching.Weights as a dict); NULL:
    # the defaults. Everyone who ranks this request, in the page or the API, then ranks it the same way.
    score_weights: Mapped[dict[str, float] | None] = mapped_column(JSONB(none_as_null=True))
    status: Mapped[SurgeStatus] = mapped_column(
        enum_column(SurgeStatus, "surge_status"), nullable=False, default=SurgeStatus.RECEIVED, index=True
    )
    # Optimistic locking: a concurrent edit is detected, not silently overwritten.
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")
    # When the "received" and "deployed" steps were taken, copied from the steps by a trigger (migration 0010)
    # so the service level reads one table. Never set them here; read them in SQL (a loaded request does not
    # see a step added after it was loaded).
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deployed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    mission: Mapped[Mission] = relationship()
    skills: Mapped[list[SurgeRequestSkill]] = relationship(back_populates="request", cascade="all, delete-orphan")
    languages: Mapped[list[SurgeRequestLanguage]] = relationship(
        back_populates="request", cascade="all, delete-orphan"
    )
    # The timeline: when each step happened, then the order it was recorded in (steps taken in one transaction
    # share their times, and ordering by time alone left their order to chance).
    steps: Mapped[list[SurgeRequestStep]] = relationship(
        back_populates="request", cascade="all, delete-orphan",
        order_by=lambda: (SurgeRequestStep.occurred_at, SurgeRequestStep.id)
    )
    clearances: Mapped[list[SurgeRequestClearance]] = relationship(
        back_populates="request", cascade="all, delete-orphan"
    )
    amendments: Mapped[list[SurgeRequestAmendment]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="SurgeRequestAmendment.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class SurgeRequestSkill(Base):
    __tablename__ = "surge_request_skill"
    __table_args__ = (
        CheckConstraint("weight > 0 AND weight <= 10", name="weight_range"),
        CheckConstraint("min_level BETWEEN 1 AND 5", name="min_level_range"),
    )

    request_id: Mapped[int] = mapped_column(ForeignKey("surge_request.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skill.id"), primary_key=True)
    weight: Mapped[float] = mapped_column(Numeric(4, 2), nullable=False, default=1)
    min_level: Mapped[int] = mapped_column(nullable=False, default=1)
    # Required: below min_level an expert is not eligible (a hard rule). Desirable (False): scored only.
    required: Mapped[bool] = mapped_column(nullable=False, default=True, server_default=true())

    request: Mapped[SurgeRequest] = relationship(back_populates="skills")


class SurgeRequestClearance(Base):
    """A clearance every proposed expert must hold, valid for the whole requested period."""

    __tablename__ = "surge_request_clearance"

    request_id: Mapped[int] = mapped_column(ForeignKey("surge_request.id", ondelete="CASCADE"), primary_key=True)
    clearance_type_id: Mapped[int] = mapped_column(ForeignKey("clearance_type.id"), primary_key=True)

    request: Mapped[SurgeRequest] = relationship(back_populates="clearances")


class SurgeRequestLanguage(Base):
    __tablename__ = "surge_request_language"

    request_id: Mapped[int] = mapped_column(ForeignKey("surge_request.id", ondelete="CASCADE"), primary_key=True)
    language_code: Mapped[str] = mapped_column(ForeignKey("language.code"), primary_key=True)
    min_level: Mapped[LanguageLevel] = mapped_column(enum_column(LanguageLevel, "language_level"), nullable=False)

    request: Mapped[SurgeRequest] = relationship(back_populates="languages")


class SurgeRequestStep(Base):
    """Each status a request went through, dated and attributed, so time-to-deploy is measured."""

    __tablename__ = "surge_request_step"
    __table_args__ = (UniqueConstraint("request_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("surge_request.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[SurgeStatus] = mapped_column(enum_column(SurgeStatus, "surge_status"), nullable=False)
    # When the step was recorded in the hub (never changed) ...
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    # ... and when it happened, which a planner may set in the past (the mission's email arrived yesterday).
    # The service level reads this one (migration 0023's trigger copies it onto the request). Not given: a
    # trigger sets it to ``at`` (FetchedValue tells the ORM to read it back).
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                  server_default=FetchedValue())
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)

    request: Mapped[SurgeRequest] = relationship(back_populates="steps")


class SurgeRequestAmendment(Base):
    """A change to a recorded request (dates, skills, clearances, numbers), kept: who, when, each field's before
    and after, and why. Appended, never edited."""

    __tablename__ = "surge_request_amendment"
    __table_args__ = (
        CheckConstraint("jsonb_typeof(changes) = 'object'", name="changes_object"),
        Index("ix_surge_request_amendment_request_at", "request_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("surge_request.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    # The username as it was, so the history reads the same after the account is renamed or removed.
    by_username: Mapped[str | None] = mapped_column(String(80))
    # {field: {"before": ..., "after": ...}} (services.records.versioning.changes)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    # The request's version the amendment produced.
    version: Mapped[int] = mapped_column(nullable=False)

    request: Mapped[SurgeRequest] = relationship(back_populates="amendments")


class Deployment(Generated, Timestamped, Base):
    __tablename__ = "deployment"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        CheckConstraint(
            "client_rating IS NULL OR client_rating BETWEEN 1 AND 5", name="client_rating_range"
        ),
        CheckConstraint("actual_end_date IS NULL OR actual_start_date IS NULL OR actual_end_date >= actual_start_date",
                        name="actual_dates_ordered"),
        CheckConstraint("gender_outputs_planned >= 0 AND gender_outputs_delivered >= 0",
                        name="gender_outputs_not_negative"),
        # The database has the last word: one expert is never in two places at once.
        ExcludeConstraint(
            ("expert_id", "="),
            ("period", "&&"),
            using="gist",
            where=text("status <> 'cancelled'"),
            name="deployment_no_overlap",
        ),
        # Surge matching reads the deployments ending from a year before a period on: an index-only scan
        # (migration 0005, services/surge/matching.py).
        Index("ix_deployment_end_date_cover", "end_date",
              postgresql_include=["expert_id", "start_date", "status", "surge_request_id"]),
        # The map's day (places, mission points, the day's head count) reads the deployments covering one day:
        # an index scan of the live ones instead of a scan of all of them (migration 0022).
        Index("ix_deployment_live_period", "period", postgresql_using="gist",
              postgresql_where=text("status <> 'cancelled'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="RESTRICT"), nullable=False, index=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("mission.id"), nullable=False, index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"), index=True)
    surge_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("surge_request.id", ondelete="SET NULL"), index=True
    )
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id", ondelete="SET NULL"), index=True)
    role: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[DeploymentKind] = mapped_column(enum_column(DeploymentKind, "deployment_kind"), nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    # The days the expert actually arrived and left (start/end are the planned period, which extending or
    # curtailing moves). The request's "deployed" time is its first actual arrival once one is recorded.
    actual_start_date: Mapped[date | None] = mapped_column(Date)
    actual_end_date: Mapped[date | None] = mapped_column(Date)
    # NULL for reversed dates, so that the dates_ordered check (not a range error) names the problem.
    period: Mapped[object | None] = mapped_column(
        DATERANGE, Computed(PERIOD_SQL, persisted=True)
    )
    status: Mapped[DeploymentStatus] = mapped_column(
        enum_column(DeploymentStatus, "deployment_status"), nullable=False, index=True
    )
    gender_marker: Mapped[GenderMarker] = mapped_column(
        enum_column(GenderMarker, "gender_marker"), nullable=False, default=GenderMarker.GM1
    )
    gender_outputs_planned: Mapped[int] = mapped_column(nullable=False, default=0)
    gender_outputs_delivered: Mapped[int] = mapped_column(nullable=False, default=0)
    client_rating: Mapped[int | None]
    client_feedback: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    expert: Mapped[Expert] = relationship()
    mission: Mapped[Mission] = relationship()
    site: Mapped[Site | None] = relationship()
    surge_request: Mapped[SurgeRequest | None] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
