"""Text that users write reaches the page as text: a layer whose title is HTML runs nothing on the map."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from models import Layer, User
from models.db import session_scope
from models.enums import Role
from services import layers
from services.access import Principal
from tests.browser.actions import settle

pytestmark = pytest.mark.browser

EVIL_TITLE = "<img src=x onerror=alert(1)>"
SLUG = "xss-title-layer"


@pytest.fixture
def evil_layer(server, make_user):
    """A published point layer, as `hub layers import x.geojson --name "<img ...>" --publish` leaves it."""
    factory = server.extensions["hub"].session_factory
    username, _ = make_user("gis_editor")
    data = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "<b>x</b>"}, "geometry": {"type": "Point", "coordinates": [20, 5]}},
    ]}).encode()
    with session_scope(factory) as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        editor = Principal(user_id, username, Role.GIS_EDITOR)
        report = layers.import_layer(s, editor, data, "x.geojson", layers.ImportOptions(title=EVIL_TITLE, slug=SLUG))
        layers.publish(s, editor, report.slug)
    yield report.slug
    with session_scope(factory) as s:
        s.execute(delete(Layer).where(Layer.slug == SLUG))


def test_a_layer_title_written_as_html_shows_as_text_on_the_map(page: Page, login_as, evil_layer: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # Any other way the title's markup could run also leaves a mark.
    page.add_init_script("window.__hubXss = 0; document.addEventListener('error', function (e) {"
                         " if (e.target && e.target.getAttribute && e.target.getAttribute('src') === 'x') {"
                         " window.__hubXss += 1; } }, true);")
    login_as("viewer")
    page.goto("/map")
    overlays = page.locator(".leaflet-control-layers-overlays")
    expect(overlays).to_contain_text(EVIL_TITLE)  # the title as the user wrote it, characters and all
    expect(page.locator("#map-kf-deployed")).to_be_visible()
    settle(page)
    assert overlays.locator("img").count() == 0, "the title was parsed as HTML"
    assert dialogs == []
    assert page.evaluate("window.__hubXss") == 0
