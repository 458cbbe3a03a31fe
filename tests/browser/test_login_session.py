"""Logging in, logging out and losing the session, in a real browser."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Capacity
from services.key_figures import KeyFigures, key_figures

pytestmark = pytest.mark.browser

CARDS = {
    "kf-deployed": "experts_deployed",
    "kf-available": "experts_available",
    "kf-open-surge": "open_surge_requests",
    "kf-missions": "active_missions",
}


def expect_figures(page: Page, figures: KeyFigures) -> None:
    for card_id, attr in CARDS.items():
        expect(page.locator(f"#{card_id}")).to_have_text(str(getattr(figures, attr)))


def choose_option(page: Page, dropdown_id: str, label: str) -> None:
    page.click(f"#{dropdown_id}")
    page.get_by_role("option", name=label, exact=True).click()


def test_login_form_then_home_shows_the_key_figures(page: Page, make_user, login_form, session: Session) -> None:
    username, password = make_user("viewer")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/"))

    login_form(page, username, "not-the-password")
    expect(page.locator("#login-error")).to_have_text("Unknown username or wrong password.")
    expect(page.locator("#shell-user")).to_have_count(0)

    login_form(page, username, password)
    expect(page).to_have_url(re.compile(r"/$"))
    expect_figures(page, key_figures(session, date.today()))

    # A capacity whose numbers differ from both capacities together, so the update is visible.
    both = key_figures(session, date.today())
    capacities = session.execute(select(Capacity.id, Capacity.code, Capacity.name).order_by(Capacity.code)).all()
    assert capacities, "the baseline data has no capacity"
    chosen = next((c for c in capacities if key_figures(session, date.today(), c.id) != both), capacities[0])
    choose_option(page, "home-capacity", f"{chosen.code} · {chosen.name}")
    expect_figures(page, key_figures(session, date.today(), chosen.id))


@pytest.mark.parametrize("path", ["/", "/missions", "/experts"])
def test_anonymous_visitor_is_sent_to_login(page: Page, path: str) -> None:
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/login\b"))
    expect(page.locator("#login-submit")).to_be_visible()
    expect(page.locator("#kf-deployed")).to_have_count(0)


def test_logout_returns_to_login_and_back_shows_no_data(page: Page, login_as) -> None:
    login_as("viewer")
    expect(page.locator("#kf-deployed")).to_be_visible()
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login\?logged_out=1"))
    expect(page.locator("#login-notice")).to_have_text("You are logged out.")

    page.go_back()
    # Whatever the browser restores, the data cannot come back without a session: it ends on the login page.
    expect(page).to_have_url(re.compile(r"/login\b"))
    expect(page.locator("#kf-deployed")).to_have_count(0)
    expect(page.locator("#shell-user")).to_have_count(0)


def test_callback_without_session_sends_the_page_to_login_expired(
    page: Page, context: BrowserContext, login_as, session: Session
) -> None:
    login_as("viewer")
    expect(page.locator("#kf-deployed")).to_be_visible()
    # Idle expiry is the server refusing the session; losing the cookie is the same from the page's side.
    context.clear_cookies()
    code, name = session.execute(select(Capacity.code, Capacity.name).order_by(Capacity.code)).first()
    choose_option(page, "home-capacity", f"{code} · {name}")
    expect(page).to_have_url(re.compile(r"/login\?expired=1"))
    expect(page.locator("#login-notice")).to_contain_text("Your session ended")
    expect(page.locator("#kf-deployed")).to_have_count(0)
