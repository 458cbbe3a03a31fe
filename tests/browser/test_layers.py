"""The GIS team's path in a real browser: upload → preview (map and table) → publish → offered to the map."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete

from models import Layer
from models.db import session_scope
from models.enums import Role
from services import layers
from services.access import Principal
from tests.browser.conftest import settle
from tests.test_layer_import import shapefile_zip

pytestmark = pytest.mark.browser
SLUG = "browser-countries"


@pytest.fixture
def cleanup(server):
    yield
    with session_scope(server.extensions["hub"].session_factory) as s:
        s.execute(delete(Layer).where(Layer.slug == SLUG))


def test_upload_preview_publish_and_offered_to_the_map(page: Page, login_as, server, shared_data_dir, tmp_path,
                                                       cleanup) -> None:
    login_as("gis_editor")
    page.goto("/layers")
    expect(page.locator("#layers-upload")).to_be_visible()
    source = tmp_path / "Browser countries.zip"
    source.write_bytes(shapefile_zip(shared_data_dir))
    page.set_input_files("#layers-upload input[type=file]", str(source))
    expect(page.locator("#layers-file-note")).to_contain_text("1 layer")
    expect(page.locator("#layers-title")).to_have_value("Browser countries")
    page.click("#layers-import")
    expect(page.locator("#layers-alert")).to_contain_text("177 features")
    # The draft's preview: polygons drawn on the map, attributes in the table.
    expect(page.locator("#layers-map path.leaflet-interactive").first).to_be_attached()
    assert page.locator("#layers-map path.leaflet-interactive").count() > 100
    # The grid draws the columns in view (jsonb keeps short keys first): names and their values.
    expect(page.locator("#layers-grid .ag-header-cell-text", has_text="NAME").first).to_be_visible()
    expect(page.locator("#layers-grid .ag-cell", has_text="Fiji").first).to_be_visible()
    expect(page.locator("#layers-status")).to_have_text("draft")
    with session_scope(server.extensions["hub"].session_factory) as s:
        viewer = Principal(0, "v", Role.VIEWER)
        assert SLUG not in {m["slug"] for m in layers.map_layers(s, viewer)}
    page.click("#layers-publish")
    expect(page.locator("#layers-alert")).to_contain_text("Published")
    expect(page.locator("#layers-status")).to_have_text("published")
    settle(page)
    # On the operations map: offered to the map's roles, and in the OGC collections.
    with session_scope(server.extensions["hub"].session_factory) as s:
        viewer = Principal(0, "v", Role.VIEWER)
        offered = {m["slug"]: m for m in layers.map_layers(s, viewer)}
        assert offered[SLUG]["feature_count"] == 177
        assert SLUG in {c.id for c in layers.collections(s, viewer)}


def test_bad_upload_shows_the_message_and_stores_nothing(page: Page, login_as, server, tmp_path) -> None:
    login_as("gis_editor")
    page.goto("/layers")
    bad = tmp_path / "evil.kml"
    bad.write_bytes(b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]><kml/>')
    page.set_input_files("#layers-upload input[type=file]", str(bad))
    page.click("#layers-import")
    expect(page.locator("#layers-alert")).to_contain_text("entities")


def test_other_roles_cannot_open_the_page(page: Page, login_as) -> None:
    login_as("viewer")
    page.goto("/layers")
    expect(page.locator("#page-forbidden")).to_be_visible()
