"""The quality dashboard in Chromium: from the batch page to the dashboard, every plot drawn, a
worker's confusion matrix picked from the list; the page is saved as requester_quality.png."""

from __future__ import annotations

import random

from playwright.sync_api import expect

from labelhub.models import Marketplace
from labelhub.money import parse_amount
from labelhub.services import accounts, payments
from labelhub.services.batch_quality import QualitySettings
from tests.browser.conftest import PASSWORD
from tests.factories import RequesterHandle
from tests.quality_dashboard_data import LABELS, answered_batch


def crowd_answers(hits: int, accuracies: dict[str, float]) -> dict[str, list[str | None]]:
    draw = random.Random(14)
    truth = [draw.choice(LABELS) for _ in range(hits)]
    return {who: [t if draw.random() < accuracy else draw.choice([o for o in LABELS if o != t]) for t in truth]
            for who, accuracy in accuracies.items()}


def test_requester_reads_the_quality_dashboard(open_page, runtime, clock, factory, screenshots):
    credentials = accounts.create_requester(runtime, "quality-lab", password=PASSWORD)
    payments.deposit(runtime, credentials.requester_id, parse_amount("100.00"))
    requester = RequesterHandle(accounts.requester_actor(runtime, credentials.requester_id, Marketplace.PRODUCTION),
                                credentials)
    answers = crowd_answers(10, {"expert": 0.95, "good": 0.85, "fair": 0.7, "careless": 0.4})
    made = answered_batch(runtime, clock, factory, requester, answers, name="Kettle reviews",
                          seconds={"expert": 35, "good": 50, "fair": 80, "careless": 4},
                          quality=QualitySettings.parse({"method": "ds"}))  # Dawid-Skene keeps confusion matrices

    page = open_page()
    page.goto("/requester/signin")
    page.get_by_label("Requester name").fill("quality-lab")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/requester/batches/{made.batch_id}")
    page.get_by_role("link", name="Quality", exact=True).click()

    expect(page.get_by_role("heading", name="Quality of Kettle reviews")).to_be_visible()
    careless = made.workers["careless"].actor.public_id
    page.get_by_role("link", name=f"Show {careless}").click()
    expect(page.get_by_role("img", name=f"The confusion matrix of worker {careless}")).to_be_visible()
    images = page.locator("figure.plot img")
    expect(images).to_have_count(7)  # agreement, crowd and worker confusion, three histograms, answers spent
    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0"), index
    page.screenshot(path=screenshots / "requester_quality.png", full_page=True)
