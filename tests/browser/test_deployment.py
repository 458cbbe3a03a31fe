"""A planner records a deployment from an expert's link, sees a problem at its field, then curtails it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Deployment, Expert, Mission
from models.enums import ExpertStatus

pytestmark = pytest.mark.browser


def test_planner_records_and_curtails_a_deployment(page: Page, login_as, engine) -> None:
    with Session(engine) as s:
        expert_id = s.scalar(select(Expert.id).where(Expert.status == ExpertStatus.ACTIVE).order_by(Expert.id.desc())
                             .limit(1))
        acronym = s.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    login_as("planner")
    made: list[int] = []
    try:
        page.goto(f"/deployments/new?expert={expert_id}")
        expect(page.locator("#deployment-create")).to_be_visible()
        form = '[id*="record-input"][id*="deployment-new"]'
        page.locator(f'{form}[id*="mission"]').select_option(acronym)
        page.locator(f'{form}[id*="\\"role\\""]').fill("Corrections adviser")
        page.locator(f'{form}[id*="kind"]').select_option("assessment")
        page.locator(f'{form}[id*="start_date"]').fill("2041-03-01")
        page.locator(f'{form}[id*="end_date"]').fill("2041-02-01")  # before the start: refused at the field
        page.click("#deployment-create")
        expect(page.locator(".invalid-feedback", has_text="Cannot be before Start (planned)")).to_be_visible()
        page.locator(f'{form}[id*="end_date"]').fill("2041-05-31")
        page.click("#deployment-create")
        expect(page).to_have_url(re.compile(r"/deployments/\d+$"))
        made.append(int(page.url.rsplit("/", 1)[1]))
        expect(page.locator("#deployment-status")).to_have_text("planned")
        end = page.locator('[id*="record-input"][id*="deployment-end"]')
        end.fill("2041-06-30")  # later than the end: not a curtailment
        page.click("#deployment-curtail")
        expect(page.locator(".invalid-feedback", has_text="Curtailing ends before the current end")).to_be_visible()
        end.fill("2041-04-15")
        page.click("#deployment-curtail")
        expect(page.locator("#deployment-saved")).to_be_visible()
        expect(page.locator("#deployment-dates")).to_contain_text("Apr 15, 2041")
        with Session(engine) as s:
            row = s.get(Deployment, made[0])
            assert row is not None and str(row.end_date) == "2041-04-15" and row.version == 2
    finally:
        with Session(engine) as s, s.begin():
            s.execute(delete(Deployment).where(Deployment.id.in_(made)))


def test_planner_imports_past_deployments_all_or_nothing(page: Page, login_as, engine, tmp_path) -> None:
    from services.deployments import imports
    from services.records.imports import template_csv

    with Session(engine) as s:
        staff, expert_id = s.execute(select(Expert.staff_number, Expert.id).order_by(Expert.id).limit(1)).one()
        acronym = s.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    row = {"staff_number": staff, "mission": acronym, "role": "Adviser", "kind": "assessment",
           "start_date": "2046-01-10", "end_date": "2046-02-10"}
    bad = tmp_path / "bad.csv"
    bad.write_bytes(template_csv(imports.COLUMNS, "en", [row, {**row, "start_date": "2046-03-01",
                                                              "end_date": "2046-03-31", "kind": "holiday"}]))
    good = tmp_path / "good.csv"
    good.write_bytes(template_csv(imports.COLUMNS, "en", [row]))
    login_as("planner")
    try:
        page.goto("/deployments/new")
        upload = page.locator("#import-deployments-upload input[type=file]")
        upload.set_input_files(str(bad))
        expect(page.locator("#import-deployments-summary")).to_contain_text("Row 3, column “Kind”")
        expect(page.locator("#import-deployments-commit")).to_be_disabled()
        upload.set_input_files(str(good))
        expect(page.locator("#import-deployments-summary")).to_contain_text("1 rows, no problem found")
        page.click("#import-deployments-commit")
        expect(page.locator("#import-deployments-done")).to_contain_text("1 new, 0 updated, 0 unchanged")
        with Session(engine) as s:
            assert s.scalar(select(Deployment.id).where(Deployment.expert_id == expert_id,
                                                        Deployment.start_date == date(2046, 1, 10))) is not None
    finally:
        with Session(engine) as s, s.begin():
            s.execute(delete(Deployment).where(Deployment.expert_id == expert_id,
                                               Deployment.start_date == date(2046, 1, 10)))
