"""The embedded PostgreSQL + PostGIS cluster the hub starts when no database is configured.

The cluster lives in ``<data_dir>/pg`` and listens only on a Unix socket in ``<data_dir>/run``
(mode 0700), so nothing else on the machine can reach it. PostgreSQL refuses to run as root, so
when the hub runs as root the server runs as the unprivileged system user ``hubpg``.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

SERVICE_USER = "hubpg"
SUPERUSER = "hub"  # owns the schema and runs the migrations
APP_ROLE = "hub_app"  # what the running app connects as: owns nothing (see models.migrate.grant_app_role)
INSTALL_HINT = (
    "Install Debian's PostgreSQL and PostGIS (as root: scripts/install-system-deps.sh, or "
    "apt-get install -y postgresql postgresql-contrib postgis), or point HUB_DATABASE_URL at a PostGIS server."
)


class EmbeddedPgError(RuntimeError):
    """The embedded cluster could not be created or started; the message says why and what to do."""


def find_pg_bin() -> Path:
    candidates = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise EmbeddedPgError("PostgreSQL server programs (initdb, pg_ctl) were not found. " + INSTALL_HINT)
    return candidates[-1]


def postgis_available() -> bool:
    return any(Path("/usr/share/postgresql").glob("*/extension/postgis.control"))


@dataclass
class EmbeddedPostgres:
    data_dir: Path

    def __post_init__(self) -> None:
        # The server runs with another user's view of the world: give it absolute paths.
        self.data_dir = Path(self.data_dir).resolve()

    @property
    def home(self) -> Path:
        """Where the cluster's files live: data_dir, unless the service user cannot reach it (see _home)."""
        return self._home()

    @property
    def pgdata(self) -> Path:
        return self.home / "pg"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    def _home(self) -> Path:
        link = self.data_dir / "cluster"
        if link.is_symlink():
            return link.resolve()
        if not self._as_service_user():
            return self.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        reachable = subprocess.run([*self._as_service_user(), "test", "-x", str(self.data_dir)],
                                   capture_output=True, check=False).returncode == 0
        if reachable:
            return self.data_dir
        # As root in a folder hubpg cannot traverse (a checkout under /root, say): keep the cluster where it
        # can, and link it from data_dir so that the project still shows where its database is.
        digest = hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:12]  # noqa: S324 - a name, not security
        home = Path("/var/lib/standing-capacities-hub") / digest
        home.mkdir(parents=True, exist_ok=True)
        os.chmod(home.parent, 0o755)  # noqa: S103 - hubpg must traverse it; the data folder itself is 0700
        link.symlink_to(home)
        return home

    @property
    def _marker(self) -> Path:
        # Written only after initdb succeeded: a pgdata folder without it is a half-made cluster.
        return self.home / "pg.initialised"

    def url(self, dbname: str = "hub", role: str = SUPERUSER) -> str:
        """The URL of a database as ``role``: the owner (for migrations) unless told otherwise."""
        return f"postgresql+psycopg://{role}@/{dbname}?host={self.socket_dir}"

    def app_url(self, dbname: str = "hub") -> str:
        return self.url(dbname, APP_ROLE)

    # --- running commands as the right user -------------------------------------------------
    def _as_service_user(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
                check=True,
                capture_output=True,
            )
        return ["runuser", "-u", SERVICE_USER, "--"]

    def _own(self, *paths: Path) -> None:
        if not self._as_service_user():
            return
        entry = pwd.getpwnam(SERVICE_USER)
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)
            for root, dirs, files in os.walk(path):
                os.chown(root, entry.pw_uid, entry.pw_gid)
                for name in dirs + files:
                    os.lchown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self._as_service_user(), *args], capture_output=True, text=True, check=False)

    # --- lifecycle ------------------------------------------------------------------------
    def is_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        return self._run(str(find_pg_bin() / "pg_ctl"), "status", "-D", str(self.pgdata)).returncode == 0

    def ensure_initialised(self) -> bool:
        """Create the cluster if needed; returns True when it was created now."""
        if self._marker.exists() and (self.pgdata / "PG_VERSION").exists():
            return False
        if not postgis_available():
            raise EmbeddedPgError("PostGIS is not installed. " + INSTALL_HINT)
        bin_dir = find_pg_bin()
        if self.pgdata.exists():
            # initdb was interrupted before: nothing in there is worth keeping, so start over.
            shutil.rmtree(self.pgdata)
        self.home.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700)
        self._own(self.pgdata)
        done = self._run(
            str(bin_dir / "initdb"), "-D", str(self.pgdata), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )
        if done.returncode != 0:
            raise EmbeddedPgError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        self._marker.write_text(str(bin_dir) + "\n")
        return True

    def start(self) -> None:
        self.ensure_initialised()
        if self.is_running():
            return
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.socket_dir, 0o700)
        self.log_file.touch()
        self._own(self.socket_dir, self.log_file)
        options = f"-c listen_addresses='' -k {self.socket_dir} -c fsync=off -c full_page_writes=off"
        started = self._run(
            str(find_pg_bin() / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.pgdata),
            "-l", str(self.log_file), "-o", options,
        )
        if started.returncode != 0:
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-5:]
            raise EmbeddedPgError("PostgreSQL did not start: " + " | ".join(tail or [started.stderr.strip()]))

    def stop(self) -> bool:
        if not self.is_running():
            return False
        self._run(str(find_pg_bin() / "pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(self.pgdata))
        return True

    def ensure_database(self, dbname: str) -> None:
        conninfo = f"host={self.socket_dir} user={SUPERUSER} dbname=postgres"
        for attempt in range(20):
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
                    if not exists:
                        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
                    self._ensure_app_role(conn)
                    return
            except psycopg.OperationalError:
                if attempt == 19:
                    raise
                time.sleep(0.25)

    @staticmethod
    def _ensure_app_role(conn: psycopg.Connection) -> None:
        # A login role without any attribute: it gets its privileges from models.migrate.grant_app_role. The
        # socket is the cluster's only door (mode 0700, trust inside), so it needs no password.
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                                 "NOBYPASSRLS").format(sql.Identifier(APP_ROLE)))

    def drop_database(self, dbname: str) -> None:
        conninfo = f"host={self.socket_dir} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))

    def copy_database(self, source: str, target: str) -> None:
        """``target`` anew as a copy of ``source`` (CREATE DATABASE ... TEMPLATE: a file copy, no replay). Nobody
        may be connected to ``source`` meanwhile; parallel test workers each copy the migrated baseline so."""
        conninfo = f"host={self.socket_dir} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)))
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(target),
                                                                          sql.Identifier(source)))


def database_url(settings_database_url: str | None, data_dir: Path, dbname: str = "hub") -> str:
    """The app's URL: the configured one, or the embedded cluster's app role (the cluster started if needed)."""
    if settings_database_url:
        return settings_database_url
    cluster = EmbeddedPostgres(data_dir)
    cluster.start()
    cluster.ensure_database(dbname)
    return cluster.app_url(dbname)


def migration_database_url(settings_migration_url: str | None, settings_database_url: str | None, data_dir: Path,
                           dbname: str = "hub") -> str:
    """The owner's URL, for migrations: HUB_MIGRATION_DATABASE_URL; else HUB_DATABASE_URL (one role for both, as
    before the split); else the embedded cluster's owner."""
    if settings_migration_url or settings_database_url:
        return settings_migration_url or settings_database_url  # type: ignore[return-value]
    cluster = EmbeddedPostgres(data_dir)
    cluster.start()
    cluster.ensure_database(dbname)
    return cluster.url(dbname)
