"""The hub's one settings object, read from the environment (prefix ``HUB_``) and passed down.

It lives in ``models/`` because every layer needs it and ``models`` is the lowest one. Every value is checked
when the settings are read (at start-up): a value that breaks a rule raises ``SettingsError``, one line naming
the variable, rather than running with, say, suppression silently off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pydantic
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.errors import HubError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "HUB_"
# The web server refuses a request body larger than this (Flask's MAX_CONTENT_LENGTH).
REQUEST_MAX_BYTES = 64 * 1024 * 1024
# A browser upload travels base64-encoded, a third larger: the largest file that fits in one request.
UPLOAD_MAX_MB = REQUEST_MAX_BYTES * 3 // 4 // 2**20
# Defaults of limits that services also take as arguments (their default when a caller passes none).
EXPORT_MAX_ROWS = 200_000
AUDIT_EXPORT_LIMIT = 100_000
TILE_MAX_FEATURES = 5000


class SettingsError(HubError):
    """A setting breaks a rule; ``str()`` is one line per variable, each naming it (``HUB_PORT=0: ...``)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except pydantic.ValidationError as error:
            raise SettingsError(describe(error)) from None

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
    port: int = Field(default=8050, ge=1, le=65535)
    # Signs session cookies. When unset, a random key is generated once and kept in data_dir,
    # so sessions survive restarts; production sets it explicitly (same value on every worker).
    secret_key: str | None = None
    # When set, rate limits (and later caches and jobs) go to Redis so that workers share them.
    redis_url: str | None = None
    # Base-map tiles; None keeps the map on the shipped, offline Natural Earth base map.
    tile_url: str | None = None
    tile_attribution: str = ""

    idle_timeout_minutes: int = Field(default=30, gt=0)
    login_rate_limit: str = "10 per minute;50 per hour"
    # None: Secure cookies exactly when the request came over HTTPS.
    cookie_secure: bool | None = None
    # Origins (scheme://host[:port]) allowed to POST to callbacks and the API besides the hub's own.
    allowed_origins: list[str] = []
    # How many reverse proxies in front of the hub append to X-Forwarded-For (and set X-Forwarded-Proto).
    # 0: those headers are ignored, as any client can send them; the client is the connection's address.
    trusted_proxies: int = Field(default=0, ge=0)

    default_locale: Literal["en", "fr"] = "en"
    demo_seed: int = Field(default=20261122, ge=0)  # numpy's generators take no negative seed
    # Counts from 1 to this minus one are suppressed for the briefing role. At least 2: the rule hides 1 .. T - 1,
    # so 1 hides nothing (suppression off) and 2 is the least that still hides a single person.
    suppression_threshold: int = Field(default=5, ge=2)
    # Operations-map answers kept per database snapshot in each worker (services.analytics.view_cache); 0: off.
    map_cache_entries: int = Field(default=128, ge=0)
    # Caps the rows a list endpoint (and an OGC items page) returns in one page: one JSON answer held in memory.
    api_max_page_size: int = Field(default=1000, ge=1, le=100_000)

    # Limits an operator may tune (the defaults are the values the hub was built and measured with).
    # A layer file uploaded in the layers page, in MB; the request cap (64 MB) holds at most 48 MB base64-encoded.
    layer_upload_max_mb: int = Field(default=40, ge=1, le=UPLOAD_MAX_MB)
    # Features the layers page's preview map draws at most.
    layer_preview_features: int = Field(default=5000, ge=1)
    # Deployments one download of the operations map (GeoPackage, GeoJSON) holds at most.
    export_max_rows: int = Field(default=EXPORT_MAX_ROWS, ge=1)
    # Events one audit-log export (CSV, XLSX) holds at most: a file a spreadsheet opens (Excel: 1,048,576 rows).
    audit_export_limit: int = Field(default=AUDIT_EXPORT_LIMIT, ge=1, le=1_048_575)
    # Features one vector tile of a layer holds at most, the largest first (what a low zoom shows of a big layer).
    tile_max_features: int = Field(default=TILE_MAX_FEATURES, ge=1, le=100_000)
    # The IATI export's reporting organisation: set the identifier the Department registered with IATI
    # (the default is a placeholder of IATI's own "XI-IATI" agency, not a registered identifier).
    iati_org_ref: str = "XI-IATI-UNDPO"
    iati_org_name: str = "United Nations Department of Peace Operations"
    iati_org_name_fr: str = "Département des opérations de paix des Nations Unies"
    # Where the map's cross-filter aggregates are computed: a columnar copy in DuckDB, exact by data versions
    # (services.analytics.columnar), or PostgreSQL alone (the reference path, always the fallback).
    analytics_engine: Literal["duckdb", "postgres"] = "duckdb"

    debug: bool = False

    @field_validator("login_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError("not a rate limit such as '10 per minute;50 per hour'") from None
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parts = urlsplit(origin.strip().rstrip("/"))
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
                raise ValueError(f"{origin!r} is not an origin such as 'https://gis.example:8443'")
        return value


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


# Why a bound is what it is, where the bound alone does not say it.
WHY = {
    "suppression_threshold": "the rule hides counts from 1 to the threshold minus one, so 1 hides nothing",
    "layer_upload_max_mb": f"base64-encoded, a larger file would pass the {REQUEST_MAX_BYTES // 2**20} MB request cap",
}


def describe(error: pydantic.ValidationError) -> str:
    """One line for every refused value: the variable, the value given and the rule it breaks."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        message = str(problem["msg"]).removeprefix("Value error, ")
        why = f" ({WHY[field]})" if field in WHY else ""
        lines.append(f"{env_name(field) if field else ENV_PREFIX + '*'}={problem.get('input')!s}: {message}{why}")
    return "; ".join(lines)
