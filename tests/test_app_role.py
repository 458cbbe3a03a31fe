"""The app's database role owns nothing: the audit log cannot be emptied or changed through it, yet the app
works (a layer's whole lifecycle, whose partitions need DDL, goes through the owner's functions)."""

from __future__ import annotations

import json

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, make_url, pool, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from cli.main import cli
from models import AuditEvent, LayerFeature
from models.embedded_pg import APP_ROLE
from models.enums import Role
from services import audit, layers
from services.access import Principal
from services.users import create_user

POINTS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": f"p{i}", "name": f"Point {i}"},
     "geometry": {"type": "Point", "coordinates": [10 + i, 5 + i]}} for i in range(3)]}


@pytest.fixture(autouse=True)
def _two_roles(db_url: str, owner_db_url: str) -> None:
    from models import migrate

    if migrate.app_role_of(db_url, owner_db_url) is None:
        pytest.skip("HUB_TEST_DATABASE_URL without HUB_TEST_MIGRATION_DATABASE_URL: the app and the owner are one role")


def _refused(db_url: str, statement: str) -> None:
    engine = create_engine(db_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn, pytest.raises(ProgrammingError) as caught:
            conn.execute(text(statement))
        assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege), caught.value
    finally:
        engine.dispose()


@pytest.mark.parametrize("statement", [
    "TRUNCATE audit_event",
    "TRUNCATE audit_event CASCADE",
    "UPDATE audit_event SET action = 'x'",
    "DELETE FROM audit_event",
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
    "DROP TABLE audit_event",
    "CREATE TABLE layer_feature_parts.mine (id int)",
])
def test_the_app_role_cannot_empty_or_change_the_audit_log(db_url: str, statement: str) -> None:
    _refused(db_url, statement)


def test_the_app_role_adds_audit_events(session, db_url: str) -> None:
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    audit.record(session, "test_event", entity="test", entity_id="app-role")
    session.flush()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
    assert session.scalar(text("SELECT current_user")) == make_url(db_url).username


def test_the_app_role_owns_nothing_and_may_truncate_nothing(session) -> None:
    owned = session.scalar(text(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"))
    assert owned == 0
    truncatable = session.scalars(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN ('public', 'layer_feature_parts') AND c.relkind IN ('r', 'p') "
        "AND has_table_privilege(current_user, c.oid, 'TRUNCATE')")).all()
    assert truncatable == []


def test_tables_the_owner_makes_later_are_granted_to_the_app(owner_db_url: str, db_url: str) -> None:
    """Default privileges: a table a later migration adds is usable by the app at once, still without TRUNCATE."""
    owner = create_engine(owner_db_url, poolclass=pool.NullPool)
    app = create_engine(db_url, poolclass=pool.NullPool)
    try:
        with owner.begin() as conn:
            conn.execute(text("CREATE TABLE zz_later (id serial PRIMARY KEY, note text)"))
        with app.begin() as conn:
            conn.execute(text("INSERT INTO zz_later (note) VALUES ('x')"))
            assert conn.scalar(text("SELECT count(*) FROM zz_later")) == 1
        _refused(db_url, "TRUNCATE zz_later")
    finally:
        with owner.begin() as conn:
            conn.execute(text("DROP TABLE zz_later"))
        owner.dispose()
        app.dispose()


def test_partition_functions_refuse_what_is_not_a_layer_version(session) -> None:
    for args in ("-1, 1", "1, 0", "NULL, 1", "2147483000, 1"):
        with pytest.raises(DBAPIError), session.begin_nested():
            session.execute(text(f"SELECT hub_layer_part_create({args})"))


def test_a_layer_lifecycle_runs_as_the_app_role(session, db_url: str) -> None:
    """Import, publish, replace, upsert, restore, archive, delete: each makes or drops partitions."""
    assert session.scalar(text("SELECT current_user")) == make_url(db_url).username
    user = create_user(session, "t-gis-app-role", Role.GIS_EDITOR, "a-long-enough-password")
    session.flush()
    editor = Principal(user.id, user.username, Role.GIS_EDITOR)
    data = json.dumps(POINTS).encode()
    report = layers.import_layer(session, editor, data, "points.geojson", layers.ImportOptions(title="App role"))
    layers.publish(session, editor, report.slug)
    replaced = layers.import_layer(session, editor, data, "points.geojson",
                                   layers.ImportOptions(mode="replace", target=report.slug))
    upserted = layers.import_layer(session, editor, data, "points.geojson",
                                   layers.ImportOptions(mode="upsert", target=report.slug, key="code"))
    assert (replaced.version, upserted.version, upserted.feature_count) == (2, 3, 3)
    assert layers.restore(session, editor, report.slug, 1) == 4
    layer_id = session.scalar(text("SELECT id FROM layer WHERE slug = :s"), {"s": report.slug})
    layers.archive(session, editor, report.slug)
    layers.delete_layer(session, editor, report.slug)
    session.flush()
    assert session.scalar(select(func.count()).select_from(LayerFeature)
                          .where(LayerFeature.layer_id == layer_id)) == 0
    left = session.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'layer_feature_parts' "
                               "AND tablename LIKE :p"), {"p": f"l{layer_id}\\_v%"})
    assert left == 0


def test_db_upgrade_migrates_as_the_owner_and_grants_the_app_role(fresh_database) -> None:
    """Production's split: HUB_MIGRATION_DATABASE_URL migrates, HUB_DATABASE_URL (the app) gets DML only."""
    owner = fresh_database("hub_roles")
    app = owner.replace("postgresql+psycopg://hub@", f"postgresql+psycopg://{APP_ROLE}@")
    result = CliRunner().invoke(cli, ["db", "upgrade"], catch_exceptions=False,
                                env={"HUB_DATABASE_URL": app, "HUB_MIGRATION_DATABASE_URL": owner})
    assert result.exit_code == 0, result.output
    engine = create_engine(app, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            assert conn.scalar(text("SELECT count(*) FROM audit_event")) == 0
            conn.execute(text("INSERT INTO audit_event (at, action, detail) VALUES (now(), 'x', '{}')"))
    finally:
        engine.dispose()
    _refused(app, "TRUNCATE audit_event")
    _refused(app, "DELETE FROM audit_event")


def test_a_superuser_is_refused_as_the_app_role(owner_db_url: str) -> None:
    from models import migrate
    from models.errors import HubError

    superuser = owner_db_url.split("://", 1)[1].split("@", 1)[0]
    with pytest.raises(HubError, match="owns nothing"):
        migrate.grant_app_role(owner_db_url, superuser)
