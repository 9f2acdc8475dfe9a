"""`labelhub export BATCH_ID --format F -o PATH` through click's CliRunner on the test database: the
file pandas reads back, the filters and splits, a progress bar on stderr, and bad input refused in one
line with nothing written."""

from __future__ import annotations

import io
import random

import pandas as pd
import pytest

from tests.crowd import LABELS, Crowd, make_crowd

ITEMS, GOLD_ITEMS, PER_HIT = 6, 2, 2


@pytest.fixture
def crowd(runtime, factory) -> Crowd:
    runtime.random = random.Random(5).random
    crowd = make_crowd(runtime, factory, items=ITEMS, gold=GOLD_ITEMS, max_assignments=PER_HIT,
                       gold_assignments=PER_HIT)
    for accuracy in (0.9, 0.7):
        crowd.work(factory.worker(), accuracy)
    return crowd


def test_export_consensus_jsonl_with_a_progress_bar(invoke, crowd, tmp_path):
    target = tmp_path / "tone.jsonl"

    result = invoke("export", crowd.batch_id, "--format", "jsonl", "-o", str(target))

    assert result.exit_code == 0, result.output
    frame = pd.read_json(target, lines=True)
    assert len(frame) == ITEMS + GOLD_ITEMS and set(frame["value"]) <= set(LABELS)
    assert f"Exporting {crowd.batch_id}" in result.stderr and "rows" in result.stderr
    assert f"Wrote {ITEMS + GOLD_ITEMS} consensus records as jsonl to {target}." in result.stderr
    assert result.stdout == ""


def test_export_answers_csv_with_filters_and_a_split_column(invoke, crowd, tmp_path):
    target = tmp_path / "answers.csv"

    result = invoke("export", crowd.batch_id, "-f", "csv", "-o", str(target), "--answers", "--gold", "exclude",
                    "--split", "0.5,0.25,0.25", "--seed", "9", "--no-progress")

    assert result.exit_code == 0, result.output
    frame = pd.read_csv(target)
    assert len(frame) == ITEMS * PER_HIT and set(frame["status"]) == {"Submitted"}
    assert set(frame["split"]) <= {"train", "validation", "test"}
    assert frame.groupby("hit_id")["split"].nunique().max() == 1  # a HIT's answers share its split
    assert "Exporting" not in result.stderr


def test_export_split_files_writes_one_file_per_split(invoke, crowd, tmp_path):
    result = invoke("export", crowd.batch_id, "-f", "jsonl", "-o", str(tmp_path / "tone.jsonl"),
                    "--split", "2,1,1", "--split-files", "--no-progress")

    assert result.exit_code == 0, result.output
    written = sorted(path.name for path in tmp_path.iterdir())
    assert set(written) <= {"tone.train.jsonl", "tone.validation.jsonl", "tone.test.jsonl"} and written
    assert sum(len(pd.read_json(tmp_path / name, lines=True)) for name in written) == ITEMS + GOLD_ITEMS


def test_export_mturk_batch_results(invoke, crowd, tmp_path):
    target = tmp_path / "Batch_results.csv"

    result = invoke("export", crowd.batch_id, "-f", "mturk-csv", "--answers", "-o", str(target), "--no-progress")

    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(target.read_text()))
    assert len(frame) > ITEMS and {"HITId", "AssignmentId", "WorkerId"} <= set(frame.columns)


@pytest.mark.parametrize(("args", "message"), [
    (["NOSUCHBATCH", "-f", "jsonl"], "Batch NOSUCHBATCH does not exist"),
    (["{batch}", "-f", "xlsx"], "format: 'xlsx' is not a format; formats: csv, jsonl, parquet"),
    (["{batch}", "-f", "coco"], "formats that do: csv, jsonl, parquet"),
    (["{batch}", "-f", "mturk-csv"], "formats that do"),
    (["{batch}", "-f", "jsonl", "--min-confidence", "2"], "min_confidence: must be a number from 0 to 1"),
    (["{batch}", "-f", "jsonl", "--status", "reviewed"], "status: must be submitted"),
    (["{batch}", "-f", "jsonl", "--gold", "maybe"], "gold: must be include, exclude or only"),
    (["{batch}", "-f", "jsonl", "--split", "0,0,0"], "split: give the relative sizes"),
    (["{batch}", "-f", "jsonl", "--split", "0.8,0.2"], "Invalid value for '--split'"),
    (["{batch}", "-f", "jsonl", "--split-files"], "split_files: needs split"),
    (["{batch}", "-f", "jsonl", "--seed", "-4"], "seed: must be an integer"),
    (["{batch}", "-f", "csv", "--include-images"], "include_images: only yolo and voc carry the images"),
])
def test_bad_input_fails_in_one_line_and_writes_nothing(invoke, crowd, tmp_path, args, message):
    target = tmp_path / "out.file"

    result = invoke("export", *(arg.format(batch=crowd.batch_id) for arg in args), "-o", str(target))

    assert result.exit_code != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_missing_output_folder_is_refused(invoke, crowd, tmp_path):
    result = invoke("export", crowd.batch_id, "-f", "jsonl", "-o", str(tmp_path / "nope" / "out.jsonl"))

    assert result.exit_code == 1 and "output: " in result.stderr and "is not a folder" in result.stderr
