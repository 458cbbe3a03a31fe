"""Schema migrations (Alembic) without an ini file: `hub db upgrade|downgrade|current`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, make_url, pool, text

from models.errors import HubError

# Schemas of the hub's tables: the models' and the layer versions' partitions (migration 0004).
SCHEMAS = ("public", "layer_feature_parts")
# Tables the app may read but not write: the audit log takes new events only (a trigger refuses UPDATE and
# DELETE too, for the owner as well), the data versions move only by their owner's triggers (migration 0022),
# the others are the migrations' and PostGIS's.
APPEND_ONLY = ("audit_event",)
READ_ONLY = ("alembic_version", "spatial_ref_sys", "data_version")
# The owner's functions that do the app's layer-partition DDL (migration 0013).
APP_FUNCTIONS = ("hub_layer_part_create", "hub_layer_part_attach", "hub_layer_part_drop")


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "models:migrations")
    if url:
        # ConfigParser interpolation would choke on '%' in a password.
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, revision: str = "head", app_role: str | None = None) -> None:
    """Migrates as the owner (``url``), then grants the app's role what it needs on whatever exists now."""
    command.upgrade(alembic_config(url), revision)
    if app_role:
        grant_app_role(url, app_role)


def app_role_of(app_url: str, owner_url: str) -> str | None:
    """The app's role (the user of its URL) when it is not the owner; None when both are one role."""
    app, owner = make_url(app_url).username, make_url(owner_url).username
    return app if app and app != owner else None


def grant_app_role(owner_url: str, role: str) -> None:
    """What the running app may do, and nothing more: read and write the rows of the hub's tables (no TRUNCATE,
    no DDL, no ownership), only read and add to the audit log, use the sequences, and run the owner's
    layer-partition functions. Run as the owner after every upgrade; default privileges cover the tables the
    owner makes later (a layer version's partition, made by the owner's function, included)."""
    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            who = conn.dialect.identifier_preparer.quote(role)
            if conn.execute(text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = :r"),
                            {"r": role}).scalar():
                raise HubError(f"The app's role {role!r} (HUB_DATABASE_URL) is a superuser or bypasses row security: "
                               "give the app a plain login role that owns nothing.")
            schemas = ", ".join(s for s in SCHEMAS if conn.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": s}).scalar())
            functions = [f for f in APP_FUNCTIONS if conn.execute(
                text("SELECT 1 FROM pg_proc WHERE proname = :f"), {"f": f}).scalar()]
            tables = [t for t in (*APPEND_ONLY, *READ_ONLY) if conn.execute(
                text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f"public.{t}"}).scalar()]
            statements = [
                f"GRANT USAGE ON SCHEMA {schemas} TO {who}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schemas} TO {who}",
                f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schemas} FROM {who}",
                *(f"REVOKE INSERT, UPDATE, DELETE ON public.{t} FROM {who}" for t in tables),
                *(f"GRANT INSERT ON public.{t} TO {who}" for t in tables if t in APPEND_ONLY),
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schemas} TO {who}",
                *(f"GRANT EXECUTE ON FUNCTION public.{f}(integer, integer) TO {who}" for f in functions),
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schemas} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {who}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schemas} GRANT USAGE, SELECT ON SEQUENCES TO {who}",
            ]
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
