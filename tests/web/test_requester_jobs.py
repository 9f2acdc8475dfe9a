"""The requester's job pages (the list newest first, one job's progress and report, refusals a page at
a time, 404 for anyone else's job) and the reviewed results CSV upload from the batch page: refused
files come back as a flash with nothing queued, accepted ones land on their job's report."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from labelhub.models import Job, JobState
from labelhub.services import exports, job_queue
from labelhub.services.export_commands import ExportRequest
from labelhub.services.review_uploads import BOTH_FILLED, JOB
from labelhub.web import requester_jobs
from tests.review_fixtures import ReviewBatch, review_batch
from tests.web.conftest import TOKEN, text_of
from tests.web.test_requester_batches import signed_in

JOB_PATH = re.compile(r"^/requester/jobs/([A-Z0-9]{30})$")


@pytest.fixture
def made(runtime, factory) -> ReviewBatch:
    return review_batch(runtime, factory, [["positive", "negative"], ["negative", "neutral"]])


@pytest.fixture
def browser(app, made) -> FlaskClient:
    return signed_in(app, made.requester, "review-co")


def upload(browser: FlaskClient, made: ReviewBatch, data: bytes, **form: str):
    """Post the file with the batch page's form, as the browser does; not followed."""
    page = f"/requester/batches/{made.batch_id}"
    token = TOKEN.search(text_of(browser.get(page))).group(1)
    return browser.post(f"{page}/review-csv", content_type="multipart/form-data",
                        data={"csrf_token": token, "file": (io.BytesIO(data), "results.csv")} | form)


def review_jobs(rt) -> int:
    with rt.sessions() as db:
        return len(db.scalars(select(Job.id).where(Job.kind == JOB)).all())


def refused_refs(html: str) -> list[str]:
    table = re.search(r'<table class="list refused">(.*?)</table>', html, re.S).group(1)
    return re.findall(r"<tr><td>(row \d+)</td>", table)


def test_batch_page_offers_the_upload_and_the_nav_links_the_jobs(browser, made):
    html = text_of(browser.get(f"/requester/batches/{made.batch_id}"))

    assert f'action="/requester/batches/{made.batch_id}/review-csv"' in html
    assert 'enctype="multipart/form-data"' in html
    assert '<a href="/requester/jobs">Jobs</a>' in html


def test_upload_lands_on_the_job_report_with_counts_refusals_and_the_batch(runtime, browser, made):
    data = (f"AssignmentId,Approve,Reject\n{made.of(0, 0)},x,\n{made.of(1, 0)},,Not negative at all.\n"
            f"{made.of(0, 1)},x,Both?\nNOSUCHASSIGNMENT,x,\n{made.of(1, 1)},,\n").encode()

    response = upload(browser, made, data)
    job_id = JOB_PATH.match(response.location).group(1)
    html = text_of(browser.get(response.location))

    assert response.status_code == 303
    counts = dict(re.findall(r"<div><dt>(\w+)</dt><dd>(\d+)</dd></div>",
                             re.search(r'<dl class="counts decision-counts">(.*?)</dl>', html, re.S).group(1)))
    assert counts == {"Applied": "2", "Unchanged": "0", "Refused": "2", "Untouched": "1"}
    assert f"<tr><td>row 4</td><td>{BOTH_FILLED}</td></tr>" in html
    assert "<tr><td>row 5</td><td>not an assignment of this batch</td></tr>" in html
    assert "results.csv, 5 rows read: 2 applied, 0 unchanged, 2 refused, 1 without a decision" in html
    assert f'href="/requester/batches/{made.batch_id}"' in html
    assert '<span class="status status-succeeded">succeeded</span>' in html
    assert 'http-equiv="refresh"' not in html
    listed = text_of(browser.get("/requester/jobs"))
    assert f'<a href="/requester/jobs/{job_id}">Reviewed results CSV</a>' in listed
    assert f'<a href="/requester/batches/{made.batch_id}">batch <code>{made.batch_id}</code></a>' in listed


def test_refusals_are_paged_within_the_report(browser, made, monkeypatch):
    monkeypatch.setattr(requester_jobs, "REFUSED_PAGE_SIZE", 2)
    data = ("AssignmentId,Approve\n" + "".join(f"UNKNOWN{n},x\n" for n in range(5))).encode()
    job_page = upload(browser, made, data).location

    pages = [text_of(browser.get(job_page))]
    while found := re.search(r'<a rel="next" href="([^"]+)"', pages[-1]):
        pages.append(text_of(browser.get(found.group(1).replace("&amp;", "&"))))

    assert [refused_refs(html) for html in pages] == [["row 2", "row 3"], ["row 4", "row 5"], ["row 6"]]


def test_job_list_is_newest_first_and_paged(runtime, browser, made, monkeypatch):
    monkeypatch.setattr(requester_jobs, "PAGE_SIZE", 2)
    for _ in range(2):
        exports.request_export(runtime, made.requester.actor, made.batch_id, ExportRequest("jsonl"))
    newest_first = [job.public_id for job in reversed(job_queue.list_jobs(runtime, made.requester.actor).items)]

    shown, page = [], "/requester/jobs"
    while page:
        html = text_of(browser.get(page))
        shown.append(re.findall(r'<a href="/requester/jobs/([A-Z0-9]{30})">', html))
        found = re.search(r'<a rel="next" href="([^"]+)"', html)
        page = found.group(1).replace("&amp;", "&") if found else None

    assert len(newest_first) >= 3
    assert all(len(ids) <= 2 for ids in shown)
    assert [job_id for ids in shown for job_id in ids] == newest_first


