"""What a browser test does on a page, shared by the browser tests (they import it from here, not from conftest)."""

from __future__ import annotations

from playwright.sync_api import Page


def submit_login(page: Page, username: str, password: str) -> None:
    """Logs in through the real login form, as a person would (the page stays where the form sends it)."""
    if "/login" not in page.url:
        page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


def settle(page: Page) -> None:
    """Waits until the page's callbacks have answered. Each response rewrites the session cookie, so one
    still in flight when a test logs out, clears cookies or switches language would undo it."""
    page.wait_for_load_state("networkidle")
