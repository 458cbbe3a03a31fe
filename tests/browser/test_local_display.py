"""What the pages show in the page's language beyond the catalogue: languages' names (français, anglais, arabe),
amounts in the funding grids (1 234,56 in French, 1,234.56 in English, still sorted as numbers), and the navbar's
mark on the page being shown (its dropdown and its item, aria-current="page")."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Expert, Grant
from tests.browser.actions import settle
from tests.factories import expert

pytestmark = pytest.mark.browser

FRENCH_AMOUNT = re.compile(r"^\d{1,3}(?:[\u202f\u00a0 ]\d{3})+,\d{2}$")  # 113 000,00
ENGLISH_AMOUNT = re.compile(r"^\d{1,3}(?:,\d{3})+\.\d{2}$")  # 113,000.00


def test_a_french_expert_page_names_the_languages_in_french(page: Page, login_as, engine) -> None:
    with Session(engine) as s, s.begin():
        expert_id = expert(s, languages={"fr": "native", "en": "C1", "ar": "B2"}).id
    try:
        login_as("planner")
        page.goto(f"/lang/fr?next=/experts/{expert_id}")
        languages = page.locator("#expert-languages-list")
        for name in ("français", "anglais", "arabe"):
            expect(languages).to_contain_text(name)
        expect(languages).not_to_contain_text("Arabic")
        expect(page.locator("#expert-status")).to_have_text("Actif")  # agrees with "expert", not a grant's "Active"
        settle(page)
        page.goto(f"/lang/en?next=/experts/{expert_id}")
        expect(languages).to_contain_text("Arabic")
        expect(languages).not_to_contain_text("arabe")
    finally:
        with Session(engine) as s, s.begin():
            s.execute(delete(Expert).where(Expert.id == expert_id))


def _amounts(page: Page, column: str) -> list[str]:
    cells = page.locator(f"#funding-grants .ag-center-cols-container .ag-cell[col-id='{column}']")
    expect(cells.first).not_to_be_empty()
    return [text.strip() for text in cells.all_inner_texts()]


def test_the_funding_grid_writes_amounts_the_pages_way(page: Page, login_as, engine) -> None:
    login_as("finance")
    page.goto("/lang/fr?next=/funding")
    french = _amounts(page, "committed")
    assert any(FRENCH_AMOUNT.match(text) for text in french), french  # a space between thousands, a decimal comma
    assert not any("." in text for text in french), french
    # A grant's dates are the page's way too, not ISO: "du 1 janv. 2024 au 31 déc. 2026" (a month as [^\s\d]+:
    # JavaScript's \w has no "é"; \s because Babel's spaces may be non-breaking).
    with Session(engine) as s:
        grant = s.scalars(select(Grant).order_by(Grant.id).limit(1)).one()
    settle(page)
    page.goto(f"/funding/grants/{grant.id}")
    month = r"[^\s\d]+"
    expect(page.locator("#grant-period")).to_have_text(re.compile(
        rf"^du\s\d{{1,2}}\s{month}\s{grant.start_date.year}\sau\s\d{{1,2}}\s{month}\s{grant.end_date.year}"))
    settle(page)
    page.goto("/lang/en?next=/funding")
    english = _amounts(page, "committed")
    assert any(ENGLISH_AMOUNT.match(text) for text in english), english


def test_the_navbar_marks_the_dropdown_and_the_item_of_the_page_shown(page: Page, login_as) -> None:
    login_as("admin")
    page.goto("/funding")
    money, personnel = page.locator("#nav-group-money .dropdown-toggle"), page.locator(
        "#nav-group-personnel .dropdown-toggle")
    expect(money).to_have_class(re.compile(r"\bactive\b"))
    expect(personnel).not_to_have_class(re.compile(r"\bactive\b"))
    money.click()
    expect(page.locator("#nav-funding")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#nav-funding")).to_have_attribute("aria-current", "page")
    expect(page.locator("#nav-projects")).not_to_have_attribute("aria-current", "page")
    # Through Dash's page routing (the shell stays): the mark follows the page.
    personnel.click()
    page.click("#nav-surge")
    expect(page).to_have_url(re.compile(r"/surge$"))
    expect(personnel).to_have_class(re.compile(r"\bactive\b"))
    expect(money).not_to_have_class(re.compile(r"\bactive\b"))
    personnel.click()
    expect(page.locator("#nav-surge")).to_have_attribute("aria-current", "page")
    expect(page.locator("#nav-experts")).not_to_have_attribute("aria-current", "page")
    # A page under a list's path sits in that list's dropdown; a page of its own is its own link.
    page.goto("/experts/import")
    expect(personnel).to_have_class(re.compile(r"\bactive\b"))
    page.goto("/map")
    expect(page.locator("#nav-operations_map")).to_have_attribute("aria-current", "page")
    expect(personnel).not_to_have_class(re.compile(r"\bactive\b"))
    expect(money).not_to_have_class(re.compile(r"\bactive\b"))
