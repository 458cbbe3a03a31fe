"""Projects with their missions, sites, activities, milestones and results framework."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
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
        # A DAC 5 purpose code (IATI sector vocabulary 1).
        CheckConstraint("sector_code IS NULL OR sector_code ~ '^[0-9]{5}$'", name="sector_code_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(250), nullable=False)
    name_fr: Mapped[str | None] = mapped_column(String(250))
    capacity_id: Mapped[int] = mapped_column(ForeignKey("capacity.id"), nullable=False, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    description_fr: Mapped[str | None] = mapped_column(Text)
    sector_code: Mapped[str | None] = mapped_column(String(5))
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
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Activity(Base):
    __tablename__ = "activity"
    __table_args__ = (CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    project: Mapped[Project] = relationship(back_populates="activities")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Milestone(Base):
    """A step of a project: planned for ``due_on``, reached on ``achieved_on``."""

    __tablename__ = "milestone"
    __table_args__ = (
        CheckConstraint("(status = 'achieved') = (achieved_on IS NOT NULL)", name="achieved_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    achieved_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[MilestoneStatus] = mapped_column(enum_column(MilestoneStatus, "milestone_status"),
                                                    nullable=False)
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    project: Mapped[Project] = relationship(back_populates="milestones")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Result(Base):
    """A line of the results framework: an outcome, or an output under an outcome, with its indicator.

    ``about_people``: the indicator counts people, so every actual value is split by sex (the database holds
    it: result_actual's foreign key carries the flag and its check asks for women and men when it is set).
    """

    __tablename__ = "result"
    __table_args__ = (
        UniqueConstraint("id", "about_people", name="uq_result_id_about_people"),
        CheckConstraint("(level = 'outcome') = (parent_id IS NULL)", name="outputs_under_outcomes"),
        CheckConstraint("target >= 0 AND baseline >= 0", name="values_not_negative"),
    )

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
    about_people: Mapped[bool] = mapped_column(nullable=False, default=False, server_default="false")
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    project: Mapped[Project] = relationship(back_populates="results")
    actuals: Mapped[list[ResultActual]] = relationship(back_populates="result", cascade="all, delete-orphan",
                                                       order_by="ResultActual.period_end")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ResultActual(Base):
    """The value an indicator reached over a period; women and men too when the indicator counts people."""

    __tablename__ = "result_actual"
    __table_args__ = (
        UniqueConstraint("result_id", "period_end"),
        # The flag comes with the result's id, so that the check below can read it (a check sees one row only).
        ForeignKeyConstraint(["result_id", "about_people"], ["result.id", "result.about_people"],
                             name="fk_result_actual_result_about_people", ondelete="CASCADE",
                             onupdate="CASCADE"),
        CheckConstraint("period_start <= period_end", name="period_ordered"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("(women IS NULL) = (men IS NULL)", name="sex_split_whole"),
        CheckConstraint("women IS NULL OR (women >= 0 AND men >= 0 AND women + men <= value)",
                        name="sex_split_within_value"),
        CheckConstraint("NOT about_people OR women IS NOT NULL", name="people_split_by_sex"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(nullable=False)
    about_people: Mapped[bool] = mapped_column(nullable=False, default=False, server_default="false")
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    women: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    men: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    result: Mapped[Result] = relationship(back_populates="actuals")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
