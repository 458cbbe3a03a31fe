"""Users: creation, password checks (argon2), resets, deactivation."""

from __future__ import annotations

import contextlib
import re
import secrets
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.auth import User
from models.enums import Role
from services.errors import Conflict, NotFound, ValidationError

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return _hasher.hash(password)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def create_user(
    session: Session, username: str, role: Role | str, password: str, display_name: str | None = None,
    email: str | None = None, locale: str = "en", expert_id: int | None = None,
) -> User:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationError(
            "A username is 2 to 80 characters: lower-case letters, digits, '.', '_' or '-', starting with a "
            "letter or digit."
        )
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}.") from None
    if get_by_username(session, username) is not None:
        raise Conflict(f"A user named {username!r} exists already.")
    user = User(username=username, display_name=display_name or username, email=email, role=role,
                password_hash=hash_password(password), locale=locale, expert_id=expert_id)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user when the password is right and the account active; None otherwise, for every reason alike."""
    user = get_by_username(session, username or "")
    if user is None or not user.active:
        with contextlib.suppress(VerificationError, InvalidHashError):
            _hasher.verify(_DUMMY_HASH, password or "")
        return None
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = datetime.now(UTC)
    return user


def _require(session: Session, username: str) -> User:
    user = get_by_username(session, username)
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def reset_password(session: Session, username: str, password: str | None = None) -> tuple[User, str]:
    user = _require(session, username)
    password = password or generate_password()
    user.password_hash = hash_password(password)
    user.session_epoch += 1  # logs out every open session of this user
    return user, password


def deactivate(session: Session, username: str) -> User:
    user = _require(session, username)
    user.active = False
    user.session_epoch += 1
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
