"""Briefing mode in a real browser: a briefing user opens /briefing, changes the period, downloads the pack,
and the file opens."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect
from pptx import Presentation
from pypdf import PdfReader

from tests.browser.actions import settle

pytestmark = pytest.mark.browser


def test_briefing_user_changes_the_period_and_downloads_the_pack(page: Page, login_as) -> None:
    login_as("briefing")
    page.goto("/briefing")
    expect(page.locator("#briefing-kf-0")).to_be_visible()
    expect(page.locator("#briefing-map")).to_be_visible()
    settle(page)
    # Change the period the way a shared link does (the view is the URL); the page rebuilds for it.
    page.goto("/briefing?start=2025-01-01&end=2025-12-31")
    expect(page.locator("#briefing-kf-0")).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('#briefing-pack-pptx').getAttribute('href').includes('start=2025-01-01')")
    settle(page)
    assert "start=2025-01-01" in page.url
    with page.expect_download() as download_info:
        page.click("#briefing-pack-pptx")
    download = download_info.value
    assert download.suggested_filename.endswith(".pptx")
    deck = Presentation(io.BytesIO(Path(download.path()).read_bytes()))
    texts = "\n".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes
                      if shape.has_text_frame)
    assert "Member-state briefing" in texts and "2025-01-01" in texts

    page.locator("#briefing-lang").get_by_text("Français").click()
    page.wait_for_function(
        "() => document.querySelector('#briefing-pack-pdf').getAttribute('href').includes('lang=fr')")
    href = page.locator("#briefing-pack-pdf").get_attribute("href")
    assert parse_qs(urlparse(href).query)["start"] == ["2025-01-01"]
    with page.expect_download() as download_info:
        page.click("#briefing-pack-pdf")
    reader = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert "Briefing des États membres" in reader.pages[0].extract_text()


def test_briefing_role_is_refused_the_operations_map(page: Page, login_as) -> None:
    login_as("briefing")
    page.goto("/map")
    expect(page.locator("#page-forbidden")).to_be_visible()
    expect(page.locator("#nav-briefing")).to_be_visible()


FUNDING_COMMITTED = "#briefing-kf-7"


def _one_line(page: Page, selector: str) -> tuple[float, float]:
    """The element's height and its line height: a figure on one line is about one line high."""
    return page.eval_on_selector(selector, "e => [e.getBoundingClientRect().height, "
                                           "parseFloat(getComputedStyle(e).lineHeight)]")


@pytest.mark.parametrize("width", [1200, 390])
def test_key_figures_never_break_inside_a_number(page: Page, login_as, width: int) -> None:
    login_as("briefing")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/briefing")
    expect(page.locator(FUNDING_COMMITTED)).to_contain_text("$")
    settle(page)
    height, line = _one_line(page, FUNDING_COMMITTED)
    assert height < 1.5 * line, (width, height, line)
    # Nothing on the page is wider than the phone's screen (a wide table scrolls in its card).
    if width == 390:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_missions_with_a_hidden_split_keep_a_bar(page: Page, login_as) -> None:
    login_as("briefing")
    page.goto("/briefing")
    graph = page.locator("#briefing-chart-missions .js-plotly-plot")
    expect(graph).to_be_attached()
    page.wait_for_function("() => (document.querySelector('#briefing-chart-missions .js-plotly-plot') || {}).data")
    rows = page.evaluate("""() => {
        const data = document.querySelector('#briefing-chart-missions .js-plotly-plot').data;
        const bars = data.filter(t => t.type === 'bar'), labels = data.find(t => t.mode === 'text');
        return labels.y.map((mission, i) => ({mission, total: labels.text[i].trim(),
            drawn: bars.reduce((sum, t) => sum + (t.x[i] || 0), 0),
            capacities: bars.filter(t => t.name !== 'split suppressed').reduce((s, t) => s + (t.x[i] || 0), 0),
            hatched: bars.filter(t => t.name === 'split suppressed').reduce((s, t) => s + (t.x[i] || 0), 0)}));
    }""")
    shown = [r for r in rows if r["total"] != "*"]
    assert shown and all(r["drawn"] == int(r["total"]) for r in shown), rows
    # The baseline has missions whose split by capacity is hidden but whose total is shown: a hatched bar.
    split_hidden = [r for r in shown if r["capacities"] == 0]
    assert split_hidden and all(r["hatched"] == int(r["total"]) > 0 for r in split_hidden), rows
    expect(page.locator("#briefing-chart-missions .legendtext", has_text="split suppressed")).to_be_visible()


def test_suppression_footnote_and_mission_total_in_both_languages(page: Page, login_as) -> None:
    login_as("briefing")
    page.goto("/briefing")
    expect(page.locator("#briefing-suppression-footnote")).to_contain_text("* hidden to protect individuals")
    expect(page.locator("#briefing-mission-table")).to_contain_text("Total (expert–mission pairs)")
    expect(page.locator("#briefing-mission-note")).to_contain_text("counts expert–mission pairs, not experts")
    settle(page)
    page.goto("/lang/fr?next=/briefing")
    expect(page.locator("#briefing-suppression-footnote")).to_contain_text("* masqué pour protéger les personnes")
    expect(page.locator("#briefing-mission-table")).to_contain_text("Total (paires expert–mission)")
    expect(page.locator("#briefing-mission-note")).to_contain_text("paires expert–mission")


BASEMAP_FILL = "#e4e7eb"  # hubMap.basemapStyle


def test_map_circles_are_drawn_over_the_base_map(page: Page, login_as) -> None:
    """The countries arrive after the circles: in one pane they were drawn over them, and a circle on land
    showed as a half-disc. The base map has a pane of its own, under the circles'."""
    login_as("briefing")
    page.goto("/briefing")
    countries = f"#briefing-map .leaflet-map-pane path[fill='{BASEMAP_FILL}']"
    circles = f"#briefing-map .leaflet-map-pane path:not([fill='{BASEMAP_FILL}'])"
    page.wait_for_function(f"() => document.querySelectorAll(\"{countries}\").length > 100 "
                           f"&& document.querySelectorAll(\"{circles}\").length > 0")
    settle(page)
    z = "paths => paths.map(p => Number(getComputedStyle(p.closest('.leaflet-pane')).zIndex))"
    below, above = page.eval_on_selector_all(countries, z), page.eval_on_selector_all(circles, z)
    assert max(below) < min(above), (set(below), set(above))
