"""`hub`: one command for everything on the command line. `hub --help` and `hub COMMAND --help` explain each."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models import DataLoad
from models.db import first_line, make_engine, make_session_factory, session_scope
from models.embedded_pg import EmbeddedPgError, EmbeddedPostgres, database_url, migration_database_url
from models.enums import Role
from models.settings import Settings
from services.errors import HubError

if TYPE_CHECKING:  # the loaders import pandas and GeoPandas: only the commands that load data pay for it
    from services.access import Principal
    from services.demo_data import DemoReport
    from services.records.imports import ImportResult, Table
    from services.reference_data import ReferenceReport

DEMO_USERS = (
    ("demo-admin", Role.ADMIN, "Demo administrator"),
    ("demo-planner", Role.PLANNER, "Demo planner"),
    ("demo-gis", Role.GIS_EDITOR, "Demo GIS editor"),
    ("demo-finance", Role.FINANCE, "Demo finance officer"),
    ("demo-programme", Role.PROGRAMME, "Demo programme officer"),
    ("demo-viewer", Role.VIEWER, "Demo leadership viewer"),
    ("demo-briefing", Role.BRIEFING, "Demo briefer"),
    ("demo-assessment", Role.ASSESSMENT_OFFICER, "Demo assessment officer"),
    ("demo-expert", Role.EXPERT, "Demo expert"),  # linked to the first active demo expert (demo_expert_id)
)


class HubContextObj:
    def __init__(self) -> None:
        self.settings = Settings()
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The app's URL: every command but the migrations connects as the app's role."""
        if self._url is None:
            self._url = database_url(self.settings.database_url, self.settings.data_dir)
        return self._url

    @property
    def owner_url(self) -> str:
        """The schema owner's URL, for migrations only."""
        return migration_database_url(self.settings.migration_database_url, self.settings.database_url,
                                      self.settings.data_dir)

    def migrate(self, revision: str = "head") -> None:
        """Migrates as the owner, then grants the app's role its privileges (when it is another role)."""
        from models import migrate

        migrate.upgrade(self.owner_url, revision, app_role=migrate.app_role_of(self.url, self.owner_url))

    @contextmanager
    def session(self) -> Iterator[Session]:
        engine = make_engine(self.url, pool_size=1, max_overflow=0)
        try:
            with session_scope(make_session_factory(engine)) as s:
                yield s
        finally:
            engine.dispose()


pass_ctx = click.make_pass_decorator(HubContextObj, ensure=True)


@click.group(help="Standing Capacities Hub. With HUB_DATABASE_URL unset, commands use the embedded PostGIS "
                  "cluster in .hub-data/ and start it when needed.")
def cli() -> None:
    pass


# --- run -----------------------------------------------------------------------------------------
@cli.command(help="Start the hub: database, schema, reference and demo data (first time), then the web server "
                  "on HUB_HOST:HUB_PORT (127.0.0.1:8050).")
@click.option("--host", default=None, help="Listen address (default HUB_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default HUB_PORT or 8050).")
@click.option("--demo/--no-demo", default=True, show_default=True,
              help="Load the generated demo data set and demo users into an empty database.")
@click.option("--workers", type=int, default=2, show_default=True, help="gunicorn worker processes.")
@pass_ctx
def run(ctx: HubContextObj, host: str | None, port: int | None, demo: bool, workers: int) -> None:
    settings = ctx.settings
    host = host or settings.host
    port = port or settings.port
    click.echo("Preparing the database ...")
    ctx.migrate()
    passwords = _prepare_data(ctx, demo)
    from app import create_app

    app = create_app(settings, url=ctx.url)
    url = f"http://{host}:{port}/"
    click.echo("")
    click.secho(f"The Standing Capacities Hub is at {url}", bold=True)
    if passwords:
        click.echo("Demo users (passwords shown once, here only; reset with `hub users reset-password NAME`):")
        for username, role, password in passwords:
            click.echo(f"  {username:<15} {role.value:<11} {password}")
    else:
        click.echo("Log in with your user, or a demo user (demo-admin, demo-planner, demo-viewer, ...); "
                   "forgot the password? `.venv/bin/hub users reset-password demo-admin`")
    if not settings.database_url:
        click.echo("The embedded database keeps running after the hub stops; stop it with `.venv/bin/hub db stop`.")
    click.echo("Stop the hub with Ctrl+C.")
    if settings.debug:
        app.run(host=host, port=port, debug=True, threaded=True)
    else:
        from cli.serve import serve

        serve(app.server, host, port, workers=workers)


