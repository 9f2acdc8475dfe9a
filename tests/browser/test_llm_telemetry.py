"""Page telemetry for the LLM flag in a real browser: typing at human speed, pasting from outside the
page, and quoting the page itself are recorded as aggregates (never the text) and scored as such."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from labelhub.services import assignments, llm_flags, workers
from tests.browser.conftest import sign_in
from tests.browser.test_worker_flow import SUMMARY_SOURCE, post_batch

LLM_TEXT = ("Certainly! The city council has voted to extend the night bus network to the northern suburbs. "
            "Additionally, the new routes will begin in March and will be funded by a parking levy.")
QUOTE = "The new routes start in March and are paid for by a parking levy."


def _work(open_page, runtime, factory, name):
    """A new worker signed in on the work page of a fresh assignment, the text box focused."""
    worker = factory.worker(name)
    listing = workers.available_hits(runtime, worker.actor).items[0]
    taken = assignments.accept(runtime, worker.actor, listing.hit.public_id)
    page = open_page()
    sign_in(page, name)
    page.goto(f"/assignments/{taken.public_id}")
    page.wait_for_load_state("domcontentloaded")
    box = page.locator("#ann-free-text-input")
    box.click()
    return page, box, taken


def _submit(page):
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(r".*/hits$"))


def _flag_of(runtime, requester, batch, assignment_id):
    found = {v.assignment_id: v.flag for v in llm_flags.list_flags(runtime, requester.actor, batch.public_id).items}
    return found[assignment_id]


def test_typing_pasting_and_quoting_are_told_apart(open_page, runtime, factory):
    requester = factory.requester()
    batch = post_batch(runtime, requester, "Summarise a news item", "free_text",
                       {"mode": "summarise", "min_length": 20, "max_length": 600}, [{"text": SUMMARY_SOURCE}])

    page, box, typed = _work(open_page, runtime, factory, "typist")
    page.keyboard.type("night buses go north frm", delay=120)
    for _ in range(3):
        page.keyboard.press("Backspace")
    page.keyboard.type("rom march, a parking levy pays", delay=120)
    _submit(page)

    page, box, pasted = _work(open_page, runtime, factory, "paster")
    page.evaluate("text => navigator.clipboard.writeText(text)", LLM_TEXT)
    page.keyboard.press("Control+V")
    expect(box).to_have_value(LLM_TEXT)
    _submit(page)

    page, box, quoted = _work(open_page, runtime, factory, "quoter")
    page.keyboard.type("In short: ", delay=40)
    page.evaluate("text => navigator.clipboard.writeText(text)", QUOTE)
    page.keyboard.press("Control+V")
    _submit(page)

    by_id = {a.public_id: a for a in (assignments.get_assignment(runtime, requester.actor, x.public_id)
                                      for x in (typed, pasted, quoted))}
    typing = by_id[typed.public_id].signals
    assert typing["version"] == 2 and typing["pasted_chars"] == 0
    assert typing["typed_chars"] == len("night buses go north frm") + len("rom march, a parking levy pays")
    assert typing["deletions"] == 3 and typing["key_interval_median_ms"] is not None
    pasting = by_id[pasted.public_id].signals
    assert (pasting["pasted_chars"], pasting["pasted_chars_from_page"], pasting["typed_chars"]) == (len(LLM_TEXT), 0, 0)
    quoting = by_id[quoted.public_id].signals
    assert quoting["pasted_chars_from_page"] == quoting["pasted_chars"] == len(QUOTE)

    assert _flag_of(runtime, requester, batch, typed.public_id).band == "low"
    flagged = _flag_of(runtime, requester, batch, pasted.public_id)
    assert flagged.band == "high"
    assert f"{len(LLM_TEXT)} of {len(LLM_TEXT)} characters pasted from outside the page" in flagged.reasons
    quote_flag = _flag_of(runtime, requester, batch, quoted.public_id)
    assert not any("pasted from outside" in e["reason"] for e in quote_flag.evidence)
