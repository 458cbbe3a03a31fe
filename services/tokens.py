"""Personal access tokens for the API (Authorization: Bearer). Only a SHA-256 of each token is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.auth import ApiToken, User
from services.errors import NotFound, ValidationError
from services.users import get_by_username

TOKEN_PREFIX = "hub_"
# last_used_at is written at most this often per token: a write on every API call would double the API's load.
LAST_USE_PRECISION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, username: str, name: str = "cli", days: int | None = 365) -> tuple[ApiToken, str]:
    user = get_by_username(session, username)
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    if not user.active:
        raise ValidationError(f"User {username!r} is deactivated.")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_sha256=_digest(plain), prefix=plain[:12],
        expires_at=datetime.now(UTC) + timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    return token, plain


def user_for_token(session: Session, plain: str) -> User | None:
    """The active user owning this unexpired, unrevoked token, or None."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(plain)))
    now = datetime.now(UTC)
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at < now):
        return None
    if not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_PRECISION:
        token.last_used_at = now
    return token.user


def revoke_token(session: Session, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"No token with id {token_id}.")
    token.revoked_at = datetime.now(UTC)
