"""Administration: one function per administrative action, each writing the change and its audit event.

The pages and the `hub` command both call these, so an action is audited the same way from either. The actor
is the admin's Principal (the page) or the text ``cli:<OS user>`` (the command).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.auth import ApiToken, User
from models.enums import ExpertStatus, Role
from models.people import Expert
from services import audit, tokens, users
from services.access import Permission, Principal
from services.errors import Conflict, Forbidden, NotFound, ValidationError

Actor = Principal | str  # a logged-in admin, or "cli:<OS user>" for the command line


# The English of each problem code, for the command line; the pages show their own translated sentences.
_PROBLEM_TEXT = {"required": "is required", "invalid": "is not valid", "taken": "is taken already",
                 "unknown": "is not a known role", "too_long": "is too long",
                 "expert_required": "is required for the expert role (--expert STAFF_NUMBER)",
                 "expert_unknown": "names no expert (give a staff number)",
                 "expert_linked": "is linked to another user already",
                 "expert_not_expert_role": "can be linked only to a user with the expert role"}


class FieldProblems(ValidationError):
    """Problems of a form, one code per field; each edge turns the codes into messages at their fields."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field.replace('_', ' ')} {_PROBLEM_TEXT.get(code, code)}"
                                   for field, code in problems.items()) + ".")


def _require_admin(actor: Actor) -> None:
    # The pages' rule holds in the service too: a callback could be reached some other way.
    if isinstance(actor, Principal):
        actor.require(Permission.MANAGE_USERS)


def _record(session: Session, actor: Actor, action: str, entity: str, entity_id: object,
            before: dict[str, Any] | None, after: dict[str, Any] | None,
            origin: audit.RequestOrigin | None = None) -> None:
    detail = {"before": before, "after": after}
    if isinstance(actor, Principal):
        audit.record(session, action, principal=actor, entity=entity, entity_id=entity_id, detail=detail,
                     origin=origin)
    else:
        audit.record(session, action, username=actor[:80], entity=entity, entity_id=entity_id, detail=detail,
                     origin=origin)


def _user_state(user: User) -> dict[str, Any]:
    # Never the password or its hash: the log is read by people.
    state = {"username": user.username, "display_name": user.display_name, "email": user.email,
             "role": user.role.value, "active": user.active}
    # The expert an expert user is linked to; absent for every other user.
    return state | ({"expert_id": user.expert_id} if user.expert_id is not None else {})


def _expert_link(session: Session, role: str, expert: str | int | None, user: User | None) -> tuple[int | None,
                                                                                                     str | None]:
    """The expert an expert user is linked to (by staff number, or id from the page's picker), and the problem
    code when it cannot be: none given, none found, or linked to another user already. Other roles: no link."""
    if role != Role.EXPERT.value:
        return None, "expert_not_expert_role" if expert not in (None, "") else None
    if expert in (None, ""):
        return None, "expert_required"
    by = (Expert.id == expert) if isinstance(expert, int) \
        else (func.lower(Expert.staff_number) == str(expert).strip().lower())
    expert_id = session.scalar(select(Expert.id).where(by, Expert.erased_at.is_(None)))
    if expert_id is None:
        return None, "expert_unknown"
    holder = session.scalar(select(User.id).where(User.expert_id == expert_id))
    if holder is not None and (user is None or holder != user.id):
        return None, "expert_linked"
    return expert_id, None


def expert_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Experts an expert user may be linked to (not erased, not linked yet), for the page's picker."""
    _require_admin(actor)
    linked = select(User.expert_id).where(User.expert_id.is_not(None))
    rows = session.execute(select(Expert.id, Expert.family_name, Expert.given_name, Expert.staff_number)
                           .where(Expert.erased_at.is_(None), Expert.id.not_in(linked))
                           .order_by(Expert.family_name, Expert.given_name, Expert.id))
    return [(i, f"{family}, {given} ({staff})") for i, family, given, staff in rows]


def _user(session: Session, username: str) -> User:
    user = users.get_by_username(session, username)
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)) or 0


