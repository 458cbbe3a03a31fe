"""Response headers that limit what a slip elsewhere can do: a Content-Security-Policy under which Dash runs with
no inline script but its own (by hash), no framing, no MIME sniffing, no referrer to other sites.

Flask-Talisman sets them on every response. It is told not to touch what the hub decides itself: no redirect to
HTTPS (a proxy terminates TLS; HUB_TRUSTED_PROXIES), and no Secure cookie forced over http (auth.py decides).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from dash import Dash
from flask import Response
from flask_talisman import Talisman

from models.settings import Settings

SELF = "'self'"


def tile_source(tile_url: str | None) -> str | None:
    """The CSP source of the base-map tiles: ``https://{s}.tile.example/{z}/{x}/{y}.png`` ->
    ``https://*.tile.example``; None when there are none or they come from the hub itself."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return None  # a path on the hub: 'self' covers it
    first, _, rest = parts.netloc.partition(".")
    if "{" in first and rest:  # Leaflet's subdomain placeholder, {s}
        first = "*"
    host = f"{first}.{rest}" if rest else first
    if "{" in host or "}" in host:
        raise ValueError(f"HUB_TILE_URL: only the first part of the host may be a placeholder ({{s}}): {tile_url}")
    return f"{parts.scheme}://{host}"


def content_security_policy(settings: Settings, script_hashes: list[str]) -> dict[str, str | list[str]]:
    """Scripts only from the hub and Dash's own inline ones (by hash): no 'unsafe-inline', no 'unsafe-eval'.
    Styles allow 'unsafe-inline': Dash's renderer and core components, dash-leaflet, plotly.js and AG Grid insert
    <style> elements from their bundles (32 refusals on the home page alone without it)."""
    images = [SELF, "data:"]  # Leaflet's and plotly's icons are data: URIs
    tiles = tile_source(settings.tile_url)
    if tiles:
        images.append(tiles)
    return {
        "default-src": SELF,
        "script-src": [SELF, *script_hashes],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": images,
        "font-src": [SELF, "data:"],
        "connect-src": SELF,
        "object-src": "'none'",
        "base-uri": SELF,
        "form-action": SELF,
        "frame-ancestors": "'none'",
    }


def init_headers(app: Dash, settings: Settings) -> Talisman:
    """Sets the headers on every response of ``app``; the CSP's script hashes follow Dash's inline scripts."""
    hashes = list(app.csp_hashes())
    talisman = Talisman(
        app.server,
        content_security_policy=content_security_policy(settings, hashes),
        force_https=False,
        session_cookie_secure=False,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        referrer_policy="same-origin",
        strict_transport_security=True,  # sent over HTTPS only
        x_xss_protection=False,  # obsolete; the CSP does the job
    )

    # Dash adds an inline script of its own when it sets itself up on the first request (pages' title
    # callback), after this runs: the hashes are taken again when they change. Registered after Talisman's,
    # so it runs before it (Flask runs after_request functions last registered first).
    @app.server.after_request
    def _follow_inline_scripts(response: Response) -> Response:
        current = list(app.csp_hashes())
        if current != hashes:
            hashes[:] = current
            talisman.content_security_policy = content_security_policy(settings, current)
        return response

    return talisman
