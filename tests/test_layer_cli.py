"""`hub layers`: import, list, publish and export from the command line, with the page's checks."""

from __future__ import annotations

from pathlib import Path

import pyogrio
from click.testing import CliRunner
from sqlalchemy import delete

from cli.main import cli
from models import Layer
from models.db import session_scope
from tests.factories import shapefile_zip


def _invoke(db_url: str, *args: str):
    return CliRunner().invoke(cli, list(args), env={"HUB_DATABASE_URL": db_url}, catch_exceptions=False)


def test_import_publish_list_export(db_url, server, make_user, natural_earth, tmp_path: Path) -> None:
    username, _ = make_user("gis_editor")
    source = tmp_path / "countries.zip"
    source.write_bytes(shapefile_zip(natural_earth))
    try:
        result = _invoke(db_url, "layers", "import", str(source), "--name", "CLI countries", "--as", username)
        assert result.exit_code == 0, result.output
        assert "cli-countries: version 1 (created), 177 MultiPolygon features" in result.output
        assert _invoke(db_url, "layers", "publish", "cli-countries", "--as", username).exit_code == 0
        listing = _invoke(db_url, "layers", "list", "--as", username).output
        assert "cli-countries" in listing and "published" in listing
        out = tmp_path / "back.gpkg"
        result = _invoke(db_url, "layers", "export", "cli-countries", "--out", str(out), "--as", username)
        assert result.exit_code == 0 and len(pyogrio.read_dataframe(out)) == 177
        again = _invoke(db_url, "layers", "import", str(source), "--into", "cli-countries", "--mode", "append",
                        "--as", username)
        assert "version 2 (appended), 354" in again.output
    finally:
        with session_scope(server.extensions["hub"].session_factory) as s:
            s.execute(delete(Layer).where(Layer.slug == "cli-countries"))


def test_bad_file_is_one_clear_line(db_url, make_user, tmp_path: Path) -> None:
    username, _ = make_user("gis_editor")
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(b'{"type": "FeatureCollection", "feat')
    result = _invoke(db_url, "layers", "import", str(bad), "--as", username)
    assert result.exit_code == 1 and "bad.geojson" in result.output and "truncated" in result.output
    viewer, _ = make_user("viewer")
    refused = _invoke(db_url, "layers", "import", str(bad), "--as", viewer)
    assert refused.exit_code == 1 and "does not allow" in refused.output
