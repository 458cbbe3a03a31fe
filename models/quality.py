"""The data-quality scorecard's daily snapshot (services/quality): the trend's data."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class QualitySnapshot(Base):
    """One day's counts of one rule for one scope (all records, a mission, a capacity)."""

    __tablename__ = "quality_snapshot"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rule: Mapped[str] = mapped_column(String(60), primary_key=True)
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)  # all, mission, capacity
    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 for all
    checked: Mapped[int] = mapped_column(nullable=False)
    failing: Mapped[int] = mapped_column(nullable=False)
