"""The administration pages in a real browser: an admin creates a user, who logs in with the password shown
once; deactivates them, whose session ends; revokes a token, whose next API call is 401; and finds each action
in the audit page by filtering."""

from __future__ import annotations

import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import delete, select

from models import ApiToken, User
from models.db import session_scope
from services import admin
from tests.browser.actions import settle, submit_login

pytestmark = pytest.mark.browser


@pytest.fixture
def forget_users(server) -> Iterator[list[str]]:
    """Usernames a test creates through the page; deleted (with their tokens) afterwards."""
    names: list[str] = []
    yield names
    with session_scope(server.extensions["hub"].session_factory) as s:
        ids = list(s.scalars(select(User.id).where(User.username.in_(names))))
        s.execute(delete(ApiToken).where(ApiToken.user_id.in_(ids)))
        s.execute(delete(User).where(User.id.in_(ids)))


def _row(page: Page, grid: str, row_id: str):  # type: ignore[no-untyped-def]
    # The grid's scrolling part: a pinned column draws each row a second time beside it.
    return page.locator(f"#{grid} .ag-center-cols-container .ag-row[row-id='{row_id}']")


def _select_row(page: Page, grid: str, row_id: str) -> None:
    row = _row(page, grid, row_id)
    row.locator(".ag-cell").first.click()
    expect(row).to_have_class(re.compile(r"ag-row-selected"))


def _filter_audit(page: Page, record: str) -> None:
    page.goto("/admin/audit")
    page.fill("#admin-audit-entity-id", record)
    page.press("#admin-audit-entity-id", "Enter")


def test_admin_creates_a_user_who_logs_in_then_deactivates_them(page: Page, login_as, browser: Browser,
                                                                 live_url: str, forget_users: list[str]) -> None:
    admin_name, _pw = login_as("admin")
    expect(page.locator("#nav-admin_users")).to_have_text("Administration")
    page.click("#nav-admin_users")
    expect(page).to_have_url(re.compile(r"/admin/users$"))

    # Each problem at its field, and nothing created.
    page.click("#admin-users-create")
    expect(page.locator("#admin-users-username-help")).to_have_text("A username is required.")
    expect(page.locator("#admin-users-name-help")).to_have_text("A name is required.")
    page.fill("#admin-users-username", admin_name)
    page.fill("#admin-users-name", "Somebody")
    page.click("#admin-users-create")
    expect(page.locator("#admin-users-username-help")).to_have_text("This username is taken.")
    expect(page.locator("#admin-users-name-help")).to_have_text("")

    name = f"b-new-{secrets.token_hex(3)}"
    forget_users.append(name)
    page.fill("#admin-users-username", name)
    page.fill("#admin-users-name", "New Colleague")
    page.fill("#admin-users-email", "new@example.org")
    page.select_option("#admin-users-role", "planner")
    page.click("#admin-users-create")
    shown = page.locator("#admin-users-password")
    expect(shown).to_be_visible()
    password = shown.inner_text().strip()
    row = _row(page, "admin-users-grid", str(name))
    expect(row).to_contain_text("Planner")
    expect(row).to_contain_text("Active")

    # The new user logs in, in their own browser, with the password shown once.
    other = browser.new_context(base_url=live_url)
    try:
        theirs = other.new_page()
        theirs.goto("/login")
        submit_login(theirs, name, password)
        expect(theirs.locator("#shell-user")).to_contain_text("New Colleague")
        settle(theirs)

        # Shown once: a reload of the admin's page does not show it again.
        page.reload()
        expect(_row(page, "admin-users-grid", str(name))).to_be_visible()
        expect(page.locator("#admin-users-password")).to_have_count(0)

        _select_row(page, "admin-users-grid", name)
        page.click("#admin-users-deactivate")
        expect(_row(page, "admin-users-grid", str(name))).to_contain_text("Deactivated")

        theirs.goto("/")
        expect(theirs).to_have_url(re.compile(r"/login"))
    finally:
        other.close()

    # The admin cannot deactivate themselves.
    _select_row(page, "admin-users-grid", admin_name)
    page.click("#admin-users-deactivate")
    expect(page.locator("#admin-users-error")).to_contain_text("You cannot deactivate or demote yourself")

    # Both actions are in the audit log, found by the record, with the change shown.
    _filter_audit(page, name)
    grid = page.locator("#admin-audit-grid")
    expect(page.locator("#admin-audit-count")).to_have_text("2 events")
    expect(grid).to_contain_text("user_created")
    expect(grid).to_contain_text("user_deactivated")
    expect(grid).to_contain_text(admin_name)
    page.locator("#admin-audit-grid .ag-row", has_text="user_deactivated").locator(".ag-cell").first.click()
    history = page.locator("#admin-audit-history-list")
    expect(history.locator(".list-group-item")).to_have_count(2)
    expect(history).to_contain_text("active")
    expect(history.locator("del").last).to_have_text("true")
    expect(history.locator("ins").last).to_have_text("false")


def _api_status(live_url: str, plain: str) -> int:
    """An API call over HTTP with the token only (no browser cookies, which would log it in anyway)."""
    request = urllib.request.Request(f"{live_url}/api/v1/key-figures", headers={"Authorization": f"Bearer {plain}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_admin_revokes_a_token_whose_next_call_is_401(page: Page, login_as, make_user, server,
                                                      live_url: str) -> None:
    owner, _pw = make_user("viewer")
    with session_scope(server.extensions["hub"].session_factory) as s:
        token, plain = admin.create_token(s, "cli:browser-test", owner, "browser-test")
        token_id = token.id
    assert _api_status(live_url, plain) == 200

    admin_name, _pw = login_as("admin")
    page.goto("/admin/tokens")
    row = _row(page, "admin-tokens-grid", str(token_id))
    expect(row).to_contain_text(owner)
    expect(row).to_contain_text("Valid")
    expect(row).not_to_contain_text("Never")  # its one use above is the last use shown (expiry is set too)
    _select_row(page, "admin-tokens-grid", str(token_id))
    page.click("#admin-tokens-revoke")
    expect(row).to_contain_text("Revoked")

    assert _api_status(live_url, plain) == 401

    _filter_audit(page, str(token_id))
    page.fill("#admin-audit-who", "nobody-like-this")
    page.press("#admin-audit-who", "Enter")
    expect(page.locator("#admin-audit-count")).to_have_text("0 events")
    page.fill("#admin-audit-who", "")
    page.press("#admin-audit-who", "Enter")
    expect(page.locator("#admin-audit-grid")).to_contain_text("token_revoked")

    # The filtered events as CSV: this token's two events (other records may share its id).
    with page.expect_download() as download:
        page.click("#admin-audit-csv")
    body = Path(download.value.path()).read_text(encoding="utf-8")
    lines = body.strip().splitlines()
    assert lines[0].startswith("id,at,who,action,record_type,record_id")
    token_lines = [line.split(",") for line in lines[1:] if line.split(",")[4] == "api_token"]
    assert sorted(cells[3] for cells in token_lines) == ["token_created", "token_revoked"]
    assert {cells[2] for cells in token_lines} == {"cli:browser-test", admin_name}


def test_the_administration_entry_is_for_admins_only(page: Page, login_as) -> None:
    login_as("planner")
    expect(page.locator("#nav-admin_users")).to_have_count(0)
    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
