"""Projects with their missions, sites, activities, milestones and results framework."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import MONEY, Base, Generated, Timestamped, currency_column, enum_column
from models.enums import GenderMarker, MilestoneStatus, ProjectStatus, ResultLevel
from models.geography import Mission, Site

project_mission = Table(
    "project_mission",
    Base.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("mission_id", ForeignKey("mission.id", ondelete="RESTRICT"), primary_key=True),
)

project_site = Table(
    "project_site",
    Base.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("site.id", ondelete="RESTRICT"), primary_key=True),
)


class Project(Generated, Timestamped, Base):
    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        CheckConstraint("budget >= 0", name="budget_not_negative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(250), nullable=False)
    capacity_id: Mapped[int] = mapped_column(ForeignKey("capacity.id"), nullable=False, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = currency_column()
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ProjectStatus] = mapped_column(enum_column(ProjectStatus, "project_status"), nullable=False)
    gender_marker: Mapped[GenderMarker] = mapped_column(enum_column(GenderMarker, "gender_marker"), nullable=False)

    missions: Mapped[list[Mission]] = relationship(secondary=project_mission)
    sites: Mapped[list[Site]] = relationship(secondary=project_site)
    activities: Mapped[list[Activity]] = relationship(back_populates="project", cascade="all, delete-orphan")
    milestones: Mapped[list[Milestone]] = relationship(back_populates="project", cascade="all, delete-orphan")
    results: Mapped[list[Result]] = relationship(back_populates="project", cascade="all, delete-orphan")


class Activity(Base):
    __tablename__ = "activity"
    __table_args__ = (CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)

    project: Mapped[Project] = relationship(back_populates="activities")


class Milestone(Base):
    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    achieved_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[MilestoneStatus] = mapped_column(enum_column(MilestoneStatus, "milestone_status"),
                                                    nullable=False)

    project: Mapped[Project] = relationship(back_populates="milestones")


class Result(Base):
    """A line of the results framework: an outcome or an output, with its indicator."""

    __tablename__ = "result"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("result.id", ondelete="CASCADE"))
    level: Mapped[ResultLevel] = mapped_column(enum_column(ResultLevel, "result_level"), nullable=False)
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    indicator: Mapped[str] = mapped_column(Text, nullable=False)
    unit: Mapped[str] = mapped_column(String(40), nullable=False, default="count")
    baseline: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=0)
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    gender_specific: Mapped[bool] = mapped_column(nullable=False, default=False)

    project: Mapped[Project] = relationship(back_populates="results")
    actuals: Mapped[list[ResultActual]] = relationship(back_populates="result", cascade="all, delete-orphan",
                                                       order_by="ResultActual.measured_on")


class ResultActual(Base):
    __tablename__ = "result_actual"
    __table_args__ = (UniqueConstraint("result_id", "measured_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("result.id", ondelete="CASCADE"), nullable=False)
    measured_on: Mapped[date] = mapped_column(Date, nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)

    result: Mapped[Result] = relationship(back_populates="actuals")
