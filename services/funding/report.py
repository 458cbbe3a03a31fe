"""The donor report of one grant, as XLSX (openpyxl) and PDF (reportlab), in English or French: the agreement,
its figures, allocations, spending by month and every expenditure. A grant with no spending gives a valid report
whose tables are empty."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from services import audit
from services.access import Principal
from services.briefing.pack import grid_style, translator
from services.formatting import decimal as fmt_decimal
from services.formatting import percent
from services.funding.figures import GrantFigures, allocations_of, expenditures_of, monthly_spending, one_grant
from services.records import N_
from services.spreadsheet_cells import escape_formula

Translate = Callable[..., str]


@dataclass(frozen=True)
class DonorReport:
    figures: GrantFigures
    allocations: list[dict[str, Any]]
    months: list[tuple[date, Decimal]]
    expenditures: list[dict[str, Any]]
    locale: str


def donor_report(session: Session, principal: Principal, grant_id: int, locale: str = "en",
                 today: date | None = None) -> DonorReport:
    figures = one_grant(session, principal, grant_id, today=today, locale=locale)
    return DonorReport(figures, allocations_of(session, principal, grant_id),
                       monthly_spending(session, principal, grant_id), expenditures_of(session, principal, grant_id),
                       locale)


def _summary(r: DonorReport, _: Translate) -> list[tuple[str, str]]:
    f, loc = r.figures, r.locale

    def money(v: Decimal) -> str:
        return f"{fmt_decimal(v, loc, 2)} {f.currency}"

    return [
        (_("Agreement reference"), f.reference), (_("Title"), f.title),
        (_("Donor"), f.donor or _("Regular budget")),
        (_("Period"), _("%(start)s to %(end)s", start=f.start_date.isoformat(), end=f.end_date.isoformat())),
        (_("Committed"), money(f.committed)),
        (_("Programme support cost rate"), percent(float(f.psc_rate), loc)),
        (_("Net of programme support costs"), money(f.net)),
        (_("Allocated"), money(f.allocated)), (_("Spent"), money(f.spent)), (_("Available"), money(f.available)),
        (_("Burn rate"), percent(f.burn_rate, loc)), (_("Time elapsed"), percent(f.time_elapsed, loc)),
        (_("Runs out at the present rate"), f.run_out.isoformat() if f.run_out else "—"),
        (_("Report date"), f.today.isoformat()),
    ]


def _tables(r: DonorReport, _: Translate) -> list[tuple[str, list[str], list[list[Any]]]]:
    return [
        (_("Allocations"), [_("Purpose"), _("Project"), _("Fund/cost centre"), _("Allocated on"), _("Amount"),
                            _("Spent"), _("Status")],
         [[a["purpose"], a["project"] or "", a["cost_centre"] or "", a["allocated_on"], a["amount"], a["spent"],
           _(a["status"])] for a in r.allocations]),
        (_("Spending by month"), [_("Month"), _("Spent")], [[m.strftime("%Y-%m"), v] for m, v in r.months]),
        (_("Expenditures"), [_("Document number"), _("Date"), _("Allocation"), _("Fund/cost centre"),
                             _("Description"), _("Amount"), _("Reversal")],
         [[e["document_number"], e["spent_on"], e["allocation"], e["fund_centre"] or "", e["description"] or "",
           e["amount"], _("yes") if e["is_reversal"] else ""] for e in r.expenditures]),
    ]


# Words only the report uses, for the catalogue (the statuses are data).
N_("open")
N_("closed")


def report_xlsx(r: DonorReport, _: Translate) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Summary")[:31]
    sheet.append([_("Donor report"), r.figures.reference])
    sheet["A1"].font = Font(bold=True, size=13)
    for label, value in _summary(r, _):
        sheet.append([label, escape_formula(value)])
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 48
    for title, header, rows in _tables(r, _):
        ws = book.create_sheet(title[:31])
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            # Amounts stay numbers (exact decimals) a spreadsheet can add up; text is escaped.
            ws.append([v if isinstance(v, Decimal | date) else escape_formula(v) for v in row])
        ws.freeze_panes = "A2"
        for k in range(1, len(header) + 1):
            ws.column_dimensions[ws.cell(1, k).column_letter].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_pdf(r: DonorReport, _: Translate) -> bytes:
    from xml.sax.saxutils import escape  # Paragraph reads markup: text from the database is escaped

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=8, leading=10)
    # Widths (cm) that fit A4's 18 cm: amounts on one line, text wrapping in the wide columns.
    widths = {0: [4.2, 2.8, 2.0, 2.0, 2.6, 2.6, 1.8], 1: [4.0, 4.0], 2: [2.6, 2.0, 4.0, 2.0, 3.4, 2.6, 1.4]}
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm,
                            bottomMargin=1.5 * cm, title=_("Donor report") + " " + r.figures.reference,
                            author="Standing Capacities Hub")

    def cell(v: Any) -> Paragraph:
        text = v.isoformat() if isinstance(v, date) else fmt_decimal(v, r.locale, 2) if isinstance(v, Decimal) \
            else str(v)
        return Paragraph(escape(text), small)

    def grid(rows: list[list[Any]], header: bool, widths: list[float] | None = None) -> Table:
        t = Table([[cell(v) for v in row] for row in rows], colWidths=widths, repeatRows=1 if header else 0,
                  hAlign="LEFT")
        t.setStyle(TableStyle(grid_style(header)))
        return t

    story: list[Any] = [Paragraph(escape(_("Donor report") + ": " + r.figures.reference), styles["Title"]),
                        Paragraph(escape(r.figures.title), styles["Heading2"]),
                        grid([list(p) for p in _summary(r, _)], False, [7 * cm, 10 * cm])]
    for k, (title, header, rows) in enumerate(_tables(r, _)):
        story += [Spacer(1, 0.4 * cm), Paragraph(escape(title), styles["Heading2"])]
        story.append(grid([header, *rows], True, [w * cm for w in widths[k]]) if rows else
                     Paragraph(escape(_("None recorded.")), styles["BodyText"]))
    doc.build(story)
    return buffer.getvalue()


def donor_report_file(session: Session, principal: Principal, grant_id: int, fmt: str, locale: str,
                      translate: Translate | None = None, origin: audit.RequestOrigin | None = None) -> bytes:
    """The report as ``fmt`` (xlsx or pdf) in ``locale``; the export is audited."""
    if fmt not in ("xlsx", "pdf"):
        raise ValueError(fmt)
    r = donor_report(session, principal, grant_id, locale)
    _ = translator(locale, translate)
    body = report_xlsx(r, _) if fmt == "xlsx" else report_pdf(r, _)
    audit.record(session, "export.donor_report", principal=principal, entity="grant", entity_id=grant_id,
                 detail={"format": fmt, "locale": locale, "expenditures": len(r.expenditures)}, origin=origin)
    return body


__all__ = ["DonorReport", "donor_report", "donor_report_file", "report_pdf", "report_xlsx"]
