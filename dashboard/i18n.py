"""English and French. Every user-facing string goes through ``_`` so that French is a catalogue, not a rewrite."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel, get_locale, gettext, lazy_gettext, ngettext
from flask_login import current_user

LANGUAGES = {"en": "English", "fr": "Français"}
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"

_ = gettext
_l = lazy_gettext
__all__ = ["LANGUAGES", "_", "_l", "init_i18n", "ngettext", "select_locale"]


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in LANGUAGES:
        return current_user.locale
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def init_i18n(server: Flask, default_locale: str) -> None:
    server.config["BABEL_DEFAULT_LOCALE"] = default_locale
    Babel(server, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS_DIR))
    server.jinja_env.globals["get_locale"] = get_locale
