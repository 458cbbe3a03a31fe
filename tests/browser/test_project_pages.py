"""A programme officer creates a project (a missing title is shown at its field first), adds a milestone and a
site by clicking the map, adds an indicator counting people and records a value split by sex; the database holds
each of them."""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Project, Site
from models.projects import Milestone, Result, ResultActual, project_site
from tests.browser.actions import settle

pytestmark = pytest.mark.browser


def field(form: str, name: str) -> str:
    """The CSS selector of a record form's control (Dash writes a dict id as sorted, compact JSON)."""
    ident = json.dumps({"field": name, "form": form, "type": "record-input"}, sort_keys=True, separators=(",", ":"))
    return f"[id='{ident}']"


def feedback(form: str, name: str) -> str:
    ident = json.dumps({"field": name, "form": form, "type": "record-feedback"}, sort_keys=True,
                       separators=(",", ":"))
    return f"[id='{ident}']"


def button(kind: str, form: str) -> str:
    ident = json.dumps({"form": form, "type": kind}, sort_keys=True, separators=(",", ":"))
    return f"[id='{ident}']"


@pytest.fixture
def project_code(engine):
    code = f"BR-{secrets.token_hex(3)}"
    yield code
    with Session(engine) as s, s.begin():
        pid = s.scalar(select(Project.id).where(Project.code == code))
        if pid is not None:
            sites = s.scalars(select(project_site.c.site_id).where(project_site.c.project_id == pid)).all()
            s.execute(delete(Project).where(Project.id == pid))
            s.execute(delete(Site).where(Site.id.in_(sites)))


def test_programme_officer_keeps_a_project(page: Page, login_as, engine, project_code: str) -> None:
    login_as("programme")
    page.goto("/projects")
    page.click("#projects-new")
    form = "project-new"
    page.fill(field(form, "code"), project_code)
    page.select_option(field(form, "capacity"), "JCSC")
    page.fill(field(form, "budget"), "25000")
    page.fill(field(form, "start_date"), "2030-01-01")
    page.fill(field(form, "end_date"), "2031-06-30")
    page.click("#projects-new-save")
    # the missing title, at its field; nothing written
    expect(page.locator(feedback(form, "name"))).to_have_text("This field is required.")
    expect(page.locator(field(form, "name"))).to_have_class(re.compile("is-invalid"))
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(Project.code == project_code)) == 0
    page.fill(field(form, "name"), "Browser project")
    page.click("#projects-new-save")
    expect(page.locator("#prj-title")).to_contain_text("Browser project")
    settle(page)
    with Session(engine) as s:
        pid = s.scalar(select(Project.id).where(Project.code == project_code))
    assert pid is not None and page.url.endswith(f"/projects/{pid}")

    # a milestone
    page.fill(field("milestone", "title"), "Inception report")
    page.fill(field("milestone", "due_on"), "2030-03-31")
    page.select_option(field("milestone", "status"), "planned")
    page.click(button("prj-save", "milestone"))
    expect(page.locator("#prj-milestone-list")).to_contain_text("Inception report")
    # chosen again, its values come back into the form; marked achieved without a date: asked at the field
    settle(page)
    page.select_option(button("prj-pick", "milestone"), label="Inception report")
    expect(page.locator(field("milestone", "title"))).to_have_value("Inception report")
    page.select_option(field("milestone", "status"), "achieved")
    page.click(button("prj-save", "milestone"))
    expect(page.locator(feedback("milestone", "achieved_on"))).to_contain_text("date it was achieved")
    page.fill(field("milestone", "achieved_on"), "2030-04-02")
    page.click(button("prj-save", "milestone"))
    expect(page.locator("#prj-milestone-list")).to_contain_text("achieved")

    # a site, by clicking the map
    page.fill(field("site", "name"), "Clicked site")
    page.locator("#prj-map").click(position={"x": 300, "y": 200})
    expect(page.locator("#prj-site-source input[value='click']")).to_be_checked()
    page.click("#prj-site-add")
    expect(page.locator("#prj-site-items")).to_contain_text("Clicked site")

    # an indicator counting people, and a value split by sex
    page.select_option(field("result", "level"), "outcome")
    page.fill(field("result", "statement"), "Justice officials apply the new code")
    page.fill(field("result", "indicator"), "Officials trained")
    page.select_option(field("result", "unit"), "count")
    page.fill(field("result", "target"), "40")
    page.select_option(field("result", "about_people"), "true")
    page.click(button("prj-save", "result"))
    expect(page.locator("#prj-framework-table")).to_contain_text("Officials trained")
    settle(page)
    with Session(engine) as s:
        result_id = s.scalar(select(Result.id).where(Result.project_id == pid))
    page.select_option("#prj-actual-result", str(result_id))
    page.fill(field("actual", "period_start"), "2030-01-01")
    page.fill(field("actual", "period_end"), "2030-03-31")
    page.fill(field("actual", "value"), "12")
    page.click(button("prj-save", "actual"))
    # counts people: women and men are asked for at their fields
    expect(page.locator(feedback("actual", "women"))).to_contain_text("women and men")
    page.fill(field("actual", "women"), "5")
    page.fill(field("actual", "men"), "7")
    page.click(button("prj-save", "actual"))
    expect(page.locator("#prj-actual-done")).to_be_visible()
    expect(page.locator("#prj-framework-table")).to_contain_text("12")

    with Session(engine) as s:
        milestone = s.scalars(select(Milestone).where(Milestone.project_id == pid)).one()
        assert (milestone.title, str(milestone.achieved_on), milestone.version) == ("Inception report",
                                                                                   "2030-04-02", 2)
        lon, lat = s.execute(select(func.ST_X(Site.location), func.ST_Y(Site.location))
                             .join(project_site, project_site.c.site_id == Site.id)
                             .where(project_site.c.project_id == pid)).one()
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        actual = s.scalars(select(ResultActual).where(ResultActual.result_id == result_id)).one()
        assert (actual.value, actual.women, actual.men) == (Decimal("12.00"), Decimal("5.00"), Decimal("7.00"))


def test_viewer_sees_a_project_without_its_forms(page: Page, login_as, engine) -> None:
    """The page's one display callback answers for a role that sees no form (none of its outputs is a form's)."""
    with Session(engine) as s:
        pid, code = s.execute(select(Project.id, Project.code).join(Result, Result.project_id == Project.id)
                              .order_by(Project.code).limit(1)).one()
    login_as("viewer")
    page.goto(f"/projects/{pid}")
    expect(page.locator("#prj-title")).to_contain_text(code)
    expect(page.locator("#prj-framework-table")).to_be_visible()
    expect(page.locator("#prj-money-table")).to_be_visible()
    assert page.locator("#prj-site-add").count() == 0 and page.locator("#prj-edit-save").count() == 0
    page.goto("/projects")
    expect(page.locator("#projects-table")).to_contain_text(code)
    assert page.locator("#projects-new").count() == 0
