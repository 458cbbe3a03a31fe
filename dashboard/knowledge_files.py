"""Knowledge downloads behind the login guard: a report or evidence file (``/files/knowledge/<id>``: always a
download, never shown inline, nosniff) and the implementation-rate report (``/files/recommendations/
implementation-rate.<xlsx|pdf>?lang=en|fr``), each an audit event."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, Response, abort
from flask_babel import force_locale, gettext
from flask_login import current_user

from dashboard.api.knowledge_api import file_response
from dashboard.briefing_files import _language
from dashboard.components.knowledge_parts import KIND_LABELS, label
from dashboard.context import db_session, request_origin
from dashboard.file_responses import attachment
from services import audit
from services.access import Permission
from services.formatting import day, percent
from services.knowledge import attachments as F
from services.knowledge import recommendations as R
from services.knowledge import reports


def download(attachment_id: int) -> Response:
    with db_session() as s:
        return file_response(F.read(s, current_user.principal, attachment_id, origin=request_origin()))


def rate_report(fmt: str) -> Response:
    if fmt not in ("xlsx", "pdf"):
        abort(404)
    lang = _language()
    principal = current_user.principal
    principal.require(Permission.VIEW_OPERATIONS)
    with db_session() as s:
        rates = {dim: R.implementation_rate(s, principal, dim) for dim in R.RATE_DIMENSIONS}
        audit.record(s, "export", principal=principal, entity="recommendation_report",
                     detail={"format": fmt, "lang": lang}, origin=request_origin())
    with force_locale(lang):
        def key_label(dim: str, key: Any) -> str:
            if key is None:
                return gettext("Not recorded")
            return label(KIND_LABELS, key) if dim == "kind" else str(key)

        tables = reports.rate_tables(rates, key_label, gettext)
        title = gettext("Recommendations: implementation rate")
        note = gettext("Implementation rate = implemented ÷ recommendations, not counting those not accepted or "
                       "closed as overtaken. As of %(day)s.", day=day(date.today(), lang, "long"))
        body = reports.xlsx(title, tables, note) if fmt == "xlsx" else \
            reports.pdf(title, tables, note, lambda v: "—" if v is None else percent(v, lang))
    return attachment(body, "implementation-rate", fmt, lang)


def init_knowledge_files(server: Flask) -> None:
    server.add_url_rule("/files/knowledge/<int:attachment_id>", "knowledge_file", download)
    server.add_url_rule("/files/recommendations/implementation-rate.<fmt>", "knowledge_rate_report", rate_report)
