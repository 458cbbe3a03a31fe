"""Assessments, their recommendations and follow-up, and the knowledge base of lessons and documents."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Computed, Date, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Generated, Timestamped, enum_column
from models.enums import AssessmentKind, Priority, RecommendationStatus
from models.geography import Mission


class Assessment(Generated, Timestamped, Base):
    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AssessmentKind] = mapped_column(enum_column(AssessmentKind, "assessment_kind"), nullable=False)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("mission.id"), index=True)
    capacity_id: Mapped[int | None] = mapped_column(ForeignKey("capacity.id"))
    conducted_on: Mapped[date] = mapped_column(Date, nullable=False)
    findings: Mapped[str | None] = mapped_column(Text)
    report_ref: Mapped[str | None] = mapped_column(String(250))

    mission: Mapped[Mission | None] = relationship()
    recommendations: Mapped[list[Recommendation]] = relationship(back_populates="assessment",
                                                                 cascade="all, delete-orphan")


class Recommendation(Generated, Timestamped, Base):
    """Overdue is derived (due_on past and not implemented or closed), never stored."""

    __tablename__ = "recommendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False,
                                               index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(String(80), nullable=False)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"), nullable=False)
    responsible_entity: Mapped[str] = mapped_column(String(200), nullable=False)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[RecommendationStatus] = mapped_column(
        enum_column(RecommendationStatus, "recommendation_status"), nullable=False, index=True
    )

    assessment: Mapped[Assessment] = relationship(back_populates="recommendations")
    follow_ups: Mapped[list[RecommendationFollowUp]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", order_by="RecommendationFollowUp.at"
    )


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

    recommendation: Mapped[Recommendation] = relationship(back_populates="follow_ups")


class Lesson(Generated, Timestamped, Base):
    """A lesson learned or a document of the knowledge base, searchable in English and French."""

    __tablename__ = "lesson"
    __table_args__ = (Index("ix_lesson_search", "search_vector", postgresql_using="gin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    language_code: Mapped[str] = mapped_column(ForeignKey("language.code"), nullable=False, default="en")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), nullable=False, default=list)
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("mission.id"), index=True)
    capacity_id: Mapped[int | None] = mapped_column(ForeignKey("capacity.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="SET NULL"))
    attachment_ref: Mapped[str | None] = mapped_column(String(250))
    # 'simple' with unaccent-free folding (hub_unaccent in the migration) so that "securite" finds
    # "sécurité" in either language.
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('simple'::regconfig, hub_unaccent(coalesce(title, ''))), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, hub_unaccent(coalesce(body, ''))), 'B')",
            persisted=True,
        ),
    )
