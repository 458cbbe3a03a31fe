"""Every response carries the headers that limit a slip: CSP without inline or eval'd script, no framing, no
MIME sniffing, no referrer to other sites. The pages' own check is tests/browser/test_csp.py."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from dash import Dash, html
from flask import Flask

from dashboard.security.headers import content_security_policy, init_headers, tile_source
from models.settings import Settings
from tests.factories import login


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {d[0]: d[1:] for d in directives}


def _assert_headers(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    policy = _policy(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts
    assert all(s == "'self'" or s.startswith("'sha256-") for s in scripts), scripts
    return policy


@pytest.mark.parametrize(("path", "status"), [
    ("/login", 200), ("/healthz", 200), ("/assets/hub.css", 200), ("/missions", 302), ("/_dash-layout", 401),
    ("/api/v1/key-figures", 401), ("/no-such-page", 302),
])
def test_every_response_carries_the_headers(client, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    _assert_headers(response)


def test_every_inline_script_of_the_page_is_allowed_by_its_hash(logged_in) -> None:
    client = logged_in("viewer")
    page = client.get("/")
    assert page.status_code == 200
    policy = _assert_headers(page)
    markup = re.sub(r"<!--.*?-->", "", page.get_data(as_text=True), flags=re.S)  # Dash's old-IE warning
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", markup, re.S)
    executed = [body for attrs, body in inline if "application/json" not in attrs]
    assert executed, "Dash's page has inline scripts (its renderer at least)"
    for body in executed:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"], body[:80]


def test_strict_transport_security_only_over_https(client) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert "max-age=" in client.get("/login", base_url="https://hub.example").headers["Strict-Transport-Security"]


def test_cookies_are_not_forced_secure_over_http(client, make_user) -> None:
    username, password = make_user("viewer")
    response = login(client, username, password)
    assert response.status_code == 302 and "Secure" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize(("url", "source"), [
    (None, None),
    ("/tiles/{z}/{x}/{y}.png", None),
    ("https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org"),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
    ("http://tiles.internal:8080/osm/{z}/{x}/{y}.png", "http://tiles.internal:8080"),
])
def test_the_tile_server_is_allowed_for_images(url: str | None, source: str | None) -> None:
    assert tile_source(url) == source
    images = content_security_policy(Settings(tile_url=url), [])["img-src"]
    assert images == ["'self'", "data:", *([source] if source else [])]


def test_a_tile_url_with_a_placeholder_inside_the_host_is_refused() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        tile_source("https://tiles.{s}.example.org/{z}/{x}/{y}.png")


def test_the_configured_tile_server_reaches_the_header(server) -> None:
    server.test_client().get("/healthz")  # the session app takes Dash's global callbacks first
    app = Dash(__name__, server=Flask("tiles"), assets_folder="/nonexistent", serve_locally=True)
    app.layout = html.Div()
    init_headers(app, Settings(tile_url="https://{s}.tile.example.org/{z}/{x}/{y}.png"))
    policy = _assert_headers(app.server.test_client().get("/"))
    assert "https://*.tile.example.org" in policy["img-src"]
