"""Issue 14's whole story in Chromium: a requester judges a batch of summaries that has a spammer and an
answer pasted from an LLM. They filter the review queue to the flagged answer and reject it with a
reason, filter to the spammer and reject all of their answers with one reason (a job with a report),
approve two answers through MTurk's results CSV (downloaded, marked, uploaded back), fix one HIT's
label, bulk-approve the rest, pay a bonus, and build a qualification test that a worker then takes.
The workers see the rejection reasons and the bonus on their dashboards."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from labelhub.models import Assignment, AssignmentStatus
from labelhub.money import parse_amount
from labelhub.services import assignments, batches, hits, label_fixes
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.batches import CreateBatch
from tests.browser.conftest import sign_in
from tests.browser.requester_steps import (
    build_test,
    download_results_csv,
    marked_csv,
    requester_signs_in,
    requester_with_password,
    take_test,
)
from tests.services.test_llm_flags import LLM_SUMMARY, PASTED

SOURCES = (
    "The council voted to extend night buses to the northern suburbs from March, paid by a parking levy.",
    "The library will open on Sundays from May after volunteers offered to staff the front desk.",
    "Heavy rain flooded the underpass on Mill Road twice this week; the city promised new drains by autumn.",
)
SUMMARIES = {  # the row's source -> three people's own summaries of it
    SOURCES[0]: ("night buses go north from march, the parking levy pays for it",
                 "Night buses to the northern suburbs from March, funded by parking fees.",
                 "council extends night buses north in march (parking levy)"),
    SOURCES[1]: ("library opens sundays from may thanks to volunteers",
                 "Volunteers staff the desk so the library opens on Sundays from May.",
                 "sunday opening at the library from may, volunteers run the desk"),
    SOURCES[2]: ("mill road underpass flooded twice, new drains promised by autumn",
                 "Rain flooded the Mill Road underpass twice; drains coming by autumn.",
                 "flooding at mill road underpass, city says new drains by autumn"),
}
SPAM = "asdf asdf asdf"
FLAGGED_REASON = "This summary was pasted from an AI assistant: write your own."
SPAM_REASON = "Not a summary of the text."
BONUS_REASON = "Careful, well-written summaries"
FIXED_SUMMARY = "The requester's own summary of this news item."
REVIEW_PAGE = re.compile(r".*/requester/batches/[A-Z0-9]+/review(\?.*)?(#.*)?$")
JOB_PAGE = re.compile(r".*/requester/jobs/[A-Z0-9]{30}$")


def _typed(text: str) -> dict[str, int]:
    """The browser's signals of an answer typed by hand."""
    return {"typed_chars": len(text), "keystrokes": len(text) + 6, "deletions": 6, "pastes": 0,
            "pasted_chars": 0, "active_typing_ms": len(text) * 200, "time_on_page_ms": len(text) * 260}


def summaries_batch(runtime, factory, requester):
    """Three summaries to write, each answered by three careful workers and a spammer; one more worker
    pastes an LLM's summary of the first. Returns (batch id, careful workers, spammer, paster)."""
    spec = factory.hit_type_spec(title="Summarise a news item", reward_micros=parse_amount("0.20"),
                                 auto_approval_delay_seconds=86_400)
    batch = batches.create_batch(runtime, requester.actor, CreateBatch(
        name="Local news summaries", template_kind="free_text", question_template="<p>${text}</p>", hit_type=spec,
        rows=tuple({"text": source} for source in SOURCES), lifetime_seconds=86_400, max_assignments=5,
        template_config={"mode": "summarise", "min_length": 10}, quality=QualitySettings.parse({"method": "ds"})))
    listed = hits.list_hits(runtime, requester.actor, batch_id=batches.batch_id_for(
        runtime, requester.actor, batch.public_id)).items
    careful = [factory.worker(f"careful-{n}") for n in range(3)]
    spammer, paster = factory.worker("speedy"), factory.worker("paster")
    for hit in listed:
        source = hit.data["text"]
        for worker, text in zip(careful, SUMMARIES[source], strict=True):
            taken = assignments.accept(runtime, worker.actor, hit.public_id)
            assignments.submit(runtime, worker.actor, taken.public_id, {"text": text}, _typed(text))
        taken = assignments.accept(runtime, spammer.actor, hit.public_id)
        assignments.submit(runtime, spammer.actor, taken.public_id, {"text": SPAM}, _typed(SPAM))
        if source == SOURCES[0]:
            taken = assignments.accept(runtime, paster.actor, hit.public_id)
            assignments.submit(runtime, paster.actor, taken.public_id, {"text": LLM_SUMMARY}, PASTED)
    return batch.public_id, careful, spammer, paster


def _statuses(runtime, worker) -> list[AssignmentStatus]:
    with runtime.sessions() as db:
        return list(db.scalars(select(Assignment.status).where(Assignment.worker_id == worker.actor.id)
                               .order_by(Assignment.id)))


def filter_queue(page: Page, *, llm_flagged: bool = False, worker: str = "", status: str = "submitted") -> None:
    page.get_by_label("Status").select_option(status)
    page.get_by_label("LLM-flagged").set_checked(llm_flagged)
    page.get_by_label("Worker", exact=True).fill(worker)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(REVIEW_PAGE)