def _prepare_data(ctx: HubContextObj, demo: bool) -> list[tuple[str, Role, str]]:
    from services.demo_data import demo_expert_id, load_demo
    from services.reference_data import load_reference
    from services.users import create_user, generate_password, get_by_username

    passwords: list[tuple[str, Role, str]] = []
    with ctx.session() as s:
        loaded = set(s.scalars(select(DataLoad.kind)))
        if "reference" not in loaded:
            click.echo("Loading reference data (Natural Earth, UN peace operations, Geo-PKO) ...")
            click.echo(_reference_summary(load_reference(s)))
        if demo and "demo" not in loaded:
            click.echo("Generating the demo data set (marked as generated) ...")
            click.echo(_demo_summary(load_demo(s, seed=ctx.settings.demo_seed)))
        if demo:
            for username, role, display in DEMO_USERS:
                if get_by_username(s, username) is None:
                    expert_id = demo_expert_id(s) if role == Role.EXPERT else None
                    if role == Role.EXPERT and expert_id is None:
                        continue  # no demo expert to be
                    password = generate_password()
                    create_user(s, username, role, password, display_name=display, expert_id=expert_id)
                    passwords.append((username, role, password))
    return passwords


# --- db ------------------------------------------------------------------------------------------
@cli.group(help="The database: schema migrations and the embedded cluster.")
def db() -> None:
    pass


@db.command("upgrade", help="Migrate the schema to REVISION (default: the latest) as the owner "
                            "(HUB_MIGRATION_DATABASE_URL), then grant the app's role (HUB_DATABASE_URL) its "
                            "privileges.")
@click.argument("revision", default="head")
@pass_ctx
def db_upgrade(ctx: HubContextObj, revision: str) -> None:
    from models import migrate

    ctx.migrate(revision)
    click.echo(f"Schema at {migrate.current_revision(ctx.owner_url)}.")
    if ctx.settings.database_url and not migrate.app_role_of(ctx.url, ctx.owner_url):
        click.secho("Warning: the app connects as the schema's owner, so it could empty the audit log. Give it a "
                    "role that owns nothing in HUB_DATABASE_URL and the owner in HUB_MIGRATION_DATABASE_URL "
                    "(README, Production).", fg="yellow", err=True)


@db.command("downgrade", help="Migrate the schema down to REVISION ('base' drops every table of the hub).")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def db_downgrade(ctx: HubContextObj, revision: str, yes: bool) -> None:
    from models import migrate

    if not yes:
        click.confirm(f"Downgrade to {revision}? Data in dropped tables is lost.", abort=True)
    migrate.downgrade(ctx.owner_url, revision)
    click.echo(f"Schema at {migrate.current_revision(ctx.owner_url) or 'base (empty)'}.")


@db.command("current", help="Show the schema revision and the latest one.")
@pass_ctx
def db_current(ctx: HubContextObj) -> None:
    from models import migrate

    click.echo(f"current: {migrate.current_revision(ctx.url) or 'none'}; latest: {migrate.head_revision()}")


@db.command("stop", help="Stop the embedded PostgreSQL cluster.")
@pass_ctx
def db_stop(ctx: HubContextObj) -> None:
    if ctx.settings.database_url:
        raise click.ClickException("HUB_DATABASE_URL is set: the hub does not manage that server.")
    stopped = EmbeddedPostgres(ctx.settings.data_dir).stop()
    click.echo("Embedded PostgreSQL stopped." if stopped else "Embedded PostgreSQL was not running.")


