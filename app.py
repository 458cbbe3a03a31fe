"""Composition root: create_app(settings) builds the Dash app on its Flask server; `server` is for gunicorn."""

from __future__ import annotations

import importlib
import secrets
from functools import cache
from pathlib import Path

import plotly.io as pio
from dash import Dash
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import shell
from dashboard.api import init_api
from dashboard.components.import_preview import init_import_routes
from dashboard.context import HubContext
from dashboard.errors import init_errors
from dashboard.i18n import init_html_lang, init_i18n
from dashboard.knowledge_files import init_knowledge_files
from dashboard.map_files import init_map_files
from dashboard.ogc import init_ogc
from dashboard.pages import PAGE_MODULES
from dashboard.roster_files import init_roster_files
from dashboard.security.auth import init_auth
from dashboard.security.headers import init_headers
from dashboard.security.pages import init_page_status
from models.db import make_engine, make_session_factory
from models.embedded_pg import database_url
from models.settings import PROJECT_ROOT, REQUEST_MAX_BYTES, Settings
from services.analytics.columnar import ColumnarStore
from services.analytics.view_cache import ViewCache

__all__ = ["create_app"]


def _secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    # Generated once and kept beside the embedded database, so sessions survive a restart.
    key_file = Path(settings.data_dir) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def use_json_engine() -> None:
    """Dash encodes every callback answer with plotly's to_json_plotly. Its orjson engine (the default when orjson
    is installed) fails on the components and then walks the whole answer in Python to clean it: 4-12 ms for the
    map's 65 KB (its GeoJSON's coordinates), 36 ms under load. The json engine's C encoder calls
    to_plotly_json for the components only: 1.7 ms, the same JSON."""
    pio.json.config.default_engine = "json"


def create_app(settings: Settings | None = None, url: str | None = None) -> Dash:
    settings = settings or Settings()
    use_json_engine()
    engine = make_engine(url or database_url(settings.database_url, settings.data_dir))
    server = Flask(__name__, static_folder=None)
    server.config["SECRET_KEY"] = _secret_key(settings)
    server.config["MAX_CONTENT_LENGTH"] = REQUEST_MAX_BYTES
    if settings.trusted_proxies:
        # Only behind proxies we were told of: the client's address (the login limit's bucket, the audit log)
        # from X-Forwarded-For, `trusted_proxies` entries from the right; the scheme from the nearest proxy.
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=settings.trusted_proxies, x_proto=1)  # type: ignore[method-assign]
    server.extensions["hub"] = HubContext(settings, engine, make_session_factory(engine),
                                          ViewCache(settings.map_cache_entries, settings.redis_url,
                                                    server.config["SECRET_KEY"]),
                                          ColumnarStore(engine) if settings.analytics_engine == "duckdb" else None)
    init_i18n(server, settings.default_locale)
    init_errors(server)
    init_auth(server, settings)
    init_api(server, settings)
    init_ogc(server)
    init_map_files(server)
    init_knowledge_files(server)
    init_import_routes(server)
    init_roster_files(server)

    app = Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(PROJECT_ROOT / "assets"),
        title="Standing Capacities Hub",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
        # gzip for bundles, layouts and callback responses (flask-compress): the map's data shrinks ~5x.
        compress=True,
        external_stylesheets=[],
    )
    for module in PAGE_MODULES:
        importlib.import_module(module)
    app.layout = shell.layout
    init_headers(app, settings)
    init_html_lang(app)
    init_page_status(app)
    return app


@cache
def _lazy_server() -> Flask:
    return create_app().server


def __getattr__(name: str) -> object:
    # `gunicorn app:server` builds the app on first access, not when tests merely import this module.
    if name == "server":
        return _lazy_server()
    raise AttributeError(name)
