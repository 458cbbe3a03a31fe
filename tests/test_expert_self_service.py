"""An expert user keeps their own languages and absences (issue 15, "Experts keep their own availability"):
the API under /api/v1/me with ETag/If-Match, the services' scope (another expert's id is not found to them),
role refusals, the audit naming the expert as the actor, and the admin's link between a user and an expert."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from models import AuditEvent, Deployment, Expert, User
from models.enums import Role
from services import admin, experts
from services.access import Principal
from services.admin import FieldProblems
from services.errors import Forbidden, NotFound
from services.records import Problems
from tests.factories import login

ME = "/api/v1/me"


@pytest.fixture
def me(client, expert_user):
    username, password, expert_id = expert_user()
    assert login(client, username, password).status_code == 302
    return client, expert_id, username


def _etag(client) -> str:
    answer = client.get(ME)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.headers["ETag"]


def test_me_answers_the_own_record_with_its_etag(me) -> None:
    client, expert_id, _username = me
    answer = client.get(ME)
    body = answer.get_json()
    assert answer.status_code == 200 and answer.headers["ETag"] == f'"v{body["version"]}"'
    assert body["id"] == expert_id and body["given_name"] == "Selfie" and body["staff_number"].startswith("SELF-")
    assert body["languages"] == [] and body["absences"] == [] and "deployments" in body and "clearances" in body


def test_expert_keeps_own_languages_and_absences(me) -> None:
    client, _expert_id, _username = me
    added = client.post(f"{ME}/languages", json={"language": "fr", "level": "B2"}, headers={"If-Match": _etag(client)})
    assert added.status_code == 201, added.get_json()
    assert [(lg["code"], lg["level"]) for lg in added.get_json()["languages"]] == [("fr", "B2")]
    changed = client.patch(f"{ME}/languages/fr", json={"level": "C1"}, headers={"If-Match": added.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["languages"][0]["level"] == "C1"
    start = date.today() + timedelta(days=10)
    absence = client.post(f"{ME}/absences", json={"kind": "leave", "start_date": start.isoformat(),
                                                  "end_date": (start + timedelta(days=5)).isoformat()},
                          headers={"If-Match": changed.headers["ETag"]})
    assert absence.status_code == 201, absence.get_json()
    row = absence.get_json()["absences"][0]
    moved = client.patch(f"{ME}/absences/{row['id']}", json={"end_date": (start + timedelta(days=8)).isoformat()},
                         headers={"If-Match": absence.headers["ETag"]})
    assert moved.status_code == 200 and moved.get_json()["absences"][0]["end_date"] == \
        (start + timedelta(days=8)).isoformat()
    gone = client.delete(f"{ME}/absences/{row['id']}", headers={"If-Match": moved.headers["ETag"]})
    assert gone.status_code == 200 and gone.get_json()["absences"] == []
    removed = client.delete(f"{ME}/languages/fr", headers={"If-Match": gone.headers["ETag"]})
    assert removed.status_code == 200 and removed.get_json()["languages"] == []


def test_stale_if_match_is_412_and_none_is_428(me) -> None:
    client, _expert_id, _username = me
    old = _etag(client)
    assert client.post(f"{ME}/languages", json={"language": "es", "level": "A2"},
                       headers={"If-Match": old}).status_code == 201
    stale = client.post(f"{ME}/languages", json={"language": "ar", "level": "A1"}, headers={"If-Match": old})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert client.post(f"{ME}/languages", json={"language": "ar", "level": "A1"}).status_code == 428
    assert [lg["code"] for lg in client.get(ME).get_json()["languages"]] == ["es"]


def test_the_etag_of_a_compressed_answer_is_accepted(me) -> None:
    """The hub compresses its answers (flask-compress), which tags a strong ETag with the coding: "v3:gzip".
    A client sending back the ETag it got must not be told its version is stale."""
    client, _expert_id, _username = me
    # A record long enough to be compressed (flask-compress leaves answers under 500 bytes alone).
    long = {"kind": "other", "start_date": "2031-06-01", "end_date": "2031-06-02", "note": "n" * 400}
    assert client.post(f"{ME}/absences", json=long, headers={"If-Match": _etag(client)}).status_code == 201
    got = client.get(ME, headers={"Accept-Encoding": "gzip"})
    assert got.headers.get("Content-Encoding") == "gzip" and got.headers["ETag"].endswith(':gzip"')
    added = client.post(f"{ME}/languages", json={"language": "pt", "level": "B1"},
                        headers={"If-Match": got.headers["ETag"]})
    assert added.status_code == 201, added.get_data(as_text=True)
    assert client.post(f"{ME}/languages", json={"language": "ru", "level": "B1"},
                       headers={"If-Match": got.headers["ETag"]}).status_code == 412


def test_overlapping_absence_is_refused_at_its_field(me) -> None:
    client, _expert_id, _username = me
    start = date.today() + timedelta(days=20)
    first = client.post(f"{ME}/absences", json={"kind": "training", "start_date": start.isoformat(),
                                                "end_date": (start + timedelta(days=10)).isoformat()},
                        headers={"If-Match": _etag(client)})
    assert first.status_code == 201
    overlap = client.post(f"{ME}/absences", json={"kind": "leave",
                                                  "start_date": (start + timedelta(days=5)).isoformat(),
                                                  "end_date": (start + timedelta(days=30)).isoformat()},
                          headers={"If-Match": first.headers["ETag"]})
    assert overlap.status_code == 422
    (error,) = overlap.get_json()["errors"]
    assert error["field"] == "start_date" and error["code"] == "absence_overlap"
    assert start.isoformat() in error["message"] and "training" in error["message"]
    bad = client.post(f"{ME}/absences", json={"kind": "leave", "start_date": "2031-02-10", "end_date": "2031-02-01"},
                      headers={"If-Match": first.headers["ETag"]})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["code"] == "date_order"


def test_the_rest_of_the_api_refuses_the_expert_role(me, session) -> None:
    client, expert_id, _username = me
    other = session.scalar(select(Expert.id).where(Expert.id != expert_id).order_by(Expert.id).limit(1))
    for path in ("/api/v1/experts", f"/api/v1/experts/{other}", f"/api/v1/experts/{other}/record",
                 f"/api/v1/experts/{expert_id}/record", "/api/v1/deployments", "/api/v1/key-figures",
                 "/api/v1/openapi.json", "/api/v1/no-such-thing"):
        assert client.get(path).status_code == 403, path
    # The planners' write endpoints, even on the expert's own id.
    tag = _etag(client)
    assert client.post(f"/api/v1/experts/{expert_id}/languages", json={"language": "fr", "level": "B1"},
                       headers={"If-Match": tag}).status_code == 403
    assert client.post(f"/api/v1/experts/{other}/absences", json={"kind": "leave", "start_date": "2031-01-01",
                                                                  "end_date": "2031-01-02"}).status_code == 403
    # Pages: home sends them to /me; the others refuse; downloads too.
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/me")
    assert client.get("/me").status_code == 200
    assert client.get("/experts").status_code == 403
    assert client.get(f"/experts/{other}").status_code == 403
    assert client.get("/map/download/missions.csv").status_code == 403


def test_other_roles_have_no_me(logged_in) -> None:
    planner = logged_in("planner")
    assert planner.get(ME).status_code == 403
    assert planner.post(f"{ME}/languages", json={"language": "fr", "level": "B1"}).status_code == 403


def _principal(session, expert_id: int) -> Principal:
    from services.users import create_user

    user = create_user(session, f"t-exp-{secrets.token_hex(4)}", Role.EXPERT, secrets.token_urlsafe(12),
                       expert_id=expert_id)
    session.flush()
    return Principal(user.id, user.username, Role.EXPERT, expert_id)


def test_services_scope_the_expert_to_their_own_record(session) -> None:
    own, other = session.scalars(select(Expert.id).where(Expert.erased_at.is_(None)).order_by(Expert.id).limit(2))
    principal = _principal(session, own)
    version = session.get(Expert, other).version
    with pytest.raises(NotFound):
        experts.add_part(session, principal, other, "absences", {"kind": "leave", "start_date": "2031-05-01",
                                                                  "end_date": "2031-05-02"}, version=version)
    with pytest.raises(NotFound):
        experts.remove_part(session, principal, other, "languages", "en", version=version)
    own_version = session.get(Expert, own).version
    with pytest.raises(Forbidden):
        experts.add_part(session, principal, own, "skills", {"skill": "x", "level": 3}, version=own_version)
    with pytest.raises(Forbidden):
        experts.update_expert(session, principal, own, {"given_name": "Me"}, version=own_version)
    with pytest.raises(Forbidden):
        experts.expert_record(session, principal, other)
    assert experts.own_record(session, principal)["id"] == own
    # A principal of the role with no link (cannot be stored; a token or a bug) reads nothing.
    with pytest.raises(Forbidden):
        experts.own_record(session, Principal(principal.user_id, principal.username, Role.EXPERT, None))


def test_the_change_is_audited_with_the_expert_as_actor(session) -> None:
    own = session.scalar(select(Expert.id).where(Expert.erased_at.is_(None)).order_by(Expert.id.desc()).limit(1))
    principal = _principal(session, own)
    experts.add_part(session, principal, own, "absences", {"kind": "medical", "start_date": "2032-01-05",
                                                            "end_date": "2032-01-09"},
                     version=session.get(Expert, own).version)
    event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "expert", AuditEvent.entity_id == str(own))
                            .order_by(AuditEvent.id.desc()).limit(1)).one()
    assert event.user_id == principal.user_id and event.action == "expert.absences.add"
    planner = Principal(0, "t-planner", Role.PLANNER)
    latest = experts.record_changes(session, planner, own)[0]
    assert latest.by_expert and latest.username == principal.username and latest.parts == ("absences",)
    recent = experts.self_service_changes(session, planner)
    assert any(c.expert_id == own and c.username == principal.username for c in recent)
    with pytest.raises(Forbidden):
        experts.record_changes(session, Principal(0, "v", Role.BRIEFING), own)


def test_admin_links_an_expert_user_to_one_expert(session) -> None:
    first, second = session.scalars(select(Expert.staff_number).where(Expert.erased_at.is_(None))
                                    .order_by(Expert.id).limit(2))
    actor = "cli:test"
    with pytest.raises(FieldProblems) as none:
        admin.create_user(session, actor, f"t-e-{secrets.token_hex(3)}", "E", None, "expert")
    assert none.value.problems == {"expert": "expert_required"}
    with pytest.raises(FieldProblems) as unknown:
        admin.create_user(session, actor, f"t-e-{secrets.token_hex(3)}", "E", None, "expert", expert="NO-SUCH")
    assert unknown.value.problems == {"expert": "expert_unknown"}
    user, _pw = admin.create_user(session, actor, f"t-e-{secrets.token_hex(3)}", "E", None, "expert", expert=first)
    assert user.expert_id == session.scalar(select(Expert.id).where(Expert.staff_number == first))
    with pytest.raises(FieldProblems) as taken:
        admin.create_user(session, actor, f"t-e-{secrets.token_hex(3)}", "E", None, "expert", expert=first)
    assert taken.value.problems == {"expert": "expert_linked"}
    assert "linked to another user" in str(taken.value)
    other, _pw = admin.create_user(session, actor, f"t-v-{secrets.token_hex(3)}", "V", None, "viewer")
    with pytest.raises(FieldProblems):
        admin.change_role(session, actor, other.username, "expert")
    admin.change_role(session, actor, other.username, "expert", expert=second)
    assert other.role == Role.EXPERT and other.expert_id is not None
    admin.change_role(session, actor, other.username, "planner")
    assert other.role == Role.PLANNER and other.expert_id is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user_role_changed",
                                                     AuditEvent.entity_id == other.username)
                            .order_by(AuditEvent.id.desc()).limit(1)).one()
    assert event.detail["before"]["expert_id"] is not None and "expert_id" not in event.detail["after"]


def test_the_database_ties_role_and_link(session) -> None:
    from sqlalchemy.exc import IntegrityError

    from services.users import create_user

    with pytest.raises(IntegrityError), session.begin_nested():
        create_user(session, f"t-x-{secrets.token_hex(3)}", Role.EXPERT, secrets.token_urlsafe(12))
    expert_id = session.scalar(select(Expert.id).order_by(Expert.id).limit(1))
    with pytest.raises(IntegrityError), session.begin_nested():
        create_user(session, f"t-x-{secrets.token_hex(3)}", Role.VIEWER, secrets.token_urlsafe(12),
                    expert_id=expert_id)
    assert session.scalar(select(User.id).where(User.username.like("t-x-%"))) is None


def test_problems_of_the_own_absence_form_are_the_planners(session) -> None:
    """The same rule book refuses the expert's and the planner's input (one set of rules)."""
    own = session.scalar(select(Expert.id).where(Expert.erased_at.is_(None)).order_by(Expert.id).limit(1))
    principal = _principal(session, own)
    with pytest.raises(Problems) as refused:
        experts.add_part(session, principal, own, "absences", {"kind": "holiday", "start_date": "x"},
                         version=session.get(Expert, own).version)
    assert {(p.field, p.code) for p in refused.value.problems} >= {("kind", "one_of"), ("start_date", "not_a_date"),
                                                                   ("end_date", "required")}


def test_hub_users_create_links_an_expert_by_staff_number(db_url: str, server, expert_user) -> None:
    """`hub users create NAME --role expert --expert STAFF_NUMBER`; the refusals say why, and a token of the
    expert user reads /me only."""
    from click.testing import CliRunner
    from sqlalchemy import delete

    from cli.main import cli
    from models import ApiToken
    from models.db import session_scope

    factory = server.extensions["hub"].session_factory
    _taken_user, _pw, taken = expert_user()
    with session_scope(factory) as s:
        staff = s.scalar(select(Expert.staff_number).where(Expert.id == taken))
        free = s.scalar(select(Expert.staff_number).where(Expert.erased_at.is_(None), Expert.id.not_in(
            select(User.expert_id).where(User.expert_id.is_not(None)))).order_by(Expert.id).limit(1))
    env = {"HUB_DATABASE_URL": db_url}
    name = f"cli-exp-{secrets.token_hex(3)}"
    try:
        missing = CliRunner().invoke(cli, ["users", "create", name, "--role", "expert"], env=env)
        # main() prints the refusal (hub: ...) and exits 1; the runner hands back the error itself.
        assert missing.exit_code != 0 and "--expert STAFF_NUMBER" in str(missing.exception)
        linked = CliRunner().invoke(cli, ["users", "create", name, "--role", "expert", "--expert", staff], env=env)
        assert linked.exit_code != 0 and "linked to another user" in str(linked.exception)
        made = CliRunner().invoke(cli, ["users", "create", name, "--role", "expert", "--expert", free], env=env)
        assert made.exit_code == 0, made.output
        token = CliRunner().invoke(cli, ["tokens", "create", "--user", name], env=env)
        plain = token.output.strip().splitlines()[-1]
        client = server.test_client()
        auth = {"Authorization": f"Bearer {plain}"}
        own = client.get("/api/v1/me", headers=auth)
        assert own.status_code == 200 and own.get_json()["staff_number"] == free
        assert client.get("/api/v1/experts", headers=auth).status_code == 403
    finally:
        with session_scope(factory) as s:
            ids = select(User.id).where(User.username == name)
            s.execute(delete(ApiToken).where(ApiToken.user_id.in_(ids)))
            s.execute(delete(User).where(User.username == name))


def test_an_expert_with_a_user_is_not_deleted_under_it(session) -> None:
    own = session.scalar(select(Expert.id).where(Expert.erased_at.is_(None), Expert.id.not_in(
        select(User.expert_id).where(User.expert_id.is_not(None)))).order_by(Expert.id.desc()).limit(1))
    principal = _principal(session, own)
    session.execute(delete(Deployment).where(Deployment.expert_id == own))
    with pytest.raises(experts.HasHistory) as refused:
        experts.delete_expert(session, Principal(0, "t-planner", Role.PLANNER), own,
                              version=session.get(Expert, own).version)
    assert [(p.code, p.params["user"]) for p in refused.value.problems] == [("has_user", principal.username)]


def _login_state(session, username: str) -> tuple[bool, int]:
    user = session.scalars(select(User).where(User.username == username)).one()
    session.refresh(user)
    return user.active, user.session_epoch


def test_a_separated_experts_login_ends_with_them(session) -> None:
    """A person who has left must not keep access until an administrator notices: the planner's separation
    (page, API or roster import) deactivates the linked user, audited as the planner's act."""
    from services.experts import roster_import
    from services.records.imports import read_table
    from tests.factories import roster_row, roster_xlsx

    planner = Principal(0, "t-planner", Role.PLANNER)
    # By the record: the profile's status.
    own = session.scalar(select(Expert.id).where(Expert.erased_at.is_(None), Expert.status == "active",
                                                 Expert.id.not_in(select(User.expert_id)
                                                                  .where(User.expert_id.is_not(None))))
                         .order_by(Expert.id.desc()).limit(1))
    user = _principal(session, own)
    active, epoch = _login_state(session, user.username)
    assert active
    experts.separate_expert(session, planner, own, date.today().isoformat(), version=session.get(Expert, own).version)
    assert _login_state(session, user.username) == (False, epoch + 1)  # its open sessions end too
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user_deactivated",
                                                     AuditEvent.entity_id == user.username)).one()
    assert event.username == planner.username and event.detail["after"]["reason"] == "expert_separated"
    # By the roster: a row that marks a linked expert separated.
    prefix = f"SEP{secrets.token_hex(2).upper()}"
    table = read_table(roster_xlsx([roster_row(prefix, 1)]), "roster.xlsx")
    roster_import.commit(session, planner, table)
    imported = session.scalar(select(Expert.id).where(Expert.staff_number == f"{prefix}00001"))
    second = _principal(session, imported)
    separated = roster_row(prefix, 1, status="separated", separated_on=date.today().isoformat())
    result = roster_import.commit(session, planner, read_table(roster_xlsx([separated]), "roster.xlsx"))
    assert result.updated == 1
    assert not _login_state(session, second.username)[0]
    # Nothing else: another, active expert's user keeps their login.
    third = _principal(session, session.scalar(
        select(Expert.id).where(Expert.erased_at.is_(None), Expert.status == "active",
                                Expert.id.not_in(select(User.expert_id).where(User.expert_id.is_not(None))))
        .order_by(Expert.id).limit(1)))
    assert _login_state(session, third.username)[0]


