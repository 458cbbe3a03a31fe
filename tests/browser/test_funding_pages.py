"""A finance officer creates a grant, allocates it, imports a 1,000-row ERP extract with two bad rows (refused
whole, each row's reason shown), fixes the file, imports it, and sees the grant page change to the database's
sums; a second import of the same file changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Allocation, Expenditure, Fund, Grant, Project
from services.analytics.filters import MapFilter
from services.analytics.funding import funding_summary
from services.formatting import money
from tests.browser.actions import settle

pytestmark = pytest.mark.browser
REF = "T-BR-FUND-1"
# The year the browser grant runs: the map filtered to it shows the funding the test enters.
MAP_YEAR = MapFilter.default().with_changes(start=date(2026, 1, 1), end=date(2026, 12, 31))


def _field(page: Page, form: str, field: str):
    ident = json.dumps({"field": field, "form": form, "type": "record-input"}, separators=(",", ":"))
    return page.locator(f"[id='{ident}']")


def _extract(rows: int, bad: dict[int, tuple[str, str]] | None = None) -> bytes:
    lines = ["Document number,Date,Grant,Fund/cost centre,Amount,Currency,Description"]
    for k in range(rows):
        grant, day = (bad or {}).get(k, (REF, f"2026-{1 + k % 11:02d}-15"))
        lines.append(f"T-BR-{k:05d},{day},{grant},CC-BR,10.25,EUR,Line {k}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def cleanup(engine) -> Iterator[None]:
    yield
    with Session(engine) as s, s.begin():
        gid = select(Grant.id).where(Grant.reference == REF).scalar_subquery()
        alloc = select(Allocation.id).where(Allocation.grant_id == gid).scalar_subquery()
        s.execute(delete(Expenditure).where(Expenditure.allocation_id.in_(alloc)))
        s.execute(delete(Allocation).where(Allocation.grant_id == gid))
        s.execute(delete(Grant).where(Grant.reference == REF))


def _upload(page: Page, data: bytes) -> None:
    page.set_input_files("#import-expenditures-upload input[type=file]",
                         files=[{"name": "erp-extract.csv", "mimeType": "text/csv", "buffer": data}])


def test_finance_grant_allocation_import_and_grant_page(page: Page, login_as, engine, cleanup) -> None:
    with Session(engine) as s:
        map_before = funding_summary(s, MAP_YEAR)
    login_as("finance")
    page.goto("/funding")
    expect(page.locator("#funding-grants")).to_be_visible()
    with Session(engine) as s:
        fund = s.scalar(select(Fund.id).where(Fund.code == "XB-ROL"))
    _field(page, "grant-new", "reference").fill(REF)
    _field(page, "grant-new", "title").fill("Browser grant")
    _field(page, "grant-new", "fund_id").select_option(str(fund))
    _field(page, "grant-new", "amount").fill("abc")
    _field(page, "grant-new", "currency").fill("EUR")
    _field(page, "grant-new", "start_date").fill("2026-01-01")
    _field(page, "grant-new", "end_date").fill("2026-12-31")
    page.click("#grant-new-save")
    # A problem shows at its field, and nothing is lost.
    expect(page.locator("[id*='\"field\":\"amount\",\"form\":\"grant-new\",\"type\":\"record-feedback\"']")) \
        .to_have_text("Not a number.")
    expect(_field(page, "grant-new", "title")).to_have_value("Browser grant")
    _field(page, "grant-new", "amount").fill("113000")
    page.click("#grant-new-save")
    link = page.locator("#funding-grants").get_by_role("link", name=REF)  # also in "ending soon" in December
    expect(link).to_be_visible()
    link.click()
    expect(page.locator("#grant-committed")).to_have_text("113,000.00 EUR")
    expect(page.locator("#grant-spent")).to_have_text("0.00 EUR")

    with Session(engine) as s:
        project = s.scalar(select(Project.id).order_by(Project.id).limit(1))
    _field(page, "allocation-new", "purpose").fill("Training of trainers")
    _field(page, "allocation-new", "project_id").select_option(str(project))  # the map counts a project's spending
    _field(page, "allocation-new", "amount").fill("100000.01")
    _field(page, "allocation-new", "allocated_on").fill("2026-01-10")
    _field(page, "allocation-new", "cost_centre").fill("CC-BR")
    page.click("#allocation-new-save")
    # The database's rule, named with the grant and the amounts.
    expect(page.locator("[id*='\"field\":\"amount\",\"form\":\"allocation-new\",\"type\":\"record-feedback\"']")) \
        .to_contain_text(f"{REF} would reach 100000.01 EUR, more than its 100000.00 EUR")
    _field(page, "allocation-new", "amount").fill("100000")
    page.click("#allocation-new-save")
    expect(page.locator("#grant-allocated")).to_have_text("100,000.00 EUR")
    grant_page = page.url

    page.goto("/funding/import")
    _upload(page, _extract(1000, {500: ("NO-SUCH-GRANT", "2026-03-01"), 700: (REF, "2027-02-01")}))
    summary = page.locator("#import-expenditures-summary")
    expect(summary).to_contain_text("Nothing was imported: 2 problem(s)")
    expect(summary).to_contain_text("Row 502, column “Grant”: No grant has the reference NO-SUCH-GRANT.")
    expect(summary).to_contain_text("Row 702, column “Date”: Dated Feb 1, 2027, outside grant")  # the page's way
    expect(page.locator("#import-expenditures-commit")).to_be_disabled()

    _upload(page, _extract(1000))
    expect(summary).to_contain_text("1000 rows, no problem found")
    page.click("#import-expenditures-commit")
    expect(page.locator("#import-expenditures-done")).to_contain_text("Imported: 1000 new, 0 updated, 0 unchanged")
    with Session(engine) as s:
        spent = s.scalar(select(func.sum(Expenditure.amount)).join(Allocation).join(Grant)
                         .where(Grant.reference == REF))
    assert spent == Decimal("10250.00")

    page.goto(grant_page)
    expect(page.locator("#grant-spent")).to_have_text("10,250.00 EUR")
    expect(page.locator("#grant-available")).to_have_text("89,750.00 EUR")

    # The map's funding chart reads what was entered: committed and spent are the database's sums, moved by the
    # grant's allocation to the project and by the imported spending on it.
    with Session(engine) as s:
        map_after = funding_summary(s, MAP_YEAR)
    assert map_after.committed_usd > map_before.committed_usd and map_after.spent_usd > map_before.spent_usd
    page.goto(f"/map?start={MAP_YEAR.start.isoformat()}&end={MAP_YEAR.end.isoformat()}")
    expect(page.locator("#map-funding-text")).to_contain_text(
        f"Committed {money(map_after.committed_usd, 'en')} · spent {money(map_after.spent_usd, 'en')}")

    page.goto("/funding/import")
    _upload(page, _extract(1000))
    expect(summary).to_contain_text("1000 rows, no problem found")
    page.click("#import-expenditures-commit")
    expect(page.locator("#import-expenditures-done")).to_contain_text("0 new, 0 updated, 1000 unchanged")
    settle(page)
