"""Assessments, their gap registers, recommendations and follow-up, attachments, and lessons.

Each searchable row keeps its own ``search_vector`` (a generated tsvector, GIN-indexed): the text stemmed twice,
by the text search configurations hub_english and hub_french (migration 0020: English's and French's, with the
unaccent dictionary before the stemmer), so that one query finds "réforme" from "reforme", "policier" from
"policiers" and "assessment" from "assessments" in either language; and, the accents being folded inside the
configuration rather than in the text, ts_headline highlights the text as written. Being generated, the vector
can never disagree with the text, whatever wrote the row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from models.base import MONEY, Base, Generated, Timestamped, currency_column, enum_column
from models.enums import (
    Addressee,
    AssessmentKind,
    AssessmentMode,
    GapArea,
    LessonStatus,
    Priority,
    RecommendationStatus,
)
from models.geography import Mission


def search_vector_sql(*weighted: tuple[str, str]) -> str:
    """A generated column's expression: each (SQL text, weight) unaccented and stemmed in English and French."""
    return " || ".join(f"setweight(to_tsvector('{config}'::regconfig, coalesce({expression}, '')), '{weight}')"
                       for config in SEARCH_CONFIGS for expression, weight in weighted)


SEARCH_CONFIGS = ("hub_english", "hub_french")


# An attachment's text is searched up to this many characters (to_tsvector refuses over 1 MB of positions).
ATTACHMENT_SEARCH_CHARS = 200_000

assessment_expert = Table(
    "assessment_expert", Base.metadata,
    Column("assessment_id", ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True),
    Column("expert_id", ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True, index=True),
)
assessment_deployment = Table(
    "assessment_deployment", Base.metadata,
    Column("assessment_id", ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True),
    Column("deployment_id", ForeignKey("deployment.id", ondelete="CASCADE"), primary_key=True, index=True),
)
lesson_recommendation = Table(
    "lesson_recommendation", Base.metadata,
    Column("lesson_id", ForeignKey("lesson.id", ondelete="CASCADE"), primary_key=True),
    Column("recommendation_id", ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Assessment(Generated, Timestamped, Base):
    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= conducted_on", name="dates_in_order"),
        CheckConstraint("cost IS NULL OR cost >= 0", name="cost_not_negative"),
        Index("ix_assessment_search", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AssessmentKind] = mapped_column(enum_column(AssessmentKind, "assessment_kind"), nullable=False)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("mission.id"), index=True)
    capacity_id: Mapped[int | None] = mapped_column(ForeignKey("capacity.id"))
    contributing_country_iso3: Mapped[str | None] = mapped_column(ForeignKey("country.iso3"))
    conducted_on: Mapped[date] = mapped_column(Date, nullable=False)  # the first day
    end_date: Mapped[date | None] = mapped_column(Date)
    mode: Mapped[AssessmentMode | None] = mapped_column(enum_column(AssessmentMode, "assessment_mode"))
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id", ondelete="SET NULL"))
    cost: Mapped[Decimal | None] = mapped_column(MONEY)
    findings: Mapped[str | None] = mapped_column(Text)
    report_ref: Mapped[str | None] = mapped_column(String(250))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed(search_vector_sql(("title", "A"), ("findings", "B")), persisted=True))

    mission: Mapped[Mission | None] = relationship()
    recommendations: Mapped[list[Recommendation]] = relationship(back_populates="assessment",
                                                                 cascade="all, delete-orphan")
    gaps: Mapped[list[AssessmentGap]] = relationship(back_populates="assessment", cascade="all, delete-orphan",
                                                     order_by="AssessmentGap.id")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads a plain dict


class AssessmentGap(Base):
    """One line of a technology-needs assessment's gap register."""

    __tablename__ = "assessment_gap"
    __table_args__ = (CheckConstraint("estimated_cost IS NULL OR estimated_cost >= 0", name="cost_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False,
                                               index=True)
    area: Mapped[GapArea] = mapped_column(enum_column(GapArea, "gap_area"), nullable=False)
    gap: Mapped[str] = mapped_column(Text, nullable=False)
    severity: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"), nullable=False)
    estimated_cost: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str] = currency_column()

    assessment: Mapped[Assessment] = relationship(back_populates="gaps")


