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

from tests.browser.conftest import settle

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