def _keep_an_admin(session: Session, actor: Actor, user: User, what: str) -> None:
    """An admin may not remove their own rights, and the last active admin stays one."""
    if isinstance(actor, Principal) and actor.user_id == user.id:
        raise Forbidden(f"You cannot {what} yourself; ask another administrator.")
    if user.role == Role.ADMIN and user.active and _other_active_admins(session, user) == 0:
        raise Conflict(f"{user.username} is the last active administrator; make another one first.")


# --- users ---------------------------------------------------------------------------------------
def create_user(session: Session, actor: Actor, username: str, display_name: str, email: str | None,
                role: Role | str, password: str | None = None,
                origin: audit.RequestOrigin | None = None, expert: str | int | None = None) -> tuple[User, str]:
    """A new active user; the password (generated unless given) is returned to be shown once. An expert user
    names the expert they are (``expert``: a staff number, or an expert's id)."""
    _require_admin(actor)
    problems: dict[str, str] = {}
    username = (username or "").strip().lower()
    if not username:
        problems["username"] = "required"
    elif not users.USERNAME_RE.match(username):
        problems["username"] = "invalid"
    elif users.get_by_username(session, username) is not None:
        problems["username"] = "taken"
    if not (display_name or "").strip():
        problems["display_name"] = "required"
    elif len(display_name.strip()) > 200:
        problems["display_name"] = "too_long"
    email = (email or "").strip() or None
    if email and ("@" not in email or len(email) > 200):
        problems["email"] = "invalid"
    expert_id = None
    if role not in {r.value for r in Role}:
        problems["role"] = "unknown"
    else:
        expert_id, code = _expert_link(session, str(role), expert, None)
        if code:
            problems["expert"] = code
    if problems:
        raise FieldProblems(problems)
    password = password or users.generate_password()
    user = users.create_user(session, username, role, password, display_name=display_name.strip(), email=email,
                             expert_id=expert_id)
    _record(session, actor, "user_created", "user", user.username, None, _user_state(user), origin)
    return user, password


def change_role(session: Session, actor: Actor, username: str, role: Role | str,
                origin: audit.RequestOrigin | None = None, expert: str | int | None = None) -> User:
    """A new role; the expert role needs the expert (staff number or id), any other role drops the link."""
    _require_admin(actor)
    if role not in {r.value for r in Role}:
        raise FieldProblems({"role": "unknown"})
    user = _user(session, username)
    new = Role(role)
    expert_id, code = _expert_link(session, new.value, expert, user)
    if code:
        raise FieldProblems({"expert": code})
    if new == user.role and expert_id == user.expert_id:
        return user
    if user.role == Role.ADMIN:
        _keep_an_admin(session, actor, user, "demote")
    before = _user_state(user)
    user.role = new
    user.expert_id = expert_id
    user.session_epoch += 1  # open sessions carry the old role; they end
    _record(session, actor, "user_role_changed", "user", user.username, before, _user_state(user), origin)
    return user


def set_active(session: Session, actor: Actor, username: str, active: bool,
               origin: audit.RequestOrigin | None = None) -> User:
    """Deactivates (no login, no token, open sessions end) or reactivates a user; nothing if already so."""
    _require_admin(actor)
    user = _user(session, username)
    if user.active == active:
        return user
    if not active:
        _keep_an_admin(session, actor, user, "deactivate")
    if active:
        _refuse_login_of_departed_expert(session, user)
    before = _user_state(user)
    if active:
        user.active = True
    else:
        users.deactivate(session, user.username)  # ends the user's open sessions
    _record(session, actor, "user_reactivated" if active else "user_deactivated", "user", user.username, before,
            _user_state(user), origin)
    return user