def _bin_dir(ctx: HubContextObj) -> Path | None:
    """The embedded cluster's own programs (its server's version); None for a configured server."""
    from models.embedded_pg import find_pg_bin

    return None if ctx.settings.database_url or ctx.settings.migration_database_url else find_pg_bin()


@db.command("backup", help="Back up the database to FILE (pg_dump's custom format, with the hub's version and "
                           "schema revision inside), as the owner. Without FILE: backups/hub-<UTC time>.dump.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@pass_ctx
def db_backup(ctx: HubContextObj, file: Path | None) -> None:
    from models import backup
    from models.settings import PROJECT_ROOT

    target = file or backup.default_file(PROJECT_ROOT / "backups")
    info = backup.backup(ctx.owner_url, target, _bin_dir(ctx))
    click.echo(f"Backed up to {target} ({target.stat().st_size:,} bytes; hub {info.version}, "
               f"schema {info.head or 'empty'}).")


@db.command("restore", help="Restore FILE (made by `hub db backup`) into the hub's database, which must be empty "
                            "(or --force), then migrate it to this hub's schema and grant the app's role. A file "
                            "from a newer hub is refused and nothing is changed.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Drop the hub's schemas in a non-empty database first (its data is lost).")
@click.option("--jobs", type=int, default=2, show_default=True, help="Parallel pg_restore jobs.")
@pass_ctx
def db_restore(ctx: HubContextObj, file: Path, force: bool, jobs: int) -> None:
    from models import backup, migrate

    owner = ctx.owner_url
    info = backup.restore(file, owner, migrate.app_role_of(ctx.url, owner), force=force, bin_dir=_bin_dir(ctx),
                          jobs=jobs)
    click.echo(f"Restored {file} (hub {info.version}, taken {info.taken_at:%Y-%m-%d %H:%M} UTC); schema now at "
               f"{migrate.current_revision(owner)}.")


@db.command("url", help="Print the database URL the app uses (starting the embedded cluster if needed).")
@pass_ctx
def db_url(ctx: HubContextObj) -> None:
    click.echo(ctx.url)


# --- users ---------------------------------------------------------------------------------------
@cli.group(help="Users and their roles: " + ", ".join(r.value for r in Role) + ".")
def users() -> None:
    pass


def _cli_actor() -> str:
    """Who the audit log names for a command: ``cli:<OS user>``."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        who = str(os.getuid())
    return f"cli:{who}"


@users.command("create", help="Create a user; a random password is printed once unless --password-stdin.")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", default=None, help="Display name (default: the username).")
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--expert", "expert", default=None, metavar="STAFF_NUMBER",
              help="The expert an 'expert' user is (their own record is all they see and keep).")
@pass_ctx
def users_create(ctx: HubContextObj, username: str, role: str, display_name: str | None, email: str | None,
                 password_stdin: bool, expert: str | None) -> None:
    from services import admin

    given = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with ctx.session() as s:
        user, password = admin.create_user(s, _cli_actor(), username, display_name or username.strip().lower(),
                                           email, role, password=given, expert=expert)
    click.echo(f"Created {user.username} ({role}).")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@users.command("reset-password", help="Set a new random password (printed once) and end the user's sessions.")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@pass_ctx
def users_reset(ctx: HubContextObj, username: str, password_stdin: bool) -> None:
    from services import admin

    given = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with ctx.session() as s:
        user, password = admin.reset_password(s, _cli_actor(), username, given)
    click.echo(f"Password of {user.username} reset; open sessions ended.")
    if not password_stdin:
        click.echo(f"New password (shown once): {password}")


@users.command("deactivate", help="Deactivate a user: no login, no API token works, open sessions end.")
@click.argument("username")
@pass_ctx
def users_deactivate(ctx: HubContextObj, username: str) -> None:
    from services import admin

    with ctx.session() as s:
        admin.deactivate_user(s, _cli_actor(), username)
    click.echo(f"{username} deactivated.")


@users.command("reactivate", help="Let a deactivated user log in again.")
@click.argument("username")
@pass_ctx
def users_reactivate(ctx: HubContextObj, username: str) -> None:
    from services import admin

    with ctx.session() as s:
        admin.reactivate_user(s, _cli_actor(), username)
    click.echo(f"{username} reactivated.")


@users.command("set-role", help="Change a user's role (their open sessions end).")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--expert", "expert", default=None, metavar="STAFF_NUMBER",
              help="With --role expert: the expert the user is.")
@pass_ctx
def users_set_role(ctx: HubContextObj, username: str, role: str, expert: str | None) -> None:
    from services import admin

    with ctx.session() as s:
        admin.change_role(s, _cli_actor(), username, role, expert=expert)
    click.echo(f"{username} is now {role}.")


@users.command("list", help="List users with their role and state.")
@pass_ctx
def users_list(ctx: HubContextObj) -> None:
    from services.users import list_users

    with ctx.session() as s:
        for user in list_users(s):
            state = "active" if user.active else "deactivated"
            click.echo(f"{user.username:<20} {user.role.value:<11} {state}")


# --- tokens --------------------------------------------------------------------------------------
@cli.group(help="Personal access tokens for the API (sent as 'Authorization: Bearer TOKEN').")
def tokens() -> None:
    pass


@tokens.command("create", help="Create a token for a user; it is printed once.")
@click.option("--user", "username", required=True)
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option("--days", type=int, default=365, show_default=True, help="Days until it expires (0: never).")
@pass_ctx
def tokens_create(ctx: HubContextObj, username: str, name: str, days: int) -> None:
    from services import admin

    with ctx.session() as s:
        token, plain = admin.create_token(s, _cli_actor(), username, name, days or None)
        expires = token.expires_at.date().isoformat() if token.expires_at else "never"
    click.echo(f"Token {name!r} for {username} (expires {expires}); shown once:")
    click.echo(plain)


@tokens.command("revoke", help="Revoke a token by its id.")
@click.argument("token_id", type=int)
@pass_ctx
def tokens_revoke(ctx: HubContextObj, token_id: int) -> None:
    from services import admin

    with ctx.session() as s:
        admin.revoke_token(s, _cli_actor(), token_id)
    click.echo(f"Token {token_id} revoked.")


# --- data ----------------------------------------------------------------------------------------
@cli.group(help="Reference data shipped with the hub (geo/data).")
def reference() -> None:
    pass


@reference.command("load", help="Load or refresh countries, missions and sites (idempotent; all or nothing).")
@click.option("--source", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="A folder laid out like geo/data (default: the files shipped with the hub).")
@pass_ctx
def reference_load(ctx: HubContextObj, source: Path | None) -> None:
    from services.reference_data import load_reference

    with ctx.session() as s:
        report = load_reference(s, source)
    click.echo(_reference_summary(report))
    for repair in report.repairs:
        click.echo(f"  repaired: {repair}")


@cli.group(help="Data quality: the scorecard's rules, scores and daily snapshot.")
def quality() -> None:
    pass


@quality.command("snapshot", help="Score every rule and keep the day's counts (run it daily, e.g. from cron, so "
                                  "the trend has a point each day; the page takes one when opened if none exists).")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="The day (default: today).")
@pass_ctx
def quality_snapshot(ctx: HubContextObj, day: Any) -> None:
    from services.quality import scorecard

    with ctx.session() as s:
        card = scorecard.take_snapshot(s, day.date() if day else None)
    for code, score in card.rules.items():
        rate = "–" if score.rate is None else f"{100 * score.rate:.1f}%"
        click.echo(f"{code:36} {score.failing:>7} failing of {score.checked:>7}  {rate}")
    overall = card.overall
    click.echo(f"{'overall':36} {overall.failing:>7} failing of {overall.checked:>7}  "
               f"{'–' if overall.rate is None else f'{100 * overall.rate:.1f}%'}")


@cli.group(help="The generated demo data set (every row marked as generated).")
def demo() -> None:
    pass


@demo.command("load", help="Generate and load demo data; --experts/--deployments scale it for benchmarks.")
@click.option("--experts", type=int, default=80, show_default=True)
@click.option("--deployments", type=int, default=None, help="Number of deployments (default: what five years "
                                                             "of the experts' work gives).")
@click.option("--seed", type=int, default=None, help="Random seed (default HUB_DEMO_SEED).")
@click.option("--replace", is_flag=True, help="Delete the generated rows first (real rows are never touched).")
@pass_ctx
def demo_load(ctx: HubContextObj, experts: int, deployments: int | None, seed: int | None, replace: bool) -> None:
    import time

    from services.demo_data import load_demo
    from services.reference_data import load_reference

    started = time.perf_counter()
    with ctx.session() as s:
        if not s.scalar(select(DataLoad.id).where(DataLoad.kind == "reference")):
            load_reference(s)
        report = load_demo(s, experts=experts, deployments=deployments, seed=seed or ctx.settings.demo_seed,
                           replace=replace)
    click.echo(f"{_demo_summary(report)}\nLoaded and committed in {time.perf_counter() - started:.1f} s.")


# --- funding ---------------------------------------------------------------------------------------------
@cli.group(help="Funding: import the ERP's expenditure extract and the rates of exchange (all or nothing).")
def funding() -> None:
    pass


def _import_file(ctx: HubContextObj, file: Path, dry_run: bool, username: str,
                 run: Callable[[Session, Principal, Table], ImportResult]) -> None:
    """Every spreadsheet import of the command line, one shape: read FILE, run the import as --as USER (all rows or
    none), print each problem by row and column and exit 1 when refused; --dry-run runs it all, then rolls back."""
    from services.records import Problems
    from services.records.imports import cell_message, read_table

    try:
        with ctx.session() as s:
            result = run(s, _layer_principal(s, username), read_table(file.read_bytes(), file.name))
            if dry_run:
                s.rollback()  # the whole import ran, so the counts are true; none of it is kept
    except Problems as error:  # a bad cell (ImportRefused) or a file that cannot be read
        for problem in error.problems:
            click.echo(cell_message(problem), err=True)
        raise click.ClickException(f"{file.name} refused: {len(error.problems)} problem(s); nothing was written.") \
            from None
    except HubError as error:
        raise click.ClickException(str(error)) from None
    would = " (dry run: nothing written)" if dry_run else ""
    click.echo(f"{file.name}: {result.created:,} new, {result.updated:,} updated, {result.unchanged:,} unchanged"
               f"{would}.")


def import_options(default_user: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """FILE, --dry-run and --as: the options every import command takes."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        command = click.option("--as", "username", default=default_user, show_default=True,
                               help="The user the import is recorded for (the role that owns the record, or an "
                                    "administrator).")(command)
        command = click.option("--dry-run", is_flag=True,
                               help="Check every row and say what would change; write nothing.")(command)
        return click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))(command)

    return decorate


