"""A language's name is shown in the page's language: "arabe" on a French page, "Arabic" on an English one (the
hub's own names are English; French takes the CLDR's, through Babel)."""

from __future__ import annotations

from flask_babel import force_locale

from models.enums import LanguageLevel, Role
from services.experts import expert_record
from services.reference_data import language_label
from services.surge.matching import Lack
from tests.factories import expert, planner


def test_an_experts_languages_are_named_in_the_pages_language(session) -> None:
    someone = expert(session, languages={"fr": "native", "en": "C1", "ar": "B2"})
    who = planner(session, Role.PLANNER)
    french = {lang["code"]: lang["name"] for lang in expert_record(session, who, someone.id, locale="fr")["languages"]}
    assert french == {"fr": "français", "en": "anglais", "ar": "arabe"}
    english = {lang["code"]: lang["name"] for lang in expert_record(session, who, someone.id, locale="en")["languages"]}
    assert english == {"fr": "French", "en": "English", "ar": "Arabic"}
    assert language_label("sw", "Swahili", "fr") == "swahili" and language_label("sw", "Swahili", "en") == "Swahili"


def test_a_candidates_missing_language_is_named_not_coded(app) -> None:
    from dashboard.components.surge_parts import lack_text
    from models.enums import LANGUAGE_LEVEL_RANK

    lack = Lack("language", "ar", 0, LANGUAGE_LEVEL_RANK[LanguageLevel.C1])
    with app.server.test_request_context():
        with force_locale("fr"):
            assert lack_text(lack).startswith("arabe ")
        with force_locale("en"):
            assert lack_text(lack).startswith("Arabic ")