def applied(page: Page) -> object:
    expect(page).to_have_url(JOB_PAGE)
    expect(page.locator("h1 .status")).to_have_text("succeeded")
    return page.locator("dl.decision-counts div").filter(has=page.locator("dt", has_text="Applied")).locator("dd")


def reject_the_flagged_answer(page: Page, paster) -> None:
    """Filter to the LLM-flagged answer, read why it was flagged, reject it with a reason."""
    filter_queue(page, llm_flagged=True)
    item = page.locator(".review-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(paster.actor.public_id)
    expect(item.locator(".llm-high")).to_be_visible()
    expect(item.locator("ul.reasons li").first).to_contain_text("pasted")
    item.get_by_label("Reason the worker sees").fill(FLAGGED_REASON)
    item.get_by_role("button", name="Reject").click()
    expect(page.locator(".flash-success")).to_contain_text("Rejected answer")


def reject_the_spammer(page: Page, spammer) -> None:
    """Filter to the spammer's answers, then reject all of them with one reason: a job and its report."""
    filter_queue(page, worker=spammer.actor.public_id)
    expect(page.locator(".review-item")).to_have_count(3)
    page.locator("#bulk-reject-reason").fill(SPAM_REASON)
    page.get_by_role("button", name="Reject worker's answers").click()
    expect(applied(page)).to_have_text("3")


def approve_in_the_results_csv(page: Page, batch_id: str, worker) -> None:
    """MTurk's CSV round trip: download, put x in Approve on two of ``worker``'s rows, upload."""
    page.goto(f"/requester/batches/{batch_id}")
    rows = download_results_csv(page)
    assert len(rows) == 13
    theirs = [row["AssignmentId"] for row in rows if row["WorkerId"] == worker.actor.public_id]
    page.get_by_label("Results CSV", exact=True).set_input_files(
        {"name": "Batch_results.csv", "mimeType": "text/csv",
         "buffer": marked_csv(rows, {theirs[0]: ("x", ""), theirs[1]: ("x", "")})})
    page.get_by_role("button", name="Upload and apply").click()
    expect(applied(page)).to_have_text("2")


def fix_a_label(page: Page, batch_id: str) -> str:
    """Fix the first consensus of the batch page with the task's own form; returns the HIT's id."""
    page.goto(f"/requester/batches/{batch_id}")
    page.locator("table.consensus").get_by_role("link", name="Fix").first.click()
    expect(page.get_by_role("heading", name=re.compile("Fix the label of HIT"))).to_be_visible()
    hit_id = page.locator("h1 code").inner_text()
    page.locator("#ann-free-text-input").fill(FIXED_SUMMARY)
    page.get_by_role("button", name="Save the fixed label").click()
    expect(page.get_by_text(f"Fixed the label of HIT {hit_id}")).to_be_visible()
    return hit_id


def pay_a_bonus(page: Page, batch_id: str, worker) -> None:
    """From the queue of ``worker``'s approved answers."""
    page.goto(f"/requester/batches/{batch_id}/review")
    filter_queue(page, status="approved", worker=worker.actor.public_id)
    first = page.locator(".review-item").first
    first.locator("summary", has_text="Bonus, block or message").click()
    first.get_by_label("Bonus ($)").fill("0.75")
    first.get_by_label("Reason", exact=True).fill(BONUS_REASON)
    first.get_by_role("button", name="Pay bonus").click()
    expect(page.locator(".flash-success")).to_contain_text("Paid a bonus of $0.75")


def test_requester_judges_a_batch_from_review_to_qualification(open_page, runtime, factory):
    requester = requester_with_password(runtime, "judging-lab")
    batch_id, careful, spammer, paster = summaries_batch(runtime, factory, requester)
    page = open_page()
    requester_signs_in(page, "judging-lab")
    page.goto(f"/requester/batches/{batch_id}")
    page.get_by_role("link", name="Review answers").click()
    expect(page.locator(".review-item")).to_have_count(13)

    reject_the_flagged_answer(page, paster)
    reject_the_spammer(page, spammer)
    assert _statuses(runtime, spammer) == [AssignmentStatus.REJECTED] * 3
    approve_in_the_results_csv(page, batch_id, careful[0])
    fixed_hit = fix_a_label(page, batch_id)
    assert label_fixes.label_view(runtime, requester.actor, fixed_hit).fixed_answer == {"text": FIXED_SUMMARY}

    page.goto(f"/requester/batches/{batch_id}/review")  # everything left: one bulk approval
    expect(page.locator(".review-item")).to_have_count(7)
    page.get_by_role("button", name="Approve every submitted answer left").click()
    expect(applied(page)).to_have_text("7")
    for worker in careful:
        assert _statuses(runtime, worker) == [AssignmentStatus.APPROVED] * 3

    pay_a_bonus(page, batch_id, careful[1])
    build_test(page, "Summary writer")
    worker_page = open_page()
    sign_in(worker_page, "careful-1")
    take_test(worker_page, page.url)

    worker_page.goto("/dashboard")  # the bonus, and the reasons of the rejections
    expect(worker_page.locator("table.bonuses")).to_contain_text("0.75")
    expect(worker_page.locator("table.bonuses")).to_contain_text(BONUS_REASON)
    for name, reason in (("speedy", SPAM_REASON), ("paster", FLAGGED_REASON)):
        dashboard = open_page()
        sign_in(dashboard, name)
        dashboard.goto("/dashboard")
        expect(dashboard.locator("td.feedback", has_text=reason).first).to_be_visible()
