"""File downloads' responses, shared by the map's downloads and the briefing files: the attachment, the
spreadsheet (CSV or XLSX, formula cells escaped) and the one-line plain error a file link answers with."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pandas as pd
from flask import Response

from services.analytics.exports import spreadsheet_safe
from services.errors import HubError

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
    # object dtype keeps each cell's Python value: a count stays 12, not 12.0 beside a share in one column,
    # and None (a suppressed count) stays an empty cell.
    frame = pd.DataFrame(spreadsheet_safe(rows), dtype=object)
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, sheet_name=sheet[:31], engine="openpyxl")
    return buffer.getvalue()


def plain_error(error: HubError) -> Response:
    """One line of text (a browser shows it as the page); a 422 of the services is a 400 for a file link."""
    message = " ".join(str(error).split())
    return Response(message + "\n", status=error.status if error.status != 422 else 400, mimetype="text/plain")
