"""The implementation-rate report, XLSX and PDF, in the language the caller translates into: one table per
dimension (mission, contributing country, kind, year), then the overdue recommendations. The edge passes its
translation function (services never read a request's language)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.records.problems import N_
from services.spreadsheet_cells import escape_formula

Translate = Callable[[str], str]


def rate_tables(rates: Mapping[str, Sequence[Mapping[str, Any]]], key_label: Callable[[str, Any], str],
                t: Translate) -> list[tuple[str, list[list[Any]]]]:
    """(title, rows with a header) per dimension: the one table both formats write."""
    titles = {"mission": t(N_("By mission")), "country": t(N_("By contributing country")), "kind": t(N_("By kind")),
              "year": t(N_("By year"))}
    header = [t(N_("Group")), t(N_("Recommendations")), t(N_("Counted")), t(N_("Implemented")),
              t(N_("Partially implemented")), t(N_("Overdue")), t(N_("Implementation rate"))]
    out = []
    for dim, rows in rates.items():
        body = [[key_label(dim, r["key"]), r["total"], r["counted"], r["implemented"], r["partially_implemented"],
                 r["overdue"], r["rate"]] for r in rows]
        out.append((titles[dim], [header, *body]))
    return out


def xlsx(title: str, tables: list[tuple[str, list[list[Any]]]], note: str) -> bytes:
    book = Workbook()
    first = True
    for name, rows in tables:
        ws = book.active if first else book.create_sheet()
        first = False
        ws.title = name[:31]
        ws.append([escape_formula(title)])
        ws.append([escape_formula(note)])
        for k, row in enumerate(rows):
            ws.append([escape_formula(c) if isinstance(c, str) else c for c in row])
            if k:
                ws.cell(row=ws.max_row, column=len(row)).number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(title: str, tables: list[tuple[str, list[list[Any]]]], note: str, percent: Callable[[Any], str]) -> bytes:
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=title)
    story: list[Any] = [Paragraph(title, styles["Title"]), Paragraph(note, styles["Normal"]), Spacer(1, 12)]
    for name, rows in tables:
        story.append(Paragraph(name, styles["Heading2"]))
        shown = [[Paragraph(str(c), styles["BodyText"]) for c in rows[0]]] + [
            [Paragraph(str(r[0]), styles["BodyText"]), *r[1:-1], percent(r[-1])] for r in rows[1:]]
        table = Table(shown, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                                   ("ALIGN", (1, 1), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        story += [table, Spacer(1, 12)]
    doc.build(story)
    return out.getvalue()
