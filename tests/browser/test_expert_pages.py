"""A planner creates an expert (a refused first try shows the problem at its field), adds a language with its
CEFR levels and records an absence on the expert's page; a second absence overlapping it is refused at its
field; a viewer opens the same page and has nothing to edit with."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Expert
from tests.browser.actions import control, feedback, open_part_form, save_absence, settle

pytestmark = pytest.mark.browser


def test_planner_creates_an_expert_adds_a_language_and_an_absence(page: Page, login_as, engine) -> None:
    login_as("planner")
    page.goto("/experts")
    page.click("#experts-new")
    expect(page.locator("#expert-new-save")).to_be_visible()
    staff = f"B{secrets.token_hex(4)}"
    page.fill(control("expert-new", "staff_number"), staff)
    page.fill(control("expert-new", "family_name"), "Browser")
    page.select_option(control("expert-new", "gender"), "female")
    page.select_option(control("expert-new", "capacity"), "JCSC")
    page.select_option(control("expert-new", "contract_type"), "fixed_term")
    page.click("#expert-new-save")  # no given name: refused, at the field, nothing lost
    expect(page.locator(feedback("expert-new", "given_name"))).to_have_text("This field is required.")
    expect(page.locator(control("expert-new", "family_name"))).to_have_value("Browser")
    page.fill(control("expert-new", "given_name"), "Test")
    page.click("#expert-new-save")
    page.wait_for_url(re.compile(r"/experts/\d+$"))
    expert_id = int(page.url.rsplit("/", 1)[1])
    try:
        expect(page.locator("#expert-header")).to_contain_text("Test Browser")

        form = open_part_form(page, "expert", "languages")
        page.select_option(control(form, "language"), "fr")
        page.select_option(control(form, "level"), "C1")
        page.select_option(control(form, "reading"), "C2")
        page.click("#expert-languages-save")
        languages = page.locator("#expert-languages-list")
        expect(languages).to_contain_text("French")
        expect(languages).to_contain_text("reading C2")

        start = date.today() + timedelta(days=20)
        save_absence(page, "expert", "leave", start, start + timedelta(days=9))
        expect(page.locator("#expert-absences-list")).to_contain_text("Leave")
        settle(page)

        # One that overlaps it is refused at its field, with the absence it collides with.
        form = save_absence(page, "expert", "training", start + timedelta(days=5), start + timedelta(days=12))
        expect(page.locator(feedback(form, "start_date"))).to_contain_text("Overlaps the absence")
        settle(page)

        with Session(engine) as s:
            made = s.get(Expert, expert_id)
            assert made is not None and made.staff_number == staff and made.version == 3
    finally:
        with Session(engine) as s, s.begin():
            s.execute(delete(Expert).where(Expert.id == expert_id))


def test_a_viewer_sees_the_record_and_cannot_edit(page: Page, login_as, engine) -> None:
    with Session(engine) as s:
        expert_id = s.scalar(select(Expert.id).order_by(Expert.id).limit(1))
    login_as("viewer")
    page.goto(f"/experts/{expert_id}")
    expect(page.locator("#expert-header h1")).not_to_be_empty()
    expect(page.locator("#expert-map")).to_be_visible()
    assert page.locator("#expert-profile-edit").count() == 0
    assert page.locator("#expert-languages-add").count() == 0
    assert page.locator("[id*='record-input']").count() == 0
    page.goto("/experts/new")
    expect(page.locator("#page-forbidden")).to_be_visible()
