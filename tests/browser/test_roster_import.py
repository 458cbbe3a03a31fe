"""A planner imports a 500-row roster with three bad rows (refused whole: three messages, the bad cells marked),
fixes the file, imports it, and finds the imported experts on /experts."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Expert
from tests.factories import roster_row as person
from tests.factories import roster_xlsx as xlsx

pytestmark = pytest.mark.browser

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD = "#import-roster-upload input[type=file]"


def _count(engine, prefix: str) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Expert).where(Expert.staff_number.like(f"{prefix}%"))) or 0


def test_planner_imports_a_roster_refused_then_fixed(page: Page, login_as, engine) -> None:
    prefix = f"P{secrets.token_hex(2).upper()}"
    rows = [person(prefix, k, family_name=f"Roster{prefix}{k}") for k in range(1, 501)]
    bad = list(rows)
    bad[9] = {**rows[9], "skills": "investigations:9"}
    bad[199] = {**rows[199], "languages": "french:C1"}
    bad[399] = {**rows[399], "entry_on_duty": "31/12/2020"}
    login_as("planner")
    try:
        page.goto("/experts")
        page.click("#experts-import")
        expect(page.locator("#import-roster-upload")).to_be_visible()
        page.set_input_files(UPLOAD, files=[{"name": "roster.xlsx", "mimeType": XLSX_TYPE, "buffer": xlsx(bad)}])
        summary = page.locator("#import-roster-summary")
        expect(summary).to_contain_text("Nothing was imported: 3 problem(s)")
        expect(summary.locator("li")).to_have_count(3)
        expect(summary.locator("li").nth(0)).to_contain_text("Row 11, column “Skills (code:level; …)”")
        expect(summary.locator("li").nth(1)).to_contain_text("Row 201, column “Languages (ISO 639:CEFR; …)”")
        expect(summary.locator("li").nth(2)).to_contain_text("Row 401, column “Entry on duty (YYYY-MM-DD)”")
        # The bad rows come first in the preview, each bad cell marked with its reason (the grid draws only the
        # columns in view, so the three marks are read from its rows; the first is on screen).
        marked = page.locator("#import-roster-grid .hub-cell-bad")
        expect(marked.first).not_to_have_text("")
        marks = page.evaluate("""() => {
            const out = [];
            dash_ag_grid.getApi('import-roster-grid').forEachNode(n => {
                for (const k of Object.keys(n.data)) if (k.startsWith('_bad_')) out.push([n.data._row, k]);
            });
            return out;
        }""")
        assert sorted(marks) == [[11, "_bad_skills"], [201, "_bad_languages"], [401, "_bad_entry_on_duty"]]
        # A bad date is shown as written, not as an empty cell (AG Grid's date type would hide it).
        expect(page.locator("#import-roster-grid [col-id='entry_on_duty'].hub-cell-bad")).to_have_text("31/12/2020")
        expect(page.locator("#import-roster-commit")).to_be_disabled()
        assert _count(engine, prefix) == 0

        page.set_input_files(UPLOAD, files=[{"name": "roster-fixed.xlsx", "mimeType": XLSX_TYPE,
                                             "buffer": xlsx(rows)}])
        expect(summary).to_contain_text("500 rows, no problem found")
        expect(page.locator("#import-roster-grid .hub-cell-bad")).to_have_count(0)
        page.click("#import-roster-commit")
        expect(page.locator("#import-roster-done")).to_contain_text("Imported: 500 new, 0 updated, 0 unchanged.")
        assert _count(engine, prefix) == 500

        page.goto("/experts")
        grid = page.locator("#experts-grid")
        expect(grid.locator(".ag-row").first).to_be_visible()
        page.evaluate("name => dash_ag_grid.getApi('experts-grid').setGridOption('quickFilterText', name)",
                      f"Roster{prefix}250")
        expect(grid.get_by_role("link", name=f"Roster{prefix}250, Given250")).to_be_visible()
    finally:
        with Session(engine) as s, s.begin():
            s.execute(delete(Expert).where(Expert.staff_number.like(f"{prefix}%")))
