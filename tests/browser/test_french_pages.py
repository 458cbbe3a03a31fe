"""The pages in French: an administrator switches the language, then opens every page and finds its headings,
labels and buttons in French, and none of its English left: neither the catalogue's, nor the reused components'
(date pickers, dropdowns, AG Grid, Plotly), nor the reference data's names; decimals with a comma; <html lang>."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.i18n import TRANSLATIONS_DIR
from models import Capacity, ClearanceType, Country, Donor, Mission, Skill, SurgeRequest
from tests.browser.actions import settle

pytestmark = pytest.mark.browser

# path -> (element that shows the page's callbacks have answered, French <h1>, French texts, English texts)
PAGES = {
    "/map": ("#map-kf-deployed", "Carte des opérations", [
        "Réinitialiser les filtres", "Période", "Situation au", "Lecture", "Experts déployés le jour choisi",
        "Experts déployés par mission (cliquez sur une barre pour filtrer)",
        "Disponibilité du personnel (cliquez sur une barre pour afficher ce jour sur la carte)",
        "Prise en compte des questions de genre", "Les graphiques suivent la vue de la carte",
        "Nombre médian de jours entre la demande et le déploiement", "Demandes de renfort ouvertes",
    ], [
        "Operations map", "Reset filters", "Period", "As of", "Play", "Experts deployed on the day",
        "Experts deployed by mission (click a bar to filter)", "Gender-responsiveness",
        "Charts follow the map view", "Open surge requests", "Funding: committed and spent (USD)",
    ]),
    "/surge": ("#surge-sl-median", "Planificateur des renforts", [
        "Niveau de service : jours entre la réception et le déploiement (12 derniers mois)",
        "Délai médian de déploiement (jours)", "90e centile", "Déployées dans le délai cible", "Demandes reçues",
        "Enregistrer une demande de renfort", "Mission requérante", "Début souhaité", "Durée (jours)",
        "Nombre d’experts", "Enregistrer la demande", "En retard uniquement",
        "Prévision des capacités : experts disponibles pendant la totalité des 30, 60 et 90 prochains jours",
    ], [
        "Surge planner", "Median days to deploy", "Deployed within target", "Requests received",
        "Record a surge request", "Requesting mission", "Wanted start", "Record request", "Overdue only",
        "Open surge requests", "Any status",
    ]),
    "/layers": ("#layers-upload", "Couches SIG", [
        "Téléverser une couche", "Vérifier et importer", "Publier", "Archiver", "Style", "Couleur du trait",
        "Couleur de remplissage", "Qui peut la voir", "Métadonnées", "Enregistrer le style", "Versions",
        "Restaurer cette version", "Exporter",
    ], [
        "GIS layers", "Upload a layer", "Check and import", "Publish", "Archive", "Line colour", "Fill colour",
        "Who sees it", "Metadata", "Save style", "Restore this version", "Export",
    ]),
    "/briefing": ("#briefing-kf-0", "Séances d’information", [
        "Période", "Langue du dossier", "Télécharger le dossier d’information (PPTX)",
        "Télécharger le dossier d’information (PDF)", "Experts déployés par mission",
        "Effectifs par capacité et par mission", "Financement par donateur et par source",
        "Niveau de service des renforts", "Agrégats uniquement",
    ], [
        "Briefing", "Period", "Pack language", "Download briefing pack (PPTX)", "Download briefing pack (PDF)",
        "Experts deployed by mission", "Personnel by capacity and mission", "Funding by donor and source",
        "Surge service level",
    ]),
}
TITLES = {"/map": "Carte des opérations", "/surge": "Planificateur des renforts", "/layers": "Couches SIG",
          "/briefing": "Séances d’information"}


@cache
def english_phrases() -> frozenset[str]:
    """The catalogue's English phrases whose French differs: whole words, no placeholder, at least three words
    (short words such as 'Total' or 'Mission' are French too, and data may hold them)."""
    with (TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    return frozenset(
        m.id.strip() for m in catalogue
        if isinstance(m.id, str) and m.id and "%" not in m.id and m.string and m.string != m.id
        and len(m.id.split()) >= 3 and "<" not in m.id
    )


@pytest.fixture
def in_french(page: Page, login_as: Callable[[str], tuple[str, str]]) -> Page:
    login_as("admin")
    page.click("#lang-fr")
    expect(page.locator("#nav-home")).to_have_text("Accueil")
    settle(page)
    return page


@pytest.mark.parametrize("path", list(PAGES))
def test_page_is_french(in_french: Page, path: str) -> None:
    page = in_french
    ready, heading, french, english = PAGES[path]
    page.goto(path)
    expect(page.locator(ready)).to_be_visible()
    settle(page)
    expect(page.locator("#page h1")).to_have_text(heading)
    expect(page).to_have_title(f"{TITLES[path]} · Plateforme des capacités permanentes")
    content = page.locator("#page")
    for text in french:
        expect(content.get_by_text(text, exact=False).first).to_be_attached()
    for text in english:
        expect(content.get_by_text(text, exact=True)).to_have_count(0)
    # And no other phrase of the catalogue left in English anywhere the page shows text.
    shown = re.sub(r"\s+", " ", content.inner_text())
    left = sorted(p for p in english_phrases() if re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", shown))
    assert not left, f"English on {path}: {left}"


# --- every page as an administrator in French: no English from outside the catalogue either ------------------
# The words of reused components (dcc, AG Grid, Plotly) and of the domain's codes that once stayed English.
COMPONENT_ENGLISH = [
    r"\bStart Date\b", r"\bEnd Date\b", r"\bNo Rows To Show\b", r"\bLoading\.\.\.", r"\b\d+ selected\b",
    r"\(ongoing\)", r"\(planned\)", r"\(completed\)", r"\bnative\b", r"\bSelect All\b", r"\bNo options found\b",
    r"\bJan\b", r"\bFeb\b", r"\bApr\b", r"\bMay\b", r"\bJun\b", r"\bJul\b", r"\bAug\b", r"\bOct\b", r"\bDec\b",
]
# path -> an element that shows the page's callbacks have answered
EVERY_PAGE = {
    "/": "#kf-deployed", "/map": "#map-kf-deployed", "/surge": "#surge-sl-median", "/layers": "#layers-upload",
    "/briefing": "#briefing-kf-0", "/experts": "#experts-grid .ag-row", "/missions": "#missions-grid .ag-row",
    "/surge/requests/{reference}": "#surge-req-candidates .ag-row", "/deployments/new": "#deployment-create",
}


# Text that is not the interface's: request titles are what planners typed (the demo's are English).
NOT_CHECKED = ['.ag-cell[col-id="title"]', "#surge-req-header h1"]


def shown_text(page: Page) -> str:
    """The page's visible text, whitespace folded, without NOT_CHECKED (hidden, so innerText leaves it out)."""
    page.evaluate("sel => document.querySelectorAll(sel).forEach(e => { e.style.display = 'none'; })",
                  ", ".join(NOT_CHECKED))
    return re.sub(r"\s+", " ", page.locator("#page").inner_text())