class Recommendation(Generated, Timestamped, Base):
    """Overdue is derived (due_on past and still open or in progress), never stored."""

    __tablename__ = "recommendation"
    __table_args__ = (
        CheckConstraint("addressee <> 'mission' OR addressee_mission_id IS NOT NULL", name="addressee_mission"),
        CheckConstraint("addressee <> 'contributing_country' OR addressee_country_iso3 IS NOT NULL",
                        name="addressee_country"),
        CheckConstraint("addressee <> 'hq_unit' OR responsible_entity IS NOT NULL", name="addressee_unit"),
        Index("ix_recommendation_search", "search_vector", postgresql_using="gin"),
        Index("ix_recommendation_owner_due", "owner_user_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False,
                                               index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str | None] = mapped_column(String(80))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"), nullable=False)
    addressee: Mapped[Addressee] = mapped_column(enum_column(Addressee, "addressee"), nullable=False,
                                                 server_default=Addressee.HQ_UNIT.value)
    addressee_mission_id: Mapped[int | None] = mapped_column(ForeignKey("mission.id"))
    addressee_country_iso3: Mapped[str | None] = mapped_column(ForeignKey("country.iso3"))
    # The headquarters unit addressed (when the addressee is one), or who answers for it in words.
    responsible_entity: Mapped[str | None] = mapped_column(String(200))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[RecommendationStatus] = mapped_column(
        enum_column(RecommendationStatus, "recommendation_status"), nullable=False, index=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed(search_vector_sql(("text", "A"), ("category", "B")), persisted=True))

    assessment: Mapped[Assessment] = relationship(back_populates="recommendations")
    follow_ups: Mapped[list[RecommendationFollowUp]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", order_by="RecommendationFollowUp.at"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads a plain dict


class RecommendationFollowUp(Base):
    __tablename__ = "recommendation_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id", ondelete="CASCADE"),
                                                   nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    status: Mapped[RecommendationStatus] = mapped_column(
        enum_column(RecommendationStatus, "recommendation_status"), nullable=False
    )
    note: Mapped[str] = mapped_column(Text, nullable=False)
    evidence_ref: Mapped[str | None] = mapped_column(String(250))
    evidence_links: Mapped[list[str]] = mapped_column(ARRAY(String(500)), nullable=False, default=list,
                                                      server_default="{}")

    recommendation: Mapped[Recommendation] = relationship(back_populates="follow_ups")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", viewonly=True)


class Attachment(Base):
    """A report (of an assessment) or evidence (of a follow-up): a PDF or DOCX checked by its content.

    Kept in the database (bytea), not on disk: it is written or refused in the same transaction as its record,
    goes into every `hub db backup`, and every worker and host reads it without a shared file system. The size
    limit (services.knowledge.attachments) keeps rows small enough for that.
    """

    __tablename__ = "knowledge_attachment"
    __table_args__ = (
        CheckConstraint("(assessment_id IS NULL) <> (follow_up_id IS NULL)", name="one_owner"),
        CheckConstraint("content_type IN ('application/pdf', "
                        "'application/vnd.openxmlformats-officedocument.wordprocessingml.document')",
                        name="content_type_known"),
        CheckConstraint("size_bytes = octet_length(content)", name="size_matches"),
        Index("ix_knowledge_attachment_search", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation_follow_up.id", ondelete="CASCADE"),
                                                     index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    extracted_text: Mapped[str] = deferred(mapped_column(Text, nullable=False, default=""))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    search_vector: Mapped[str] = deferred(mapped_column(TSVECTOR, Computed(search_vector_sql(
        ("filename", "A"), (f"left(extracted_text, {ATTACHMENT_SEARCH_CHARS})", "B")), persisted=True)))


class Lesson(Generated, Timestamped, Base):
    """A lesson learned or good practice, in English, French or both; drafted, reviewed, then published."""

    __tablename__ = "lesson"
    __table_args__ = (
        Index("ix_lesson_search", "search_vector", postgresql_using="gin"),
        CheckConstraint("(title_en IS NOT NULL AND body_en IS NOT NULL) OR "
                        "(title_fr IS NOT NULL AND body_fr IS NOT NULL)", name="one_language_at_least"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title_en: Mapped[str | None] = mapped_column(String(250))
    body_en: Mapped[str | None] = mapped_column(Text)
    title_fr: Mapped[str | None] = mapped_column(String(250))
    body_fr: Mapped[str | None] = mapped_column(Text)
    status: Mapped[LessonStatus] = mapped_column(enum_column(LessonStatus, "lesson_status"), nullable=False,
                                                 default=LessonStatus.DRAFT, server_default="draft", index=True)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), nullable=False, default=list)
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("mission.id"), index=True)
    capacity_id: Mapped[int | None] = mapped_column(ForeignKey("capacity.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="SET NULL"))
    attachment_ref: Mapped[str | None] = mapped_column(String(250))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    reviewed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    search_vector: Mapped[str] = mapped_column(TSVECTOR, Computed(search_vector_sql(
        ("title_en", "A"), ("title_fr", "A"), ("body_en", "B"), ("body_fr", "B")), persisted=True))

    recommendations: Mapped[list[Recommendation]] = relationship(secondary=lesson_recommendation)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads a plain dict