def test_an_expert_keeps_absences_to_come_not_the_records_past(me, server) -> None:
    """An ended absence feeds availability and utilisation history: the expert may not add, move into the past,
    change or remove one (the planner may); the refusal is at the end date, in words."""
    client, expert_id, _username = me
    today = date.today()
    past = {"kind": "leave", "start_date": (today - timedelta(days=30)).isoformat(),
            "end_date": (today - timedelta(days=20)).isoformat()}
    refused = client.post(f"{ME}/absences", json=past, headers={"If-Match": _etag(client)})
    assert refused.status_code == 422, refused.get_json()
    assert [(e["field"], e["code"]) for e in refused.get_json()["errors"]] == [("end_date", "absence_ended")]
    assert "ask a planner" in refused.get_json()["errors"][0]["message"]
    # One that goes on until today is theirs; moving its end into the past is not.
    current = client.post(f"{ME}/absences", json={**past, "end_date": today.isoformat()},
                          headers={"If-Match": _etag(client)})
    assert current.status_code == 201, current.get_json()
    absence_id = current.get_json()["absences"][0]["id"]
    moved = client.patch(f"{ME}/absences/{absence_id}", json={"end_date": (today - timedelta(days=1)).isoformat()},
                         headers={"If-Match": current.headers["ETag"]})
    assert moved.status_code == 422 and moved.get_json()["errors"][0]["code"] == "absence_ended"
    # Once ended (the planner records it so), it is the planners' to change or remove.
    from models.db import session_scope

    planner = Principal(0, "t-planner", Role.PLANNER)
    with session_scope(server.extensions["hub"].session_factory) as s:  # committed: the app reads it
        experts.change_part(s, planner, expert_id, "absences", absence_id,
                            {"end_date": (today - timedelta(days=1)).isoformat()},
                            version=s.get(Expert, expert_id).version)
    path = f"{ME}/absences/{absence_id}"
    for answer in (client.delete(path, headers={"If-Match": _etag(client)}),
                   client.patch(path, json={"note": "x"}, headers={"If-Match": _etag(client)})):
        assert answer.status_code == 422 and answer.get_json()["errors"][0]["code"] == "absence_ended", \
            answer.get_json()
    assert [a["id"] for a in client.get(ME).get_json()["absences"]] == [absence_id]


