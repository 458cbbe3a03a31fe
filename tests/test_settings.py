"""Settings are checked when they are read: a value that breaks a rule is refused, naming its variable, and
`hub run` says so in one line and exits non-zero instead of starting (or of a traceback). The limits an operator
tunes are settings, and the hub uses what they say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

from models.enums import Role
from models.settings import UPLOAD_MAX_MB, Settings, SettingsError
from services.access import Principal
from services.analytics import exports
from services.audit import AuditFilter, export_rows, record
from tests.factories import world_filter

HUB = str(Path(sys.executable).with_name("hub"))

# (variable, a value that breaks its rule): each one alone must be refused with the variable named.
REFUSED = [
    ("HUB_SUPPRESSION_THRESHOLD", "1"),  # hides 1 .. 0: nothing, i.e. suppression off
    ("HUB_SUPPRESSION_THRESHOLD", "0"),
    ("HUB_SUPPRESSION_THRESHOLD", "-3"),
    ("HUB_PORT", "0"),
    ("HUB_PORT", "65536"),
    ("HUB_PORT", "eighty"),
    ("HUB_IDLE_TIMEOUT_MINUTES", "0"),
    ("HUB_IDLE_TIMEOUT_MINUTES", "-5"),
    ("HUB_API_MAX_PAGE_SIZE", "0"),
    ("HUB_API_MAX_PAGE_SIZE", "100001"),
    ("HUB_MAP_CACHE_ENTRIES", "-1"),
    ("HUB_TRUSTED_PROXIES", "-1"),
    ("HUB_DEMO_SEED", "-1"),
    ("HUB_DEFAULT_LOCALE", "de"),
    ("HUB_LOGIN_RATE_LIMIT", "ten a minute"),
    ("HUB_ALLOWED_ORIGINS", '["gis.example:8443"]'),
    ("HUB_ALLOWED_ORIGINS", '["https://gis.example/path"]'),
    ("HUB_LAYER_UPLOAD_MAX_MB", "0"),
    ("HUB_LAYER_UPLOAD_MAX_MB", str(UPLOAD_MAX_MB + 1)),  # base64 of it would pass the 64 MB request cap
    ("HUB_LAYER_PREVIEW_FEATURES", "0"),
    ("HUB_EXPORT_MAX_ROWS", "0"),
    ("HUB_AUDIT_EXPORT_LIMIT", "0"),
    ("HUB_AUDIT_EXPORT_LIMIT", "1048576"),  # with the header row, more than a spreadsheet's rows
    ("HUB_TILE_MAX_FEATURES", "0"),
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize(("name", "value"), REFUSED)
def test_a_value_that_breaks_a_rule_is_refused_naming_its_variable(clean_env, name: str, value: str) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        Settings()
    message = str(refused.value)
    assert message.startswith(f"{name}="), message
    assert "\n" not in message


def test_two_bad_values_are_both_named_on_one_line(clean_env) -> None:
    clean_env.setenv("HUB_PORT", "0")
    clean_env.setenv("HUB_SUPPRESSION_THRESHOLD", "1")
    with pytest.raises(SettingsError) as refused:
        Settings()
    assert "HUB_PORT=0" in str(refused.value) and "HUB_SUPPRESSION_THRESHOLD=1" in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(("name", "value", "field", "expected"), [
    ("HUB_SUPPRESSION_THRESHOLD", "2", "suppression_threshold", 2),
    ("HUB_PORT", "65535", "port", 65535),
    ("HUB_MAP_CACHE_ENTRIES", "0", "map_cache_entries", 0),
    ("HUB_DEFAULT_LOCALE", "fr", "default_locale", "fr"),
    ("HUB_LAYER_UPLOAD_MAX_MB", str(UPLOAD_MAX_MB), "layer_upload_max_mb", UPLOAD_MAX_MB),
    ("HUB_ALLOWED_ORIGINS", '["https://gis.example:8443"]', "allowed_origins", ["https://gis.example:8443"]),
    ("HUB_LOGIN_RATE_LIMIT", "5 per minute;20 per hour", "login_rate_limit", "5 per minute;20 per hour"),
])
def test_the_edge_values_are_taken(clean_env, name: str, value: str, field: str, expected: object) -> None:
    clean_env.setenv(name, value)
    assert getattr(Settings(), field) == expected


def test_the_defaults_are_the_former_constants(clean_env) -> None:
    settings = Settings()
    assert (settings.layer_upload_max_mb, settings.layer_preview_features) == (40, 5000)
    assert (settings.export_max_rows, settings.audit_export_limit) == (200_000, 100_000)
    assert (settings.suppression_threshold, settings.tile_max_features) == (5, 5000)


def test_hub_run_refuses_a_bad_value_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    # An empty data directory: were the settings taken, `hub run` would start a cluster there.
    env.update(HUB_SUPPRESSION_THRESHOLD="1", HUB_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([HUB, "run"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hub: HUB_SUPPRESSION_THRESHOLD=1:"), done.stderr
    assert "Preparing the database" not in done.stdout
    assert not (tmp_path / "data").exists()


# --- the hub uses the limits it is given --------------------------------------------------------------
def test_map_download_holds_at_most_the_export_setting(logged_in, server, session, monkeypatch) -> None:
    filt = world_filter()
    in_scope = len(exports.deployments_rows(session, Principal(0, "t", Role.VIEWER), filt))
    assert in_scope > 1
    client = logged_in("viewer")
    monkeypatch.setattr(server.extensions["hub"].settings, "export_max_rows", in_scope - 1)
    refused = client.get(f"/map/download/deployments.geojson?{urlencode(filt.to_query())}")
    assert refused.status_code == 400, refused.get_data(as_text=True)
    assert f"at most {in_scope - 1:,}" in refused.get_data(as_text=True)
    monkeypatch.setattr(server.extensions["hub"].settings, "export_max_rows", in_scope)
    taken = client.get(f"/map/download/deployments.geojson?{urlencode(filt.to_query())}")
    assert taken.status_code == 200 and len(taken.get_json()["features"]) == in_scope


def test_audit_export_holds_at_most_its_limit(session) -> None:
    admin = Principal(0, "t-admin", Role.ADMIN)
    for n in range(3):
        record(session, "t-settings-limit", principal=admin, entity="thing", entity_id=str(n))
    session.flush()
    rows = export_rows(session, AuditFilter(action="t-settings-limit"), admin, limit=2)
    assert [r["record_id"] for r in rows] == ["2", "1"]  # the newest first


def test_layers_page_takes_its_upload_limit_from_the_settings(server, monkeypatch) -> None:
    from dashboard.pages import layers

    monkeypatch.setattr(server.extensions["hub"].settings, "layer_upload_max_mb", 3)
    with server.test_request_context():
        assert layers._upload_limit() == 3 * 2**20
