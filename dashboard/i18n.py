"""English and French. Every user-facing string goes through ``_`` so that French is a catalogue, not a rewrite."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel import Locale
from flask import Flask, request, session
from flask_babel import Babel, get_locale, gettext, lazy_gettext, ngettext
from flask_login import current_user

if TYPE_CHECKING:
    from dash import Dash

LANGUAGES = {"en": "English", "fr": "Français"}
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"

_ = gettext
_l = lazy_gettext
__all__ = ["LANGUAGES", "_", "_l", "current_locale", "init_html_lang", "init_i18n", "ngettext", "select_locale"]


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


def current_locale() -> str:
    """The request's language code ("en", "fr"): what services take as ``locale``."""
    return str(get_locale() or "en")


def init_html_lang(app: Dash) -> None:
    """Dash's index page names the request's language in ``<html lang>`` (screen readers, hyphenation, the
    browser's own date inputs); Dash's index template has no placeholder for it."""
    interpolate = app.interpolate_index

    def with_lang(**kwargs: Any) -> str:
        page = interpolate(**kwargs)
        return page.replace("<html>", f'<html lang="{current_locale()}">', 1)

    app.interpolate_index = with_lang  # type: ignore[method-assign]


# --- the words of the reused components (dcc, AG Grid, Plotly), in the page's language ---------------------
def dropdown_labels() -> dict[str, str]:
    """dcc.Dropdown's own words ("2 selected", "Select All", "Search", ...)."""
    return {
        "select_all": _("Select all"), "deselect_all": _("Deselect all"),
        "selected_count": _("{num_selected} selected"), "search": _("Search"),
        "clear_search": _("Clear search"), "clear_selection": _("Clear selection"),
        "no_options_found": _("No options found"),
    }


def grid_locale_text() -> dict[str, str]:
    """AG Grid's own words (empty grid, column menu, filters, pagination) as ``dashGridOptions.localeText``;
    a page's own ``noRowsToShow`` is kept. The keys are AG Grid's (its locale module's names)."""
    return {
        "noRowsToShow": _("No rows to show"), "loadingOoo": _("Loading…"), "noMatchingRows": _("No matching rows"),
        "page": _("Page"), "of": _("of"), "to": _("to"), "more": _("more"), "next": _("Next"),
        "previous": _("Previous"), "first": _("First"), "last": _("Last"),
        "filterOoo": _("Filter…"), "searchOoo": _("Search…"), "selectAll": _("Select all"),
        "blanks": _("Blanks"), "noMatches": _("No matches"),
        "equals": _("Equals"), "notEqual": _("Does not equal"), "contains": _("Contains"),
        "notContains": _("Does not contain"), "startsWith": _("Begins with"), "endsWith": _("Ends with"),
        "blank": _("Blank"), "notBlank": _("Not blank"), "lessThan": _("Less than"),
        "greaterThan": _("Greater than"), "lessThanOrEqual": _("Less than or equal to"),
        "greaterThanOrEqual": _("Greater than or equal to"), "inRange": _("Between"),
        "inRangeStart": _("From"), "inRangeEnd": _("To"), "before": _("Before"), "after": _("After"),
        "andCondition": _("AND"), "orCondition": _("OR"), "applyFilter": _("Apply"),
        "resetFilter": _("Reset"), "clearFilter": _("Clear"), "cancelFilter": _("Cancel"),
        "pinColumn": _("Pin column"), "pinLeft": _("Pin left"), "pinRight": _("Pin right"),
        "noPin": _("No pin"), "autosizeThisColumn": _("Autosize this column"),
        "autosizeAllColumns": _("Autosize all columns"), "resetColumns": _("Reset columns"),
        "sortAscending": _("Sort ascending"), "sortDescending": _("Sort descending"),
        "sortUnSort": _("Clear sort"), "columns": _("Columns"), "filters": _("Filters"),
        "copy": _("Copy"), "copyWithHeaders": _("Copy with headers"), "export": _("Export"),
        "csvExport": _("CSV export"), "excelExport": _("Excel export"),
    }


# A grid column of ISO dates (they sort and filter as such) shown the language's way (assets/hub_grid.js).
GRID_LOCAL_DATE = {"function": "localDate(params.value)"}
GRID_LOCAL_NUMBER = {"function": "localNumber(params.value)"}
GRID_LOCAL_MONEY = {"function": "localNumber(params.value, 2, 2)"}  # an amount in its currency, with its cents
GRID_LOCAL_RATE = {"function": "localNumber(params.value, 8)"}  # a rate of exchange: every decimal it has


