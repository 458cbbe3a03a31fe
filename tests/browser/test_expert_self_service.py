"""An expert user logs in and lands on their own record (/me), declares an absence over the next 60 days and adds
a language; a planner's capacity forecast (the surge planner) no longer counts them free for 30 or 60 days, and
the planner's page of the expert shows the change made by the expert themself."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.actions import (
    FETCH_COUNTER,
    control,
    feedback,
    open_part_form,
    save_absence,
    settle,
    submit_login,
)

pytestmark = pytest.mark.browser
COUNT = re.compile(r"^[\d\s\u202f\u00a0,]+$")  # a count, with the language's digit grouping


def _free(page: Page) -> tuple[int, int]:
    """The forecast's "free the next 30 / 60 days" counts, as the surge planner shows them."""
    page.goto("/surge")
    figures = [page.locator(f"#surge-fc-free-{h}") for h in (30, 60)]
    for figure in figures:
        expect(figure).to_have_text(COUNT)
    settle(page)
    return tuple(int("".join(ch for ch in f.inner_text() if ch.isdigit())) for f in figures)  # type: ignore[return-value]


def test_expert_declares_an_absence_and_the_forecast_follows(page: Page, browser: Browser, live_url: str,
                                                             make_user, expert_user) -> None:
    username, password, expert_id = expert_user("Selma")
    planner_name, planner_password = make_user("planner")
    planner_ctx = browser.new_context(base_url=live_url, viewport={"width": 1400, "height": 900}, locale="en-GB")
    planner_ctx.add_init_script(FETCH_COUNTER)
    try:
        planner = planner_ctx.new_page()
        planner.goto("/login")
        submit_login(planner, planner_name, planner_password)
        expect(planner.locator("#shell-user")).to_be_visible()
        before = _free(planner)

        page.goto("/login")
        submit_login(page, username, password)
        page.wait_for_url("**/me")
        expect(page.locator("#me-header")).to_contain_text("Selma")
        # Their navbar: only their own page (plus languages and logout).
        expect(page.locator("#shell-navbar .hub-nav .nav-link")).to_have_count(1)
        expect(page.locator("#nav-me")).to_have_text("My profile")

        start = date.today()
        save_absence(page, "me", "leave", start, start + timedelta(days=59))
        expect(page.locator("#me-absences-list")).to_contain_text("Leave")
        settle(page)
        # One overlapping it: refused at its field, with the absence in the way.
        form = save_absence(page, "me", "training", start + timedelta(days=30), start + timedelta(days=70))
        expect(page.locator(feedback(form, "start_date"))).to_contain_text("Overlaps the absence")
        page.click("#me-absences-cancel")
        settle(page)

        form = open_part_form(page, "me", "languages")
        page.select_option(control(form, "language"), "fr")
        page.select_option(control(form, "level"), "B2")
        page.click("#me-languages-save")
        expect(page.locator("#me-languages-list")).to_contain_text("French")
        settle(page)
        # The planners' pages stay closed.
        page.goto("/experts")
        expect(page.locator("#page-forbidden")).to_be_visible()

        after = _free(planner)
        assert after == (before[0] - 1, before[1] - 1), (before, after)

        planner.goto(f"/experts/{expert_id}")
        changes = planner.locator("#expert-change-list")
        expect(changes).to_contain_text("the expert themself")
        expect(changes).to_contain_text(username)
        expect(changes).to_contain_text("Absences")
        expect(changes).to_contain_text("Languages")
        expect(planner.locator("#expert-absences-list")).to_contain_text("Leave")
        settle(planner)
        planner.goto("/experts")
        recent = planner.locator("#experts-self-service")
        recent.locator("summary").click()
        expect(recent).to_contain_text("Selma")
        settle(planner)
    finally:
        planner_ctx.close()


def test_admin_links_a_new_expert_user_with_the_picker(page: Page, login_as, engine) -> None:
    from sqlalchemy import delete, select
    from sqlalchemy.orm import Session

    from models import Expert, User

    with Session(engine) as s:
        linked = select(User.expert_id).where(User.expert_id.is_not(None))
        expert_id = s.scalar(select(Expert.id).where(Expert.erased_at.is_(None), Expert.id.not_in(linked))
                             .order_by(Expert.id).limit(1))
    username = f"t-picked-{expert_id}"
    login_as("admin")
    page.goto("/admin/users")
    picker = page.locator("#admin-users-expert")
    expect(picker).to_be_hidden()
    page.select_option("#admin-users-role", "expert")
    expect(picker).to_be_visible()
    page.fill("#admin-users-username", username)
    page.fill("#admin-users-name", "Picked expert")
    page.click("#admin-users-create")  # no expert chosen: refused at the picker
    expect(page.locator("#admin-users-expert-help")).to_have_text(
        "The expert role needs the expert this user is: choose one.")
    try:
        page.select_option("#admin-users-expert", str(expert_id))
        page.click("#admin-users-create")
        expect(page.locator("#admin-users-password")).to_be_visible()
        settle(page)
        with Session(engine) as s:
            assert s.scalar(select(User.expert_id).where(User.username == username)) == expert_id
    finally:
        with Session(engine) as s, s.begin():
            s.execute(delete(User).where(User.username == username))
