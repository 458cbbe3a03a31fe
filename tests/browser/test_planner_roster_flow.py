"""The planner's flow, whole (issue 15's test): create an expert, add a language, record an absence; import a
500-row roster with three bad rows (refused whole: three messages naming row, column and reason; nothing
written), fix it and import it (all 500 in); open a surge request and find the roster's experts ranked as its
candidates, each with the reasons of its rank."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Expert, Mission, Skill, SurgeRequest
from tests.browser.actions import (
    candidate_rows,
    control,
    feedback,
    open_part_form,
    record_surge_request,
    settle,
)
from tests.factories import roster_row, roster_xlsx, skill

pytestmark = pytest.mark.browser

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD = "#import-roster-upload input[type=file]"


def _experts(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Expert)) or 0


def _upload(page: Page, name: str, data: bytes) -> None:
    page.set_input_files(UPLOAD, files=[{"name": name, "mimeType": XLSX_TYPE, "buffer": data}])


def test_planner_enters_an_expert_imports_a_roster_and_finds_it_ranked_for_a_surge(
        page: Page, login_as, engine) -> None:
    prefix = f"F{secrets.token_hex(2).upper()}"
    with Session(engine) as s, s.begin():
        own = skill(s, "flow")  # only this roster's experts have it: the candidates are theirs
        own.name = "Test flow"
        code, skill_id = own.code, own.id
        acronym = s.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    reference = None
    login_as("planner")
    try:
        # 1. A new expert, a language, an absence.
        page.goto("/experts/new")
        expect(page.locator("#expert-new-save")).to_be_visible()
        page.fill(control("expert-new", "staff_number"), f"{prefix}-NEW")
        page.fill(control("expert-new", "given_name"), "Flow")
        page.fill(control("expert-new", "family_name"), f"Planner{prefix}")
        page.select_option(control("expert-new", "gender"), "female")
        page.select_option(control("expert-new", "capacity"), "JCSC")
        page.select_option(control("expert-new", "contract_type"), "fixed_term")
        page.click("#expert-new-save")
        page.wait_for_url(re.compile(r"/experts/\d+$"))
        expert_id = int(page.url.rsplit("/", 1)[1])
        expect(page.locator("#expert-header")).to_contain_text(f"Flow Planner{prefix}")
        settle(page)  # the page's first answers in, before a form is opened

        open_part_form(page, "expert", "languages")
        page.select_option(control("expert-languages-form", "language"), "fr")
        page.select_option(control("expert-languages-form", "level"), "C1")
        page.click("#expert-languages-save")
        expect(page.locator("#expert-languages-list")).to_contain_text("French")

        start = date.today() + timedelta(days=20)
        open_part_form(page, "expert", "absences")
        page.select_option(control("expert-absences-form", "kind"), "leave")
        page.fill(control("expert-absences-form", "start_date"), start.isoformat())
        page.fill(control("expert-absences-form", "end_date"), (start + timedelta(days=9)).isoformat())
        page.click("#expert-absences-save")
        expect(page.locator("#expert-absences-list")).to_contain_text("Leave")
        expect(page.locator(feedback("expert-absences-form", "start_date"))).to_be_empty()
        settle(page)
        with Session(engine) as s:
            made = s.get(Expert, expert_id)
            assert made is not None and made.staff_number == f"{prefix}-NEW"
            assert [lang.language_code for lang in made.languages] == ["fr"] and made.version == 3

        # 2. A 500-row roster with three bad rows: refused whole, three messages, nothing written.
        rows = [roster_row(prefix, k, family_name=f"Roster{prefix}{k}", skills=f"{code}:5; investigations:4",
                           clearances="MEDICAL:2024-01-01; SECURITY:2024-01-01") for k in range(1, 501)]
        bad = list(rows)
        bad[9] = {**rows[9], "skills": "investigations:9"}
        bad[199] = {**rows[199], "languages": "french:C1"}
        bad[399] = {**rows[399], "entry_on_duty": "31/12/2020"}
        before = _experts(engine)
        page.goto("/experts/import")
        expect(page.locator("#import-roster-upload")).to_be_visible()
        _upload(page, "roster.xlsx", roster_xlsx(bad))
        summary = page.locator("#import-roster-summary")
        expect(summary).to_contain_text("Nothing was imported: 3 problem(s)")
        messages = summary.locator("li")
        expect(messages).to_have_count(3)
        expect(messages.nth(0)).to_contain_text("Row 11, column “Skills (code:level; …)”")
        expect(messages.nth(0)).to_contain_text("“investigations:9”: the level is a whole number from 1 to 5.")
        expect(messages.nth(1)).to_contain_text("Row 201, column “Languages (ISO 639:CEFR; …)”")
        expect(messages.nth(1)).to_contain_text("the language code is not ISO 639")
        expect(messages.nth(2)).to_contain_text("Row 401, column “Entry on duty (YYYY-MM-DD)”")
        expect(messages.nth(2)).to_contain_text("Not a date: use YYYY-MM-DD")
        expect(page.locator("#import-roster-commit")).to_be_disabled()
        assert _experts(engine) == before

        # 3. Fixed and imported: all 500 in.
        _upload(page, "roster-fixed.xlsx", roster_xlsx(rows))
        expect(summary).to_contain_text("500 rows, no problem found")
        page.click("#import-roster-commit")
        expect(page.locator("#import-roster-done")).to_contain_text("Imported: 500 new, 0 updated, 0 unchanged.")
        assert _experts(engine) == before + 500

        # 4. A surge request that needs the roster's skill: its experts are the candidates, ranked and explained.
        request = record_surge_request(page, {
            "mission": acronym, "title": "Roster surge",
            "wanted_start": (date.today() + timedelta(days=40)).isoformat(), "duration_days": 30,
            "experts_requested": 2, "capacity": "JCSC", "priority": "high",
            "skills": [{"code": code, "weight": 2, "min_level": 4}]})
        reference = request["reference"]
        page.goto(f"/surge/requests/{reference}")
        expect(page.locator("#surge-req-count")).to_contain_text("500 eligible")
        first = '#surge-req-candidates .ag-row[row-index="0"] .ag-cell[col-id="{}"]'  # rank and name are pinned
        expect(page.locator(first.format("rank"))).to_have_text("1")
        expect(page.locator(first.format("name"))).to_contain_text(f"Roster{prefix}")
        expect(page.locator(first.format("why"))).to_contain_text("Test flow 5/5")
        shown = [int(candidate_rows(page).nth(k).get_attribute("row-id")) for k in range(candidate_rows(page).count())]
        with Session(engine) as s:
            staff = set(s.scalars(select(Expert.staff_number).where(Expert.id.in_(shown))))
        assert shown and all(n.startswith(prefix) and n != f"{prefix}-NEW" for n in staff), staff
        settle(page)
    finally:
        with Session(engine) as s, s.begin():
            if reference:
                s.execute(delete(SurgeRequest).where(SurgeRequest.reference == reference))
            s.execute(delete(Expert).where(Expert.staff_number.like(f"{prefix}%")))
            s.execute(delete(Skill).where(Skill.id == skill_id))