@funding.command("import-expenditures", help="Import FILE (XLSX or CSV: document number, date, grant, "
                                             "fund/cost centre, amount, currency, description[, reversal]).")
@import_options("demo-finance")
@pass_ctx
def funding_import_expenditures(ctx: HubContextObj, file: Path, dry_run: bool, username: str) -> None:
    from services.funding import imports

    _import_file(ctx, file, dry_run, username,
                 lambda s, who, table: imports.import_expenditures(s, who, table, file.name))


@funding.command("import-rates", help="Import FILE (CSV or XLSX: currency, month YYYY-MM, USD per unit).")
@import_options("demo-finance")
@pass_ctx
def funding_import_rates(ctx: HubContextObj, file: Path, dry_run: bool, username: str) -> None:
    from services.funding import imports

    _import_file(ctx, file, dry_run, username,
                 lambda s, who, table: imports.import_rates(s, who, table, file.name))


# --- GIS layers ----------------------------------------------------------------------------------
@cli.group(help="GIS layers: import, publish, list and export (the same checks and rules as the web page).")
def layers() -> None:
    pass


def _layer_principal(s: Session, username: str):  # type: ignore[no-untyped-def]
    from services.access import Principal
    from services.users import get_by_username

    user = get_by_username(s, username)
    if user is None or not user.active:
        raise click.ClickException(f"No active user named {username!r} (--as).")
    return Principal(user.id, user.username, Role(user.role), user.expert_id)


