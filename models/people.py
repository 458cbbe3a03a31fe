"""The standing capacities, their experts, and what the experts can do and when they cannot."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Computed, Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import PERIOD_SQL, Base, Generated, Timestamped, enum_column
from models.enums import ContractType, ExpertStatus, Gender, LanguageLevel, UnavailabilityKind


class Capacity(Base):
    __tablename__ = "capacity"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)  # SPC, JCSC
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_fr: Mapped[str | None] = mapped_column(String(200))
    duty_station: Mapped[str] = mapped_column(String(120), nullable=False, default="Brindisi")
    # Days from request to deployment the capacity aims for (JCSC: 3).
    target_days_to_deploy: Mapped[int] = mapped_column(nullable=False, default=3)

    teams: Mapped[list[Team]] = relationship(back_populates="capacity")


class Team(Base):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("capacity_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capacity_id: Mapped[int] = mapped_column(ForeignKey("capacity.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)

    capacity: Mapped[Capacity] = relationship(back_populates="teams")


class Skill(Base):
    """The controlled skill taxonomy (a two-level tree: area, then skill)."""

    __tablename__ = "skill"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_fr: Mapped[str | None] = mapped_column(String(200))
    area: Mapped[str] = mapped_column(String(60), nullable=False)


class Language(Base):
    __tablename__ = "language"
    __table_args__ = (CheckConstraint("code ~ '^[a-z]{2,3}$'", name="code_format"),)

    code: Mapped[str] = mapped_column(String(3), primary_key=True)  # ISO 639-1/3
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    is_un_official: Mapped[bool] = mapped_column(nullable=False, default=False)


class ClearanceType(Base):
    """Clearances and mandatory trainings an expert must hold valid (e.g. BSAFE, medical clearance)."""

    __tablename__ = "clearance_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_fr: Mapped[str | None] = mapped_column(String(200))
    is_training: Mapped[bool] = mapped_column(nullable=False, default=False)
    validity_months: Mapped[int | None]


class Expert(Generated, Timestamped, Base):
    """A member of a standing capacity. Personal data: names and identifiers never reach the briefing role."""

    __tablename__ = "expert"
    __table_args__ = (CheckConstraint("separated_on IS NULL OR status = 'separated'", name="separated_on_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    given_name: Mapped[str] = mapped_column(String(100), nullable=False)
    family_name: Mapped[str] = mapped_column(String(100), nullable=False)
    gender: Mapped[Gender] = mapped_column(enum_column(Gender, "gender"), nullable=False)
    nationality_iso3: Mapped[str | None] = mapped_column(ForeignKey("country.iso3"), index=True)
    grade: Mapped[str | None] = mapped_column(String(10))  # P-3, P-4, P-5, D-1, FS-5 ...
    capacity_id: Mapped[int] = mapped_column(ForeignKey("capacity.id"), nullable=False, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    contract_type: Mapped[ContractType] = mapped_column(enum_column(ContractType, "contract_type"), nullable=False)
    duty_station: Mapped[str] = mapped_column(String(120), nullable=False, default="Brindisi")
    functional_title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[ExpertStatus] = mapped_column(
        enum_column(ExpertStatus, "expert_status"), nullable=False, default=ExpertStatus.ACTIVE
    )
    entry_on_duty: Mapped[date | None] = mapped_column(Date)
    # The day the expert left (status separated); the record stays while history refers to it.
    separated_on: Mapped[date | None] = mapped_column(Date)
    # When the personal fields were erased on request (services.experts.erase_expert); the record is then
    # anonymous: names, staff number and email replaced, skills, languages, clearances, trainings and absences gone.
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Every edit names the version it was made against (optimistic concurrency; parts bump it too).
    version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

    capacity: Mapped[Capacity] = relationship()
    team: Mapped[Team | None] = relationship()
    skills: Mapped[list[ExpertSkill]] = relationship(back_populates="expert", cascade="all, delete-orphan")
    languages: Mapped[list[ExpertLanguage]] = relationship(back_populates="expert", cascade="all, delete-orphan")
    clearances: Mapped[list[ExpertClearance]] = relationship(
        back_populates="expert", cascade="all, delete-orphan"
    )
    trainings: Mapped[list[ExpertTraining]] = relationship(back_populates="expert", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class ExpertSkill(Base):
    __tablename__ = "expert_skill"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skill.id", ondelete="RESTRICT"), primary_key=True, index=True)
    level: Mapped[int] = mapped_column(nullable=False)  # 1 basic ... 5 authority in the field

    expert: Mapped[Expert] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship()


class ExpertLanguage(Base):
    __tablename__ = "expert_language"

    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True)
    language_code: Mapped[str] = mapped_column(ForeignKey("language.code"), primary_key=True, index=True)
    # The overall level (what surge matching reads); reading, writing and speaking where known (CEFR).
    level: Mapped[LanguageLevel] = mapped_column(enum_column(LanguageLevel, "language_level"), nullable=False)
    reading: Mapped[LanguageLevel | None] = mapped_column(enum_column(LanguageLevel, "language_reading"))
    writing: Mapped[LanguageLevel | None] = mapped_column(enum_column(LanguageLevel, "language_writing"))
    speaking: Mapped[LanguageLevel | None] = mapped_column(enum_column(LanguageLevel, "language_speaking"))

    expert: Mapped[Expert] = relationship(back_populates="languages")
    language: Mapped[Language] = relationship()


class ExpertClearance(Base):
    __tablename__ = "expert_clearance"
    __table_args__ = (
        CheckConstraint("valid_until IS NULL OR valid_until >= obtained_on", name="dates_ordered"),
        # Surge matching reads the clearances of the required types: an index-only scan (migration 0006).
        Index("ix_expert_clearance_type_cover", "clearance_type_id", "obtained_on",
              postgresql_include=["valid_until", "expert_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), nullable=False, index=True)
    clearance_type_id: Mapped[int] = mapped_column(ForeignKey("clearance_type.id"), nullable=False)
    obtained_on: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date | None] = mapped_column(Date)

    expert: Mapped[Expert] = relationship(back_populates="clearances")
    clearance_type: Mapped[ClearanceType] = relationship()


class ExpertTraining(Base):
    """A training an expert completed (any course, by any provider), valid until a date or for good. Mandatory
    UN trainings that surge matching checks (BSAFE...) stay clearances of a type with is_training."""

    __tablename__ = "expert_training"
    __table_args__ = (
        CheckConstraint("valid_until IS NULL OR valid_until >= completed_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    provider: Mapped[str | None] = mapped_column(String(200))
    completed_on: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date | None] = mapped_column(Date)

    expert: Mapped[Expert] = relationship(back_populates="trainings")


class Unavailability(Generated, Base):
    __tablename__ = "unavailability"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        # One expert cannot be on two overlapping absences: the database refuses it.
        ExcludeConstraint(
            ("expert_id", "="), ("period", "&&"), using="gist", name="unavailability_no_overlap"
        ),
        # Surge matching reads the absences overlapping a period: an index-only scan (migration 0006).
        Index("ix_unavailability_end_date_cover", "end_date", postgresql_include=["start_date", "expert_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[UnavailabilityKind] = mapped_column(
        enum_column(UnavailabilityKind, "unavailability_kind"), nullable=False
    )
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    # Inclusive date range kept by the database from start/end, for overlap tests and the constraint.
    # NULL for reversed dates, so that the dates_ordered check (not a range error) names the problem.
    period: Mapped[object | None] = mapped_column(
        DATERANGE, Computed(PERIOD_SQL, persisted=True)
    )
    note: Mapped[str | None] = mapped_column(Text)
