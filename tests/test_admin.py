"""Administration services on PostGIS: each action writes its change and its audit event; the audit log is read
one page at a time, by record, and exported (the export audited too); the command line is audited as
``cli:<OS user>``; other roles get 403 at the pages and their callbacks."""

from __future__ import annotations

import getpass
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cli.main import cli
from dashboard.file_responses import spreadsheet
from dashboard.security.callbacks import CALLBACK_ROLES
from models import ApiToken, AuditEvent, User
from models.db import session_scope
from models.enums import Role
from services import admin, audit, tokens, users
from services.access import Principal
from services.admin import FieldProblems
from services.audit import AuditFilter
from services.errors import Conflict, Forbidden


def _admin(session: Session, name: str | None = None) -> Principal:
    user = users.create_user(session, name or f"adm-{secrets.token_hex(3)}", Role.ADMIN, secrets.token_urlsafe(12))
    return Principal(user.id, user.username, Role.ADMIN)


def _events(session: Session, action: str, entity_id: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                         AuditEvent.entity_id == entity_id)))


def test_create_user_writes_the_user_and_its_event(session: Session) -> None:
    actor = _admin(session)
    _user, password = admin.create_user(session, actor, "new.person", "New Person", "np@example.org", "planner")
    assert users.authenticate(session, "new.person", password) is not None
    (event,) = _events(session, "user_created", "new.person")
    assert event.username == actor.username and event.user_id == actor.user_id and event.entity == "user"
    assert event.detail["before"] is None
    assert event.detail["after"] == {"username": "new.person", "display_name": "New Person",
                                     "email": "np@example.org", "role": "planner", "active": True}
    assert password not in str(event.detail) and "hash" not in str(event.detail)


def test_create_user_names_each_fields_problem_and_writes_nothing(session: Session) -> None:
    actor = _admin(session)
    admin.create_user(session, actor, "taken-name", "Someone", None, "viewer")
    before = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    with pytest.raises(FieldProblems) as refused:
        admin.create_user(session, actor, "Taken-Name", "  ", "not-an-email", "wizard")
    assert refused.value.problems == {"username": "taken", "display_name": "required", "email": "invalid",
                                      "role": "unknown"}
    assert str(refused.value) == ("username is taken already; display name is required; email is not valid; "
                                  "role is not a known role.")
    with pytest.raises(FieldProblems) as bad:
        admin.create_user(session, actor, "", "X", None, "viewer")
    assert bad.value.problems == {"username": "required"}
    assert session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == before


def test_change_role_ends_sessions_and_records_before_and_after(session: Session) -> None:
    actor = _admin(session)
    user, _pw = admin.create_user(session, actor, "role-change", "R C", None, "viewer")
    epoch = user.session_epoch
    admin.change_role(session, actor, "role-change", "planner")
    assert user.role == Role.PLANNER and user.session_epoch == epoch + 1
    (event,) = _events(session, "user_role_changed", "role-change")
    assert audit.changes(event.detail) == [audit.Change("role", "viewer", "planner")]


def test_deactivate_and_reactivate_are_audited_and_end_sessions(session: Session) -> None:
    actor = _admin(session)
    user, password = admin.create_user(session, actor, "leaving", "Leaving", None, "viewer")
    epoch = user.session_epoch
    admin.deactivate_user(session, actor, "leaving")
    assert not user.active and user.session_epoch == epoch + 1
    assert users.authenticate(session, "leaving", password) is None
    admin.reactivate_user(session, actor, "leaving")
    assert user.active and users.authenticate(session, "leaving", password) is not None
    (off,) = _events(session, "user_deactivated", "leaving")
    (on,) = _events(session, "user_reactivated", "leaving")
    assert audit.changes(off.detail) == [audit.Change("active", True, False)]
    assert audit.changes(on.detail) == [audit.Change("active", False, True)]


def test_reset_password_is_audited_without_the_password(session: Session) -> None:
    actor = _admin(session)
    user, old = admin.create_user(session, actor, "forgetful", "F", None, "viewer")
    epoch = user.session_epoch
    _user, new = admin.reset_password(session, actor, "forgetful")
    assert new != old and user.session_epoch == epoch + 1
    assert users.authenticate(session, "forgetful", old) is None
    assert users.authenticate(session, "forgetful", new) is not None
    (event,) = _events(session, "user_password_reset", "forgetful")
    assert new not in str(event.detail) and event.username == actor.username


