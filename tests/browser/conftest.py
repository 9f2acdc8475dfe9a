"""Browser fixtures: Debian's Chromium driven by Playwright's sync API against the live server.

Without Chromium the browser tests are skipped locally and fail in CI (tests.conftest.need).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

PASSWORD = "correct-horse-1"  # tests.factories gives every worker this password
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser(chromium):
    """The session's one Chromium (tests/conftest.py)."""
    return chromium


@pytest.fixture
def open_page(browser, live_server) -> Iterator[Callable[..., Page]]:
    """A fresh browser profile (its own cookies) per call, at 1280x800 unless told otherwise; the page
    may read and write the clipboard, as a worker pasting text does. Any script error, or anything the
    browser refused (the Content-Security-Policy, a sandbox), fails the test unless ``expected`` names it."""
    contexts, problems = [], []

    def open_page(viewport: dict[str, int] = DESKTOP, *, expected: tuple[str, ...] = ()) -> Page:
        context = browser.new_context(viewport=viewport, base_url=live_server)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()

        def console(message: ConsoleMessage) -> None:
            favicon = "favicon.ico" in message.location.get("url", "")
            if message.type == "error" and not favicon and not any(e in message.text for e in expected):
                problems.append(f"console on {page.url}: {message.text}")

        page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))
        page.on("console", console)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where screenshots go: $LABELHUB_SCREENSHOTS (docs/screenshots to refresh the committed ones),
    else a temporary folder."""
    folder = Path(os.environ.get("LABELHUB_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page: Page, name: str) -> None:
    """Sign a factory-made worker in through the sign-in form."""
    page.goto("/signin")
    page.get_by_label("Worker name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r".*/hits$"))