def test_a_departed_experts_login_is_not_reactivated(session) -> None:
    """Separation ended the login: it comes back only once the expert is active again, and never once the
    expert's personal data were erased."""
    from services.errors import Conflict

    planner, root = Principal(0, "t-planner", Role.PLANNER), Principal(0, "t-admin", Role.ADMIN)
    own = session.scalar(select(Expert.id).where(Expert.erased_at.is_(None), Expert.status == "active",
                                                 Expert.id.not_in(select(User.expert_id)
                                                                  .where(User.expert_id.is_not(None))))
                         .order_by(Expert.id.desc()).limit(1))
    user = _principal(session, own)
    experts.separate_expert(session, planner, own, date.today().isoformat(), version=session.get(Expert, own).version)
    with pytest.raises(Conflict, match="who has left; make the expert active again"):
        admin.reactivate_user(session, root, user.username)
    assert not _login_state(session, user.username)[0]
    experts.update_expert(session, planner, own, {"status": "active", "separated_on": None},
                          version=session.get(Expert, own).version)
    admin.reactivate_user(session, root, user.username)  # the person is back: so is their login
    assert _login_state(session, user.username)[0]
    experts.separate_expert(session, planner, own, date.today().isoformat(), version=session.get(Expert, own).version)
    experts.erase_expert(session, planner, own, version=session.get(Expert, own).version)
    with pytest.raises(Conflict, match="personal data were erased"):
        admin.reactivate_user(session, root, user.username)
    assert not _login_state(session, user.username)[0]
