"""A worker in a real browser: signs up, finds a HIT, labels with the number keys, submits with Enter
straight into the next HIT of the batch, types and pastes a summary, and the test then reads the stored
answers and behavioural signals from the database."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect
from sqlalchemy import select

from labelhub.models import HIT, Assignment, AssignmentStatus, Worker
from labelhub.money import parse_amount
from labelhub.services import batches, hits
from labelhub.services.commands import CreateHIT, HITTypeSpec
from tests.browser.conftest import sign_in
from tests.mturk.conftest import SCHEMAS

SUMMARY_SOURCE = ("The city council voted on Tuesday to extend the night bus network to the northern "
                  "suburbs. The new routes start in March and are paid for by a parking levy.")
PASTED = " Paid for by a parking levy."
WORK_PAGE = re.compile(r".*/assignments/[A-Z0-9]{30}$")
# A requester's HTMLQuestion as written for MTurk: MTurk's script fills in the assignment id.
HTML_QUESTION = f"""<HTMLQuestion xmlns="{SCHEMAS}2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[
<!DOCTYPE html><html><head>
<script src="https://s3.amazonaws.com/mturk-public/externalHIT_v1.js"></script></head><body>
<form name="mturk_form" method="post" id="mturk_form" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" value="" name="assignmentId" id="assignmentId">
<p>What does the photo show?</p><textarea name="comment"></textarea>
<input type="submit" id="submitButton" value="Submit"></form>
<script>turkSetAssignmentID();</script></body></html>]]></HTMLContent>
<FrameHeight>400</FrameHeight></HTMLQuestion>"""


def post_batch(runtime, requester, title, kind, config, rows, *, keywords=""):
    spec = HITTypeSpec(title=title, description=f"{title}: one item per HIT.", keywords=keywords,
                       reward_micros=parse_amount("0.12"), assignment_duration_seconds=900)
    return batches.create_batch(runtime, requester.actor, batches.CreateBatch(
        name=title, template_kind=kind, question_template="item", hit_type=spec, rows=tuple(rows),
        lifetime_seconds=3600, max_assignments=3, template_config=config))


def sign_up(page: Page, name: str) -> None:
    page.goto("/signup")
    page.get_by_label("Worker name").fill(name)
    page.get_by_label("Password", exact=True).fill("a long passphrase")
    page.get_by_label("Password again").fill("a long passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r".*/hits$"))


def find_and_accept(page: Page, words: str) -> None:
    """Search the marketplace from the keyboard ("/" focuses the search box) and accept the first group."""
    page.wait_for_load_state()  # the list's script is loaded
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type(words)
    page.keyboard.press("Enter")
    expect(page.locator("li.group")).to_have_count(1)
    page.get_by_role("button", name="Accept & work").click()
    expect(page).to_have_url(WORK_PAGE)
    page.wait_for_load_state("domcontentloaded")  # the annotator's module has run: keys work


def answers_of(runtime, worker_name: str) -> list[Assignment]:
    with runtime.sessions() as db:
        return list(db.scalars(select(Assignment).join(Worker).join(HIT, HIT.id == Assignment.hit_id)
                               .where(Worker.name == worker_name).order_by(Assignment.id)))


def test_worker_signs_up_finds_a_hit_and_completes_it_for_real(open_page, runtime, factory):
    requester = factory.requester("reviews-lab")
    post_batch(runtime, requester, "Sentiment of product reviews", "text_classification",
               {"labels": ["positive", "negative", "neutral"], "instructions": "Pick the tone."},
               [{"text": "Arrived broken and support never answered."}, {"text": "Great value, works well."}],
               keywords="reviews")
    post_batch(runtime, requester, "Summarise a news item", "free_text",
               {"mode": "summarise", "min_length": 20, "max_length": 400}, [{"text": SUMMARY_SOURCE}])
    page = open_page()

    sign_up(page, "ada-browser")
    find_and_accept(page, "sentiment")
    expect(page.locator("#timer")).to_have_text(re.compile(r"^1[45]:\d\d$"))
    expect(page.locator("#signals-notice")).to_contain_text("Typing and pasting")
    first_url = page.url
    page.keyboard.press("2")  # "negative"
    expect(page.get_by_role("radio", name=re.compile("negative"))).to_be_checked()
    started = time.perf_counter()
    page.keyboard.press("Enter")  # submit and take the next HIT of the batch
    expect(page).not_to_have_url(first_url)
    expect(page.locator("blockquote.ann-text")).to_have_text("Great value, works well.")
    page.wait_for_load_state("domcontentloaded")
    next_hit_seconds = time.perf_counter() - started
    page.keyboard.press("1")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page).to_have_url(re.compile(r".*/hits$"))

    find_and_accept(page, "summarise")
    box = page.locator("#ann-free-text-input")
    box.click()
    page.keyboard.type("Night buses will reach the north from March.")
    page.evaluate("text => navigator.clipboard.writeText(text)", PASTED)
    page.keyboard.press("Control+V")
    expect(box).to_have_value("Night buses will reach the north from March." + PASTED)
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(r".*/hits$"))

    labelled, second, summary = answers_of(runtime, "ada-browser")
    assert [a.status for a in (labelled, second, summary)] == [AssignmentStatus.SUBMITTED] * 3
    assert (labelled.answer, second.answer) == ({"label": "negative"}, {"label": "positive"})
    assert summary.answer == {"text": "Night buses will reach the north from March." + PASTED}
    signals = summary.signals
    assert signals["pastes"] == 1 and signals["pasted_chars"] == len(PASTED)
    assert signals["keystrokes"] >= len("Night buses will reach the north from March.")
    assert signals["first_keystroke_ms"] is not None
    assert signals["time_on_page_ms"] >= signals["active_typing_ms"]
    assert labelled.signals["keystrokes"] == 0 and labelled.signals["text_fields"] == 0
    assert next_hit_seconds < 5


def test_mturk_question_hit_is_previewed_and_answered_in_its_frame(open_page, runtime, factory, live_server):
    requester = factory.requester()
    hit = hits.create_hit(runtime, requester.actor, CreateHIT(
        question=HTML_QUESTION, lifetime_seconds=3600, max_assignments=2,
        hit_type=factory.hit_type_spec(title="Comment on a photo"))).value
    factory.worker("frame-worker")
    page = open_page()
    sign_in(page, "frame-worker")

    page.goto(f"/hits/{hit.public_id}")
    preview = page.frame_locator("#task-frame")
    expect(preview.locator("textarea[name=comment]")).to_be_visible()  # the frame got the worker's session
    page.get_by_role("button", name="Accept this HIT").click()
    expect(page).to_have_url(WORK_PAGE)
    work = page.frame_locator("#task-frame")
    work.locator("textarea[name=comment]").fill("A dog on a beach.")
    work.locator("#submitButton").click()
    expect(work.locator("body")).to_contain_text("submitted")

    with runtime.sessions() as db:
        done = db.scalars(select(Assignment).where(Assignment.hit_id == hit.id)).one()
    assert done.status is AssignmentStatus.SUBMITTED and done.answer == {"comment": "A dog on a beach."}


def test_batch_flow_page_weight_and_time_to_the_next_hit(open_page, runtime, factory):
    """What the closing note reports: the work page's weight, and how long Enter takes to make the next
    HIT of the batch ready for keys (submit, accept the next, load its page), over ten HITs in a row."""
    requester = factory.requester()
    post_batch(runtime, requester, "Sentiment of product reviews", "text_classification",
               {"labels": ["positive", "negative", "neutral"]},
               [{"text": f"Review number {n}."} for n in range(12)])
    factory.worker("speedy")
    page = open_page()
    sign_in(page, "speedy")
    find_and_accept(page, "sentiment")
    cold = open_page()  # a browser with the worker's session and an empty cache: every byte is fetched
    cold.context.add_cookies(page.context.cookies())
    cold.goto(page.url)
    cold.wait_for_load_state()
    page_bytes = cold.evaluate("""() => performance.getEntriesByType("navigation")
        .concat(performance.getEntriesByType("resource"))
        .reduce((total, entry) => total + entry.decodedBodySize, 0)""")

    timings = []
    for n in range(1, 11):
        page.keyboard.press(str(1 + n % 3))
        started = time.perf_counter()
        page.keyboard.press("Enter")
        expect(page.locator("blockquote.ann-text")).to_have_text(f"Review number {n}.")
        page.wait_for_load_state("domcontentloaded")  # the annotator's module has run: keys work
        timings.append(time.perf_counter() - started)

    timings.sort()
    print(f"work page: {page_bytes} bytes uncompressed; next HIT: median {timings[5]:.3f} s, "
          f"slowest {timings[-1]:.3f} s")
    assert page_bytes < 120_000
    assert timings[5] < 1.5
    assert len(answers_of(runtime, "speedy")) == 11


def test_hit_without_an_annotator_is_answered_with_json_and_ctrl_enter(open_page, runtime, factory):
    requester = factory.requester()
    hit = hits.create_hit(runtime, requester.actor, CreateHIT(
        question="<p>Is there a cat in <b>photo 7</b>?</p><script>document.title = 'ran'</script>",
        lifetime_seconds=3600, hit_type=factory.hit_type_spec(title="Plain question"))).value
    factory.worker("json-worker")
    page = open_page(expected=("Blocked script execution in 'about:srcdoc'",))  # the question's script
    sign_in(page, "json-worker")

    page.goto(f"/hits/{hit.public_id}")
    expect(page.frame_locator("iframe.question-frame").locator("b")).to_have_text("photo 7")
    page.get_by_role("button", name="Accept this HIT").click()
    expect(page).to_have_url(WORK_PAGE)
    box = page.get_by_label("Your answer, as a JSON object")
    box.fill('{"cat": true}')
    box.press("Control+Enter")
    expect(page).to_have_url(re.compile(r".*/hits$"))

    with runtime.sessions() as db:
        done = db.scalars(select(Assignment).where(Assignment.hit_id == hit.id)).one()
    assert done.answer == {"cat": True} and done.signals["keystrokes"] == 0
    assert page.title() != "ran"