@layers.command("import", help="Import FILE (zipped Shapefile, GeoPackage, GeoJSON, KML, CSV) as a draft layer, "
                               "or as a new version of --into with --mode replace|append|upsert.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", "title", default=None, help="Title of the new layer (default: the file's layer name).")
@click.option("--slug", default=None, help="Identifier of the new layer (default: from the title).")
@click.option("--layer", "layer_name", default=None, help="The layer inside a GeoPackage holding several.")
@click.option("--into", "target", default=None, help="An existing layer to add a version to.")
@click.option("--mode", type=click.Choice(["replace", "append", "upsert"]), default="replace", show_default=True)
@click.option("--key", default=None, help="Upsert: the attribute identifying a feature.")
@click.option("--repair", is_flag=True, help="Repair invalid geometries instead of refusing the file.")
@click.option("--publish", "publish_now", is_flag=True, help="Publish the layer after importing it.")
@click.option("--as", "username", default="demo-gis", show_default=True, help="The user the import is recorded for.")
@pass_ctx
def layers_import(ctx: HubContextObj, file: Path, title: str | None, slug: str | None, layer_name: str | None,
                  target: str | None, mode: str, key: str | None, repair: bool, publish_now: bool,
                  username: str) -> None:
    import time

    from services import layers as layer_service

    options = layer_service.ImportOptions(mode=mode if target else "create", target=target, title=title, slug=slug,
                                          layer_name=layer_name, key=key, repair=repair)
    started = time.perf_counter()
    try:
        with ctx.session() as s:
            principal = _layer_principal(s, username)
            report = layer_service.import_path(s, principal, file, options)
            if publish_now:
                layer_service.publish(s, principal, report.slug)
    except HubError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{report.slug}: version {report.version} ({report.change}), {report.feature_count:,} "
               f"{report.geometry_type} features from {report.source_crs}"
               f"{f', {report.repaired} repaired' if report.repaired else ''}"
               f"{', published' if publish_now else ', draft'} in {time.perf_counter() - started:.1f} s.")


