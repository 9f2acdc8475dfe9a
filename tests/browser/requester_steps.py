"""Steps the requester browser tests share: an account with a page password and funds, signing in,
building a qualification test in the form, and downloading the batch results CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from labelhub.models import Marketplace
from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import accounts, payments
from tests.browser.conftest import PASSWORD
from tests.factories import RequesterHandle


def requester_with_password(runtime: Runtime, name: str, *, deposit: str = "100.00") -> RequesterHandle:
    """A production requester who signs in to the pages with ``PASSWORD``."""
    credentials = accounts.create_requester(runtime, name, password=PASSWORD)
    payments.deposit(runtime, credentials.requester_id, parse_amount(deposit))
    return RequesterHandle(accounts.requester_actor(runtime, credentials.requester_id, Marketplace.PRODUCTION),
                           credentials)


def requester_signs_in(page: Page, name: str) -> None:
    page.goto("/requester/signin")
    page.get_by_label("Requester name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/requester/signin"))


def build_test(page: Page, name: str = "Tone expert") -> None:
    """Create a qualification type with a two-question test (2 and 3 points) through the form;
    the right answers are "Works well, great value." and "It is a kettle."."""
    page.get_by_role("navigation", name="Requester").get_by_role("link", name="Qualifications").click()
    expect(page.get_by_role("heading", name="New qualification type")).to_be_visible()
    page.wait_for_load_state("load")  # the shortcuts' script has run
    page.keyboard.press("n")  # the shortcut to the new type's name
    page.keyboard.type(name)
    page.get_by_label("Description (workers see it)").fill("Knows a positive sentence from a negative one.")
    page.get_by_label("By a multiple-choice test").check()
    page.get_by_label("Time allowed (minutes)").fill("5")
    questions = (("Which sentence is positive?", ("It broke at once.", "Works well, great value."), 2, "2"),
                 ("Which sentence is neutral?", ("It is a kettle.", "I hate it.", "I love it."), 1, "3"))
    for number, (text, options, right, points) in enumerate(questions, start=1):
        block = page.locator(f"#question-{number}")
        block.get_by_label("Question", exact=True).fill(text)
        for position, option in enumerate(options, start=1):
            block.get_by_label(f"Option {position}", exact=True).fill(option)
        block.get_by_label(f"Option {right} is the right answer").check()
        block.get_by_label("Points for the right answer").fill(points)
    page.get_by_role("button", name="Create qualification type").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator("li.right-answer")).to_have_text([re.compile("Works well"), re.compile("It is a kettle")])


def take_test(page: Page, type_url: str) -> None:
    """A signed-in worker answers the test of ``build_test`` right and sees the score 5."""
    page.goto(type_url.replace("/requester/qualification-types/", "/qualifications/"))
    page.get_by_label("Works well, great value.").check()
    page.get_by_label("It is a kettle.").check()
    page.get_by_role("button", name="Submit the test").click()
    expect(page.locator("#score")).to_have_text("5")


def download_results_csv(page: Page) -> list[dict[str, str]]:
    """On the batch page: write the MTurk results CSV (one row per answer) and download it."""
    page.get_by_label("Format").select_option("mturk-csv")
    page.get_by_label("Records").select_option("answers")
    page.get_by_role("button", name="Export").click()
    exports = page.locator("table.exports tbody tr").first
    expect(exports).to_contain_text("succeeded")
    with page.expect_download() as info:
        exports.get_by_role("link").click()
    return list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"), newline="")))


def marked_csv(rows: list[dict[str, str]], marks: dict[str, tuple[str, str]]) -> bytes:
    """The downloaded rows with (Approve, Reject) filled in for the assignments in ``marks``."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows(row | dict(zip(("Approve", "Reject"), marks.get(row["AssignmentId"], ("", "")), strict=True))
                     for row in rows)
    return out.getvalue().encode()
