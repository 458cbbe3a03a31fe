"""An assessment officer records a technology-needs assessment with three gaps and a report, adds two
recommendations, follows one up with evidence and closes it; its owner sees the other as overdue on the home
page; a search in French finds the English lesson's French version and the report's text."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Assessment, Lesson, Mission
from tests import knowledge_files as files
from tests.browser.actions import settle, submit_login

pytestmark = pytest.mark.browser


def field(form: str, name: str) -> str:
    """The CSS selector of a record form's control (Dash writes a dict id as sorted JSON)."""
    ident = json.dumps({"field": name, "form": form, "type": "record-input"}, separators=(",", ":"))
    return f"[id='{ident}']"


def feedback(form: str, name: str) -> str:
    ident = json.dumps({"field": name, "form": form, "type": "record-feedback"}, separators=(",", ":"))
    return f"[id='{ident}']"


def test_tna_gaps_report_recommendations_follow_up_overdue_and_search(page: Page, login_as, make_user, engine,
                                                                        tmp_path) -> None:
    owner, owner_password = make_user("viewer")
    with Session(engine) as s:
        mission = s.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
        lesson = Lesson(title_en="Police reform needs vetting first", body_en="Vet every officer before training.",
                        title_fr="La réforme de la police commence par la vérification",
                        body_fr="Vérifier chaque policier avant la formation.", status="published", tags=["ssr"])
        s.add(lesson)
        s.commit()
        lesson_id = lesson.id
    assessment_id = None
    try:
        login_as("assessment_officer")
        page.goto("/assessments")
        new = "assessment-new"
        page.select_option(field(new, "kind"), "technology_needs_assessment")
        page.fill(field(new, "title"), "Browser TNA of the police component")
        page.fill(field(new, "mission"), mission)
        page.fill(field(new, "start"), "2026-03-02")
        page.fill(field(new, "end"), "2026-03-01")  # before the start: refused at its field
        page.click("#assessments-save")
        expect(page.locator(feedback(new, "end"))).to_contain_text("Cannot be before")
        page.fill(field(new, "end"), "2026-03-06")
        page.click("#assessments-save")
        page.wait_for_url(re.compile(r"/assessments/\d+$"))
        assessment_id = int(page.url.rsplit("/", 1)[1])
        expect(page.locator("#assessment-header")).to_contain_text("Browser TNA")

        gap = "assessment-gap"
        for area, text, severity, cost in (("equipment", "No digital radios", "high", "12000"),
                                           ("software", "No case-tracking database", "critical", "40000"),
                                           ("personnel", "No IT officer", "medium", "")):
            page.select_option(field(gap, "area"), area)
            page.fill(field(gap, "gap"), text)
            page.select_option(field(gap, "severity"), severity)
            page.fill(field(gap, "estimated_cost"), cost)
            page.click("#assessment-add-gap")
            expect(page.locator("#gap-table")).to_contain_text(text)
        expect(page.locator("#gap-table tbody tr")).to_have_count(3)
        expect(page.locator("#gap-table tfoot")).to_contain_text("52,000")

        bad = tmp_path / "report.pdf"
        bad.write_bytes(files.docx("not a pdf"))
        page.set_input_files("#assessment-upload input[type=file]", str(bad))
        expect(page.locator("#upload-refused")).to_contain_text("not what its name says")
        report = tmp_path / "rapport-tna.pdf"
        report.write_bytes(files.pdf("Rapport: les policiers manquent de radios numeriques."))
        page.set_input_files("#assessment-upload input[type=file]", str(report))
        expect(page.locator("#report-list")).to_contain_text("rapport-tna.pdf")

        rec = "assessment-rec"
        past = (date.today() - timedelta(days=5)).isoformat()
        for text in ("Procure digital radios for every team site.", "Recruit an IT officer for the component."):
            page.fill(field(rec, "text"), text)
            page.select_option(field(rec, "priority"), "high")
            page.select_option(field(rec, "owner"), owner)
            page.fill(field(rec, "due_on"), past)
            page.click("#assessment-add-rec")
            expect(page.locator("#rec-list")).to_contain_text(text)
        expect(page.locator("#rec-list .overdue-badge")).to_have_count(2)

        page.click("#rec-list a:has-text('Procure digital radios')")
        page.wait_for_url(re.compile(r"/recommendations/\d+$"))
        page.fill(field("rec-edit", "category"), "equipment")  # an edit, with the version read
        page.click("#rec-edit-save")
        expect(page.locator("#rec-edit-saved")).to_be_visible()
        follow = "rec-follow"
        page.select_option(field(follow, "status"), "implemented")
        page.fill(field(follow, "note"), "Radios delivered and installed.")
        page.click("#rec-save")  # no evidence yet: refused, and said where
        expect(page.locator(feedback(follow, "evidence"))).to_contain_text("only with evidence")
        proof = tmp_path / "delivery-note.pdf"
        proof.write_bytes(files.pdf("Delivery note: 40 digital radios"))
        page.set_input_files("#rec-files input[type=file]", str(proof))
        page.fill("#rec-links", "https://example.org/handover")
        page.click("#rec-save")
        expect(page.locator("#rec-status")).to_contain_text("Implemented")
        expect(page.locator("#follow-up-list")).to_contain_text("delivery-note.pdf")
        expect(page.locator("#follow-up-list")).to_contain_text("https://example.org/handover")
        settle(page)

        # The owner: the other recommendation, overdue, on their home page.
        page.context.clear_cookies()
        page.goto("/login")
        submit_login(page, owner, owner_password)
        expect(page.locator("#my-recommendations")).to_contain_text("Recruit an IT officer")
        expect(page.locator("#my-recommendations .overdue-badge")).to_have_count(1)
        expect(page.locator("#my-recommendations")).not_to_contain_text("Procure digital radios")
        settle(page)

        # In French: the English lesson's French version, and the report's text.
        page.goto("/lang/fr?next=/knowledge")
        page.fill("#knowledge-q", "reformes")
        page.press("#knowledge-q", "Enter")
        hit = page.locator(f".knowledge-hit:has(a[href='/lessons/{lesson_id}'])")
        expect(hit).to_contain_text("La réforme de la police")
        expect(hit.locator("mark").first).to_have_text("réforme")
        page.fill("#knowledge-q", "numérique policier")
        page.press("#knowledge-q", "Enter")
        expect(page.locator(".knowledge-hit:has-text('rapport-tna.pdf')")).to_contain_text("radios")
    finally:
        with Session(engine) as s:
            if assessment_id:
                s.execute(delete(Assessment).where(Assessment.id == assessment_id))
            s.execute(delete(Lesson).where(Lesson.id == lesson_id))
            s.commit()
