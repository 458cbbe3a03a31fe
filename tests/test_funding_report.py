"""A grant's figures and its donor report (XLSX read back with openpyxl, PDF with pypdf), English and French;
a grant with no spending gives a valid empty report."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent, Fund
from models.enums import Role
from services.access import Principal
from services.funding import figures, records
from services.funding.report import donor_report_file

FINANCE = Principal(0, "t-finance", Role.FINANCE)
TODAY = date(2026, 7, 2)  # half of the grant's year gone


@pytest.fixture
def grant(session: Session):
    fund = session.scalars(select(Fund).where(Fund.code == "XB-ROL")).one()
    return records.create(session, FINANCE, records.GRANTS, {
        "reference": "T-REP-1", "fund_id": fund.id, "title": "Report <b>&</b> test", "amount": "113000",
        "currency": "EUR", "start_date": "2026-01-01", "end_date": "2026-12-31", "psc_rate": "0.13"})


def _spend(session: Session, grant, amounts: list[tuple[str, str]]) -> None:
    a = records.create(session, FINANCE, records.ALLOCATIONS, {"grant_id": grant.id, "purpose": "Training",
                                                               "amount": "80000", "allocated_on": "2026-01-10"})
    for k, (day, amount) in enumerate(amounts):
        records.create(session, FINANCE, records.EXPENDITURES, {
            "document_number": f"T-REP-{k}", "allocation_id": a.id, "spent_on": day, "amount": amount,
            "currency": "EUR", "category": "training", "description": "=cmd|' /C calc'!A0",
            "is_reversal": amount.startswith("-")})


def test_figures_burn_rate_time_elapsed_and_run_out(session: Session, grant) -> None:
    _spend(session, grant, [("2026-02-01", "10000"), ("2026-05-01", "10000")])
    f = figures.one_grant(session, FINANCE, grant.id, today=TODAY)
    assert (f.committed, f.net, f.allocated, f.spent, f.available) == (
        Decimal("113000"), Decimal("100000.00"), Decimal("80000"), Decimal("20000"), Decimal("80000.00"))
    assert f.burn_rate == pytest.approx(0.2) and f.time_elapsed == pytest.approx(183 / 365)
    # 20,000 in 183 days: 80,000 more takes 732 days.
    assert f.run_out == date(2028, 7, 3)
    assert f.underspent and not f.ends_soon
    assert f.committed_usd is not None  # the demo's euro rate of January 2026


def test_a_grant_in_a_month_without_a_rate_says_so(session: Session) -> None:
    fund = session.scalars(select(Fund).where(Fund.code == "XB-ROL")).one()
    g = records.create(session, FINANCE, records.GRANTS, {
        "reference": "T-REP-XOF", "fund_id": fund.id, "title": "CFA", "amount": "1000000", "currency": "XOF",
        "start_date": "2026-01-01", "end_date": "2026-12-31", "psc_rate": "0.13"})
    assert figures.one_grant(session, FINANCE, g.id).committed_usd is None


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_donor_report_xlsx_and_pdf(session: Session, grant, locale: str) -> None:
    _spend(session, grant, [("2026-02-01", "10000.50"), ("2026-05-01", "-500")])
    book = load_workbook(io.BytesIO(donor_report_file(session, FINANCE, grant.id, "xlsx", locale)))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    spent_label = "Spent" if locale == "en" else "Dépensé"
    assert spent_label in summary, summary
    expenditures = list(book.worksheets[3].iter_rows(values_only=True))
    assert len(expenditures) == 1 + 2
    assert expenditures[1][4] == "'=cmd|' /C calc'!A0"  # a formula from the data is escaped
    assert sum(Decimal(str(r[5])) for r in expenditures[1:]) == Decimal("9500.50")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(
        donor_report_file(session, FINANCE, grant.id, "pdf", locale))).pages)
    assert "T-REP-1" in text and "Report <b>&</b> test" in text
    assert ("Donor report" if locale == "en" else "Rapport au donateur") in text


def test_a_grant_with_no_spending_gives_a_valid_empty_report(session: Session, grant) -> None:
    book = load_workbook(io.BytesIO(donor_report_file(session, FINANCE, grant.id, "xlsx", "en")))
    assert [len(list(ws.iter_rows())) for ws in book.worksheets[1:]] == [1, 1, 1]  # headers only
    pdf = PdfReader(io.BytesIO(donor_report_file(session, FINANCE, grant.id, "pdf", "en")))
    assert "None recorded." in "".join(p.extract_text() for p in pdf.pages)
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "export.donor_report")).all()


def test_the_briefing_role_gets_no_grant(session: Session, grant) -> None:
    from services.errors import Forbidden

    with pytest.raises(Forbidden):
        figures.grant_figures(session, Principal(0, "b", Role.BRIEFING))