def _refuse_login_of_departed_expert(session: Session, user: User) -> None:
    """A login that ended with its expert's separation comes back only with the expert (separation ends it, see
    end_login_of_separated_expert); an erased expert's login never does: the person is no longer in the hub."""
    if user.expert_id is None:
        return
    expert = session.get(Expert, user.expert_id)
    if expert is None:
        return
    if expert.erased_at is not None:
        raise Conflict(f"{user.username} was the login of an expert whose personal data were erased; it cannot be "
                       "reactivated. If the person returns, record them again and create a new user.")
    if expert.status == ExpertStatus.SEPARATED:
        raise Conflict(f"{user.username} is the login of {expert.given_name} {expert.family_name} "
                       f"({expert.staff_number}), who has left; make the expert active again on their record first.")


def end_login_of_separated_expert(session: Session, actor: Principal, expert_id: int,
                                  origin: audit.RequestOrigin | None = None) -> User | None:
    """The login of the user linked to an expert who has just left ends with them (deactivated, sessions ended,
    audited as the planner's act). Called by the personnel service, whose caller holds MANAGE_PERSONNEL, not
    admin rights: a separated person must not keep access until an administrator notices. Reactivating stays
    an administrator's act."""
    user = session.scalar(select(User).where(User.expert_id == expert_id, User.active.is_(True)))
    if user is None:
        return None
    before = _user_state(user)
    users.deactivate(session, user.username)
    _record(session, actor, "user_deactivated", "user", user.username, before,
            _user_state(user) | {"reason": "expert_separated"}, origin)
    return user


def deactivate_user(session: Session, actor: Actor, username: str,
                    origin: audit.RequestOrigin | None = None) -> User:
    return set_active(session, actor, username, False, origin)


def reactivate_user(session: Session, actor: Actor, username: str,
                    origin: audit.RequestOrigin | None = None) -> User:
    return set_active(session, actor, username, True, origin)


def reset_password(session: Session, actor: Actor, username: str, password: str | None = None,
                   origin: audit.RequestOrigin | None = None) -> tuple[User, str]:
    """A new password (generated unless given), shown once by the caller; the user's sessions end."""
    _require_admin(actor)
    user, password = users.reset_password(session, _user(session, username).username, password)
    # The event says that it happened, never the password.
    _record(session, actor, "user_password_reset", "user", user.username, None, None, origin)
    return user, password


@dataclass(frozen=True)
class UserRow:
    username: str
    display_name: str
    email: str | None
    role: Role
    active: bool
    last_login_at: datetime | None
    created_at: datetime | None


def list_users(session: Session, actor: Actor) -> list[UserRow]:
    _require_admin(actor)
    return [UserRow(u.username, u.display_name, u.email, u.role, u.active, u.last_login_at, u.created_at)
            for u in users.list_users(session)]


# --- tokens --------------------------------------------------------------------------------------
def _token_state(token: ApiToken) -> dict[str, Any]:
    return {"user": token.user.username, "name": token.name, "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat(timespec="seconds") if token.expires_at else None,
            "revoked_at": token.revoked_at.isoformat(timespec="seconds") if token.revoked_at else None}


def create_token(session: Session, actor: Actor, username: str, name: str = "cli", days: int | None = 365,
                 origin: audit.RequestOrigin | None = None) -> tuple[ApiToken, str]:
    _require_admin(actor)
    token, plain = tokens.create_token(session, username, name, days)
    _record(session, actor, "token_created", "api_token", token.id, None, _token_state(token), origin)
    return token, plain


def revoke_token(session: Session, actor: Actor, token_id: int,
                 origin: audit.RequestOrigin | None = None) -> ApiToken:
    _require_admin(actor)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"No token with id {token_id}.")
    if token.revoked_at is not None:
        return token
    before = _token_state(token)
    tokens.revoke_token(session, token_id)
    _record(session, actor, "token_revoked", "api_token", token.id, before, _token_state(token), origin)
    return token


@dataclass(frozen=True)
class TokenRow:
    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


def list_tokens(session: Session, actor: Actor) -> list[TokenRow]:
    _require_admin(actor)
    rows = session.execute(select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
                           .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return [TokenRow(t.id, name, t.name, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at)
            for t, name in rows]
