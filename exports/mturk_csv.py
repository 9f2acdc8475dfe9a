"""MTurk's batch results CSV (the requester site's "Download CSV"), one row per assignment, so analysis
scripts written for MTurk read a LabelHub export unchanged.

The columns are MTurk's, in its order: the HIT's, the assignment's, the worker's approval rates, then
``Input.<column>`` for the batch row (upload order), ``Answer.<field>`` for the answer (sorted by name, as
MTurk does) and the empty ``Approve`` / ``Reject`` columns a requester fills in to review offline.
Every field is quoted, as in MTurk's files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from exports.base import ExportError, Record, WriteContext
from exports.records import AnswerRecord
from exports.rows import cell_text, json_text

HIT_COLUMNS = [
    "HITId", "HITTypeId", "Title", "Description", "Keywords", "Reward", "CreationTime", "MaxAssignments",
    "RequesterAnnotation", "AssignmentDurationInSeconds", "AutoApprovalDelayInSeconds", "Expiration",
    "NumberOfSimilarHITs", "LifetimeInSeconds",
]
ASSIGNMENT_COLUMNS = [
    "AssignmentId", "WorkerId", "AssignmentStatus", "AcceptTime", "SubmitTime", "AutoApprovalTime",
    "ApprovalTime", "RejectionTime", "RequesterFeedback", "WorkTimeInSeconds", "LifetimeApprovalRate",
    "Last30DaysApprovalRate", "Last7DaysApprovalRate",
]
HEAD = HIT_COLUMNS + ASSIGNMENT_COLUMNS
TAIL = ["Approve", "Reject"]
# English names whatever the process locale (strftime's %a and %b follow it).
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MTurkCsvWriter:
    def __init__(self, target: Path, context: WriteContext) -> None:
        self._spool = CsvSpool(target, context)

    def write(self, record: Record) -> bool:
        if not isinstance(record, AnswerRecord):
            raise ExportError("the MTurk results CSV holds answers (one row per assignment), not consensus")
        self._spool.add(mturk_row(record))
        return True

    def finish(self) -> None:
        header = ordered(HEAD, self._spool.columns_seen, TAIL, middle_order=_inputs_then_answers)
        self._spool.write_csv(header, quote_all=True)


def mturk_row(record: AnswerRecord) -> dict[str, str]:
    row = _hit_fields(record) | {
        "AssignmentId": record.assignment_id, "WorkerId": record.worker_id,
        "AssignmentStatus": record.status, "AcceptTime": mturk_time(record.accepted_at),
        "SubmitTime": mturk_time(record.submitted_at), "AutoApprovalTime": mturk_time(record.auto_approval_at),
        "ApprovalTime": mturk_time(record.approved_at), "RejectionTime": mturk_time(record.rejected_at),
        "RequesterFeedback": record.requester_feedback or "",
        "WorkTimeInSeconds": "" if record.work_seconds is None else str(round(record.work_seconds)),
        "LifetimeApprovalRate": "" if record.approval_rate is None else f"{record.approval_rate * 100:.0f}%",
        "Last30DaysApprovalRate": "", "Last7DaysApprovalRate": "",
    }
    row |= {f"Input.{name}": field_text(value) for name, value in record.item.items()}
    answer = record.answer if record.answer is not None or record.value is None else {"value": record.value}
    row |= {f"Answer.{name}": field_text(value) for name, value in flat_fields(answer or {})}
    return row


def _hit_fields(record: AnswerRecord) -> dict[str, str]:
    hit = record.hit
    if hit is None:
        return {"HITId": record.hit_id}
    return {
        "HITId": record.hit_id, "HITTypeId": hit.hit_type_id, "Title": hit.title,
        "Description": hit.description, "Keywords": hit.keywords, "Reward": f"${hit.reward:.2f}",
        "CreationTime": mturk_time(hit.created_at), "MaxAssignments": str(hit.max_assignments),
        "RequesterAnnotation": hit.requester_annotation or "",
        "AssignmentDurationInSeconds": str(hit.assignment_duration_seconds),
        "AutoApprovalDelayInSeconds": str(hit.auto_approval_delay_seconds),
        "Expiration": mturk_time(hit.expires_at), "LifetimeInSeconds": str(hit.lifetime_seconds),
    }


def mturk_time(moment: datetime | None) -> str:
    """MTurk's CSV time, ``Tue Mar 26 22:56:54 UTC 2013`` (MTurk itself wrote Pacific time)."""
    if moment is None:
        return ""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return (f"{_DAYS[utc.weekday()]} {_MONTHS[utc.month - 1]} {utc.day:02d} "
            f"{utc:%H:%M:%S} UTC {utc.year}")


def flat_fields(answer: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Answer fields by name; a nested object's fields as ``outer.inner`` (a survey's ``answers.q1``),
    the dotted names crowd-html-elements give in MTurk's own files."""
    for name, value in answer.items():
        if isinstance(value, Mapping) and value:
            yield from flat_fields(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def field_text(value: Any) -> str:
    """A field as MTurk shows it: text as is, a checkbox group's values joined with '|', anything
    else as JSON (the rule the MTurk API uses for the same answer's FreeText)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "|".join(value)
    return json_text(value)


def _inputs_then_answers(names: list[str]) -> list[str]:
    inputs = [name for name in names if name.startswith("Input.")]
    return inputs + sorted(name for name in names if not name.startswith("Input."))


class CsvSpool:
    """Rows kept in a scratch JSON-lines file until every column is known: a CSV's header comes
    first, but the input (and MTurk answer) columns are known only once every record has been seen."""

    def __init__(self, target: Path, context: WriteContext) -> None:
        self._target = context.files.claim(target)
        self._file = context.resources.enter_context(
            context.files.scratch(target).open("w+", encoding="utf-8", newline="\n"))
        self._seen: dict[str, None] = {}

    def add(self, row: dict[str, Any]) -> None:
        for name in row:
            self._seen.setdefault(name)
        self._file.write(json_text(row) + "\n")

    @property
    def columns_seen(self) -> list[str]:
        """Every column name added, in first-seen order."""
        return list(self._seen)

    def write_csv(self, header: list[str], *, quote_all: bool = False) -> None:
        self._file.seek(0)
        with self._target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=header, restval="",
                                    quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
            writer.writeheader()
            for line in self._file:
                writer.writerow({name: cell_text(value) for name, value in json.loads(line).items()})


def ordered(head: list[str], seen: Iterable[str], tail: list[str],
            middle_order: Callable[[list[str]], list[str]] = list) -> list[str]:
    """``head``, then the columns seen that are in neither (in ``middle_order``), then ``tail``."""
    fixed = set(head) | set(tail)
    return [*head, *middle_order([name for name in seen if name not in fixed]), *tail]