def test_an_admin_cannot_deactivate_or_demote_themselves(session: Session) -> None:
    actor = _admin(session)
    _admin(session)  # another admin, so only the self rule applies
    with pytest.raises(Forbidden):
        admin.deactivate_user(session, actor, actor.username)
    with pytest.raises(Forbidden):
        admin.change_role(session, actor, actor.username, "viewer")
    me = users.get_by_username(session, actor.username)
    assert me is not None and me.active and me.role == Role.ADMIN


def test_the_last_active_admin_stays_one(session: Session) -> None:
    last = _admin(session)
    session.execute(update(User).where(User.role == Role.ADMIN, User.id != last.user_id).values(active=False))
    with pytest.raises(Conflict):
        admin.deactivate_user(session, "cli:root", last.username)
    with pytest.raises(Conflict):
        admin.change_role(session, "cli:root", last.username, "planner")
    second = _admin(session)
    admin.change_role(session, "cli:root", last.username, "planner")  # another admin exists now
    assert users.get_by_username(session, last.username).role == Role.PLANNER  # type: ignore[union-attr]
    assert second.role == Role.ADMIN


def test_other_roles_are_refused_by_the_services(session: Session) -> None:
    planner = users.create_user(session, "a-planner", Role.PLANNER, secrets.token_urlsafe(12))
    who = Principal(planner.id, planner.username, Role.PLANNER)
    with pytest.raises(Forbidden):
        admin.create_user(session, who, "sneaky", "S", None, "admin")
    with pytest.raises(Forbidden):
        admin.list_users(session, who)
    with pytest.raises(Forbidden):
        audit.export_rows(session, AuditFilter(), who)
    assert users.get_by_username(session, "sneaky") is None


def test_token_create_and_revoke_are_audited_and_revoked_token_stops_working(session: Session) -> None:
    actor = _admin(session)
    admin.create_user(session, actor, "script-owner", "S O", None, "viewer")
    token, plain = admin.create_token(session, actor, "script-owner", "nightly", 30)
    assert tokens.user_for_token(session, plain) is not None
    admin.revoke_token(session, actor, token.id)
    assert tokens.user_for_token(session, plain) is None
    (created,) = _events(session, "token_created", str(token.id))
    (revoked,) = _events(session, "token_revoked", str(token.id))
    assert created.detail["after"]["user"] == "script-owner" and plain not in str(created.detail)
    assert [c.field for c in audit.changes(revoked.detail)] == ["revoked_at"]
    listed = {r.id: r for r in admin.list_tokens(session, actor)}
    assert listed[token.id].revoked_at is not None and listed[token.id].username == "script-owner"


def test_token_last_use_is_written_at_most_once_a_minute(session: Session) -> None:
    actor = _admin(session)
    token, plain = admin.create_token(session, actor, actor.username, "ci", 30)
    assert token.last_used_at is None
    tokens.user_for_token(session, plain)
    first = token.last_used_at
    assert first is not None
    tokens.user_for_token(session, plain)
    assert token.last_used_at == first, "a second call within the minute writes nothing"
    token.last_used_at = first - timedelta(minutes=2)
    session.flush()
    tokens.user_for_token(session, plain)
    assert token.last_used_at > first - timedelta(minutes=2)  # type: ignore[operator]


def test_audit_pages_come_from_the_database_filtered(session: Session) -> None:
    action = f"paging_{secrets.token_hex(3)}"
    for i in range(120):
        audit.record(session, action, username="pager_%", entity="thing", entity_id=i)
    session.flush()
    rows, total = audit.events_page(session, AuditFilter(action=action), page=1)
    assert total == 120 and len(rows) == audit.PAGE_SIZE
    last, _total = audit.events_page(session, AuditFilter(action=action), page=3)
    assert len(last) == 20
    ids = [r.id for r in rows] + [r.id for r in audit.events_page(session, AuditFilter(action=action), 2)[0]] + \
        [r.id for r in last]
    assert len(set(ids)) == 120 and ids == sorted(ids, reverse=True)
    # "who" matches literally: % and _ are not wildcards.
    assert audit.events_page(session, AuditFilter(who="pager_%", action=action))[1] == 120
    assert audit.events_page(session, AuditFilter(who="pagerx", action=action))[1] == 0
    assert audit.events_page(session, AuditFilter(action=action, entity="thing", entity_id="7"))[1] == 1
    today = datetime.now(UTC).date()
    assert audit.events_page(session, AuditFilter(action=action, since=today, until=today))[1] == 120
    assert audit.events_page(session, AuditFilter(action=action, until=today - timedelta(days=1)))[1] == 0
    assert audit.events_page(session, AuditFilter(action=action, since=today + timedelta(days=1)))[1] == 0
    assert action in audit.actions(session)


