"""The `hub` command line: help for every command, clear one-line errors, users and tokens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from cli.main import cli
from models import ApiToken, User
from models.db import session_scope

HUB = str(Path(sys.executable).with_name("hub"))


def _invoke(db_url: str, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, env={"HUB_DATABASE_URL": db_url},
                              catch_exceptions=False)


def test_every_command_has_help() -> None:
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0
    for group in ("run", "db", "users", "tokens", "demo", "reference"):
        assert group in top.output
    for args in (["run"], ["db", "upgrade"], ["db", "downgrade"], ["db", "stop"], ["users", "create"],
                 ["users", "reset-password"], ["users", "deactivate"], ["tokens", "create"], ["demo", "load"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, args


def test_unreachable_database_gives_one_clear_line() -> None:
    env = {**os.environ, "HUB_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"}
    done = subprocess.run([HUB, "db", "current"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach the database" in lines[0]


def test_users_lifecycle_and_tokens(db_url: str, server) -> None:
    factory = server.extensions["hub"].session_factory
    try:
        created = _invoke(db_url, "users", "create", "cli-tester", "--role", "planner")
        assert created.exit_code == 0 and "Password (shown once)" in created.output
        duplicate = CliRunner().invoke(cli, ["users", "create", "cli-tester", "--role", "planner"],
                                       env={"HUB_DATABASE_URL": db_url})
        assert duplicate.exit_code != 0
        token = _invoke(db_url, "tokens", "create", "--user", "cli-tester")
        plain = token.output.strip().splitlines()[-1]
        assert plain.startswith("hub_")
        client = server.test_client()
        answer = client.get("/api/v1/key-figures", headers={"Authorization": f"Bearer {plain}"})
        assert answer.status_code == 200
        reset = _invoke(db_url, "users", "reset-password", "cli-tester", "--password-stdin",
                        input="a-long-enough-password\n")
        assert reset.exit_code == 0 and "a-long-enough-password" not in reset.output
        assert _invoke(db_url, "users", "deactivate", "cli-tester").exit_code == 0
        assert client.get("/api/v1/key-figures", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
        listing = _invoke(db_url, "users", "list")
        assert "cli-tester" in listing.output and "deactivated" in listing.output
    finally:
        with session_scope(factory) as s:
            user_id = s.scalar(select(User.id).where(User.username == "cli-tester"))
            if user_id:
                s.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
                s.execute(delete(User).where(User.id == user_id))


@pytest.mark.parametrize("role", ["wizard", ""])
def test_unknown_role_is_refused(role: str) -> None:
    result = CliRunner().invoke(cli, ["users", "create", "x", "--role", role])
    assert result.exit_code != 0


def test_malformed_reference_file_is_refused_in_one_line(db_url: str, tmp_path: Path) -> None:
    import shutil

    from models.settings import PROJECT_ROOT

    source = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "geo" / "data", source)
    csv = source / "missions" / "DPPADPOSS-PKO_2024-02-19.csv"
    lines = csv.read_text().splitlines()
    lines[2] = lines[2].replace('"15,9833"', '"east"')  # UNPSG's longitude
    csv.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "HUB_DATABASE_URL": db_url}
    done = subprocess.run([HUB, "reference", "load", "--source", str(source)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "hub: DPPADPOSS-PKO_2024-02-19.csv, row 3: mission_longitude 'east' is not a number"


@pytest.mark.parametrize(("command", "role"), [
    (["experts", "import"], "planner"), (["deployments", "import"], "planner"),
    (["funding", "import-expenditures"], "finance"), (["funding", "import-rates"], "finance")])
def test_every_import_refuses_an_unreadable_file_in_one_shape(tmp_path, db_url: str, make_user, command: list[str],
                                                              role: str) -> None:
    """Each import command: the file's problem on its own line, then what happened, and exit code 1."""
    username, _password = make_user(role)
    fake = tmp_path / "roster.xlsx"
    fake.write_text("Staff number,Given name\nX1,Amina\n")  # a CSV named .xlsx
    result = CliRunner().invoke(cli, [*command, str(fake), "--as", username], env={"HUB_DATABASE_URL": db_url})
    assert result.exit_code == 1, result.output
    assert "The file's name says Excel (.xlsx), but it is not an Excel workbook" in result.output
    assert "Error: roster.xlsx refused: 1 problem(s); nothing was written." in result.output
    missing = tmp_path / "empty.csv"
    missing.write_text("Nothing,Here\n1,2\n")  # columns the template does not have
    result = CliRunner().invoke(cli, [*command, str(missing), "--dry-run", "--as", username],
                                env={"HUB_DATABASE_URL": db_url})
    assert result.exit_code == 1 and "is missing: add it or map one of the file's columns" in result.output
    assert "empty.csv refused:" in result.output and "nothing was written." in result.output
