"""Numbers and dates by Babel for the language, and reference names per language (name_fr, CLDR)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Capacity, ClearanceType, Country, Donor, Language, Mission, Skill
from services.formatting import MISSING, day, decimal, integer, language_name, money, month, percent, timestamp
from services.reference_data import is_french, localized_column, localized_name
from tests.factories import world_filter

NNBSP = "\u202f"  # CLDR's French group separator (narrow no-break space)
NBSP = "\u00a0"


def test_decimals_take_the_languages_separator() -> None:
    assert decimal(7.94, "en") == "7.9"
    assert decimal(7.94, "fr") == "7,9"
    assert decimal(Decimal("12345.678"), "fr", digits=2) == f"12{NNBSP}345,68"
    assert decimal(3, "fr") == "3,0"
    assert decimal(None, "fr") == MISSING


def test_counts_percentages_and_money() -> None:
    assert integer(1234567, "en") == "1,234,567"
    assert integer(1234567, "fr") == f"1{NNBSP}234{NNBSP}567"
    assert percent(0.4234, "en") == "42%"
    assert percent(0.4234, "fr") == f"42{NBSP}%"
    assert money(Decimal("1234567.80"), "en") == "$1,234,568"
    assert money(Decimal("1234567.80"), "fr") == f"1{NNBSP}234{NNBSP}568{NBSP}$US"
    assert money(None, "en") == MISSING


def test_dates_in_the_language() -> None:
    assert day(date(2026, 11, 30), "en") == "Nov 30, 2026"
    assert day(date(2026, 11, 30), "fr") == "30 nov. 2026"
    assert day(date(2026, 2, 1), "fr", "long") == "1 février 2026"
    assert month(date(2026, 1, 5), "fr") == "janv. 2026"
    assert month(date(2026, 1, 5), "en") == "Jan 2026"
    assert timestamp(datetime(2026, 11, 30, 14, 5), "fr") == "30 nov. 2026 14:05"


def test_language_names_come_from_cldr() -> None:
    assert language_name("ar", "fr") == "arabe"
    assert language_name("sw", "fr") == "swahili"
    assert language_name("ar", "en") == "Arabic"
    assert language_name("xx", "fr", "Unknown") == "Unknown"


@pytest.mark.parametrize(("code", "french"), [("fr", True), ("fr_FR", True), ("fr-CA", True), ("en", False),
                                              (None, False), ("", False)])
def test_is_french(code: str | None, french: bool) -> None:
    assert is_french(code) is french


def test_localized_name_of_reference_records(session: Session) -> None:
    minusca = session.scalars(select(Mission).where(Mission.acronym == "MINUSCA")).one()
    assert localized_name(minusca, "en") == minusca.name
    assert localized_name(minusca, "fr").startswith("Mission multidimensionnelle intégrée des Nations Unies")
    germany = session.scalars(select(Donor).where(Donor.name == "Germany")).one()
    assert localized_name(germany, "fr") == "Allemagne"
    medical = session.scalars(select(ClearanceType).where(ClearanceType.code == "MEDICAL")).one()
    assert localized_name(medical, "fr") == "Certificat d’aptitude médicale"
    spc = session.scalars(select(Capacity).where(Capacity.code == "SPC")).one()
    assert localized_name(spc, "fr") == "Capacité de police permanente"
    arabic = session.get(Language, "ar")
    assert localized_name(arabic, "fr") == "arabe"
    assert localized_name(arabic, "en") == "Arabic"
    # A mission with no French name in use keeps its English one.
    untitled = session.scalars(select(Mission).where(Mission.name_fr.is_(None)).limit(1)).one()
    assert localized_name(untitled, "fr") == untitled.name
    # Mappings and result rows work the same way.
    assert localized_name({"name": "Germany", "name_fr": "Allemagne"}, "fr") == "Allemagne"
    row = session.execute(select(Skill.name, Skill.name_fr).where(Skill.code == "investigations")).one()
    assert localized_name(row, "fr") == "Enquêtes criminelles"


def test_localized_column_in_sql(session: Session) -> None:
    names = dict(session.execute(select(Country.iso3, localized_column(Country, "fr"))
                                 .where(Country.iso3.in_(["DEU", "CAF"]))).all())
    assert names == {"DEU": "Allemagne", "CAF": "République centrafricaine"}
    english = session.scalar(select(localized_column(Mission, "en")).where(Mission.acronym == "UNMISS"))
    assert english == "United Nations Mission in the Republic of South Sudan"
    french = session.scalar(select(localized_column(Mission, "fr")).where(Mission.acronym == "UNMISS"))
    assert french == "Mission des Nations Unies au Soudan du Sud"


def test_briefing_names_donors_and_missions_in_the_language(session: Session) -> None:
    """The briefing page and its French pack read the donors' and missions' names through the view."""
    from models.enums import Role
    from services.access import Principal
    from services.analytics.filters import MapFilter
    from services.briefing.aggregates import briefing_view

    briefer = Principal(0, "briefer", Role.BRIEFING)
    filt = MapFilter(start=world_filter().start, end=world_filter().end)
    views = {lang: briefing_view(session, briefer, filt, threshold=5, locale=lang)
             for lang in ("en", "fr")}
    english = {r.donor for r in views["en"].funding.rows}
    french = {r.donor for r in views["fr"].funding.rows}
    donors = dict(session.execute(select(Donor.name, Donor.name_fr)).all())
    assert english & set(donors), english
    assert french == {donors.get(name) or name for name in english}
    assert not french & {n for n, fr in donors.items() if fr and fr != n}


def test_french_pack_writes_figures_the_french_way(session: Session) -> None:
    """The pack's key figures and service level follow the view's language: decimal commas, French money."""
    from models.enums import Role
    from services.access import Principal
    from services.analytics.filters import MapFilter
    from services.briefing.aggregates import briefing_view
    from services.briefing.pack import key_figures, service_rows, translator

    filt = MapFilter(start=world_filter().start, end=world_filter().end)
    view = briefing_view(session, Principal(0, "admin", Role.ADMIN), filt, threshold=1, locale="fr")
    assert view.locale == "fr"
    text = " ".join(value for _label, value in key_figures(view, translator("fr")))
    summary, by_quarter = service_rows(view, translator("fr"))
    text += " " + " ".join(value for _label, value in summary) + " " + " ".join(" ".join(r) for r in by_quarter)
    assert "$US" in text and "$1" not in text, text
    assert not re.search(r"\d\.\d", text), text
    assert "Demandes déployées" in by_quarter[0]


def test_page_components_get_their_words_in_the_language(server) -> None:  # type: ignore[no-untyped-def]
    """localize_components (run on every page layout): dropdown labels, date pickers, AG Grid's texts (a page's
    own kept), Plotly's locale; nothing added in English, where the components' defaults are English already."""
    import dash_ag_grid as dag
    from dash import dcc, html

    from dashboard.i18n import localize_components

    def layout() -> html.Div:
        return html.Div([
            dcc.Dropdown(id="d", options=[], multi=True),
            dcc.DatePickerRange(id="p"),
            dag.AgGrid(id="g", dashGridOptions={"localeText": {"noRowsToShow": "Own words"}}),
            dcc.Graph(id="f", config={"displaylogo": False}),
        ])

    with server.test_request_context("/", headers={"Accept-Language": "fr"}):
        french = localize_components(layout())
        dropdown, picker, grid, graph = french.children
        assert dropdown.labels["selected_count"] == "{num_selected} sélectionné(s)"
        assert (picker.start_date_placeholder_text, picker.end_date_placeholder_text) == ("Date de début",
                                                                                          "Date de fin")
        assert picker.first_day_of_week == 1
        assert grid.dashGridOptions["localeText"]["noRowsToShow"] == "Own words"
        assert grid.dashGridOptions["localeText"]["contains"] == "Contient"
        assert graph.config["displaylogo"] is False and graph.config["locale"] == "fr"
        fmt = graph.config["locales"]["fr"]["format"]
        assert fmt["decimal"] == "," and fmt["months"][0] == "janvier" and fmt["shortDays"][0] == "dim."
    with server.test_request_context("/", headers={"Accept-Language": "en"}):
        english = localize_components(layout())
        assert english.children[1].start_date_placeholder_text == "Start date"
        assert "locale" not in english.children[3].config
