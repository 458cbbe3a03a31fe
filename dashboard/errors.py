"""What the hub answers while its database is unreachable, and the readiness check that says so.

One error handler for "the database cannot be reached" (SQLAlchemy's OperationalError and InterfaceError
wrapping a connection failure, or psycopg's own), answered by the kind of request: the API and OGC get 503
problem+json, Dash's callbacks 503 JSON (assets/hub_errors.js shows it as a banner), pages an HTML page, all
with Retry-After. Other database errors (a statement cancelled, a deadlock) stay 500s: they are bugs or load,
not an outage. Recovery needs nothing here: the engine's pool_pre_ping (models/db.py) replaces dead
connections on the next checkout once the server is back.

``/healthz`` stays a liveness check (the process answers); ``/readyz`` checks the database, and Redis when
HUB_REDIS_URL is set.
"""

from __future__ import annotations

import logging

import psycopg
from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.exc import OperationalError as SAOperationalError
from werkzeug.wrappers import Response

from dashboard.context import hub
from dashboard.i18n import LANGUAGES, _
from models.db import first_line, is_outage

bp = Blueprint("errors", __name__, template_folder="security/templates")
log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
def unreachable_message() -> str:
    return _("The database is not reachable; try again in a minute.")


def _outage_response(error: Exception) -> Response | tuple[str, int]:
    if not is_outage(error):
        raise error  # Flask answers it as any other unhandled error: a logged 500
    log.warning("database unreachable on %s %s: %s", request.method, request.path,
                first_line(error))
    # The user could not be loaded: answer as nobody, or reading the language (i18n.select_locale) would try the
    # database again. The language comes from the session's choice or the browser.
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    path = request.path
    if path.startswith(("/api/", "/ogc/")) or path == "/ogc":
        from dashboard.api.problems import problem

        response = problem(503, _("Service unavailable"), unreachable_message())
    elif path.startswith("/_dash-"):
        response = jsonify(error=unreachable_message(), reason="database_unreachable")
        response.status_code = 503
    else:
        response = Response(render_template("unavailable.html", message=unreachable_message(),
                                            languages=LANGUAGES), status=503,
                            mimetype="text/html")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/readyz")
def ready() -> Response:
    """200 when the database (and Redis, when configured) answers, else 503; a small JSON either way."""
    checks: dict[str, str] = {}
    context = hub()
    try:
        with context.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except (SAOperationalError, SAInterfaceError, psycopg.Error) as error:
        checks["database"] = "unreachable"
        log.warning("readyz: database unreachable: %s", first_line(error))
    if context.settings.redis_url:
        try:
            import redis

            client = redis.Redis.from_url(context.settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
            client.ping()
            checks["redis"] = "ok"
        except Exception as error:  # any failure of the ping (or no redis client) means "not ready"
            checks["redis"] = "unreachable"
            log.warning("readyz: redis unreachable: %s", error)
    ok = all(v == "ok" for v in checks.values())
    response = jsonify(status="ready" if ok else "unavailable", checks=checks)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_errors(server: Flask) -> None:
    server.register_blueprint(bp)
    for error in (SAOperationalError, SAInterfaceError, psycopg.OperationalError, psycopg.InterfaceError):
        server.register_error_handler(error, _outage_response)
