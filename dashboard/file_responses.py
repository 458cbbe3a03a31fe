"""File downloads' responses, shared by the map's downloads and the briefing files: the attachment, the
spreadsheet (CSV or XLSX, formula cells escaped) and the one-line plain error a file link answers with."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook

from services.errors import HubError
from services.spreadsheet_cells import escape_formula, money_currency

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}


def attachment(body: bytes, name: str, fmt: str, language: str | None = None) -> Response:
    """``hub-NAME-DATE[-LANGUAGE].FMT``: a file in a language says which, so English and French ones differ."""
    suffix = f"-{language}" if language else ""
    response = Response(body, mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = \
        f'attachment; filename="hub-{name}-{date.today().isoformat()}{suffix}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"  # role-dependent content
    return response


def spreadsheet(rows: list[dict[str, Any]], fmt: str, sheet: str) -> bytes:
    """Rows as CSV (RFC 4180) or XLSX; text cells formula-escaped, numbers left as numbers."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    if fmt == "csv":
        # The csv module quotes a cell holding a delimiter, a quote, CR or LF (pandas' writer, with "\n" as its
        # line end, left a lone CR unquoted and a reader broke the row there).
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow([escape_formula(c) for c in columns])
        writer.writerows([escape_formula(row.get(c)) if row.get(c) is not None else "" for c in columns]
                         for row in rows)
        return buffer.getvalue().encode("utf-8")
    return _xlsx(rows, columns, sheet)


def _xlsx(rows: list[dict[str, Any]], columns: list[str], sheet: str) -> bytes:
    # openpyxl itself, not pandas' writer: pandas wrote a Decimal as text, so money could not be summed.
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    ws.append([escape_formula(c) for c in columns])
    formats = {i: f'#,##0.00 "{code}"' for i, c in enumerate(columns, 1) if (code := money_currency(c))}
    for row in rows:
        ws.append([_xlsx_value(row.get(c)) for c in columns])
    for index, number_format in formats.items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
            if isinstance(cell.value, int | float):
                cell.number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    """A cell's value: numbers as numbers (Decimal as float, which is what a spreadsheet holds), text escaped,
    None an empty cell (a suppressed count)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | float | date) or value is None:
        return value
    return escape_formula(str(getattr(value, "value", value)))


def plain_error(error: HubError) -> Response:
    """One line of text (a browser shows it as the page); a 422 of the services is a 400 for a file link."""
    message = " ".join(str(error).split())
    return Response(message + "\n", status=error.status if error.status != 422 else 400, mimetype="text/plain")
