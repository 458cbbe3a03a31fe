"""Login, logout, and the guards every request passes: deny by default, same-origin writes, idle timeout."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from dashboard.context import db_session, hub, request_origin
from dashboard.i18n import LANGUAGES, _
from dashboard.security.callbacks import CLIENTSIDE_KEYS, roles_for
from dashboard.security.limit_store import PostgresStorage
from dashboard.security.users import HubUser
from models.auth import User
from models.enums import Role
from models.settings import Settings
from services import audit, sessions, tokens, users

bp = Blueprint("auth", __name__, template_folder="templates")
login_manager = LoginManager()

# Reachable without logging in: the login page, the language switch, the liveness and readiness checks, static
# files and Dash's JS bundles.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.set_language", "auth.health", "errors.ready", "static"})
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
PUBLIC_PATHS = frozenset({"/_favicon.ico", "/favicon.ico"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_PREFIXES = ("/api/", "/ogc")
SEEN_KEY = "seen"


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


# What a browser removes from a URL before it reads it (WHATWG URL: ASCII tab and newline, anywhere).
_DROPPED_BY_BROWSERS = str.maketrans("", "", "\t\n\r")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site as a browser will read it (tab, CR, LF dropped, a backslash taken
    for a slash); anything that could leave the site (``//host``, ``/\\host``, ``https:host``) or that holds other
    control characters is replaced by ``/``."""
    if not target:
        return "/"
    path = target.translate(_DROPPED_BY_BROWSERS).replace("\\", "/")
    if not path.startswith("/") or path.startswith("//") or any(c < " " or c == "\x7f" for c in path):
        return "/"
    parts = urlsplit(path)
    return "/" if parts.scheme or parts.netloc else path


def form_token_ok() -> bool:
    """The form's token is this session's. An empty token never matches (compare_digest("", "") is true), and
    bytes are compared because compare_digest refuses non-ASCII text."""
    sent = request.form.get("csrf", "")
    expected = session.get("csrf", "")
    return bool(sent and expected) and secrets.compare_digest(sent.encode(), expected.encode())


@login_manager.user_loader
def load_user(user_key: str) -> HubUser | None:
    try:
        user_id, epoch = (int(part) for part in user_key.split(":"))
    except ValueError:
        return None
    sid = session.get("sid")
    if not sid:
        return None
    with db_session() as s:
        row = s.get(User, user_id)
        if row is None or not row.active or row.session_epoch != epoch or sessions.is_revoked(s, sid):
            return None
        return HubUser.from_row(row)


@login_manager.request_loader
def load_user_from_token(req) -> HubUser | None:  # type: ignore[no-untyped-def]
    header = req.headers.get("Authorization", "")
    # Tokens are for machines reading the API; the pages and Dash's callbacks need a logged-in session.
    if not header.lower().startswith("bearer ") or not req.path.startswith(TOKEN_PREFIXES):
        return None
    with db_session() as s:
        row = tokens.user_for_token(s, header[7:].strip())
        return HubUser.from_row(row, via_token=True) if row else None


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:  # rate-limited by init_limiter
    error = None
    notice = None
    if request.args.get("expired"):
        notice = _("Your session ended after %(minutes)d minutes without activity. Please log in again.",
                   minutes=hub().settings.idle_timeout_minutes)
    elif request.args.get("logged_out"):
        notice = _("You are logged out.")
    status = 200
    if request.method == "POST":
        if not form_token_ok():
            error, status = _("The form expired. Please try again."), 400
        else:
            username = request.form.get("username", "")[:80]
            with db_session() as s:
                row = users.authenticate(s, username, request.form.get("password", "")[:1024])
                if row is None:
                    audit.record(s, "login_failed", username=username.strip().lower()[:80], origin=request_origin())
                else:
                    audit.record(s, "login", principal=HubUser.from_row(row).principal, origin=request_origin())
                    user = HubUser.from_row(row)
            if row is None:
                # Same answer for an unknown user and a wrong password.
                error, status = _("Unknown username or wrong password."), 401
            else:
                # A fresh session at login: nothing set before logging in carries over (no fixation).
                _fresh_session()
                session["sid"] = secrets.token_urlsafe(16)
                session["csrf"] = secrets.token_urlsafe(24)  # a new form token with the new session
                session.permanent = True
                session[SEEN_KEY] = int(time.time())
                login_user(user)
                return redirect(safe_next(request.args.get("next")))
    return render_template(
        "login.html", error=error, notice=notice, csrf=csrf_token(), languages=LANGUAGES,
        next=request.args.get("next", ""),
    ), status


def _fresh_session() -> None:
    """Empties the session cookie, keeping only the interface language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _end_session() -> None:
    sid = session.get("sid")
    if sid:
        with db_session() as s:
            sessions.revoke(s, sid, current_user.user_id if current_user.is_authenticated else None)
    logout_user()
    _fresh_session()


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if not form_token_ok():
        abort(400)
    _end_session()
    return redirect(url_for("auth.login", logged_out=1))


@bp.route("/lang/<code>")
def set_language(code: str) -> Response:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))


@bp.route("/healthz")
def health() -> Response:
    return jsonify(status="ok")


def _unauthenticated(expired: bool = False) -> Response:
    path = request.path
    # Machines read /api and /ogc: they get 401 problem+json, not a redirect to a login page.
    if path.startswith(("/api/", "/ogc/")) or path == "/ogc":
        from dashboard.api.problems import problem

        return problem(401, _("Authentication required"), _("Log in, or send a personal access token as "
                                                             "'Authorization: Bearer <token>'."))
    if path.startswith("/_dash-") or request.method not in SAFE_METHODS or request.is_json:
        # The page's script (assets/session.js) turns this into a redirect to the login page.
        login_url = url_for("auth.login", expired=1 if expired else None)
        response = jsonify(error="login_required", expired=expired, login=login_url)
        response.status_code = 401
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?"), expired=1 if expired else None))


def _origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, the port filled in from the scheme; None if it is not one."""
    try:
        parts = urlsplit(url.strip().rstrip("/"))
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        return None
    return (scheme, host, port) if scheme and host and port else None