def test_waiting_job_page_reloads_itself_and_a_failed_one_shows_its_error(runtime, browser, made, clock):
    with runtime.sessions.begin() as db:
        for _ in range(2):
            job_queue.submit(db, JOB, "A" * 30, target=f"batch:{made.batch_id}", now=clock(),
                             owner=(made.requester.actor.id, made.requester.actor.marketplace),
                             delay=timedelta(hours=1))
    waiting, failing = job_queue.list_jobs(runtime, made.requester.actor, kind="apply_review_csv").items
    with runtime.sessions.begin() as db:
        db.execute(update(Job).where(Job.public_id == failing.public_id).values(
            state=JobState.FAILED, finished_at=clock(), error="Traceback (most recent call last):\nOSError: disk full"))

    queued = text_of(browser.get(f"/requester/jobs/{waiting.public_id}"))
    failed = text_of(browser.get(f"/requester/jobs/{failing.public_id}"))

    assert f'<meta http-equiv="refresh" content="{requester_jobs.REFRESH_SECONDS}">' in queued
    assert "waiting to start" in queued
    assert 'http-equiv="refresh"' not in failed
    assert "Failed: OSError: disk full" in failed
    assert "Traceback" not in failed


def test_other_results_show_as_a_list_of_members(runtime, browser, made):
    view = exports.request_export(runtime, made.requester.actor, made.batch_id, ExportRequest("jsonl"))

    html = text_of(browser.get(f"/requester/jobs/{view.job.public_id}"))

    record = re.search(r'<dl class="record job-result">(.*?)</dl>', html, re.S).group(1)
    assert f"<dt>export id</dt><dd>{view.export.public_id}</dd>" in record
    assert "<dt>records</dt>" in record
    assert "decision-counts" not in html


def test_another_requesters_job_is_not_found(app, runtime, factory, made):
    view = exports.request_export(runtime, made.requester.actor, made.batch_id, ExportRequest("jsonl"))
    stranger = signed_in(app, factory.requester("stranger-co"), "stranger-co")

    assert stranger.get(f"/requester/jobs/{view.job.public_id}").status_code == 404
    assert view.job.public_id not in text_of(stranger.get("/requester/jobs"))


REFUSED_UPLOADS = {
    "binary garbage": (bytes(range(256)) * 4, "is not UTF-8 text"),
    "no AssignmentId column": (b"HITId,Approve,Reject\nH1,x,\n", "there is no AssignmentId column"),
    "no Approve or Reject column": (b"AssignmentId,WorkerId\nA1,W1\n", "neither an Approve nor a Reject column"),
}


@pytest.mark.parametrize("name", REFUSED_UPLOADS)
def test_refused_upload_flashes_the_problem_on_the_batch_page_and_queues_nothing(runtime, browser, made, name):
    data, problem = REFUSED_UPLOADS[name]

    response = upload(browser, made, data)
    html = text_of(browser.get(response.location))

    assert response.status_code == 303
    assert response.location == f"/requester/batches/{made.batch_id}#review-csv"
    assert re.search(rf'<p class="flash flash-error">The results CSV was not applied: [^<]*{problem}', html)
    assert review_jobs(runtime) == 0


def test_refused_upload_returns_to_the_page_it_came_from_on_this_site_only(browser, made):
    queue = f"/requester/batches/{made.batch_id}/review?filter=flagged"

    back = upload(browser, made, b"junk", next=queue).location
    elsewhere = upload(browser, made, b"junk", next="https://evil.example/").location

    assert back == queue
    assert elsewhere == f"/requester/batches/{made.batch_id}#review-csv"


def test_upload_without_a_file_or_over_the_request_limit_is_flashed(runtime, app, browser, made):
    page = f"/requester/batches/{made.batch_id}"
    token = TOKEN.search(text_of(browser.get(page))).group(1)
    app.config["MAX_CONTENT_LENGTH"] = 4096

    empty = browser.post(f"{page}/review-csv", data={"csrf_token": token}, follow_redirects=True)
    too_large = browser.post(f"{page}/review-csv", content_type="multipart/form-data", follow_redirects=True,
                             data={"csrf_token": token, "file": (io.BytesIO(b"AssignmentId,Approve\n" * 400), "r.csv")})

    assert "The results CSV was not applied: choose the results CSV to upload" in text_of(empty)
    assert too_large.status_code == 200
    assert "The results CSV was not applied: the file is over the 4 KiB limit" in text_of(too_large)
    assert review_jobs(runtime) == 0


def test_another_requesters_batch_upload_is_not_found(app, factory, runtime, made):
    stranger = signed_in(app, factory.requester("stranger-co"), "stranger-co")
    token = TOKEN.search(text_of(stranger.get("/requester/batches"))).group(1)
    data = f"AssignmentId,Approve\n{made.of(0, 0)},x\n".encode()

    response = stranger.post(f"/requester/batches/{made.batch_id}/review-csv", content_type="multipart/form-data",
                             data={"csrf_token": token, "file": (io.BytesIO(data), "r.csv")})

    assert response.status_code == 404
    assert review_jobs(runtime) == 0
