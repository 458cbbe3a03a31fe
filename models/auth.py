"""Users, their roles, personal access tokens, and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, enum_column
from models.enums import Role


class User(Timestamped, Base):
    __tablename__ = "app_user"
    # An expert user is linked to exactly one expert, and only an expert user is: the self-service scope.
    __table_args__ = (CheckConstraint("(role = 'expert') = (expert_id IS NOT NULL)", name="expert_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    locale: Mapped[str] = mapped_column(String(5), nullable=False, default="en")
    # Bumped on password reset or deactivation: sessions carrying an older value are refused.
    session_epoch: Mapped[int] = mapped_column(nullable=False, default=0)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The expert whose own record this user keeps (role expert); one user per expert.
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"), unique=True)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(Base):
    """A personal access token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")


class AuditEvent(Base):
    """Append-only (a trigger in the migration refuses UPDATE and DELETE): who, when, what, from where."""

    __tablename__ = "audit_event"
    # The administration page reads one record's history and filters by action, newest first, on a log that
    # grows without bound: both by index, not a scan of every event.
    __table_args__ = (
        Index("ix_audit_event_record", "entity", "entity_id", "at"),
        Index("ix_audit_event_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now(),
                                         index=True)
    # No foreign key: the log outlives users and is never updated (a SET NULL cascade would be an update).
    user_id: Mapped[int | None] = mapped_column(index=True)
    username: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60), nullable=False)  # login, login_failed, create, export ...
    entity: Mapped[str | None] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(Text)


class RevokedSession(Base):
    """Sessions ended by logout or idle timeout. Session cookies are signed, not stored: without this list a
    stale copy of the cookie (a response in flight at logout, a copied cookie) would still be a valid login."""

    __tablename__ = "revoked_session"

    sid: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[int | None]
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now(),
                                                 index=True)


class DataLoad(Timestamped, Base):
    """Which reference or demo data set was loaded, when, with what seed and counts."""

    __tablename__ = "data_load"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # reference, demo
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
