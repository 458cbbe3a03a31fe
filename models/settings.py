"""The hub's one settings object, read from the environment (prefix ``HUB_``) and passed down.

It lives in ``models/`` because every layer needs it and ``models`` is the lowest one.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    # None means: start and use the embedded PostgreSQL + PostGIS cluster under data_dir. In production, the
    # app's role: one that owns nothing (models.migrate.grant_app_role gives it what it needs).
    database_url: str | None = None
    # The schema owner's URL, used by `hub db upgrade|downgrade` only; unset: database_url (one role for both).
    migration_database_url: str | None = None
    # Tests use this server when set; otherwise a database of their own in the embedded cluster.
    test_database_url: str | None = None
    # The owner of that test database, for its migrations and baseline (unset: test_database_url).
    test_migration_database_url: str | None = None
    data_dir: Path = PROJECT_ROOT / ".hub-data"

    host: str = "127.0.0.1"
    port: int = 8050
    # Signs session cookies. When unset, a random key is generated once and kept in data_dir,
    # so sessions survive restarts; production sets it explicitly (same value on every worker).
    secret_key: str | None = None
    # When set, rate limits (and later caches and jobs) go to Redis so that workers share them.
    redis_url: str | None = None
    # Base-map tiles; None keeps the map on the shipped, offline Natural Earth base map.
    tile_url: str | None = None
    tile_attribution: str = ""

    idle_timeout_minutes: int = 30
    login_rate_limit: str = "10 per minute;50 per hour"
    # None: Secure cookies exactly when the request came over HTTPS.
    cookie_secure: bool | None = None
    # Origins (scheme://host[:port]) allowed to POST to callbacks and the API besides the hub's own.
    allowed_origins: list[str] = []
    # How many reverse proxies in front of the hub append to X-Forwarded-For (and set X-Forwarded-Proto).
    # 0: those headers are ignored, as any client can send them; the client is the connection's address.
    trusted_proxies: int = Field(default=0, ge=0)

    default_locale: str = "en"
    demo_seed: int = 20261122
    # Counts below this are suppressed for the briefing role.
    suppression_threshold: int = 5
    # Operations-map answers kept per database snapshot in each worker (services.analytics.view_cache); 0: off.
    map_cache_entries: int = 128
    # Caps the rows a list endpoint returns in one page.
    api_max_page_size: int = 1000

    debug: bool = False
