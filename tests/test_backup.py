"""`hub db backup` / `hub db restore`: the round trip between two fresh databases, and what a restore refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, pool, select, text
from sqlalchemy.orm import Session

from models import Expert, backup, migrate
from models.embedded_pg import APP_ROLE, find_pg_bin
from services.demo_data import load_demo
from services.reference_data import load_reference


def _app_url(owner_url: str) -> str:
    return owner_url.replace("postgresql+psycopg://hub@", f"postgresql+psycopg://{APP_ROLE}@")


@pytest.fixture(scope="module")
def source(fresh_database) -> str:
    """A fresh database at the latest schema with the reference data and a small demo, as the owner."""
    url = fresh_database("hub_test_backup_src")
    migrate.upgrade(url, app_role=APP_ROLE)
    engine = create_engine(url, poolclass=pool.NullPool)
    with Session(engine) as s, s.begin():
        load_reference(s)
        load_demo(s, experts=30)
    engine.dispose()
    return url


def test_round_trip_keeps_every_table_and_the_app_role_works(source: str, fresh_database, tmp_path: Path) -> None:
    archive = tmp_path / "hub.dump"
    info = backup.backup(source, archive, find_pg_bin())
    assert info.head == migrate.head_revision() and info.version == backup.hub_version()
    assert backup.read_info(archive, find_pg_bin() / "pg_restore") == info
    # The info table went with the dump; the source is as it was.
    assert not [r for r in backup.user_relations(source) if r.startswith(backup.INFO_SCHEMA + ".")]

    target = fresh_database("hub_test_backup_dst")
    restored = backup.restore(archive, target, APP_ROLE, bin_dir=find_pg_bin())
    assert restored == info
    before, after = backup.table_fingerprints(source), backup.table_fingerprints(target)
    assert before == after
    assert before["public.expert"][0] == 30 and before["public.country"][0] > 100
    assert migrate.current_revision(target) == migrate.head_revision()

    # The app's role, which owns nothing and was not named in the dump, reads and writes the restored database.
    engine = create_engine(_app_url(target), poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            assert conn.execute(select(func.count()).select_from(Expert)).scalar() == 30
            conn.execute(text("UPDATE expert SET family_name = family_name WHERE id = (SELECT min(id) FROM expert)"))
            owner = conn.execute(text("SELECT tableowner FROM pg_tables WHERE tablename = 'expert'")).scalar()
            assert owner == "hub"
    finally:
        engine.dispose()


def test_non_empty_target_is_refused_unless_forced(source: str, fresh_database, tmp_path: Path) -> None:
    archive = tmp_path / "hub.dump"
    backup.backup(source, archive, find_pg_bin())
    target = fresh_database("hub_test_backup_busy")
    engine = create_engine(target, poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE keep_me (n int)"))
    engine.dispose()
    with pytest.raises(backup.BackupError, match=r"not empty.*Nothing was changed"):
        backup.restore(archive, target, APP_ROLE, bin_dir=find_pg_bin())
    assert backup.user_relations(target) == ["public.keep_me"]

    backup.restore(archive, target, APP_ROLE, force=True, bin_dir=find_pg_bin())
    assert "public.keep_me" not in backup.user_relations(target)
    assert backup.table_fingerprints(target) == backup.table_fingerprints(source)


def test_backup_of_a_newer_schema_is_refused_and_nothing_changes(fresh_database, tmp_path: Path) -> None:
    newer = fresh_database("hub_test_backup_newer")
    engine = create_engine(newer, poolclass=pool.NullPool)
    with engine.begin() as conn:
        # What a later hub's migration leaves behind: a revision this code has never heard of.
        conn.execute(text("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('9999_from_the_future')"))
        conn.execute(text("CREATE TABLE later_table (n int)"))
    engine.dispose()
    archive = tmp_path / "newer.dump"
    assert backup.backup(newer, archive, find_pg_bin()).head == "9999_from_the_future"

    target = fresh_database("hub_test_backup_newer_dst")
    result = CliRunner().invoke(_cli(), ["db", "restore", str(archive)], env=_cli_env(target))
    assert result.exit_code != 0
    assert "9999_from_the_future" in str(result.exception) and "newer" in str(result.exception)
    assert backup.user_relations(target) == []


def test_file_that_is_not_a_hub_backup_is_refused(fresh_database, tmp_path: Path) -> None:
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a dump")
    target = fresh_database("hub_test_backup_junk")
    with pytest.raises(backup.BackupError, match="not a backup"):
        backup.restore(junk, target, APP_ROLE, bin_dir=find_pg_bin())


def test_cli_backs_up_and_restores(source: str, fresh_database, tmp_path: Path) -> None:
    archive = tmp_path / "cli.dump"
    runner = CliRunner()
    made = runner.invoke(_cli(), ["db", "backup", str(archive)], env=_cli_env(source))
    assert made.exit_code == 0, made.output
    assert "Backed up to" in made.output and archive.stat().st_size > 0
    target = fresh_database("hub_test_backup_cli")
    done = runner.invoke(_cli(), ["db", "restore", str(archive)], env=_cli_env(target))
    assert done.exit_code == 0, done.output
    assert f"schema now at {migrate.head_revision()}" in done.output
    assert backup.table_fingerprints(target) == backup.table_fingerprints(source)


def _cli():  # type: ignore[no-untyped-def]
    from cli.main import cli

    return cli


def _cli_env(owner_url: str) -> dict[str, str]:
    return {"HUB_DATABASE_URL": _app_url(owner_url), "HUB_MIGRATION_DATABASE_URL": owner_url}
