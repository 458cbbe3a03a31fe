"""A planner amends a surge request from its page: a stale form is refused with who changed what, a bad number is
refused at its field, then the amendment (one more expert, one more required skill) is saved, listed, and the
candidates are ranked again for the amended needs."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Expert, Mission, Skill, SurgeRequest, SurgeRequestAmendment
from tests.browser.actions import candidate_rows, choose, control, feedback, record_surge_request, settle
from tests.factories import expert, skill

pytestmark = pytest.mark.browser

FORM = "surge-amend"
VALID = {"MEDICAL": (date(2020, 1, 1), None), "SECURITY": (date(2020, 1, 1), None)}


def test_planner_amends_a_request_and_the_candidates_are_ranked_again(page: Page, login_as, engine) -> None:
    with Session(engine) as s, s.begin():
        own = skill(s, "amend")
        code, skill_id, skill_name = own.code, own.id, own.name
        prison = s.scalar(select(Skill.id).where(Skill.code == "prison_security"))
        only_one = expert(s, skills={prison: 4, skill_id: 4}, clearances=VALID)
        expert_id = only_one.id
        acronym = s.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    username, _password = login_as("planner")
    start = date.today() + timedelta(days=30)
    request = record_surge_request(page, {
        "mission": acronym, "title": "Prison security", "wanted_start": start.isoformat(), "duration_days": 20,
        "experts_requested": 2, "capacity": "JCSC", "priority": "high",
        "skills": [{"code": "prison_security", "weight": 1, "min_level": 3}]})
    reference = request["reference"]
    try:
        page.goto(f"/surge/requests/{reference}")
        expect(page.locator("#surge-req-count")).to_contain_text("eligible")
        rows = candidate_rows(page)
        expect(rows.first).to_be_visible()
        assert rows.count() > 1  # every JCSC expert with prison security ranks

        # Someone amends the title through the API after the page was opened: this page's form is stale.
        other = page.request.post(f"/api/v1/surge-requests/{reference}/amendments",
                                  data={"title": "Prison security (amended)", "version": request["version"]})
        assert other.status == 201, other.text()
        page.click("#surge-req-amend-open")
        settle(page)  # the form open and filled by its callback before it is typed in
        expect(page.locator(control(FORM, "experts_requested"))).to_have_value("2")
        page.fill(control(FORM, "experts_requested"), "3")
        page.click("#surge-req-amend-save")
        refusal = page.locator("#surge-req-amend-error")
        expect(refusal).to_contain_text("someone changed the request")
        expect(refusal).to_contain_text(re.compile(rf"{username}.*\(title\)"))
        settle(page)

        page.reload()
        expect(page.locator("#surge-req-header")).to_contain_text("Prison security (amended)")
        page.click("#surge-req-amend-open")
        settle(page)  # the form open and filled by its callback before it is typed in
        expect(page.locator(control(FORM, "title"))).to_have_value("Prison security (amended)")
        page.fill(control(FORM, "experts_requested"), "0")
        page.click("#surge-req-amend-save")
        expect(page.locator(feedback(FORM, "experts_requested"))).to_have_text("At least 1 expert, at most 50.")
        expect(page.locator(control(FORM, "experts_requested"))).to_have_class(re.compile(r"\bis-invalid\b"))

        page.fill(control(FORM, "experts_requested"), "3")
        choose(page, control(FORM, "skills", dbc_control=False), skill_name)
        page.fill(control(FORM, "note"), "The mission's cable")
        page.click("#surge-req-amend-save")
        expect(page.locator("#surge-req-amend-done")).to_contain_text("Amendment saved")
        listed = page.locator("#surge-req-amendments li")
        expect(listed).to_have_count(2)
        expect(listed.nth(1)).to_contain_text("experts requested: 2 → 3")
        expect(listed.nth(1)).to_contain_text(code)
        expect(listed.nth(1)).to_contain_text("The mission's cable")
        # Ranked again for the amended needs: only the expert with both skills is left.
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("row-id", str(expert_id))
        expect(page.locator("#surge-req-count")).to_contain_text("1 eligible")
        settle(page)
        with Session(engine) as s:
            request_id = s.scalar(select(SurgeRequest.id).where(SurgeRequest.reference == reference))
            kept = s.scalar(select(func.count()).select_from(SurgeRequestAmendment)
                            .where(SurgeRequestAmendment.request_id == request_id))
            assert kept == 2
    finally:
        with Session(engine) as clean, clean.begin():
            clean.execute(delete(SurgeRequest).where(SurgeRequest.reference == reference))
            clean.execute(delete(Expert).where(Expert.id == expert_id))
            clean.execute(delete(Skill).where(Skill.id == skill_id))
