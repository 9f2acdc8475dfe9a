"""CSV and JSONL read back with pandas: every annotator type, consensus and answers, input columns,
splits, and the notebook case without ExportMeta."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pandas as pd
import pytest
from export_samples import CONSENSUS_COLUMNS, VARIANTS

import exports
from exports import ConsensusRecord


def read(path, format_name):
    if format_name == "csv":
        return pd.read_csv(path, keep_default_na=False, dtype=str)
    frame = pd.read_json(path, lines=True, dtype=False, precise_float=True)
    return frame.astype(object).where(frame.notna(), None)  # JSON null, not pandas' NaN


def cell(value, format_name):
    """What a value becomes in each format once pandas has read it."""
    if format_name == "jsonl":
        return value
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return "" if value is None else str(value)


@pytest.mark.parametrize("format_name", ["csv", "jsonl"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_consensus_round_trips_through_pandas(batch, tmp_path, variant, format_name):
    sample = batch(variant)
    summary = exports.write(sample.consensus, format_name, tmp_path / f"out.{format_name}", meta=sample.meta)

    frame = read(summary.path, format_name)
    item_columns = list(sample.consensus[0].item)
    assert list(frame.columns) == ["hit_id", *item_columns, *CONSENSUS_COLUMNS]
    assert summary.records == len(frame) == len(sample.consensus)
    for row, record in zip(frame.to_dict("records"), sample.consensus, strict=True):
        assert row["hit_id"] == record.hit_id
        assert {name: row[name] for name in item_columns} == record.item
        assert row["value"] == cell(record.value, format_name)
        assert row["gold"] == cell(record.gold, format_name)
        assert float(row["confidence"]) == record.confidence
        assert row["is_gold"] in (record.is_gold, "true" if record.is_gold else "false")


@pytest.mark.parametrize("format_name", ["csv", "jsonl"])
@pytest.mark.parametrize("variant", ["image_multi_label", "boxes", "spans", "survey", "pairwise"])
def test_answers_round_trip_through_pandas(batch, tmp_path, variant, format_name):
    sample = batch(variant)
    summary = exports.write(sample.answers, format_name, tmp_path / f"answers.{format_name}", meta=sample.meta)

    frame = read(summary.path, format_name)
    assert list(frame.columns[:3]) == ["hit_id", "assignment_id", "worker_id"]
    assert len(frame) == len(sample.answers)
    first, record = frame.iloc[0], sample.answers[0]
    assert first["assignment_id"] == record.assignment_id
    assert first["value"] == cell(record.value, format_name)
    assert pd.Timestamp(first["accepted_at"]) == pd.Timestamp(record.accepted_at)
    assert float(first["worker_accuracy_low"]) == pytest.approx(record.worker_accuracy_low)
    assert first["status"] == "Approved"


def test_csv_cells_are_iso_times_json_lists_and_lowercase_booleans(batch, tmp_path):
    sample = batch("text_multi_label")
    exports.write(sample.answers[:1], "csv", tmp_path / "a.csv", meta=sample.meta)
    frame = pd.read_csv(tmp_path / "a.csv", keep_default_na=False, dtype=str)
    assert frame.loc[0, "accepted_at"] == "2026-03-02T09:30:00+00:00"
    assert json.loads(frame.loc[0, "value"]) == sample.answers[0].value
    assert frame.loc[0, "is_gold"] in ("true", "false")
    assert pd.read_csv(tmp_path / "a.csv")["is_gold"].dtype == bool


def test_input_column_named_like_a_record_column_is_prefixed(tmp_path):
    record = ConsensusRecord(hit_id="H1", item={"value": "from the upload", "text": "hello"}, value="cat",
                             confidence=None, answers=1, agreement=None, method=None)
    exports.write([record], "jsonl", tmp_path / "out.jsonl")
    row = json.loads((tmp_path / "out.jsonl").read_text())
    assert row["input.value"] == "from the upload"
    assert row["value"] == "cat"
    assert row["text"] == "hello"


@pytest.mark.parametrize("format_name", ["csv", "jsonl"])
def test_without_meta_the_columns_are_the_first_records(tmp_path, format_name):
    records = (ConsensusRecord(hit_id=f"H{n}", item={"text": f"t{n}", **({"extra": "x"} if n == 2 else {})},
                               value=["a", "b"][n % 2], confidence=0.5, answers=3, agreement=1.0, method="mv")
               for n in range(4))
    summary = exports.write(records, format_name, tmp_path / f"nb.{format_name}")
    frame = read(summary.path, format_name)
    assert list(frame["value"]) == ["a", "b", "a", "b"]
    assert list(frame.columns[:2]) == ["hit_id", "text"]
    assert "extra" not in frame.columns  # the layout is fixed by the first record: ExportMeta names them all


@pytest.mark.parametrize("format_name", ["csv", "jsonl"])
def test_split_column_or_one_file_per_split(batch, tmp_path, format_name):
    sample = batch("text_categorical")
    splits = ["train", "train", "validation", "test", "train", "test"]
    records = [replace(record, split=split) for record, split in zip(sample.consensus, splits, strict=True)]

    single = exports.write(records, format_name, tmp_path / f"all.{format_name}", meta=sample.meta)
    assert list(read(single.path, format_name)["split"]) == splits

    apart = exports.write(records, format_name, tmp_path / f"part.{format_name}", meta=sample.meta, split_files=True)
    assert [p.name for p in apart.paths] == [f"part.{s}.{format_name}" for s in ("train", "validation", "test")]
    assert [len(read(p, format_name)) for p in apart.paths] == [3, 1, 2]
    assert "split" not in read(apart.paths[0], format_name).columns
    assert apart.bytes == sum(p.stat().st_size for p in apart.paths)


def test_naive_times_are_taken_as_utc(tmp_path):
    record = exports.AnswerRecord(hit_id="H", assignment_id="A", worker_id="W", item={}, answer={"label": "x"},
                                  value="x", status="Submitted", accepted_at=datetime(2026, 1, 2, 3, 4, 5),
                                  submitted_at=None, work_seconds=float("nan"))
    exports.write([record], "jsonl", tmp_path / "a.jsonl")
    row = json.loads((tmp_path / "a.jsonl").read_text())
    assert row["accepted_at"] == "2026-01-02T03:04:05+00:00"
    assert row["work_seconds"] is None  # NaN is not JSON
