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
from tests.browser.actions import open_map, settle, show_overlay
from tests.factories import shapefile_zip

pytestmark = pytest.mark.browser
SLUG = "browser-countries"


@pytest.fixture
def cleanup(server):
    yield
    with session_scope(server.extensions["hub"].session_factory) as s:
        s.execute(delete(Layer).where(Layer.slug == SLUG))


def test_upload_preview_publish_and_offered_to_the_map(page: Page, login_as, server, natural_earth, tmp_path,
                                                       cleanup) -> None:
    login_as("gis_editor")
    page.goto("/layers")
    expect(page.locator("#layers-upload")).to_be_visible()
    source = tmp_path / "Browser countries.zip"
    source.write_bytes(shapefile_zip(natural_earth))
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


STYLED = "browser-continents"


def _continents(path) -> None:  # type: ignore[no-untyped-def]
    """A small polygon layer with CONTINENT and NAME, written by the test (four squares, three continents)."""
    import json

    squares = [("Africa", "Chad", 15, 12), ("Africa", "Mali", -2, 16), ("Asia", "Nepal", 84, 28),
               ("Europe", "Italy", 12, 43)]
    features = [{"type": "Feature", "properties": {"CONTINENT": c, "NAME": n},
                 "geometry": {"type": "Polygon", "coordinates": [[[x - 2, y - 2], [x + 2, y - 2], [x + 2, y + 2],
                                                                  [x - 2, y + 2], [x - 2, y - 2]]]}}
                for c, n, x, y in squares]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def _upload_continents(page: Page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "Browser continents.geojson"
    _continents(source)
    page.set_input_files("#layers-upload input[type=file]", str(source))
    expect(page.locator("#layers-title")).to_have_value("Browser continents")
    page.click("#layers-import")


def _choose(page: Page, dropdown: str, option: str) -> None:
    page.click(f"#{dropdown}")
    # Dash 4's dropdown lists its options in a popover outside the control.
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


@pytest.fixture
def cleanup_styled(server):
    yield
    with session_scope(server.extensions["hub"].session_factory) as s:
        s.execute(delete(Layer).where(Layer.slug == STYLED))


def _fills(page: Page, root: str) -> set[str]:
    return set(page.eval_on_selector_all(f"{root} .leaflet-overlay-pane path.leaflet-interactive",
                                         "paths => paths.map(p => p.getAttribute('fill'))"))


def test_categorised_style_with_labels_in_preview_and_on_the_map(page: Page, login_as, tmp_path,
                                                                 cleanup_styled) -> None:
    login_as("gis_editor")
    page.goto("/layers")
    _upload_continents(page, tmp_path)
    expect(page.locator("#layers-alert")).to_contain_text("4 features")
    expect(page.locator("#layers-map .leaflet-overlay-pane path.leaflet-interactive")).to_have_count(4)
    assert len(_fills(page, "#layers-map")) == 1  # one colour until a style says otherwise
    # The preview sits on the offline base map and fits the layer's extent, nothing cut at the frame.
    expect(page.locator("#layers-map .leaflet-layers-base-pane path").first).to_be_attached()
    page.wait_for_function("() => document.querySelectorAll('#layers-map .leaflet-layers-base-pane path').length > 100")
    frame = page.locator("#layers-map").bounding_box()
    box = page.eval_on_selector_all(
        "#layers-map .leaflet-overlay-pane path.leaflet-interactive",
        """paths => { const r = paths.map(p => p.getBoundingClientRect());
            return {l: Math.min(...r.map(b => b.left)), t: Math.min(...r.map(b => b.top)),
                    r: Math.max(...r.map(b => b.right)), b: Math.max(...r.map(b => b.bottom))}; }""")
    assert frame is not None
    assert frame["x"] <= box["l"] and box["r"] <= frame["x"] + frame["width"], (frame, box)
    assert frame["y"] <= box["t"] and box["b"] <= frame["y"] + frame["height"], (frame, box)
    # Style: colours by CONTINENT, labels from NAME.
    page.select_option("#layers-style-mode", "categorised")
    _choose(page, "layers-style-field", "CONTINENT")
    _choose(page, "layers-style-label", "NAME")
    page.click("#layers-save-style")
    expect(page.locator("#layers-alert")).to_contain_text("Style saved.")
    page.wait_for_function("""() => new Set([...document.querySelectorAll(
        '#layers-map .leaflet-overlay-pane path.leaflet-interactive')].map(p => p.getAttribute('fill'))).size === 3""")
    labels = page.locator("#layers-map .leaflet-tooltip.hub-layer-label")
    expect(labels).to_have_count(4)
    assert sorted(labels.all_inner_texts()) == ["Chad", "Italy", "Mali", "Nepal"]
    # Published, the operations map draws it with the same style.
    page.click("#layers-publish")
    expect(page.locator("#layers-alert")).to_contain_text("Published")
    settle(page)
    open_map(page)
    show_overlay(page, "Browser continents")
    expect(page.locator("#map-map .leaflet-tooltip.hub-layer-label", has_text="Nepal")).to_be_visible()
    expect(page.locator("#map-map .leaflet-tooltip.hub-layer-label")).to_have_count(4)
    fills = page.eval_on_selector_all(
        "#map-map .hub-pane-gis path.leaflet-interactive",
        "paths => paths.filter(p => p.getAttribute('fill-opacity') === '0.3').map(p => p.getAttribute('fill'))")
    assert len(set(fills)) >= 3, fills


def test_who_sees_it_names_the_roles_in_the_language(page: Page, login_as, tmp_path, cleanup_styled) -> None:
    login_as("gis_editor")
    page.goto("/layers")
    roles = page.locator("#layers-roles")
    expect(roles).to_contain_text("GIS editor")
    expect(roles).to_contain_text("Finance")
    expect(roles).to_contain_text("Programme")
    assert "gis_editor" not in roles.inner_text()
    settle(page)
    page.goto("/lang/fr?next=/layers")
    expect(page.locator("#layers-roles")).to_contain_text("Éditeur SIG")
    expect(page.locator("#layers-roles")).to_contain_text("Administrateur")
    assert "gis_editor" not in page.locator("#layers-roles").inner_text()
    # A layer's status is a word of the language too, not its identifier.
    _upload_continents(page, tmp_path)
    expect(page.locator("#layers-status")).to_have_text("brouillon")
