"""What the hub's files hold: CSV cells with CR or LF stay one cell, formula cells are escaped in every export
(the layer CSV through GDAL too), money in XLSX is a number with its currency, and an upsert file that repeats
its key is refused whole."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import cli
from models import Layer, LayerFeature
from models.db import session_scope
from models.enums import Role
from services import layers
from services.access import Principal
from services.analytics import exports
from services.errors import ValidationError
from services.users import create_user, get_by_username


def _table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _points(rows: list[dict[str, object]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [i, i]}}
        for i, props in enumerate(rows)]}).encode()


@pytest.fixture
def editor(session) -> Principal:
    user = create_user(session, "t-gis-cells", Role.GIS_EDITOR, "a-long-enough-password")
    session.flush()
    return Principal(user.id, user.username, Role.GIS_EDITOR)


# --- (a) CSV: CR and LF inside a cell ----------------------------------------------------------------------
def test_carriage_return_and_newline_stay_inside_their_csv_cell(logged_in, monkeypatch) -> None:
    rows = [{"acronym": "A\rB", "name": "line 1\nline 2", "note": "x\r\ny", "experts": 3},
            {"acronym": "C", "name": "plain", "note": "", "experts": 4}]
    monkeypatch.setattr(exports, "chart_rows", lambda *a, **k: rows)
    response = logged_in("viewer").get("/map/download/missions.csv")
    assert response.status_code == 200
    table = _table(response.get_data(as_text=True))
    assert table == [["acronym", "name", "note", "experts"], ["A\rB", "line 1\nline 2", "x\r\ny", "3"],
                     ["C", "plain", "", "4"]]


# --- (c) XLSX: money as numbers with the currency ----------------------------------------------------------
def test_funding_xlsx_holds_money_as_numbers_with_the_currency(logged_in) -> None:
    response = logged_in("viewer").get("/map/download/funding.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    money = [header.index("committed_usd") + 1, header.index("spent_usd") + 1]
    cells = [sheet.cell(row, col) for row in range(2, sheet.max_row + 1) for col in money]
    assert cells, "the demo data has funding rows"
    for cell in cells:
        assert cell.data_type == "n" and isinstance(cell.value, int | float), (cell.coordinate, cell.value)
        assert "USD" in cell.number_format and "0.00" in cell.number_format


def test_xlsx_escapes_text_only(logged_in, monkeypatch) -> None:
    rows = [{"donor": "=HYPERLINK(\"x\")", "committed_usd": Decimal("1234.5"), "spent_usd": Decimal("-3"),
             "burn_rate": 0.25}]
    monkeypatch.setattr(exports, "chart_rows", lambda *a, **k: rows)
    response = logged_in("viewer").get("/map/download/funding.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    donor, committed, spent, burn = sheet[2]
    assert donor.value == "'=HYPERLINK(\"x\")" and donor.data_type == "s"
    assert (committed.value, spent.value, burn.value) == (1234.5, -3, 0.25)  # a negative number is no formula
    assert "USD" in committed.number_format and "USD" not in burn.number_format


# --- (b) the layer CSV export through GDAL -----------------------------------------------------------------
def test_layer_csv_export_escapes_formula_cells(session, editor) -> None:
    props = [{"name": "=cmd|' /C calc'!A0", "plus": "+1", "minus": "-x", "at": "@SUM(A1)", "tab": "\tx",
              "cr": "\rx", "inner": "a\rb", "fine": "Juba", "number": -5, "=head": "h"}]
    report = layers.import_layer(session, editor, _points(props), "cells.geojson",
                                 layers.ImportOptions(title="Formula cells"))
    data, filename, _media = layers.export(session, editor, report.slug, "csv")
    assert filename.endswith(".csv")
    header, row = _table(data.decode("utf-8"))
    cell = dict(zip(header, row, strict=True))
    assert cell["name"] == "'=cmd|' /C calc'!A0" and cell["plus"] == "'+1" and cell["minus"] == "'-x"
    assert cell["at"] == "'@SUM(A1)" and cell["tab"] == "'\tx" and cell["cr"] == "'\rx"
    assert cell["inner"] == "a\rb" and cell["fine"] == "Juba" and cell["number"] == "-5"
    assert "'=head" in header and cell["'=head"] == "h"
    # GeoJSON is data for GIS, not a spreadsheet: kept as it is.
    geo, _name, _m = layers.export(session, editor, report.slug, "geojson")
    assert json.loads(geo)["features"][0]["properties"]["name"] == "=cmd|' /C calc'!A0"


# --- (d) upsert with a repeated key --------------------------------------------------------------------------
def test_upsert_refuses_a_file_that_repeats_its_key(session, editor) -> None:
    first = [{"code": "a", "v": 1}, {"code": "b", "v": 2}]
    report = layers.import_layer(session, editor, _points(first), "first.geojson",
                                 layers.ImportOptions(title="Upsert keys"))
    repeated = [{"code": "a", "v": 10}, {"code": "c", "v": 3}, {"code": "a", "v": 11}, {"code": None, "v": 0},
                {"code": None, "v": 0}, {"code": "c", "v": 4}]
    with pytest.raises(ValidationError) as refused:
        layers.import_layer(session, editor, _points(repeated), "again.geojson",
                            layers.ImportOptions(mode="upsert", target=report.slug, key="code"))
    message = str(refused.value)
    assert "'code'" in message and "'a' in rows 1, 3" in message and "'c' in rows 2, 6" in message
    layer = session.scalar(select(Layer).where(Layer.slug == report.slug))
    assert layer.current_version == 1
    assert session.scalar(select(func.count()).select_from(LayerFeature)
                          .where(LayerFeature.layer_id == layer.id)) == 2
    # Without the repeats (features without a key may be many), the upsert goes through.
    ok = [{"code": "a", "v": 10}, {"code": "c", "v": 3}, {"code": None, "v": 0}, {"code": None, "v": 0}]
    done = layers.import_layer(session, editor, _points(ok), "ok.geojson",
                               layers.ImportOptions(mode="upsert", target=report.slug, key="code"))
    assert (done.version, done.feature_count) == (2, 5)  # a, c, two without key, and b carried over


def test_cli_refuses_a_repeated_upsert_key_and_escapes_its_csv(db_url, server, make_user, tmp_path: Path) -> None:
    username, _ = make_user("gis_editor")
    env = {"HUB_DATABASE_URL": db_url}
    source, dup = tmp_path / "keys.geojson", tmp_path / "dup.geojson"
    source.write_bytes(_points([{"code": "k1", "label": "=1+1"}, {"code": "k2", "label": "ok"}]))
    dup.write_bytes(_points([{"code": "k1"}, {"code": "k1"}, {"code": "k2"}]))
    factory = server.extensions["hub"].session_factory
    try:
        made = CliRunner().invoke(cli, ["layers", "import", str(source), "--name", "CLI keys", "--as", username],
                                  env=env, catch_exceptions=False)
        assert made.exit_code == 0, made.output
        result = CliRunner().invoke(cli, ["layers", "import", str(dup), "--into", "cli-keys", "--mode", "upsert",
                                          "--key", "code", "--as", username], env=env, catch_exceptions=False)
        assert result.exit_code == 1 and "'k1' in rows 1, 2" in result.output, result.output
        with session_scope(factory) as s:
            assert s.scalar(select(Layer.current_version).where(Layer.slug == "cli-keys")) == 1
        out = tmp_path / "keys.csv"
        exported = CliRunner().invoke(cli, ["layers", "export", "cli-keys", "--format", "csv", "--out", str(out),
                                            "--as", username], env=env, catch_exceptions=False)
        assert exported.exit_code == 0, exported.output
        header, *rows = _table(out.read_text(encoding="utf-8"))
        assert [dict(zip(header, r, strict=True))["label"] for r in rows] == ["'=1+1", "ok"]
    finally:
        with session_scope(factory) as s:
            if s.scalar(select(Layer.id).where(Layer.slug == "cli-keys")):
                user = get_by_username(s, username)
                layers.delete_layer(s, Principal(user.id, user.username, Role.GIS_EDITOR), "cli-keys")