def test_record_history_shows_each_change_in_order(session: Session) -> None:
    actor = _admin(session)
    admin.create_user(session, actor, "storied", "Storied", None, "viewer")
    admin.change_role(session, actor, "storied", "planner")
    admin.deactivate_user(session, actor, "storied")
    history = audit.record_history(session, "user", "storied")
    assert [e.action for e in history] == ["user_created", "user_role_changed", "user_deactivated"]
    created = {c.field: (c.before, c.after) for c in audit.changes(history[0].detail)}
    assert created["username"] == (None, "storied") and created["role"] == (None, "viewer")
    assert [c.field for c in audit.changes(history[0].detail)] == sorted(created)


def test_export_escapes_formulas_and_is_itself_audited(session: Session) -> None:
    actor = _admin(session)
    action = f"exp_{secrets.token_hex(3)}"
    audit.record(session, action, username="=HYPERLINK(1)", entity="thing", entity_id="=1+1")
    rows = audit.export_rows(session, AuditFilter(action=action), actor, fmt="csv")
    assert [r["record_id"] for r in rows] == ["=1+1"]
    body = spreadsheet(rows, "csv", "audit").decode()
    assert "'=1+1" in body and "'=HYPERLINK(1)" in body
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "export",
                                                        AuditEvent.entity == "audit_event",
                                                        AuditEvent.username == actor.username))
    assert event.detail == {"filter": {"action": action}, "rows": 1} and event.entity_id == "csv"


# --- the command line ---------------------------------------------------------------------------
def _invoke(db_url: str, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input, env={"HUB_DATABASE_URL": db_url},
                              catch_exceptions=False)


def test_cli_user_and_token_commands_are_audited(db_url: str, server) -> None:
    factory = server.extensions["hub"].session_factory
    name = f"cli-audit-{secrets.token_hex(3)}"
    who = f"cli:{getpass.getuser()}"
    try:
        assert _invoke(db_url, "users", "create", name, "--role", "viewer").exit_code == 0
        assert _invoke(db_url, "users", "set-role", name, "--role", "planner").exit_code == 0
        assert _invoke(db_url, "users", "reset-password", name).exit_code == 0
        assert _invoke(db_url, "users", "deactivate", name).exit_code == 0
        assert _invoke(db_url, "users", "reactivate", name).exit_code == 0
        created = _invoke(db_url, "tokens", "create", "--user", name)
        with session_scope(factory) as s:
            token_id = s.scalar(select(ApiToken.id).join(User).where(User.username == name))
        assert created.exit_code == 0 and _invoke(db_url, "tokens", "revoke", str(token_id)).exit_code == 0
        with session_scope(factory) as s:
            events = s.execute(select(AuditEvent.action, AuditEvent.username).where(
                AuditEvent.entity_id.in_([name, str(token_id)])).order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["user_created", "user_role_changed", "user_password_reset",
                                              "user_deactivated", "user_reactivated", "token_created",
                                              "token_revoked"]
        assert {e.username for e in events} == {who}
    finally:
        with session_scope(factory) as s:
            user_id = s.scalar(select(User.id).where(User.username == name))
            if user_id:
                s.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
                s.execute(delete(User).where(User.id == user_id))


# --- the pages' rule ----------------------------------------------------------------------------
ADMIN_PATHS = ["/admin/users", "/admin/tokens", "/admin/audit"]


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_other_roles_get_403_at_the_pages_and_their_callbacks(logged_in, role: str) -> None:
    client = logged_in(role)
    for path in ADMIN_PATHS:
        assert client.get(path).status_code == 403, path
    keys = [k for k in CALLBACK_ROLES if "admin-" in k]
    assert len(keys) >= 5
    for key in keys:
        response = client.post("/_dash-update-component", json={"output": key, "inputs": [], "state": []})
        assert response.status_code == 403, key


def test_admin_opens_the_pages_and_anonymous_goes_to_login(client, logged_in) -> None:
    for path in ADMIN_PATHS:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    admin_client = logged_in("admin")
    for path in ADMIN_PATHS:
        assert admin_client.get(path).status_code == 200, path
