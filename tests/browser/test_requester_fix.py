"""A requester fixes a label in a real browser: from the batch page's consensus list to the fix page,
where the HIT is drawn with the classification task's own form; a number key picks the right label,
Enter saves it, and the requester lands back on the batch page with the label marked fixed. The fix
page is saved as ``requester_fix_label.png``."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from labelhub.money import parse_amount
from labelhub.services import accounts, assignments, batches, hits, label_fixes
from labelhub.services.commands import HITTypeSpec

PASSWORD = "a long passphrase"


def test_requester_fixes_a_classification_label_through_the_page(runtime, factory, open_page, screenshots):
    requester = factory.requester("fixing-co")
    accounts.set_requester_password(runtime, "fixing-co", PASSWORD)
    batch = batches.create_batch(runtime, requester.actor, batches.CreateBatch(
        name="Kettle reviews", template_kind="text_classification", question_template="<p>${text}</p>",
        hit_type=HITTypeSpec(title="Tone of a review", description="Pick the tone.",
                             reward_micros=parse_amount("0.05"), assignment_duration_seconds=600),
        rows=({"text": "Arrived broken and support never answered."},), lifetime_seconds=3600,
        max_assignments=1, template_config={"labels": ["positive", "negative", "neutral"], "text_field": "text"}))
    (hit,) = hits.list_hits(runtime, requester.actor, limit=5).items
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"label": "positive"})  # wrong: it is negative

    page = open_page()
    page.goto("/requester/signin")
    page.get_by_label("Requester name").fill("fixing-co")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/requester/batches/{batch.public_id}")
    page.locator("table.consensus").get_by_role("link", name="Fix").click()

    expect(page.get_by_role("heading", name=re.compile("Fix the label of HIT"))).to_be_visible()
    expect(page.locator("#consensus-value")).to_contain_text("positive")
    expect(page.get_by_text("Arrived broken and support never answered.")).to_be_visible()
    page.keyboard.press("2")  # the annotator's number key: negative
    expect(page.get_by_role("radio", name=re.compile("negative"))).to_be_checked()
    page.wait_for_load_state("load")
    page.screenshot(path=screenshots / "requester_fix_label.png", full_page=True)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf".*/requester/batches/{batch.public_id}$"))
    expect(page.get_by_text(f"Fixed the label of HIT {hit.public_id}")).to_be_visible()
    row = page.locator("table.consensus tr", has=page.locator("code", has_text=hit.public_id))
    expect(row).to_contain_text("negative")
    expect(row.locator(".status-fixed")).to_be_visible()
    assert label_fixes.label_view(runtime, requester.actor, hit.public_id).fixed_answer == {"label": "negative"}