@pytest.fixture
def english_names(session: Session) -> list[str]:
    """Reference names whose French differs (missions, countries, donors, capacities, skills, clearances):
    none of them may show in French, wherever the page lists them."""
    names: set[str] = set()
    for model in (Mission, Country, Donor, Capacity, Skill, ClearanceType):
        rows = session.execute(select(model.name, model.name_fr).where(model.name_fr.is_not(None))).all()
        # Short names ("Mali", "Kenya") read the same in both; a longer English one is a leftover.
        names |= {n for n, fr in rows if n != fr and len(n) >= 8 and n != fr.replace("’", "'")}
    return sorted(names)


@pytest.fixture
def surge_reference(session: Session) -> str:
    """A request with eligible candidates, so that the ranking's reasons and scores are on the page (under the
    hard rules many generated requests have none)."""
    from models.enums import Role
    from services.access import Principal
    from services.surge.requests import candidates

    planner = Principal(user_id=0, username="test-planner", role=Role.PLANNER)
    for reference in session.scalars(select(SurgeRequest.reference).order_by(SurgeRequest.id).limit(60)):
        if candidates(session, planner, reference).eligible_count:
            return reference
    raise AssertionError("no surge request with eligible candidates among the demo's first 60")


@pytest.mark.parametrize("path", list(EVERY_PAGE))
def test_every_page_in_french(in_french: Page, path: str, english_names: list[str], surge_reference: str) -> None:
    page = in_french
    page.goto(path.format(reference=surge_reference))
    expect(page.locator(EVERY_PAGE[path]).first).to_be_visible()
    settle(page)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    shown = shown_text(page)
    left = [p for p in COMPONENT_ENGLISH if re.search(p, shown)]
    left += [n for n in english_names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", shown)]
    left += sorted(p for p in english_phrases() if re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", shown))
    assert not left, f"English on {path}: {left}"
    # Decimals take a comma in French: no "7.9" anywhere (dates are written out, never with dots between digits).
    assert not re.search(r"\d\.\d", shown), re.findall(r".{20}\d\.\d.{20}", shown)


def test_french_figures_components_and_calendar(in_french: Page) -> None:
    page = in_french
    # A decimal in a key figure: "7,9" (or the dash when no request was deployed).
    page.goto("/surge")
    expect(page.locator("#surge-sl-median")).to_have_text(re.compile(r"^(\d+,\d|–)$"))
    # dcc.Dropdown's summary of a multiple choice (the two clearances chosen by default).
    expect(page.locator(".dash-dropdown", has=page.locator("#surge-form-clearances")).or_(
        page.locator("#surge-form-clearances")).first).to_contain_text("2 sélectionné(s)")

    # AG Grid's own words: the column filter menu.
    page.goto("/experts")
    expect(page.locator("#experts-grid .ag-row").first).to_be_visible()
    page.locator('#experts-grid .ag-header-cell[col-id="grade"] .ag-header-cell-filter-button, '
                 '#experts-grid .ag-header-cell[col-id="grade"] .ag-header-icon').first.click()
    expect(page.locator(".ag-filter, .ag-menu").first).to_be_visible()
    expect(page.locator(".ag-filter, .ag-menu").first).to_contain_text("Contient")

    # The period's date picker: placeholders and the calendar in French.
    page.goto("/briefing")
    expect(page.locator("#briefing-kf-0")).to_be_visible()
    start = page.locator("input.dash-datepicker-start-date")
    expect(start).to_have_attribute("placeholder", "Date de début")
    expect(page.locator("input.dash-datepicker-end-date")).to_have_attribute("placeholder", "Date de fin")
    start.click()
    months = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    calendar = page.locator(".dash-datepicker-calendar").first
    expect(calendar).to_be_visible()
    expect(calendar).to_contain_text(re.compile(rf"({months}) \d{{4}}"))
    # Weeks start on Monday, with French day names.
    expect(calendar.get_by_role("row").nth(1)).to_have_text(re.compile(r"^\s*lu\s*ma\s*me\s*je\s*ve\s*sa\s*di\s*$"))
