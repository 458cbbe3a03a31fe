"""Browser fixtures: the test app served on a loopback port, one headless Chromium per run, a fresh context a test.

Chromium is Debian's (/usr/bin/chromium, or HUB_CHROMIUM); nothing is downloaded. When a test fails, a
screenshot of its page goes to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from tests.browser.actions import FETCH_COUNTER, settle, submit_login

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
]
# Dash renders after its bundles load and the first callbacks return: generous, but bounded.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def live_url(server) -> Iterator[str]:
    """The session's Flask app on 127.0.0.1 and a free port (port 0: the OS picks), in a daemon thread."""
    httpd = make_server("127.0.0.1", 0, server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        # A skip would let a run without a browser pass unnoticed; `make test` installs Chromium.
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, or install Debian's chromium.")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser is a browser test (`make test-fast` leaves them out by this mark), whether
    or not its module says so."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def context(browser: Browser, live_url: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=live_url, viewport={"width": 1400, "height": 900}, locale="en-GB")
    ctx.add_init_script(FETCH_COUNTER)  # what settle() waits on
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    if request.node.stash.get(_FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.txt").write_text(f"url: {pg.url}\npage errors:\n" + "\n".join(errors))
        except Exception as exc:  # the page may be gone; the test's own failure matters more
            print(f"could not save a screenshot: {exc}")


@pytest.fixture
def login_form() -> Callable[[Page, str, str], None]:
    """The helper above, for tests that type credentials themselves (a wrong password, say)."""
    return submit_login


@pytest.fixture
def login_as(page: Page, make_user) -> Callable[[str], tuple[str, str]]:
    """Creates a user of the given role, logs the page in with it, and waits for the shell: ``login_as("viewer")``."""

    def as_role(role: str) -> tuple[str, str]:
        username, password = make_user(role)
        page.goto("/login")
        submit_login(page, username, password)
        expect(page.locator("#shell-user")).to_be_visible()
        settle(page)
        return username, password

    return as_role