@layers.command("list", help="List layers with their status, type, version and feature count.")
@click.option("--as", "username", default="demo-gis", show_default=True)
@pass_ctx
def layers_list(ctx: HubContextObj, username: str) -> None:
    from services import layers as layer_service

    with ctx.session() as s:
        rows = layer_service.list_layers(s, _layer_principal(s, username))
    for row in rows:
        click.echo(f"{row['slug']:<32} {row['status']:<10} {row['geometry_type']:<16} v{row['current_version']:<4} "
                   f"{row['feature_count'] or 0:>9,}  {row['title']}")


@layers.command("publish", help="Publish a layer (or --archive it).")
@click.argument("slug")
@click.option("--archive", is_flag=True)
@click.option("--as", "username", default="demo-gis", show_default=True)
@pass_ctx
def layers_publish(ctx: HubContextObj, slug: str, archive: bool, username: str) -> None:
    from services import layers as layer_service

    try:
        with ctx.session() as s:
            (layer_service.archive if archive else layer_service.publish)(s, _layer_principal(s, username), slug)
    except HubError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{slug}: {'archived' if archive else 'published'}.")


@layers.command("export", help="Export a layer, or the hub's missions, sites or deployments, to a file.")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["gpkg", "geojson", "shp", "csv"]), default="gpkg",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--as", "username", default="demo-gis", show_default=True)
@pass_ctx
def layers_export(ctx: HubContextObj, name: str, fmt: str, out: Path | None, username: str) -> None:
    from services import layers as layer_service

    try:
        with ctx.session() as s:
            data, filename, _media = layer_service.export(s, _layer_principal(s, username), name, fmt)
    except HubError as error:
        raise click.ClickException(str(error)) from None
    target = out or Path(filename)
    target.write_bytes(data)
    click.echo(f"Wrote {target} ({len(data):,} bytes).")


