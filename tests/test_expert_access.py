"""Nothing of anybody else reaches the expert role: logged in as an expert user, every route of the app's url_map,
every page of Dash's registry and every callback Dash serves is walked (enumerated, so a new page, download or
callback is covered without editing this test), and no other expert's name, staff number or e-mail appears in
any answer; everything but the own record answers 403, 404 or a redirect to /me."""

from __future__ import annotations

import json
import re
from typing import Any

import dash
import pytest

from dashboard.security.callbacks import CALLBACK_ROLES, CLIENTSIDE_KEYS, is_internal
from models import Expert
from models.enums import Role
from tests.factories import callback_payload, login, person_words

# Routes that serve the expert their own record or the app's machinery (each checked for what it answers).
OPEN = re.compile(r"^/(me|api/v1/me(/.*)?|_dash-layout|_dash-dependencies|_reload-hash|login|healthz|readyz|"
                  r"lang/.*|assets/.*|_dash-component-suites/.*|_favicon\.ico|favicon\.ico|static/.*)$")

STATIC = ("/assets/", "/_dash-component-suites/", "/static/")  # public files: the app's code, no data


@pytest.fixture
def as_expert(client, expert_user, engine):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    username, password, own = expert_user()
    assert login(client, username, password).status_code == 302
    with Session(engine) as s:
        words, ids = person_words(s, Expert.id != own)
    return client, own, min(ids), words


def _payload(app: Any, key: str, values: dict[str, Any]) -> dict[str, Any]:
    """callback_payload, with what Dash's renderer sends for pattern-matching ids (ALL) when no such component
    is on the page: an empty list in place of each."""
    body = callback_payload(app, key, values)
    for group in ("inputs", "state"):
        body[group] = [[] if str(item["id"]).startswith("{") else item for item in body[group]]
    outputs = []
    for part in (p for p in key.strip(".").split("...") if p):
        ident, _dot, prop = part.rpartition(".")
        outputs.append([] if ident.startswith("{") else {"id": ident, "property": prop})
    body["outputs"] = outputs if len(outputs) > 1 else outputs[0]
    return body


def _clean(text: str, words: set[str], where: str) -> None:
    found = [w for w in words if w in text]
    assert not found, f"{where} shows {found[:5]}"


def _concrete(rule: Any, other: int) -> str:
    """The rule's path with each variable filled: a number is the other expert's id (the id an attacker tries)."""
    path = rule.rule
    for name, converter in rule._converters.items():  # werkzeug keeps no public view of a rule's converters
        kind = type(converter).__name__
        value = str(other) if kind in ("IntegerConverter", "NumberConverter") else "x"
        path = re.sub(r"<[^>]*\b" + re.escape(name) + ">", value, path)
    return path


def test_every_route_refuses_the_expert_or_shows_only_their_own(app, as_expert) -> None:
    client, own, other, words = as_expert
    walked = 0
    for rule in app.server.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.rule.startswith(STATIC):
            continue
        path = _concrete(rule, other)
        answer = client.get(path)
        walked += 1
        _clean(answer.get_data().decode("utf-8", "replace"), words, path)
        if OPEN.match(path):
            continue
        if path == "/":
            assert answer.status_code == 302 and answer.headers["Location"].endswith("/me")
            continue
        assert answer.status_code in (403, 404), (path, answer.status_code)
    assert walked > 40
    own_record = client.get("/api/v1/me").get_json()
    assert own_record["id"] == own


def test_every_page_of_the_registry_refuses_the_expert_but_me(app, as_expert) -> None:
    client, _own, other, words = as_expert
    client.get("/_dash-dependencies")
    router = [k for k in app.callback_map if is_internal(k)]
    assert router
    pages = 0
    for page in dash.page_registry.values():
        template = page.get("path_template") or page["path"]
        path = re.sub(r"<[^>]+>", str(other), template)
        answer = client.get(path)
        _clean(answer.get_data().decode("utf-8", "replace"), words, path)
        if path == "/me":
            assert answer.status_code == 200
        elif path == "/":
            assert answer.status_code == 302
        else:
            assert answer.status_code in (403, 404), (path, answer.status_code)
        # The layout as Dash's router renders it in the browser.
        for key in router:
            body = callback_payload(app, key, {"_pages_location.pathname": path, "_pages_location.search": ""})
            rendered = client.post("/_dash-update-component", json=body)
            text = rendered.get_data(as_text=True)
            _clean(text, words, f"layout of {path}")
            if rendered.status_code == 200 and path not in ("/me", "/404") and "page-not-found" not in text:
                assert "page-forbidden" in text, path
        pages += 1
    assert pages > 20


def test_every_callback_refuses_the_expert_but_their_own_page(app, as_expert) -> None:
    client, _own, other, words = as_expert
    client.get("/_dash-dependencies")
    refused = answered = 0
    for key in app.callback_map:
        if key in CLIENTSIDE_KEYS or is_internal(key):
            continue
        # Every store an attacker can set names the other expert; the own page must not follow it.
        values = {"me-expert.data": other, "expert-id.data": other, "me-refresh.data": 1, "expert-refresh.data": 1}
        answer = client.post("/_dash-update-component", json=_payload(app, key, values))
        text = answer.get_data(as_text=True)
        _clean(text, words, key)
        if Role.EXPERT not in CALLBACK_ROLES.get(key, frozenset()):
            assert answer.status_code == 403, (key, answer.status_code)
            refused += 1
        else:
            assert answer.status_code in (200, 204), (key, text[:300])
            answered += 1
    assert refused > 50 and answered >= 3
    shown = client.post("/_dash-update-component", json=callback_payload(
        app, next(k for k in app.callback_map if "me-header.children" in k), {"me-refresh.data": 1}))
    assert shown.status_code == 200
    assert json.dumps(shown.get_json()).count("Selfie") >= 1
