"""The login rate limit's counters, shared by every worker and host that uses this database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class RateLimitCounter(Base):
    """One fixed window of one limit for one client (dashboard/security/limit_store.py). UNLOGGED: counters
    lost in a crash cost nothing, and the table skips the write-ahead log."""

    __tablename__ = "rate_limit_counter"
    __table_args__ = ({"prefixes": ("UNLOGGED",)},)

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
