"""MTurk's CSV round trip in Chromium: the requester downloads the batch results CSV from the batch page,
marks Approve and Reject as in a spreadsheet, uploads it back and reads the job's report. The report
page is saved as ``requester_job_report.png`` in the screenshots folder."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.requester_steps import download_results_csv, marked_csv, requester_signs_in, requester_with_password
from tests.review_fixtures import review_batch


def test_requester_round_trips_the_results_csv_and_reads_the_report(open_page, runtime, factory, screenshots):
    requester = requester_with_password(runtime, "csv-lab")
    made = review_batch(runtime, factory, [["positive", "negative", "neutral"], ["positive", "positive", "neutral"]],
                        requester=requester)
    page = open_page()
    requester_signs_in(page, "csv-lab")
    page.goto(f"/requester/batches/{made.batch_id}")

    rows = download_results_csv(page)
    marks = {made.of(0, 0): ("x", ""), made.of(1, 0): ("x", ""), made.of(0, 1): ("x", ""),
             made.of(1, 1): ("", "The review is plainly negative."), made.of(0, 2): ("x", "Looks fine?")}
    page.get_by_label("Results CSV", exact=True).set_input_files(
        {"name": "Batch_results.csv", "mimeType": "text/csv", "buffer": marked_csv(rows, marks)})
    page.get_by_role("button", name="Upload and apply").click()

    expect(page).to_have_url(re.compile(r".*/requester/jobs/[A-Z0-9]{30}$"))
    expect(page.locator("h1 .status")).to_have_text("succeeded")
    counts = page.locator("dl.decision-counts dd")
    expect(counts).to_have_text(["4", "0", "1", "1"])
    expect(page.locator("table.refused tbody tr")).to_have_text(re.compile("both Approve and Reject are filled"))
    page.screenshot(path=screenshots / "requester_job_report.png", full_page=True)
    page.get_by_role("navigation", name="Requester").get_by_role("link", name="Jobs", exact=True).click()
    expect(page.locator("table.jobs tbody")).to_contain_text("Reviewed results CSV")