def graph_locale() -> dict[str, Any]:
    """Plotly's ``config.locale``/``locales`` built from CLDR: month and day names on date axes and the
    decimal and group separators of the language (plotly.js ships locales only as separate scripts)."""
    code = current_locale()
    if code == "en":
        return {}
    cldr = Locale.parse(code)
    months, days = cldr.months["format"], cldr.days["format"]
    symbols = cldr.number_symbols.get("latn", cldr.number_symbols)
    # CLDR numbers days Monday = 0; Plotly (like JavaScript) starts on Sunday.
    order = [6, 0, 1, 2, 3, 4, 5]
    short_date = cldr.date_formats["short"].pattern
    plotly_date = "%d/%m/%Y" if short_date.startswith("dd") else "%m/%d/%Y"
    return {"locale": code, "locales": {code: {"format": {
        "days": [days["wide"][i] for i in order], "shortDays": [days["abbreviated"][i] for i in order],
        "months": [months["wide"][i] for i in range(1, 13)],
        "shortMonths": [months["abbreviated"][i] for i in range(1, 13)],
        "date": plotly_date, "decimal": symbols["decimal"], "thousands": symbols["group"],
    }}}}


def date_picker_props(component: Any) -> dict[str, Any]:
    """A date picker's placeholders and calendar header in the language (the calendar's month and day names
    come from the date-fns locale that assets/hub_datefns_locale.js registers for the page's language)."""
    props: dict[str, Any] = {"month_format": "MMMM YYYY", "first_day_of_week": 1 if current_locale() == "fr" else 0}
    if component.__class__.__name__ == "DatePickerRange":
        props |= {"start_date_placeholder_text": _("Start date"), "end_date_placeholder_text": _("End date")}
    else:
        props |= {"placeholder": _("Date")}
    return props


def localize_components(layout: Any) -> Any:
    """Gives every reused component of a page layout its words in the request's language: dcc.Dropdown's
    labels, the date pickers' placeholders and calendar, AG Grid's texts, Plotly's dates and numbers. Set
    values a page chose itself are kept. Returns the layout (changed in place)."""
    from dash import dcc

    try:
        import dash_ag_grid as dag
    except ImportError:  # pragma: no cover - a dependency of the project
        dag = None
    children = list(layout._traverse()) if hasattr(layout, "_traverse") else []
    plotly = graph_locale()
    for component in [layout, *children]:
        if isinstance(component, dcc.Dropdown):
            component.labels = {**dropdown_labels(), **(getattr(component, "labels", None) or {})}
        elif isinstance(component, dcc.DatePickerRange | dcc.DatePickerSingle):
            for key, value in date_picker_props(component).items():
                if getattr(component, key, None) is None:
                    setattr(component, key, value)
        elif dag is not None and isinstance(component, dag.AgGrid):
            options = dict(getattr(component, "dashGridOptions", None) or {})
            options["localeText"] = {**grid_locale_text(), **(options.get("localeText") or {})}
            component.dashGridOptions = options
        elif isinstance(component, dcc.Graph) and plotly:
            component.config = {**(getattr(component, "config", None) or {}), **plotly}
    return layout


# --- the domain's enumerations, in words (the values stay codes everywhere else) ----------------------------
DEPLOYMENT_STATUS_LABELS = {
    "planned": _l("planned"), "ongoing": _l("ongoing"), "completed": _l("completed"), "cancelled": _l("cancelled"),
}
# A deployment's kind and gender marker, by their stored values (models.enums.DeploymentKind, GenderMarker).
KIND_LABELS = {
    "start_up": _l("Start-up"), "surge": _l("Surge"),
    "transition": _l("Transition"), "assessment": _l("Assessment"),
    "mission_manager_visit": _l("Mission-manager visit"),
    "training": _l("Training"),
    "technical_assistance": _l("Technical assistance"),
}
MARKER_LABELS = {
    "0": _l("0 · not expected to contribute to gender equality"),
    "1": _l("1 · limited contribution"),
    "2": _l("2 · significant objective"),
    "3": _l("3 · principal objective"),
}
ABSENCE_LABELS = {"leave": _l("Leave"), "training": _l("Training"), "medical": _l("Medical"), "other": _l("Other")}
LANGUAGE_LEVEL_LABELS = {"native": _l("native")}
