"""``/experts/export.<xlsx|csv>``: the roster in the import's template (headers in the page's language,
formula-looking text escaped), for the roles that may import it."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort
from flask_login import current_user

from dashboard.context import db_session
from dashboard.file_responses import attachment
from dashboard.i18n import current_locale
from services.access import Permission
from services.experts import roster_import
from services.records.imports import template_csv, template_xlsx


def init_roster_files(server: Flask) -> None:
    def export(fmt: str) -> Any:
        if fmt not in ("xlsx", "csv"):
            abort(404)
        if not current_user.is_authenticated or not current_user.principal.can(Permission.MANAGE_PERSONNEL):
            abort(403)
        with db_session() as s:
            rows = roster_import.export_rows(s, current_user.principal)
        locale = current_locale()
        body = template_xlsx(roster_import.COLUMNS, locale, rows, sheet_title="Roster") if fmt == "xlsx" \
            else template_csv(roster_import.COLUMNS, locale, rows)
        return attachment(body, "roster", fmt, locale)

    server.add_url_rule("/experts/export.<fmt>", "roster_export", export)
