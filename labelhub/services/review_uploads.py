"""MTurk's CSV round trip: the batch results CSV (the ``mturk-csv`` export) comes back with ``Approve``
marked ``x`` or a ``Reject`` reason on its rows, and is applied as one job.

- ``upload_review_csv``: checks the file at once (size, UTF-8, CSV, an ``AssignmentId`` column and an
  ``Approve`` or ``Reject`` one), keeps it in the instance folder, ``review_uploads/<upload id>/``, and
  queues ``labelhub.jobs.apply_review_csv``;
- ``apply_review_csv``: the job. It turns the rows into decisions for
  ``review_decisions.apply_decisions`` (the review queue's bulk actions use the same path), deletes
  the file and returns the report. Applying a file again changes nothing: every decision already
  holds. A file whose job failed for good stays until an upload ``KEEP_SECONDS`` later prunes it.

Rows are numbered as a spreadsheet shows them (the header is row 1), and the report names them so.
Only ``AssignmentId``, ``Approve``, ``Reject`` and ``AssignmentStatus`` are read: a file cut down to
those columns works too. Columns may be separated by commas, semicolons or tabs (spreadsheets save
all three), found by ``csv.Sniffer`` from the header.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelhub import ids
from labelhub.errors import InvalidInputError
from labelhub.models import Marketplace
from labelhub.runtime import Runtime
from labelhub.services import batch_files, job_queue
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import owned_batch
from labelhub.services.review_decisions import Decision, DecisionReport, apply_decisions
from labelhub.settings import Settings

JOB = "labelhub.jobs.apply_review_csv"
MAX_BYTES = 16 * 1024 * 1024
KEEP_SECONDS = 7 * 86_400  # a file left behind by a job that failed for good
ASSIGNMENT, APPROVE, REJECT, STATUS = "AssignmentId", "Approve", "Reject", "AssignmentStatus"
APPROVE_MARK = "x"
BOTH_FILLED = "both Approve and Reject are filled"
FILE, META = "results.csv", "upload.json"
DELIMITERS = ",;\t"
_UPLOAD_ID = re.compile(r"^[A-Z0-9]{30}$")
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class ReviewRow:
    """One row of the file with a decision or an assignment id: its spreadsheet row number (the
    header is row 1) and the cells read, stripped."""

    number: int
    assignment_id: str
    approve: str
    reject: str
    status: str

    @property
    def ref(self) -> str:
        return f"row {self.number}"


@dataclass(frozen=True)
class ReviewFile:
    rows: list[ReviewRow]

    @property
    def marked(self) -> int:
        """Rows with an Approve or Reject cell filled."""
        return sum(1 for row in self.rows if row.approve or row.reject)


def uploads_path(settings: Settings) -> Path:
    """Where uploaded review files wait for their job: ``<instance>/review_uploads/<upload id>/``."""
    return (Path(settings.storage.instance_path) / "review_uploads").resolve()


# --- reading the file ------------------------------------------------------------------------------------


def read_review_csv(data: bytes) -> ReviewFile:
    """The rows of a results CSV. Raises InvalidInputError (``file``, a sentence) for a file over
    MAX_BYTES, not UTF-8 text, not CSV, or without an AssignmentId column or both the Approve and
    Reject columns."""
    if len(data) > MAX_BYTES:
        raise InvalidInputError({"file": f"the file is {len(data) / 2**20:.1f} MiB: at most {MAX_BYTES // 2**20} MiB; "
                                         "keep only the AssignmentId, Approve and Reject columns to make it smaller"})
    if data.startswith(_ZIP_MAGIC):
        raise InvalidInputError({"file": "the file is a spreadsheet workbook (or a zip), not CSV: save it as "
                                         "\"CSV UTF-8 (comma delimited)\""})
    text = batch_files.decode_text(data)
    if "\x00" in text:
        raise InvalidInputError({"file": "the file is not text (it holds NUL bytes): upload the results CSV"})
    if not text.strip():
        raise InvalidInputError({"file": "the file is empty: upload the batch's results CSV with Approve or Reject "
                                         "filled in"})
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        columns = _columns(next(reader))
        return ReviewFile(list(_rows(reader, columns)))
    except csv.Error as exc:
        raise InvalidInputError({"file": f"line {reader.line_num} is not valid CSV: {exc}"}) from None


def _delimiter(text: str) -> str:
    """The header's delimiter (the sniffer's guess when it names an AssignmentId column), else a comma."""
    header = text.split("\n", 1)[0]
    try:
        found = csv.Sniffer().sniff(header, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","
    names = next(csv.reader([header], delimiter=found), [])
    return found if ASSIGNMENT in (name.strip() for name in names) else ","


def _columns(header: list[str]) -> dict[str, int]:
    """Where the columns read are; the first of a repeated name counts."""
    names = [name.strip() for name in header]
    positions = {name: names.index(name) for name in (ASSIGNMENT, APPROVE, REJECT, STATUS) if name in names}
    if ASSIGNMENT not in positions:
        raise InvalidInputError({"file": f"there is no {ASSIGNMENT} column: upload the batch's results CSV (the "
                                         "mturk-csv download) with its first line unchanged"})
    if APPROVE not in positions and REJECT not in positions:
        raise InvalidInputError({"file": f"there is neither an {APPROVE} nor a {REJECT} column: mark {APPROVE} "
                                         f"with x or write a reason in {REJECT}"})
    return positions


def _rows(reader: Iterator[list[str]], columns: dict[str, int]) -> Iterator[ReviewRow]:
    def cell(values: list[str], name: str) -> str:
        position = columns.get(name)
        return values[position].strip() if position is not None and position < len(values) else ""

    for number, values in enumerate(reader, start=2):
        row = ReviewRow(number, cell(values, ASSIGNMENT), cell(values, APPROVE), cell(values, REJECT),
                        cell(values, STATUS))
        if row.assignment_id or row.approve or row.reject:
            yield row


# --- upload ----------------------------------------------------------------------------------------------


def upload_review_csv(rt: Runtime, actor: Actor, batch_public_id: str, *, data: bytes, file_name: str) -> str:
    """Check a reviewed results CSV of the requester's batch, keep it and queue the job that applies
    it; returns the job's public id. Nothing is kept or queued when the file is refused.

    Raises InvalidInputError (``file``: see ``read_review_csv``; no row marked), NotFoundError
    (unknown batch, another requester's or another marketplace's)."""
    require_requester(actor)
    found = read_review_csv(data)
    if not found.marked:
        raise InvalidInputError({"file": f"no row has {APPROVE} or {REJECT} filled in: nothing to apply"})
    upload_id = ids.new_id()
    folder = uploads_path(rt.settings) / upload_id
    now = rt.clock()
    try:
        with rt.sessions.begin() as db:
            batch = owned_batch(db, actor, batch_public_id)
            _store(folder, data, {"requester_id": actor.id, "requester_public_id": actor.public_id,
                                  "marketplace": actor.marketplace.value, "batch_id": batch.public_id,
                                  "file_name": Path(file_name).name[:200] or FILE})
            job_id = job_queue.submit(db, JOB, upload_id, target=f"batch:{batch.public_id}",
                                      owner=(actor.id, actor.marketplace), now=now)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _prune(rt, keep=upload_id)
    assert job_id is not None  # a job without a dedup key is always queued
    return job_id


def _store(folder: Path, data: bytes, meta: dict[str, Any]) -> None:
    folder.mkdir(parents=True)
    (folder / FILE).write_bytes(data)
    (folder / META).write_text(json.dumps(meta), encoding="utf-8")


def _prune(rt: Runtime, *, keep: str) -> None:
    """Delete upload folders older than KEEP_SECONDS: those whose job failed for good."""
    root = uploads_path(rt.settings)
    cutoff = time.time() - KEEP_SECONDS
    for folder in root.iterdir():
        if folder.name != keep and folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


# --- the job ---------------------------------------------------------------------------------------------


def decisions_of(found: ReviewFile) -> tuple[list[Decision], list[tuple[int, str]], int]:
    """The file's decisions, the rows refused before any is applied (row number, reason), and how many
    rows had neither Approve nor Reject filled. ``Approve`` on an assignment the file itself shows as
    Rejected overrides the rejection; on one rejected since the file was downloaded, it is refused."""
    decisions: list[Decision] = []
    refused: list[tuple[int, str]] = []
    untouched = 0
    first_row: dict[str, int] = {}
    for row in found.rows:
        if not row.approve and not row.reject:
            untouched += 1
            continue
        problem = _row_problem(row, first_row)
        if problem is not None:
            refused.append((row.number, problem))
        elif row.approve:
            decisions.append(Decision(row.assignment_id, True, override_rejection=row.status == "Rejected",
                                      ref=row.ref))
        else:
            decisions.append(Decision(row.assignment_id, False, feedback=row.reject, ref=row.ref))
        if row.assignment_id:
            first_row.setdefault(row.assignment_id, row.number)
    return decisions, refused, untouched


def _row_problem(row: ReviewRow, first_row: dict[str, int]) -> str | None:
    """Why a row with Approve or Reject filled cannot become a decision (None: it can)."""
    if row.approve and row.reject:
        return BOTH_FILLED
    if row.approve and row.approve.lower() != APPROVE_MARK:
        return f"{APPROVE} holds {row.approve[:40]!r}: mark it with x to approve, or leave it empty"
    if not row.assignment_id:
        return f"no {ASSIGNMENT}"
    if row.assignment_id in first_row:
        return f"assignment {row.assignment_id} is on row {first_row[row.assignment_id]} too"
    return None


def apply_review_csv(rt: Runtime, upload_id: str) -> dict[str, Any]:
    """The job: apply an uploaded file's decisions as its uploader, then delete the file. Returns the
    report (``DecisionReport.as_result`` with refusals in row order, plus ``untouched``, ``rows`` and
    ``summary``). A file already gone (its job ran) is skipped."""
    folder = uploads_path(rt.settings) / upload_id
    if not _UPLOAD_ID.match(upload_id) or not (folder / META).is_file():
        return {"skipped": "the uploaded file is gone: its decisions were applied or it was pruned"}
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    actor = Actor("requester", meta["requester_id"], meta["requester_public_id"], Marketplace(meta["marketplace"]))
    found = read_review_csv((folder / FILE).read_bytes())
    decisions, early, untouched = decisions_of(found)
    applied = apply_decisions(rt, actor, meta["batch_id"], decisions)
    number = {row.ref: row.number for row in found.rows}
    refused = sorted(early + [(number[ref], reason) for ref, reason in applied.refused])
    report = DecisionReport(applied.applied, applied.unchanged, [(f"row {row}", reason) for row, reason in refused])
    shutil.rmtree(folder, ignore_errors=True)
    return report.as_result() | {
        "untouched": untouched, "rows": len(found.rows), "file_name": meta["file_name"],
        "summary": f"{meta['file_name']}, {len(found.rows):,} rows read: {report.applied:,} applied, "
                   f"{report.unchanged:,} unchanged, {len(report.refused):,} refused, {untouched:,} without a decision"}
