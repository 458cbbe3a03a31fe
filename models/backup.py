"""Backups of the hub's database (pg_dump's custom format) and their restore into an empty database.

What a backup says about itself. A dump of one database does not keep ``COMMENT ON DATABASE``, and a custom
archive has no field of our own, so the backup writes a one-row table ``hub_backup.info(version, head,
taken_at)`` just before pg_dump runs and drops it just after: pg_dump carries it in the archive like any table,
and ``pg_restore --data-only --table info`` reads it back out of the file before anything is restored. An
advisory lock keeps two backups of one database from writing the row at once. The head is read from
``alembic_version`` in the same transaction that writes the row.

Roles. The dump is taken with ``--no-owner --no-privileges``, so it restores into a server whose roles have
other names; the restore runs as the target's owner (who then owns everything) and grants the app's role its
privileges again (models.migrate.grant_app_role).

Programs. pg_dump and pg_restore of the server's major version: the embedded cluster's own bin folder, else
/usr/lib/postgresql/<major>/bin, else the ones on PATH if they are at least as new as the server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, pool, text

from models import migrate
from models.errors import HubError

INFO_SCHEMA = "hub_backup"
INFO_TABLE = "info"
# pg_advisory_lock key of a backup in progress (any constant; "hubbackup" in ASCII, truncated to 63 bits).
BACKUP_LOCK = 0x6875626261636B
# The schemas a --force restore empties first: the hub's own and the info table's.
HUB_SCHEMAS = (*migrate.SCHEMAS, INFO_SCHEMA)


class BackupError(HubError):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    version: str
    head: str | None
    taken_at: datetime


def hub_version() -> str:
    try:
        return metadata.version("standing-capacities-hub")
    except metadata.PackageNotFoundError:
        return "unknown"


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for the programs and the environment carrying the password (not on the command line, where
    `ps` would show it)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _server_major(url: str) -> int:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    finally:
        engine.dispose()


def _program_major(program: Path) -> int:
    out = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    if not found:
        raise BackupError(f"Cannot tell the version of {program}: {out.strip()!r}")
    return int(found.group(1))


def find_program(name: str, server_major: int, bin_dir: Path | None = None) -> Path:
    """``name`` (pg_dump, pg_restore) for a server of ``server_major``: see the module's docstring."""
    candidates = [bin_dir / name] if bin_dir else []
    candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin/{name}"))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.exists() and _program_major(candidate) >= server_major:
            return candidate
    raise BackupError(f"No {name} of PostgreSQL {server_major} or newer was found; install the client of the "
                      f"server's version (apt-get install postgresql-client-{server_major}).")


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: " + " | ".join(lines[-8:]))


def backup(owner_url: str, target: Path, bin_dir: Path | None = None) -> BackupInfo:
    """Dumps the database at ``owner_url`` (its owner: it must read every table) to ``target`` in pg_dump's
    custom format, with the hub's version and the schema's migration head inside (see the module's docstring)."""
    major = _server_major(owner_url)
    pg_dump = find_program("pg_dump", major, bin_dir)
    uri, env = _libpq(owner_url)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as lock_conn:
            # Held for the whole backup: a second backup of this database waits instead of sharing the row.
            lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": BACKUP_LOCK})
            lock_conn.commit()
            try:
                info = _write_info(engine)
                try:
                    _run([str(pg_dump), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
                          f"--dbname={uri}"], env, "pg_dump")
                finally:
                    with engine.begin() as conn:
                        conn.execute(text(f"DROP SCHEMA IF EXISTS {INFO_SCHEMA} CASCADE"))
            finally:
                lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": BACKUP_LOCK})
                lock_conn.commit()
    finally:
        engine.dispose()
    return info


def _write_info(engine: Engine) -> BackupInfo:
    with engine.begin() as conn:
        head = None
        if conn.execute(text("SELECT to_regclass('public.alembic_version') IS NOT NULL")).scalar():
            head = conn.execute(text("SELECT version_num FROM public.alembic_version")).scalar()
        conn.execute(text(f"DROP SCHEMA IF EXISTS {INFO_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {INFO_SCHEMA}"))
        conn.execute(text(f"CREATE TABLE {INFO_SCHEMA}.{INFO_TABLE} (version text NOT NULL, head text, "
                          "taken_at timestamptz NOT NULL)"))
        info = BackupInfo(hub_version(), head, datetime.now(UTC))
        conn.execute(text(f"INSERT INTO {INFO_SCHEMA}.{INFO_TABLE} VALUES (:v, :h, :t)"),  # noqa: S608 - constants
                     {"v": info.version, "h": info.head, "t": info.taken_at})
    return info