@cli.group(help="Projects: the IATI 2.03 file of them all.")
def projects() -> None:
    pass


@projects.command("iati", help="Write every project as an IATI 2.03 activity into FILE (one iati-activities "
                               "document; the reporting organisation is HUB_IATI_ORG_REF). With --schema DIR, "
                               "check it against DIR/iati-activities-schema.xsd first.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--schema", "schema_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None)
@pass_ctx
def projects_iati(ctx: HubContextObj, file: Path, schema_dir: Path | None) -> None:
    from lxml import etree

    from services import audit
    from services.projects import iati

    settings = ctx.settings
    org = iati.ReportingOrg(settings.iati_org_ref, settings.iati_org_name, settings.iati_org_name_fr)
    with ctx.session() as s:
        blob = iati.activities_xml(s, org)
        audit.record(s, "export.iati", username=_cli_actor(), entity="project",
                     detail={"bytes": len(blob), "file": file.name})
    if schema_dir is not None:
        schema = iati.schema(schema_dir)
        if not schema.validate(etree.fromstring(blob)):
            raise click.ClickException(f"The file is not valid IATI 2.03: {schema.error_log.last_error}")
    file.write_bytes(blob)
    count = blob.count(b"<iati-activity ")
    click.echo(f"Wrote {file}: {count} activities, {len(blob):,} bytes.")


def _reference_summary(r: ReferenceReport) -> str:
    return (f"{r.countries} countries, {r.missions} missions, {r.sites} sites, {r.skills} skills, "
            f"{r.languages} languages; {len(r.repairs)} source rows repaired (`hub reference load` lists them).")


def _demo_summary(report: DemoReport) -> str:
    listed = ", ".join(f"{n:,} {table}" for table, n in report.counts.items() if n)
    return f"Generated (seed {report.seed}): {listed}."


# --- experts --------------------------------------------------------------------------------------
@cli.group(help="Experts: the roster's import (the same checks and rules as the web page).")
def experts() -> None:
    pass


@experts.command("import", help="Import the roster FILE (.xlsx or .csv in the template of /experts/import): all rows "
                                "or none, upserting by staff number. Prints each refused row's problem.")
@import_options("demo-planner")
@pass_ctx
def experts_import(ctx: HubContextObj, file: Path, dry_run: bool, username: str) -> None:
    from services.experts import roster_import

    _import_file(ctx, file, dry_run, username, roster_import.commit)


# --- deployments --------------------------------------------------------------------------------------------
@cli.group(help="Deployments: import historical ones from a spreadsheet (the same checks as the web page).")
def deployments() -> None:
    pass


@deployments.command("import", help="Import historical deployments from FILE (XLSX or CSV, the template's columns in "
                                    "English or French), all or nothing: any bad cell refuses the file, each named "
                                    "by row and column. A second import of the same file changes nothing.")
@import_options("demo-planner")
@pass_ctx
def deployments_import(ctx: HubContextObj, file: Path, dry_run: bool, username: str) -> None:
    from services.deployments import imports

    _import_file(ctx, file, dry_run, username, imports.commit)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except EmbeddedPgError as error:
        click.secho(f"hub: {error}", fg="red", err=True)
        sys.exit(2)
    except OperationalError as error:
        click.secho(f"hub: cannot reach the database: {first_line(error.orig or error)}. "
                    "Check HUB_DATABASE_URL or that the server runs.",
                    fg="red", err=True)
        sys.exit(2)
    except HubError as error:
        click.secho(f"hub: {error}", fg="red", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()

