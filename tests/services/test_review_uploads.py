"""MTurk's CSV round trip: the batch results CSV exported through the real export path, marked up as a
requester does in a spreadsheet, uploaded back and applied as one job; idempotent; refused files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.models import Assignment, AssignmentStatus, Job, JobState
from labelhub.services import assignments, exports, review_uploads
from labelhub.services.export_commands import ExportRequest
from labelhub.services.review_decisions import NOT_IN_BATCH
from labelhub.services.review_uploads import BOTH_FILLED, JOB
from tests.review_fixtures import ReviewBatch, review_batch


def results_csv(rt, made: ReviewBatch) -> list[dict[str, str]]:
    """The batch's mturk-csv export (one row per answer), downloaded as the batch page offers it."""
    view = exports.request_export(rt, made.requester.actor, made.batch_id, ExportRequest("mturk-csv", answers=True))
    found = exports.export_file(rt, made.requester.actor, view.export.public_id)
    with found.path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def marked(rows: list[dict[str, str]], marks: dict[str, tuple[str, str]], *, delimiter: str = ",") -> bytes:
    """The rows with (Approve, Reject) filled in for some assignments, saved as MTurk writes them."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL, delimiter=delimiter)
    writer.writeheader()
    for row in rows:
        approve, reject = marks.get(row["AssignmentId"], ("", ""))
        writer.writerow(row | {"Approve": approve, "Reject": reject})
    return out.getvalue().encode()


def row_of(rows: list[dict[str, str]], assignment_id: str) -> str:
    """How the report names an assignment's row: its spreadsheet row (the header is row 1)."""
    return f"row {[row['AssignmentId'] for row in rows].index(assignment_id) + 2}"


def status(rt, assignment_id: str) -> AssignmentStatus:
    with rt.sessions() as db:
        return db.scalars(select(Assignment.status).where(Assignment.public_id == assignment_id)).one()


def job_row(rt, job_id: str) -> Job:
    with rt.sessions() as db:
        return db.scalars(select(Job).where(Job.public_id == job_id)).one()


def kept_files(rt) -> list[Path]:
    root = review_uploads.uploads_path(rt.settings)
    return list(root.iterdir()) if root.exists() else []


def review_jobs(rt) -> int:
    with rt.sessions() as db:
        return len(db.scalars(select(Job.id).where(Job.kind == JOB)).all())


def upload(rt, made: ReviewBatch, data: bytes) -> dict:
    """Upload the file; the test runtime runs the queued job at commit. Returns its result."""
    job_id = review_uploads.upload_review_csv(rt, made.requester.actor, made.batch_id, data=data,
                                              file_name="Batch_1_results.csv")
    job = job_row(rt, job_id)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.target == f"batch:{made.batch_id}"
    return job.result


@pytest.fixture
def made(runtime, factory) -> ReviewBatch:
    return review_batch(runtime, factory, [["positive", "negative", "neutral"], ["positive", "neutral", "neutral"]])


def test_marked_results_csv_is_applied_as_one_job_and_again_changes_nothing(runtime, made):
    rows = results_csv(runtime, made)
    data = marked(rows, {made.of(0, 0): ("x", ""), made.of(0, 1): ("X", ""),
                         made.of(1, 1): ("", "Row 2 is plainly negative."), made.of(1, 0): ("x", "Wrong.")})

    first = upload(runtime, made, data)
    second = upload(runtime, made, data)

    assert {"Approve", "Reject"} <= set(rows[0]) and all(row["Approve"] == row["Reject"] == "" for row in rows)
    assert [status(runtime, made.of(w, r)) for w, r in ((0, 0), (0, 1), (1, 1), (1, 0), (0, 2))] == [
        AssignmentStatus.APPROVED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED, AssignmentStatus.SUBMITTED,
        AssignmentStatus.SUBMITTED]
    rejected = assignments.get_assignment(runtime, made.requester.actor, made.of(1, 1))
    assert rejected.requester_feedback == "Row 2 is plainly negative."
    both = {"ref": row_of(rows, made.of(1, 0)), "reason": BOTH_FILLED}
    assert {name: first[name] for name in ("applied", "unchanged", "refused_count", "refused", "untouched", "rows")} \
        == {"applied": 3, "unchanged": 0, "refused_count": 1, "refused": [both], "untouched": 2, "rows": 6}
    assert first["summary"] == "Batch_1_results.csv, 6 rows read: 3 applied, 0 unchanged, 1 refused, " \
                               "2 without a decision"
    assert (second["applied"], second["unchanged"], second["refused"]) == (0, 3, [both])
    assert kept_files(runtime) == []  # each file deleted by its job


def test_approve_overrides_a_rejection_only_when_the_file_shows_the_rejection(runtime, made):
    stale = results_csv(runtime, made)
    assignments.reject(runtime, made.requester.actor, made.of(0, 0), feedback="Too quick.")
    assignments.reject(runtime, made.requester.actor, made.of(1, 0), feedback="Too quick.")
    fresh = results_csv(runtime, made)

    from_stale = upload(runtime, made, marked(stale, {made.of(0, 0): ("x", "")}))
    from_fresh = upload(runtime, made, marked(fresh, {made.of(1, 0): ("x", "")}))

    assert from_stale["applied"] == 0
    assert from_stale["refused"][0]["ref"] == row_of(stale, made.of(0, 0))
    assert from_stale["refused"][0]["reason"].startswith("already rejected")
    assert from_fresh["applied"] == 1
    assert (status(runtime, made.of(0, 0)), status(runtime, made.of(1, 0))) == (
        AssignmentStatus.REJECTED, AssignmentStatus.APPROVED)


