"""Workers and qualification types in Chromium: the requester builds a two-question qualification test
in the form, a worker takes it on the worker pages and is granted their score, and the requester finds
the worker (accuracy, history, the qualification held), blocks them with a keyboard shortcut and pays a
bonus. The pages are saved as requester_qualification_type.png and requester_worker.png."""

from __future__ import annotations

import random
import re

from playwright.sync_api import expect

from labelhub.services import assignments, consensus, worker_pages
from labelhub.services.batch_quality import QualitySettings
from tests.browser.conftest import sign_in
from tests.browser.requester_steps import build_test, requester_signs_in, requester_with_password, take_test
from tests.crowd import LABELS, make_crowd


def answer_batch(runtime, clock, crowd, workers) -> None:
    """Each worker (handle, accuracy, seconds per answer) takes HITs of the crowd's batch until none is
    left for them, the clock moving on while they work."""
    draw = random.Random(14)
    for handle, accuracy, seconds in workers:
        while (taken := worker_pages.accept_next(runtime, handle.actor, crowd.first_hit)) is not None:
            truth = crowd.truth[taken.hit.data["text"]]
            label = truth if draw.random() < accuracy else draw.choice([o for o in LABELS if o != truth])
            clock.advance(seconds=seconds)
            assignments.submit(runtime, handle.actor, taken.public_id, {"label": label})


def test_requester_builds_a_test_that_a_worker_takes(open_page, runtime, clock, factory, screenshots):
    requester = requester_with_password(runtime, "workers-lab")
    crowd = make_crowd(runtime, factory, items=10, gold=2, max_assignments=3, gold_assignments=3,
                       quality=QualitySettings.parse({"method": "ds"}), requester=requester)
    taker = factory.worker("careful-taker")
    answer_batch(runtime, clock, crowd, [(taker, 0.9, 42), (factory.worker(), 0.95, 65),
                                         (factory.worker(), 0.5, 5)])
    consensus.aggregate_batch(runtime, crowd.batch_id, force=True)
    worker_id = taker.actor.public_id

    page = open_page()
    requester_signs_in(page, "workers-lab")
    build_test(page)
    type_url = page.url

    worker_page = open_page()
    sign_in(worker_page, "careful-taker")
    take_test(worker_page, type_url)

    page.reload()
    holder = page.locator("table.holders tbody tr").filter(has_text=worker_id)
    expect(holder.locator("td.number")).to_have_text("5")
    page.screenshot(path=screenshots / "requester_qualification_type.png", full_page=True)

    page.get_by_role("navigation", name="Requester").get_by_role("link", name="Workers").click()
    page.get_by_role("link", name=worker_id).click()
    expect(page.get_by_role("heading", name=f"Worker {worker_id}")).to_be_visible()
    expect(page.locator("table.worker-qualifications")).to_contain_text("Tone expert")
    expect(page.locator("#consensus-accuracy")).to_contain_text("%")
    expect(page.locator("#median-time")).to_have_text("42 seconds")
    expect(page.get_by_role("img", name=re.compile(f"Confusion matrix of worker {worker_id}"))).to_be_visible()
    page.get_by_label("Amount ($)").fill("0.50")
    page.get_by_label("Reason (the worker sees it)").fill("Careful answers")
    page.get_by_role("button", name="Pay bonus").click()
    expect(page.locator(".flash-success")).to_contain_text("Paid a bonus of $0.50")
    page.keyboard.press("b")  # the shortcut to the block form's reason
    page.keyboard.type("Testing the block")
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text(f"Blocked worker {worker_id}")
    expect(page.get_by_role("heading", name=f"Worker {worker_id}")).to_contain_text("blocked")
    page.locator("#confusion").scroll_into_view_if_needed()
    assert page.locator("#confusion img").evaluate("img => img.complete && img.naturalWidth > 0")
    page.screenshot(path=screenshots / "requester_worker.png", full_page=True)
