"""The language switch: French comes from the catalogue, for the frame and the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_switching_to_french_and_back(page: Page, login_as) -> None:
    login_as("viewer")
    expect(page.locator("#nav-home")).to_have_text("Home")
    expect(page.locator("#kf-deployed")).to_be_visible()
    expect(page.locator("#lang-fr")).to_have_attribute("href", "/lang/fr?next=%2F")
    page.click("#lang-fr")

    expect(page.locator("#nav-home")).to_have_text("Accueil")
    expect(page.locator("#nav-missions")).to_have_text("Missions")
    expect(page.locator("#logout")).to_have_text("Se déconnecter")
    expect(page.locator("#shell-user")).to_contain_text("Lecteur")
    labels = {
        "kf-deployed": "Experts déployés aujourd’hui",
        "kf-available": "Experts disponibles",
        "kf-open-surge": "Demandes de renfort ouvertes",
        "kf-missions": "Missions actives",
    }
    for card_id, label in labels.items():
        expect(page.locator(".card", has=page.locator(f"#{card_id}"))).to_contain_text(label)
    expect(page.locator("h1")).to_have_text("La situation du jour en un coup d’œil")

    # The switch keeps the page the user is on, also after Dash's in-page navigation.
    page.click("#nav-experts")
    expect(page.locator("h1")).to_have_text("Experts")
    expect(page).to_have_title("Experts · Plateforme des capacités permanentes")
    expect(page.locator("#experts-count")).to_have_text(re.compile(r"^\d+ experts?$"))
    expect(page.locator("#lang-en")).to_have_attribute("href", "/lang/en?next=%2Fexperts")
    page.wait_for_load_state("networkidle")  # no response in flight to bring the old cookie back
    page.click("#lang-en")
    expect(page).to_have_url(f"{page.url.split('/experts')[0]}/experts")
    expect(page.locator("#nav-home")).to_have_text("Home")
    expect(page.locator('.ag-header-cell[col-id="status"]')).to_contain_text("Status today")
