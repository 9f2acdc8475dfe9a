"""The review queue in Chromium, with the keyboard only: j then a approves the second answer, r then a
reason and Enter rejects the answer the page lands on; the page is saved as requester_review.png."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from labelhub.models import Assignment, AssignmentStatus
from tests.browser.requester_steps import requester_signs_in, requester_with_password
from tests.review_fixtures import review_batch


def _status(runtime, public_id):
    with runtime.sessions() as db:
        return db.scalars(select(Assignment).where(Assignment.public_id == public_id)).one()


def test_requester_reviews_answers_with_the_keyboard(open_page, runtime, factory, screenshots):
    requester = requester_with_password(runtime, "review-lab")
    made = review_batch(runtime, factory, [["positive", "negative", "neutral"], ["positive", "positive", "neutral"],
                                           ["negative", "negative", "neutral"]], requester=requester)
    page = open_page()
    requester_signs_in(page, "review-lab")
    page.goto(f"/requester/batches/{made.batch_id}")
    page.get_by_role("link", name="Review answers").click()
    expect(page.locator(".review-item").first).to_have_class(re.compile("focused"))
    page.screenshot(path=screenshots / "requester_review.png", full_page=False)

    page.keyboard.press("j")
    page.keyboard.press("a")  # approves the second answer: worker 1's on the first HIT

    expect(page.locator(".flash-success")).to_contain_text(f"Approved answer {made.of(1, 0)}")
    focused = page.locator(".review-item.focused")
    expect(focused).to_have_attribute("data-assignment", made.of(2, 0))  # the one after it
    page.keyboard.press("r")
    page.keyboard.type("The first sentence is positive.")
    page.keyboard.press("Enter")

    expect(page.locator(".flash-success")).to_contain_text(f"Rejected answer {made.of(2, 0)}")
    assert _status(runtime, made.of(1, 0)).status is AssignmentStatus.APPROVED
    rejected = _status(runtime, made.of(2, 0))
    assert (rejected.status, rejected.requester_feedback) == (AssignmentStatus.REJECTED,
                                                             "The first sentence is positive.")
    assert _status(runtime, made.of(0, 0)).status is AssignmentStatus.SUBMITTED
