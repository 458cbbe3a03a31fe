"""The new pages in French: an administrator switches the language, then opens the operations map, the surge
planner, the GIS layers and the briefing page, and finds their headings, labels and buttons in French and none
of their English left."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from dashboard.i18n import TRANSLATIONS_DIR
from tests.browser.conftest import settle

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
