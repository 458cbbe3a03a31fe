"""Deny by default: every route and callback needs a login and a role rule; login behaves as promised."""

from __future__ import annotations

import re
import time
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from dashboard.security.callbacks import CALLBACK_ROLES, is_internal, roles_for
from models import AuditEvent
from models.db import session_scope
from models.enums import Role
from services.users import deactivate, reset_password
from tests.factories import login

PUBLIC_ENDPOINTS = {"auth.login", "auth.set_language", "auth.health", "errors.ready"}
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")


def _concrete(rule) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "1" if "id" in m.group(1) else "x", rule.rule)


def _protected_rules(server):  # type: ignore[no-untyped-def]
    for rule in server.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.rule.startswith(PUBLIC_PREFIXES):
            continue
        if rule.rule in {"/_favicon.ico", "/favicon.ico"}:
            continue
        yield rule


def test_every_route_refuses_anonymous_requests(server, client) -> None:
    checked = 0
    for rule in _protected_rules(server):
        path = _concrete(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, json={} if method != "GET" else None)
            assert response.status_code in (401, 302), f"{method} {rule.rule} answered {response.status_code}"
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), rule.rule
            checked += 1
    # Dash's own endpoints are among them.
    rules = {r.rule for r in server.url_map.iter_rules()}
    assert {"/_dash-update-component", "/_dash-layout", "/_dash-dependencies"} <= rules
    assert checked >= 5