def _foreign_origin() -> bool:
    origin = request.headers.get("Origin")
    if not origin:  # non-browser clients do not send it; browsers send it on every cross-site POST
        return False
    # Scheme, host and port, all three: https://127.0.0.1:PORT is another origin than http://127.0.0.1:PORT.
    own = _origin_of(f"{request.scheme}://{request.host}")
    allowed = {_origin_of(o) for o in hub().settings.allowed_origins} | {own}
    sent = _origin_of(origin)
    return sent is None or sent not in allowed


def guard() -> Response | None:
    """Runs before every request. Order: foreign origin, public, logged in, idle, callback role."""
    if request.method not in SAFE_METHODS and _foreign_origin():
        return _json_error(403, _("Requests from another site are refused."))
    if (
        request.endpoint in PUBLIC_ENDPOINTS
        or request.path in PUBLIC_PATHS
        or request.path.startswith(PUBLIC_PREFIXES)
    ):
        return None
    if not current_user.is_authenticated:
        return _unauthenticated(expired=bool(session.get(SEEN_KEY)))
    if not current_user.via_token:
        now = int(time.time())
        seen = session.get(SEEN_KEY, now)
        if now - seen > hub().settings.idle_timeout_minutes * 60:
            _end_session()
            return _unauthenticated(expired=True)
        if now - seen > 30:  # rewrite the cookie at most twice a minute
            session[SEEN_KEY] = now
    if current_user.role == Role.EXPERT:
        refused = _expert_scope()
        if refused is not None:
            return refused
    if request.path == "/_dash-update-component":
        return _check_callback_role()
    return None


# What an expert user (their own record only) may reach: Dash's machinery (each callback by its role rule, each
# page by its layout's), logout and the language switch, and the API's /me. Deny by default: a download, an
# export or an API resource added later is closed to the role without anyone having to remember it.
EXPERT_API = "/api/v1/me"
DASH_PAGES = frozenset({"/<path:path>"})  # Dash's catch-all page route's endpoint (its rule, as Dash names it)


def _expert_scope() -> Response | None:
    path = request.path
    if path == "/":
        return redirect("/me")
    if path == EXPERT_API or path.startswith(EXPERT_API + "/"):
        return None
    if path.startswith("/api/") or path.startswith("/ogc"):
        return _json_error(403, _("Your role does not allow this action."))
    if path.startswith("/_dash-") or path == "/_reload-hash" or request.blueprint == "auth" \
            or request.endpoint in DASH_PAGES:
        return None
    return _json_error(403, _("Your role does not allow this action."))


def _check_callback_role() -> Response | None:
    body = request.get_json(silent=True) or {}
    key = body.get("output")
    allowed = roles_for(key) if isinstance(key, str) and key not in CLIENTSIDE_KEYS else None
    if allowed is None:
        return _json_error(403, _("This action is not available."))
    if current_user.role not in allowed:
        return _json_error(403, _("Your role does not allow this action."))
    return None


def _json_error(status: int, message: str) -> Response:
    if request.path.startswith("/api/"):
        from dashboard.api.problems import problem

        return problem(status, message)
    response = jsonify(error=message)
    response.status_code = status
    return response


def _rate_limited(error: RateLimitExceeded) -> tuple[str, int]:
    return render_template(
        "login.html", error=_("Too many login attempts. Wait a minute and try again."), notice=None,
        csrf=csrf_token(), languages=LANGUAGES, next=request.args.get("next", ""),
    ), 429


class _SessionInterface(SecureCookieSessionInterface):
    """Marks the cookie Secure whenever the request came over HTTPS, or always with HUB_COOKIE_SECURE=true."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def init_auth(server: Flask, settings: Settings) -> None:
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="hub_session",
        # Rewrite the cookie only when the session changed, not on every callback response.
        SESSION_REFRESH_EACH_REQUEST=False,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.idle_timeout_minutes),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    server.config["SESSION_COOKIE_SECURE"] = bool(settings.cookie_secure)
    server.session_interface = _SessionInterface()

    login_manager.init_app(server)
    login_manager.session_protection = "basic"
    server.register_error_handler(RateLimitExceeded, _rate_limited)
    server.register_blueprint(bp)
    init_limiter(server, settings)
    server.before_request(guard)
    server.jinja_env.globals["csrf_token"] = csrf_token


def _login_limit() -> str:
    return hub().settings.login_rate_limit


def init_limiter(server: Flask, settings: Settings) -> Limiter:
    """The login limit, counted where every worker and host sees the same counts: Redis when HUB_REDIS_URL is
    set, else the hub's own database (dashboard/security/limit_store.py), never a worker's memory.

    One Limiter per app, not a module-level one: Flask-Limiter keeps its storage on the Limiter object, so a
    shared one would let the last app built decide every app's store."""
    if settings.redis_url:
        uri, options = settings.redis_url, {}
    else:
        # PostgresStorage registered the scheme when imported; it uses the app's engine (and its pool).
        uri, options = f"{PostgresStorage.STORAGE_SCHEME[0]}://", {"engine": server.extensions["hub"].engine}
    limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri=uri, storage_options=options,
                      strategy="fixed-window", headers_enabled=True)
    limiter.init_app(server)
    # The limit wraps the view here, for this app's Limiter (a decorator at import would bind one Limiter).
    server.view_functions["auth.login"] = limiter.limit(_login_limit, methods=["POST"])(login)
    return limiter
