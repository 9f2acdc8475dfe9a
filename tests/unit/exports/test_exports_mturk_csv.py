"""MTurk's batch results CSV read by ``csv.DictReader`` under MTurk's own column names, as existing
analysis scripts read it."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import datetime

import pandas as pd
import pytest
from export_samples import VARIANTS

import exports

MTURK_HEAD = [
    "HITId", "HITTypeId", "Title", "Description", "Keywords", "Reward", "CreationTime", "MaxAssignments",
    "RequesterAnnotation", "AssignmentDurationInSeconds", "AutoApprovalDelayInSeconds", "Expiration",
    "NumberOfSimilarHITs", "LifetimeInSeconds", "AssignmentId", "WorkerId", "AssignmentStatus", "AcceptTime",
    "SubmitTime", "AutoApprovalTime", "ApprovalTime", "RejectionTime", "RequesterFeedback", "WorkTimeInSeconds",
    "LifetimeApprovalRate", "Last30DaysApprovalRate", "Last7DaysApprovalRate",
]
MTURK_TIME = "%a %b %d %H:%M:%S %Z %Y"


def read_rows(path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or []), list(reader)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_columns_are_mturks_with_input_and_answer_columns(batch, tmp_path, variant):
    sample = batch(variant)
    summary = exports.write(sample.answers, "mturk-csv", tmp_path / "Batch_1_batch_results.csv")
    header, rows = read_rows(summary.path)

    inputs = [f"Input.{name}" for name in sample.answers[0].item]
    answers = [name for name in header if name.startswith("Answer.")]
    assert header == [*MTURK_HEAD, *inputs, *answers, "Approve", "Reject"]
    assert answers == sorted(answers) and answers
    assert len(rows) == len(sample.answers)
    for row, record in zip(rows, sample.answers, strict=True):
        assert (row["HITId"], row["AssignmentId"], row["WorkerId"]) == (record.hit_id, record.assignment_id,
                                                                         record.worker_id)
        assert {name: row[f"Input.{name}"] for name in record.item} == {k: str(v) for k, v in record.item.items()}
        assert row["Approve"] == row["Reject"] == ""


def test_hit_and_assignment_fields_read_as_mturk_writes_them(batch, tmp_path):
    sample = batch("image_categorical", hits=1)
    exports.write(sample.answers, "mturk-csv", tmp_path / "results.csv")
    _, (approved, _, rejected) = read_rows(tmp_path / "results.csv")
    record = sample.answers[0]
    assert approved["Reward"] == "$0.05"
    assert approved["MaxAssignments"] == "3"
    assert approved["AssignmentStatus"] == "Approved"
    assert approved["AcceptTime"] == "Mon Mar 02 09:30:00 UTC 2026"
    assert datetime.strptime(approved["SubmitTime"], MTURK_TIME).replace(tzinfo=record.submitted_at.tzinfo) == \
        record.submitted_at
    assert approved["WorkTimeInSeconds"] == "42"
    assert approved["LifetimeApprovalRate"] == "97%"
    assert approved["ApprovalTime"] and not approved["RejectionTime"]
    assert rejected["AssignmentStatus"] == "Rejected"
    assert rejected["RequesterFeedback"] == "Please read the instructions."
    assert approved["Answer.label"] == record.answer["label"]


def test_every_field_is_quoted(batch, tmp_path):
    sample = batch("pairwise", hits=1)
    exports.write(sample.answers, "mturk-csv", tmp_path / "results.csv")
    header_line = (tmp_path / "results.csv").read_text().splitlines()[0]
    assert header_line.startswith('"HITId","HITTypeId","Title",')


def test_answers_are_flattened_like_mturk_forms(batch, tmp_path):
    survey = batch("survey", hits=1)
    boxes = batch("boxes", hits=2)
    labels = batch("text_multi_label", hits=1)
    exports.write(survey.answers, "mturk-csv", tmp_path / "survey.csv")
    exports.write(boxes.answers, "mturk-csv", tmp_path / "boxes.csv")
    exports.write(labels.answers, "mturk-csv", tmp_path / "labels.csv")

    _, (row, *_) = read_rows(tmp_path / "survey.csv")
    assert row["Answer.answers.clear"] == "3"
    assert row["Answer.answers.devices"] == "Laptop"  # a checkbox group's values, '|'-joined
    _, rows = read_rows(tmp_path / "boxes.csv")
    assert [json.loads(r["Answer.boxes"]) for r in rows] == [r.answer["boxes"] for r in boxes.answers]
    _, (row, *_) = read_rows(tmp_path / "labels.csv")
    assert row["Answer.labels"].split("|") == labels.answers[0].answer["labels"]


def test_pandas_reads_it_like_an_mturk_download(batch, tmp_path):
    sample = batch("text_categorical")
    exports.write(sample.answers, "mturk-csv", tmp_path / "results.csv")
    frame = pd.read_csv(tmp_path / "results.csv")
    approved = frame[frame["AssignmentStatus"] == "Approved"]
    assert len(approved) == 2 * len(sample.consensus)
    assert set(frame["Answer.label"]) <= set(sample.meta.labels)


def test_an_answer_without_the_stored_object_shows_its_value(tmp_path):
    record = exports.AnswerRecord(hit_id="H", assignment_id="A", worker_id="W", item={"text": "t"}, answer=None,
                                  value="cat", status="Submitted", accepted_at=datetime(2026, 1, 1),
                                  submitted_at=None, work_seconds=None)
    exports.write([record], "mturk-csv", tmp_path / "r.csv")
    _, (row,) = read_rows(tmp_path / "r.csv")
    assert row["Answer.value"] == "cat"
    assert row["HITTypeId"] == row["SubmitTime"] == row["WorkTimeInSeconds"] == ""


def test_consensus_records_are_refused(batch, tmp_path):
    sample = batch("text_categorical", hits=1)
    with pytest.raises(exports.ExportFormatError, match="does not fit consensus labels.*formats that do: "
                                                        "csv, jsonl, parquet$"):
        exports.write(sample.consensus, "mturk-csv", tmp_path / "r.csv", meta=sample.meta)
    with pytest.raises(exports.ExportFormatError, match="mturk-csv format does not hold consensus labels"):
        exports.write([replace(r) for r in sample.consensus], "mturk-csv", tmp_path / "r.csv")
    assert not (tmp_path / "r.csv").exists()