def test_dash_endpoints_answer_401_json_without_login(client) -> None:
    for path in ("/_dash-layout", "/_dash-dependencies"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.get_json()["error"] == "login_required"
    response = client.post("/_dash-update-component", json={"output": "home-figures.children"})
    assert response.status_code == 401


def _callback_keys(app, client) -> set[str]:  # type: ignore[no-untyped-def]
    # Dash fills app.callback_map on its first request; /_dash-dependencies is what browsers are told.
    served = {c["output"] for c in client.get("/_dash-dependencies").get_json()}
    return served | set(app.callback_map)


def test_every_callback_carries_a_role_rule(app, logged_in) -> None:
    keys = _callback_keys(app, logged_in("viewer"))
    assert len(keys) >= 3, "the app registers callbacks"
    for key in keys:
        assert roles_for(key) is not None, f"callback {key} has no role rule"
        assert key in CALLBACK_ROLES or is_internal(key)
    assert all(CALLBACK_ROLES[k] for k in CALLBACK_ROLES), "every rule allows at least one role"


def test_callbacks_refuse_roles_they_do_not_allow(app, logged_in) -> None:
    refused = 0
    all_keys = _callback_keys(app, logged_in("admin"))
    for role in Role:
        keys = [k for k in all_keys if k in CALLBACK_ROLES and role not in CALLBACK_ROLES[k]]
        if not keys:
            continue
        client = logged_in(role.value)
        for key in keys:
            response = client.post("/_dash-update-component", json={"output": key, "inputs": [], "state": []})
            assert response.status_code == 403, (role, key)
            refused += 1
    assert refused > 0, "at least one callback is closed to some role"


def test_unregistered_callback_is_refused(logged_in) -> None:
    client = logged_in("admin")
    response = client.post("/_dash-update-component", json={"output": "not-a-callback.children", "inputs": []})
    assert response.status_code == 403
    assert "not available" in response.get_json()["error"]


def test_foreign_origin_writes_are_refused(logged_in) -> None:
    client = logged_in("viewer")
    for path in ("/_dash-update-component", "/login", "/logout"):
        response = client.post(path, json={}, headers={"Origin": "https://evil.example"})
        assert response.status_code == 403, path
    same = client.post("/_dash-update-component", json={"output": "nothing.children"},
                       headers={"Origin": "http://localhost"})
    assert same.status_code == 403 and "another site" not in same.get_json()["error"]


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_user) -> None:
    username, _ = make_user("viewer")
    wrong = login(client, username, "not-the-password")
    unknown = login(client, "nobody-" + username, "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    message = "Unknown username or wrong password."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_login_starts_a_new_session_and_sets_safe_cookies(client, make_user, server) -> None:
    username, password = make_user("viewer")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    response = login(client, username, password)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    with client.session_transaction() as sess:
        assert "planted" not in sess and sess.get("sid")
        first_sid = sess["sid"]
    login(client, username, password)
    with client.session_transaction() as sess:
        assert sess["sid"] != first_sid


def test_cookie_is_secure_over_https(server, make_user) -> None:
    username, password = make_user("viewer")
    client = server.test_client()
    page = client.get("/login", base_url="https://hub.example").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post("/login", base_url="https://hub.example",
                           data={"username": username, "password": password, "csrf": token})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_login_requires_the_form_token(client, make_user) -> None:
    username, password = make_user("viewer")
    client.get("/login")
    response = client.post("/login", data={"username": username, "password": password, "csrf": "forged"})
    assert response.status_code == 400 and "form expired" in response.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize("form", [
    {},  # no field, and (a fresh client) no cookie: compare_digest("", "") was true
    {"csrf": ""},
    {"csrf": "é"},  # compare_digest raises on non-ASCII text: a refusal, not a 500
])
def test_login_without_a_form_token_is_refused(server, make_user, form: dict[str, str]) -> None:
    username, password = make_user("viewer")
    client = server.test_client()
    response = client.post("/login", data={"username": username, "password": password, **form})
    assert response.status_code == 400 and "form expired" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or "sid" not in (client.get_cookie("hub_session").value or "")
    assert client.get("/_dash-layout").status_code == 401
    # The same with a session that has a token, but a request that does not send it.
    client.get("/login")
    assert client.post("/login", data={"username": username, "password": password}).status_code == 400
    assert client.get("/_dash-layout").status_code == 401


def test_logout_without_a_form_token_is_refused(logged_in) -> None:
    client = logged_in("viewer")
    assert client.post("/logout", data={}).status_code == 400
    assert client.post("/logout", data={"csrf": ""}).status_code == 400
    assert client.get("/_dash-layout").status_code == 200


# ``next`` as it appears in the query string (percent-encoded), and where the hub may send the browser.
NEXT_PAYLOADS = [
    ("/%09/evil.example", "/"),  # tab dropped by the browser: //evil.example
    ("/%0a/x", "/"),  # newline: was a 500 (werkzeug refuses it in a header)
    ("/%0d/x", "/"),
    ("%09//evil.example", "/"),
    ("//evil.example", "/"),
    ("%2F%2Fevil.example", "/"),
    ("/%2F%2Fevil.example", "/"),  # ///evil.example
    ("%5C%5Cevil.example", "/"),  # \\evil.example
    ("/%5Cevil.example", "/"),  # /\evil.example: a backslash is a slash to the browser
    ("%5C/evil.example", "/"),
    ("/%09%5Cevil.example", "/"),
    ("https:evil.example", "/"),
    ("https://evil.example/x", "/"),
    ("java%0ascript:alert(1)", "/"),
    ("%20//evil.example", "/"),  # the browser trims leading spaces
    ("/x%7f", "/"),
    ("evil.example", "/"),
    ("", "/"),
    ("/%0d%0aSet-Cookie:%20a=b", "/Set-Cookie:%20a=b"),  # no header injection: a harmless path on the hub
    ("/%252F%252Fevil.example", "/%2F%2Fevil.example"),  # encoded slashes stay a path on the hub
    ("/missions?tab=1", "/missions?tab=1"),
    ("/map%3Ffrom%3D2026-01-01", "/map?from=2026-01-01"),
]


def _stays_on_the_hub(location: str) -> bool:
    """Where a browser goes with this Location: it drops tab/CR/LF, reads a backslash as a slash, joins it."""
    read = re.sub(r"[\t\r\n]", "", location).replace("\\", "/").strip()
    return urlsplit(urljoin("http://localhost/", read)).netloc == "localhost"


@pytest.mark.parametrize(("payload", "expected"), NEXT_PAYLOADS)
def test_language_switch_stays_on_the_hub(client, payload: str, expected: str) -> None:
    response = client.get(f"/lang/fr?next={payload}")
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    assert _stays_on_the_hub(response.headers["Location"])


@pytest.mark.parametrize(("payload", "expected"), NEXT_PAYLOADS)
def test_login_redirect_stays_on_the_hub(client, make_user, payload: str, expected: str) -> None:
    username, password = make_user("viewer")
    page = client.get(f"/login?next={payload}")
    assert page.status_code == 200
    token = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(f"/login?next={payload}", data={"username": username, "password": password, "csrf": token})
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    assert _stays_on_the_hub(response.headers["Location"])


def test_a_nul_in_next_is_refused_before_any_redirect(client) -> None:
    # The input guard (dashboard/api/input_guard.py) refuses a NUL anywhere in the query: no Location at all.
    for url in ("/lang/fr?next=/%00/evil.example", "/login?next=/%00/evil.example"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "Location" not in response.headers


def test_next_parameter_cannot_leave_the_site(client, make_user) -> None:
    username, password = make_user("viewer")
    page = client.get("/login?next=//evil.example/x").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post("/login?next=//evil.example/x",
                           data={"username": username, "password": password, "csrf": token})
    assert response.headers["Location"] == "/"


def test_password_reset_and_deactivation_end_open_sessions(server, client, make_user) -> None:
    factory = server.extensions["hub"].session_factory
    username, password = make_user("planner")
    login(client, username, password)
    assert client.get("/_dash-layout").status_code == 200
    with session_scope(factory) as s:
        reset_password(s, username)
    assert client.get("/_dash-layout").status_code == 401

    other, other_password = make_user("planner")
    second = server.test_client()
    login(second, other, other_password)
    with session_scope(factory) as s:
        deactivate(s, other)
    assert second.get("/_dash-layout").status_code == 401
    assert login(server.test_client(), other, other_password).status_code == 401


def test_idle_session_expires_with_a_clear_message(logged_in, server) -> None:
    client = logged_in("viewer")
    with client.session_transaction() as sess:
        sess["seen"] = int(time.time()) - server.extensions["hub"].settings.idle_timeout_minutes * 60 - 5
    response = client.get("/_dash-layout")
    assert response.status_code == 401 and response.get_json()["expired"] is True
    page = client.get(response.get_json()["login"]).get_data(as_text=True)
    assert "without activity" in page


def test_page_requests_redirect_to_login_with_next(client) -> None:
    response = client.get("/missions?x=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_needs_the_form_token_and_ends_the_session(logged_in) -> None:
    client = logged_in("viewer")
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 400
    with client.session_transaction() as sess:
        token = sess["csrf"]
    response = client.post("/logout", data={"csrf": token})
    assert response.status_code == 302 and "logged_out" in response.headers["Location"]
    assert client.get("/_dash-layout").status_code == 401


def test_login_is_rate_limited(server, make_user) -> None:
    settings = server.extensions["hub"].settings
    original = settings.login_rate_limit
    settings.login_rate_limit = "3 per minute"
    try:
        client = server.test_client()
        username, _ = make_user("viewer")
        answers = [login(client, username, "wrong-password").status_code for _ in range(5)]
        assert answers[:3] == [401, 401, 401]
        assert answers[3] == 429
        assert "Too many login attempts" in login(client, username, "x").get_data(as_text=True)
    finally:
        settings.login_rate_limit = original


def test_logins_are_audited(server, client, make_user) -> None:
    username, password = make_user("finance")
    login(client, username, "wrong-password")
    login(client, username, password)
    with session_scope(server.extensions["hub"].session_factory) as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.username == username)
                            .order_by(AuditEvent.id)).all()
    assert actions == ["login_failed", "login"]


@pytest.mark.parametrize("path", ["/assets/hub.css", "/assets/vendor/bootstrap.min.css", "/login", "/healthz"])
def test_public_paths_need_no_login(client, path: str) -> None:
    assert client.get(path).status_code == 200


def test_a_stale_copy_of_the_cookie_is_refused_after_logout(client, make_user) -> None:
    # A callback response in flight at logout (or a copied cookie) carries the old signed session.
    username, password = make_user("viewer")
    login(client, username, password)
    assert client.get("/_dash-layout").status_code == 200
    stale = client.get_cookie("hub_session").value
    with client.session_transaction() as sess:
        token = sess["csrf"]
    client.post("/logout", data={"csrf": token})
    client.set_cookie("hub_session", stale)
    assert client.get("/_dash-layout").status_code == 401


def test_a_stale_copy_of_the_cookie_is_refused_after_idle_expiry(client, make_user, server) -> None:
    username, password = make_user("viewer")
    login(client, username, password)
    stale = client.get_cookie("hub_session").value
    with client.session_transaction() as sess:
        sess["seen"] = int(time.time()) - server.extensions["hub"].settings.idle_timeout_minutes * 60 - 5
    assert client.get("/_dash-layout").status_code == 401
    client.set_cookie("hub_session", stale)
    assert client.get("/_dash-layout").status_code == 401


def test_bearer_tokens_open_the_api_but_not_the_pages(server, make_user) -> None:
    from services.tokens import create_token

    username, _ = make_user("viewer")
    with session_scope(server.extensions["hub"].session_factory) as s:
        _, plain = create_token(s, username, "test")
    client = server.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/key-figures", headers=headers).status_code == 200
    assert client.get("/_dash-layout", headers=headers).status_code == 401
    assert client.post("/_dash-update-component", json={"output": "home-figures.children"},
                       headers=headers).status_code == 401


@pytest.mark.parametrize("origin", [
    "https://localhost",  # same host, another scheme: was taken for the hub's own
    "http://localhost:8080",  # same host, another port
    "https://localhost:80",
    "http://localhost.evil.example",
    "http://evil.example",
    "http://localhost:notaport",
    "localhost",
])
def test_only_the_hubs_exact_origin_may_write(logged_in, origin: str) -> None:
    client = logged_in("viewer")
    response = client.post("/_dash-update-component", json={}, headers={"Origin": origin})
    assert response.status_code == 403 and "another site" in response.get_json()["error"]


@pytest.mark.parametrize("origin", ["http://localhost", "http://localhost:80", "HTTP://LOCALHOST/"])
def test_the_hubs_own_origin_may_write(logged_in, origin: str) -> None:
    client = logged_in("viewer")
    response = client.post("/_dash-update-component", json={"output": "nothing.children"},
                           headers={"Origin": origin})
    assert response.status_code == 403 and "another site" not in response.get_json()["error"]


def test_https_hub_compares_its_own_scheme(server, make_user) -> None:
    username, password = make_user("viewer")
    client = server.test_client()
    page = client.get("/login", base_url="https://hub.example").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    client.post("/login", base_url="https://hub.example", data={"username": username, "password": password,
                                                                 "csrf": token})
    own = client.post("/_dash-update-component", base_url="https://hub.example", json={"output": "x.children"},
                      headers={"Origin": "https://hub.example"})
    assert own.status_code == 403 and "another site" not in own.get_json()["error"]
    plain = client.post("/_dash-update-component", base_url="https://hub.example", json={"output": "x.children"},
                        headers={"Origin": "http://hub.example"})
    assert plain.status_code == 403 and "another site" in plain.get_json()["error"]


def test_allowed_origins_extend_the_hubs_own(server, logged_in) -> None:
    settings = server.extensions["hub"].settings
    original = settings.allowed_origins
    settings.allowed_origins = ["https://gis.example:8443/"]
    try:
        client = logged_in("viewer")
        allowed = client.post("/_dash-update-component", json={"output": "nothing.children"},
                              headers={"Origin": "https://gis.example:8443"})
        assert allowed.status_code == 403 and "another site" not in allowed.get_json()["error"]
        for other in ("http://gis.example:8443", "https://gis.example"):
            response = client.post("/_dash-update-component", json={}, headers={"Origin": other})
            assert "another site" in response.get_json()["error"], other
    finally:
        settings.allowed_origins = original


def test_sandboxed_null_origin_writes_are_refused(logged_in) -> None:
    client = logged_in("viewer")
    response = client.post("/_dash-update-component", json={}, headers={"Origin": "null"})
    assert response.status_code == 403
