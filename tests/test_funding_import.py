"""The ERP's expenditure extract and the rates of exchange imported all or nothing: each bad row's reason, nothing
written while any row is refused, and a second import of the same file changing nothing."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AuditEvent, ExchangeRate, Expenditure, Fund
from models.enums import Role
from services.access import Principal
from services.errors import Forbidden
from services.funding import imports, records
from services.records.imports import ImportRefused, ImportResult, cell_message

FINANCE = Principal(0, "t-finance", Role.FINANCE)
HEADER = "Document number,Date,Grant,Fund/cost centre,Amount,Currency,Description,Reversal"


@pytest.fixture
def grant(session: Session):
    fund = session.scalars(select(Fund).where(Fund.code == "XB-ROL")).one()
    g = records.create(session, FINANCE, records.GRANTS, {
        "reference": "T-IMP-1", "fund_id": fund.id, "title": "Import test", "amount": "113000", "currency": "EUR",
        "start_date": "2026-01-01", "end_date": "2026-12-31", "psc_rate": "0.13"})
    for centre in ("CC-A", "CC-B"):
        records.create(session, FINANCE, records.ALLOCATIONS, {"grant_id": g.id, "purpose": centre, "amount": "1000",
                                                               "allocated_on": "2026-01-01", "cost_centre": centre})
    return g


def _csv(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def _lines(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Expenditure).where(
        Expenditure.document_number.like("T-%"))) or 0


GOOD = ["T-1,2026-02-01,T-IMP-1,CC-A,100.50,EUR,Tickets,", "T-2,2026-02-03,t-imp-1,cc-b,20,eur,DSA,no"]


def test_a_good_file_imports_and_a_second_import_changes_nothing(session: Session, grant) -> None:
    data = _csv(*GOOD)
    assert imports.import_expenditures(session, FINANCE, data, "erp.csv") == ImportResult(2, 0, 0)
    assert _lines(session) == 2
    assert imports.import_expenditures(session, FINANCE, data, "erp.csv") == ImportResult(0, 0, 2)
    line = session.scalars(select(Expenditure).where(Expenditure.document_number == "T-2")).one()
    assert (line.amount, line.currency, line.fund_centre, line.allocation.cost_centre) == (
        Decimal("20.00"), "EUR", "CC-B", "CC-B")
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "expenditure.import",
                                                      AuditEvent.entity_id == "erp.csv")).all()
    assert len(events) == 1 and events[0].detail["created"]["created"] == ["T-1", "T-2"]


def test_each_bad_row_is_refused_with_its_reason_and_nothing_is_written(session: Session, grant) -> None:
    imports.import_expenditures(session, FINANCE, _csv(GOOD[0]), "erp.csv")
    data = _csv(
        GOOD[1],
        "T-3,2026-02-01,NO-SUCH-GRANT,CC-A,5,EUR,,",        # row 3: unknown grant
        "T-1,2026-02-01,T-IMP-1,CC-A,999,EUR,Tickets,",     # row 4: document number imported with another amount
        "T-4,2026-02-01,T-IMP-1,CC-A,-5,EUR,Refund,",       # row 5: negative, not a reversal
        "T-5,2027-01-05,T-IMP-1,CC-A,5,EUR,,",              # row 6: after the grant's end
        "T-6,2026-02-01,T-IMP-1,CC-Z,5,EUR,,",              # row 7: no such cost centre on the grant
        "T-7,2026-02-01,T-IMP-1,CC-A,5,EUR,Refund,yes",      # fine: a reversal may be positive
        "T-8,2026-02-01,T-IMP-1,CC-A,-5,EUR,Refund,yes",     # fine: a negative reversal
    )
    with pytest.raises(ImportRefused) as caught:
        imports.import_expenditures(session, FINANCE, data, "erp.csv")
    found = {(p.row, p.field): p.code for p in caught.value.cell_problems}
    assert found == {(3, "grant"): "unknown_grant", (4, "amount"): "amount_changed",
                     (5, "amount"): "negative_not_reversal", (6, "spent_on"): "outside_grant",
                     (7, "fund_centre"): "unknown_cost_centre"}
    texts = [cell_message(p) for p in caught.value.cell_problems]
    assert "Row 3, column “Grant”: No grant has the reference NO-SUCH-GRANT." in texts
    assert any("Row 4" in t and "100.50" in t for t in texts)
    assert any("Row 6" in t and "T-IMP-1" in t and "2026-12-31" in t for t in texts)
    assert _lines(session) == 1  # only the first import's line


def test_a_duplicate_document_number_within_the_file(session: Session, grant) -> None:
    with pytest.raises(ImportRefused) as caught:
        imports.import_expenditures(session, FINANCE, _csv(GOOD[0], GOOD[0]), "erp.csv")
    assert [(p.row, p.code) for p in caught.value.cell_problems] == [(3, "duplicate_key")]


def test_an_xlsx_extract_with_french_headers_and_a_dry_run(session: Session, grant) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Numéro de pièce", "Date", "Subvention", "Fonds/centre de coût", "Montant", "Monnaie", "Libellé"])
    sheet.append(["T-10", date(2026, 3, 1), "T-IMP-1", "CC-A", 12.5, "EUR", "=HYPERLINK(\"x\")"])
    out = io.BytesIO()
    book.save(out)
    assert imports.import_expenditures(session, FINANCE, out.getvalue(), "extract.xlsx", dry_run=True) \
        == ImportResult(1, 0, 0)
    assert _lines(session) == 0
    imports.import_expenditures(session, FINANCE, out.getvalue(), "extract.xlsx")
    line = session.scalars(select(Expenditure).where(Expenditure.document_number == "T-10")).one()
    assert line.amount == Decimal("12.50") and line.description == "=HYPERLINK(\"x\")"  # kept as text, never run


def test_rates_import_from_csv(session: Session) -> None:
    data = b"Currency,Month,USD per unit\nXOF,2026-11,0.00165\nXOF,2026-12,0.00166\n"
    assert imports.import_rates(session, FINANCE, data, "rates.csv") == ImportResult(2, 0, 0)
    assert imports.import_rates(session, FINANCE, data, "rates.csv") == ImportResult(0, 0, 2)
    changed = b"Currency,Month,USD per unit\nXOF,2026-11,0.0017\n"
    assert imports.import_rates(session, FINANCE, changed, "rates.csv") == ImportResult(0, 1, 0)
    assert session.get(ExchangeRate, ("XOF", date(2026, 11, 1))).usd_per_unit == Decimal("0.0017")
    with pytest.raises(ImportRefused) as caught:
        imports.import_rates(session, FINANCE, b"Currency,Month,USD per unit\nXOFF,11/2026,-1\n", "rates.csv")
    assert {(p.field, p.code) for p in caught.value.cell_problems} == {
        ("currency", "too_long"), ("month", "not_month"), ("usd_per_unit", "range")}


def test_a_viewer_cannot_import(session: Session, grant) -> None:
    with pytest.raises(Forbidden):
        imports.preview_expenditures(session, Principal(0, "v", Role.VIEWER), _csv(*GOOD), "erp.csv")


def test_the_cli_imports_and_refuses(tmp_path, engine, db_url: str) -> None:
    """`hub funding import-expenditures FILE [--dry-run]` against the test database (committed, then removed)."""
    from sqlalchemy.orm import Session as PlainSession

    from cli.main import cli
    from services.users import create_user

    fund_id = None
    with PlainSession(engine) as s, s.begin():
        create_user(s, "t-cli-finance", Role.FINANCE, password="a long enough password 1")
        fund_id = s.scalars(select(Fund.id).where(Fund.code == "XB-ROL")).one()
        g = records.create(s, FINANCE, records.GRANTS, {
            "reference": "T-CLI-1", "fund_id": fund_id, "title": "CLI", "amount": "1130", "currency": "USD",
            "start_date": "2026-01-01", "end_date": "2026-12-31", "psc_rate": "0.13"})
        records.create(s, FINANCE, records.ALLOCATIONS, {"grant_id": g.id, "purpose": "x", "amount": "1000",
                                                         "allocated_on": "2026-01-01"})
    try:
        good = tmp_path / "good.csv"
        good.write_text("Document number,Date,Grant,Amount,Currency\nT-CLI-A,2026-05-01,T-CLI-1,10,USD\n")
        bad = tmp_path / "bad.csv"
        bad.write_text("Document number,Date,Grant,Amount,Currency\nT-CLI-B,2027-05-01,T-CLI-1,10,USD\n")
        runner = CliRunner()
        env = {"HUB_DATABASE_URL": db_url}
        args = ["funding", "import-expenditures", "--as", "t-cli-finance"]
        dry = runner.invoke(cli, [*args, str(good), "--dry-run"], env=env)
        assert dry.exit_code == 0, dry.output
        assert "good.csv: 1 new, 0 updated, 0 unchanged (dry run: nothing written)" in dry.output
        refused = runner.invoke(cli, [*args, str(bad)], env=env)
        assert refused.exit_code == 1 and "Row 2, column “Date”" in refused.output, refused.output
        assert "bad.csv refused: 1 problem(s); nothing was written." in refused.output
        done = runner.invoke(cli, [*args, str(good)], env=env)
        assert done.exit_code == 0 and "good.csv: 1 new, 0 updated, 0 unchanged." in done.output, done.output
        again = runner.invoke(cli, [*args, str(good)], env=env)
        assert "0 new, 0 updated, 1 unchanged" in again.output
    finally:
        from sqlalchemy import delete

        from models import Allocation, Grant, User
        with PlainSession(engine) as s, s.begin():
            s.execute(delete(Expenditure).where(Expenditure.document_number.like("T-CLI-%")))
            gid = select(Grant.id).where(Grant.reference == "T-CLI-1").scalar_subquery()
            s.execute(delete(Allocation).where(Allocation.grant_id == gid))
            s.execute(delete(Grant).where(Grant.reference == "T-CLI-1"))
            s.execute(delete(User).where(User.username == "t-cli-finance"))
