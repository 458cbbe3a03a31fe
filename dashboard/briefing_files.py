"""Briefing downloads: the pack (``/briefing/pack.pptx``, ``/briefing/pack.pdf``) and each briefing table as CSV
or XLSX (``/briefing/table/<name>.<fmt>``), with the briefing filter as query parameters and ``lang=en|fr``.

Behind the login guard; every role with VIEW_AGGREGATES (the briefing role's only permission) may download,
and what it gets is the suppressed briefing view, whatever the role. Each download is an audit event (who,
when, which filters, which format). Spreadsheet cells that start with = + - @ are escaped by the operations
map's helper (services/analytics/exports.spreadsheet_safe), not a second one.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort
from flask import request as flask_request
from flask_babel import force_locale, gettext
from flask_login import current_user

from dashboard.context import db_session, hub, request_origin
from dashboard.file_responses import attachment, plain_error, spreadsheet
from dashboard.i18n import LANGUAGES
from services import audit
from services.access import Permission, Principal
from services.analytics.filters import MapFilter
from services.briefing.aggregates import TABLES, BriefingView, briefing_filter, briefing_view, table_rows
from services.briefing.renderer import renderer_for
from services.errors import HubError, ValidationError

PACK_FORMATS = ("pptx", "pdf")
TABLE_FORMATS = ("csv", "xlsx")


def _language() -> str:
    lang = flask_request.args.get("lang") or "en"
    if lang not in LANGUAGES:
        raise ValidationError(f"lang must be one of {', '.join(LANGUAGES)} (got {lang!r}).")
    return lang


def _query() -> dict[str, Any]:
    return {k: v for k, v in flask_request.args.items() if k != "lang"}


def _view(principal: Principal, filt: MapFilter, locale: str, session: Any) -> BriefingView:
    settings = hub().settings
    return briefing_view(session, principal, filt, threshold=settings.suppression_threshold,
                         locale=locale)


def _record(session: Any, principal: Principal, what: str, fmt: str, filt: MapFilter, lang: str) -> None:
    audit.record(session, "export", principal=principal, entity="briefing", entity_id=what,
                 detail={"format": fmt, "filters": filt.to_query(), "language": lang}, origin=request_origin())


def pack(fmt: str) -> Response:
    if fmt not in PACK_FORMATS:
        abort(404)
    principal = current_user.principal
    try:
        principal.require(Permission.VIEW_AGGREGATES)
        lang = _language()
        filt = briefing_filter(_query())
        context = hub()
        # In a process of its own, niced (services/briefing/renderer.py): a pack's CPU never stalls this worker.
        body = renderer_for(context.engine).render(principal, _query(), lang, fmt,
                                                     context.settings.suppression_threshold)
        with db_session() as s:
            _record(s, principal, "pack", fmt, filt, lang)
        with force_locale(lang):
            # The file's name in the pack's language (ASCII, a plain filename= is enough), with the language.
            name = gettext("briefing-pack")
    except HubError as error:
        return plain_error(error)
    return attachment(body, name, fmt, language=lang)


def table(name: str) -> Response:
    stem, _dot, fmt = name.rpartition(".")
    if stem not in TABLES or fmt not in TABLE_FORMATS:
        abort(404)
    principal = current_user.principal
    try:
        principal.require(Permission.VIEW_AGGREGATES)
        lang = _language()
        filt = briefing_filter(_query())
        with db_session() as s:
            rows = table_rows(_view(principal, filt, lang, s), stem)
            _record(s, principal, stem, fmt, filt, lang)
    except HubError as error:
        return plain_error(error)
    return attachment(spreadsheet(rows, fmt, stem), f"briefing-{stem}", fmt, language=lang)


def init_briefing_files(server: Flask) -> None:
    server.add_url_rule("/briefing/pack.<fmt>", "briefing_pack", pack)
    server.add_url_rule("/briefing/table/<name>", "briefing_table", table)