def test_rows_of_other_batches_unknown_ids_and_bad_marks_are_refused_in_row_order(runtime, factory, made):
    other = review_batch(runtime, factory, [["positive"]], requester=made.requester)
    strangers = review_batch(runtime, factory, [["negative"]])
    data = ("AssignmentId,Approve,Reject\r\n"
            f"{other.of(0, 0)},x,\r\n"
            f"{strangers.of(0, 0)},,Spam\r\n"
            "NOSUCHASSIGNMENT,x,\r\n"
            f"{made.of(0, 0)},yes,\r\n"
            ",x,\r\n"
            f"{made.of(0, 1)},x,\r\n"
            f"{made.of(0, 1)},,Changed my mind\r\n").encode()

    result = upload(runtime, made, data)

    assert result["applied"] == 1
    assert [(item["ref"], item["reason"]) for item in result["refused"]] == [
        ("row 2", NOT_IN_BATCH), ("row 3", NOT_IN_BATCH), ("row 4", NOT_IN_BATCH),
        ("row 5", "Approve holds 'yes': mark it with x to approve, or leave it empty"),
        ("row 6", "no AssignmentId"), ("row 8", f"assignment {made.of(0, 1)} is on row 7 too")]
    assert (status(runtime, other.of(0, 0)), status(runtime, strangers.of(0, 0))) == (
        AssignmentStatus.SUBMITTED, AssignmentStatus.SUBMITTED)


def test_spreadsheet_variants_are_read_semicolons_tabs_byte_order_mark_and_a_cut_down_file(runtime, made):
    rows = results_csv(runtime, made)
    semicolons = marked(rows, {made.of(0, 0): ("x", "")}, delimiter=";")
    tabs = b"\xef\xbb\xbf" + marked(rows, {made.of(0, 1): ("x", "")}, delimiter="\t")
    cut_down = f"AssignmentId,Reject\n{made.of(0, 2)},Not a sentence about tone.\n".encode()

    results = [upload(runtime, made, data) for data in (semicolons, tabs, cut_down)]

    assert [(r["applied"], r["refused_count"]) for r in results] == [(1, 0), (1, 0), (1, 0)]
    assert [status(runtime, made.of(0, r)) for r in range(3)] == [
        AssignmentStatus.APPROVED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED]


GARBAGE = bytes(range(256)) * 8
REFUSED_FILES = {
    "binary garbage": (GARBAGE, "is not UTF-8 text"),
    "a workbook": (b"PK\x03\x04" + GARBAGE, "spreadsheet workbook"),
    "NUL bytes": (b"AssignmentId,Approve\x00\n", "NUL bytes"),
    "empty": (b"  \r\n", "the file is empty"),
    "no AssignmentId column": (b"HITId,WorkerId,Approve,Reject\nH1,W1,x,\n", "there is no AssignmentId column"),
    "neither Approve nor Reject": (b"HITId,AssignmentId\nH1,A1\n", "neither an Approve nor a Reject column"),
    "broken quoting": (b'AssignmentId,Approve\n"A1"x,x\n', "line 2 is not valid CSV"),
    "nothing marked": (b"AssignmentId,Approve,Reject\nA1,,\n", "no row has Approve or Reject filled in"),
}


@pytest.mark.parametrize("name", REFUSED_FILES)
def test_refused_file_names_the_problem_and_keeps_and_queues_nothing(runtime, made, name):
    data, problem = REFUSED_FILES[name]

    with pytest.raises(InvalidInputError) as refused:
        review_uploads.upload_review_csv(runtime, made.requester.actor, made.batch_id, data=data, file_name="r.csv")

    assert problem in refused.value.fields["file"]
    assert review_jobs(runtime) == 0
    assert kept_files(runtime) == []


def test_file_over_the_size_limit_is_refused(runtime, made, monkeypatch):
    monkeypatch.setattr(review_uploads, "MAX_BYTES", 2**20)

    with pytest.raises(InvalidInputError, match="the file is 1.2 MiB: at most 1 MiB"):
        review_uploads.upload_review_csv(runtime, made.requester.actor, made.batch_id,
                                         data=b"AssignmentId,Approve\n" + b"A1,x\n" * 250_000, file_name="r.csv")

    assert review_jobs(runtime) == 0


def test_another_requesters_batch_is_not_found_and_nothing_is_kept(runtime, factory, made):
    stranger = factory.requester()

    with pytest.raises(NotFoundError):
        review_uploads.upload_review_csv(runtime, stranger.actor, made.batch_id,
                                         data=f"AssignmentId,Approve\n{made.of(0, 0)},x\n".encode(), file_name="r.csv")

    assert review_jobs(runtime) == 0
    assert kept_files(runtime) == []
    assert status(runtime, made.of(0, 0)) is AssignmentStatus.SUBMITTED


def test_job_whose_file_is_gone_is_skipped(runtime):
    assert "skipped" in review_uploads.apply_review_csv(runtime, "A" * 30)
    assert "skipped" in review_uploads.apply_review_csv(runtime, "../../etc")
