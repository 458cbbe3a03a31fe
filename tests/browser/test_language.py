"""The language switch: French comes from the catalogue, for the frame and the page."""

from __future__ import annotations

import re

import dash
import pytest
from playwright.sync_api import Page, expect

from models.enums import Role
from services.access import Principal

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


def test_navbar_collapses_on_a_phone_and_opens_on_toggle(page: Page, login_as) -> None:
    login_as("admin")
    page.set_viewport_size({"width": 390, "height": 844})
    navbar = page.locator("#shell-navbar")
    toggler = page.locator("#shell-nav-toggler")
    expect(toggler).to_be_visible()
    expect(page.locator("#nav-home")).to_be_hidden()
    collapsed = navbar.bounding_box()
    assert collapsed is not None and collapsed["height"] < 80, collapsed
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    toggler.click()
    expect(page.locator("#nav-home")).to_be_visible()
    expect(page.locator("#logout")).to_be_visible()
    expect(page.locator("#lang-fr")).to_be_visible()
    page.wait_for_function("() => document.querySelector('#shell-navbar').getBoundingClientRect().height > 200")
    toggler.click()
    expect(page.locator("#nav-home")).to_be_hidden()
    # Following a link closes the menu: the next page starts under a one-line bar.
    toggler.click()
    page.click("#nav-missions")
    expect(page.locator("h1")).to_have_text("Missions")
    expect(page.locator("#nav-home")).to_be_hidden()
    assert (navbar.bounding_box() or {"height": 999})["height"] < 80

    # On a desktop the links show, and no toggler.
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(page.locator("#nav-home")).to_be_visible()
    expect(toggler).to_be_hidden()


@pytest.mark.parametrize(("role", "path", "status", "notice", "text"), [
    ("viewer", "/layers", 403, "#page-forbidden", "Not available to your role"),
    ("viewer", "/no-such-page", 404, "#page-not-found", "Page not found"),
])
def test_refused_and_unknown_pages_answer_their_status_with_the_friendly_page(
        page: Page, login_as, role: str, path: str, status: int, notice: str, text: str) -> None:
    login_as(role)
    response = page.goto(path)
    assert response is not None and response.status == status
    expect(page.locator(notice)).to_contain_text(text)
    expect(page.locator(notice).get_by_role("link")).to_have_attribute("href", "/")
    expect(page.locator("#nav-home")).to_be_visible()  # in the hub's frame, not a bare error


def test_an_admins_pages_fit_one_row_at_1440_in_french_and_each_is_reachable(page: Page, login_as) -> None:
    login_as("admin")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.click("#lang-fr")
    expect(page.locator("#nav-home")).to_have_text("Accueil")
    # Every page with a navbar entry that an admin may open is there, grouped or not (all but an expert's own
    # record, /me, which only an expert user has).
    hrefs = page.eval_on_selector_all("#shell-navbar .hub-nav a[href]",
                                      "links => links.map(a => a.getAttribute('href'))")
    admin = Principal(0, "admin", Role.ADMIN)
    expected = {p["path"] for p in dash.page_registry.values() if p.get("nav_label") is not None
                and (p.get("permission") is None or admin.can(p["permission"]))}
    assert "/me" not in expected
    assert set(hrefs) - {"#"} == expected
    # ...on one row (ungrouped, in French, they took three).
    tops = page.eval_on_selector_all("#shell-navbar .hub-nav > .nav-item",
                                     "items => items.map(e => Math.round(e.getBoundingClientRect().top))")
    assert len(tops) < len(expected) and len(set(tops)) == 1, tops
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    # A grouped page opens from its group, in Dash's page routing.
    expect(page.locator("#nav-surge")).to_be_hidden()
    page.click("#nav-group-personnel .dropdown-toggle")
    expect(page.locator("#nav-surge")).to_have_text("Planificateur des renforts")
    page.click("#nav-surge")
    expect(page).to_have_url(re.compile(r"/surge$"))
    expect(page.locator("#nav-surge")).to_be_hidden()