def read_info(archive: Path, pg_restore: Path) -> BackupInfo:
    """The info row inside ``archive``, read by pg_restore as COPY text (nothing is restored)."""
    done = subprocess.run([str(pg_restore), "--data-only", f"--schema={INFO_SCHEMA}", f"--table={INFO_TABLE}",
                           "--file=-", str(archive)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{archive} is not a backup pg_restore can read: {done.stderr.strip()}")
    lines = done.stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(f"COPY {INFO_SCHEMA}.{INFO_TABLE} ")]
    if not starts or starts[0] + 1 >= len(lines) or lines[starts[0] + 1] == "\\.":
        raise BackupError(f"{archive} was not made by `hub db backup` (it holds no {INFO_SCHEMA}.{INFO_TABLE}).")
    version, head, taken_at = lines[starts[0] + 1].split("\t")
    return BackupInfo(version, None if head == "\\N" else head,
                      datetime.fromisoformat(taken_at.replace(" ", "T")))


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()}


def user_relations(owner_url: str) -> list[str]:
    """Tables, views and sequences of anyone but the system (PostGIS's spatial_ref_sys counts as empty)."""
    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(
                "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
                "AND n.nspname NOT LIKE 'pg_temp%' AND c.relname <> 'spatial_ref_sys' "
                "ORDER BY 1")).scalars())
    finally:
        engine.dispose()


def restore(archive: Path, owner_url: str, app_role: str | None, *, force: bool = False,
            bin_dir: Path | None = None, jobs: int = 2) -> BackupInfo:
    """Restores ``archive`` into the database at ``owner_url`` (as its owner), then migrates it to this code's
    head (a backup of an older schema) and grants ``app_role`` its privileges.

    Refused, with nothing changed: a file that is not a hub backup; a file from a newer schema (a head this code
    does not know); a target that holds tables, unless ``force`` (which drops the hub's schemas first)."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file.")
    major = _server_major(owner_url)
    pg_restore = find_program("pg_restore", major, bin_dir)
    info = read_info(archive, pg_restore)
    if info.head is not None and info.head not in known_revisions():
        raise BackupError(
            f"{archive} holds schema revision {info.head!r} (hub {info.version}), which this hub "
            f"({hub_version()}, latest revision {migrate.head_revision()}) does not know: it comes from a newer "
            "hub. Restore it with that version of the hub, or upgrade this one first. Nothing was changed.")
    existing = user_relations(owner_url)
    if existing and not force:
        raise BackupError(
            f"The target database is not empty ({len(existing)} tables, views or sequences, such as "
            f"{', '.join(existing[:3])}). Restore into an empty database, or pass --force to drop the hub's "
            f"schemas ({', '.join(HUB_SCHEMAS)}) and everything in them first. Nothing was changed.")
    if existing:
        _empty(owner_url)
    uri, env = _libpq(owner_url)
    _run([str(pg_restore), "--no-owner", "--no-privileges", "--exit-on-error", f"--jobs={max(1, jobs)}",
          f"--dbname={uri}", str(archive)], env, "pg_restore")
    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {INFO_SCHEMA} CASCADE"))
    finally:
        engine.dispose()
    migrate.upgrade(owner_url, app_role=app_role)
    return info


def _empty(owner_url: str) -> None:
    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            for schema in HUB_SCHEMAS:
                # PostGIS lives in public: dropping the schema drops the extension, which the dump creates again.
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def default_file(backups_dir: Path) -> Path:
    return backups_dir / f"hub-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.dump"


def table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and an md5 of its rows in order (text form), for comparing two databases."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            tables = list(conn.execute(text(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1")).scalars())
            out: dict[str, tuple[int, str]] = {}
            for table in tables:
                # The name comes from pg_class, quoted by quote_ident: no value of a user's is in this SQL.
                query = (f"SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') "  # noqa: S608
                         f"FROM {table} AS t")
                row = conn.execute(text(query)).one()
                out[table] = (int(row[0]), str(row[1]))
            return out
    finally:
        engine.dispose()
