"""Parquet read back with pandas and Hugging Face ``datasets``: ClassLabel names for every labelled
shape, bounded row groups, the dataset card, and the zip laid out as a dataset repository."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace

import pandas as pd
import pyarrow.parquet as pq
import pytest
from datasets import ClassLabel, Dataset, Features, List, Value, load_dataset
from export_samples import CONSENSUS_COLUMNS, VARIANTS

import exports
from annotators import AnswerShape
from exports.parquet import ROW_GROUP_ROWS


def label_names(feature):
    """The ClassLabel names inside a feature (the feature itself, a list of them, or a struct's label)."""
    if isinstance(feature, ClassLabel):
        return feature.names
    inner = feature.feature if isinstance(feature, List) else feature
    if isinstance(inner, ClassLabel):
        return inner.names
    return inner["label"].names


def decoded(value, shape, names):
    """A value as LabelHub holds it, from what ``datasets`` returns for it."""
    if shape in ("categorical", "ordinal", "pairwise"):
        return names[value]
    if shape == "multi_label":
        return [names[n] for n in value]
    if shape == "boxes":
        return [[b["x"], b["y"], b["w"], b["h"], names[b["label"]]] for b in value]
    if shape == "spans":
        return [[s["start"], s["end"], names[s["label"]]] for s in value]
    if shape == "form":
        return json.loads(value)
    return value


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_datasets_reads_class_label_names_and_values(batch, tmp_path, variant):
    sample = batch(variant)
    summary = exports.write(sample.consensus, "parquet", tmp_path / "out.parquet", meta=sample.meta)

    dataset = Dataset.from_parquet(str(summary.path), cache_dir=str(tmp_path / "hf"))
    feature = dataset.features["value"]
    shape = sample.shape.value
    if shape in ("text", "form"):
        assert feature == Value("string")
        names = None
    else:
        names = label_names(feature)
        assert names == (list(sample.meta.labels) or ["a", "b", "tie"])
        assert label_names(dataset.features["gold"]) == names
    assert dataset["hit_id"] == [r.hit_id for r in sample.consensus]
    assert [decoded(v, shape, names) for v in dataset["value"]] == [r.value for r in sample.consensus]
    assert dataset.features["confidence"] == Value("float64")
    assert dataset.features["answers"] == Value("int64")


@pytest.mark.parametrize("variant", ["image_categorical", "text_multi_label", "spans", "free_text"])
def test_pandas_reads_the_same_rows(batch, tmp_path, variant):
    sample = batch(variant)
    exports.write(sample.consensus, "parquet", tmp_path / "out.parquet", meta=sample.meta)
    frame = pd.read_parquet(tmp_path / "out.parquet")
    assert list(frame["hit_id"]) == [r.hit_id for r in sample.consensus]
    assert list(frame["confidence"]) == [r.confidence for r in sample.consensus]
    for name in sample.consensus[0].item:
        assert list(frame[name]) == [r.item[name] for r in sample.consensus]


def test_answer_records_keep_times_and_worker_scores(batch, tmp_path):
    sample = batch("boxes")
    exports.write(sample.answers, "parquet", tmp_path / "answers.parquet", meta=sample.meta)
    dataset = Dataset.from_parquet(str(tmp_path / "answers.parquet"), cache_dir=str(tmp_path / "hf"))
    assert dataset.features["accepted_at"] == Value("timestamp[us, tz=UTC]")
    assert label_names(dataset.features["value"]) == ["circle", "square"]
    frame = pd.read_parquet(tmp_path / "answers.parquet")
    assert frame.loc[0, "accepted_at"] == pd.Timestamp(sample.answers[0].accepted_at)
    assert list(frame["worker_accuracy"]) == pytest.approx([r.worker_accuracy for r in sample.answers])
    assert list(frame["status"]) == [r.status for r in sample.answers]


def test_rows_are_written_in_bounded_row_groups(tmp_path):
    meta = exports.ExportMeta(batch_id="b", batch_name="many", annotator="text_classification",
                              shape=AnswerShape.CATEGORICAL,
                              labels=("no", "yes"), input_columns=("text",), text_column="text")
    records = (exports.ConsensusRecord(hit_id=f"H{n}", item={"text": f"t{n}"}, value=("no", "yes")[n % 2],
                                       confidence=1.0, answers=1, agreement=1.0, method="mv")
               for n in range(ROW_GROUP_ROWS * 2 + 5))
    exports.write(records, "parquet", tmp_path / "many.parquet", meta=meta)
    metadata = pq.ParquetFile(tmp_path / "many.parquet").metadata
    assert metadata.num_rows == ROW_GROUP_ROWS * 2 + 5
    assert metadata.num_row_groups == 3
    assert max(metadata.row_group(n).num_rows for n in range(3)) == ROW_GROUP_ROWS


def test_dataset_card_sits_beside_the_file(batch, tmp_path):
    sample = batch("text_ordinal")
    summary = exports.write(sample.consensus, "parquet", tmp_path / "stars.parquet", meta=sample.meta)
    assert [p.name for p in summary.paths] == ["stars.parquet", "stars.README.md"]
    card = (tmp_path / "stars.README.md").read_text()
    assert card.startswith("---\npretty_name: \"Batch text_ordinal\"")
    assert "| 0 | 1 star |" in card and "| 2 | 3 stars |" in card
    assert "| `value` | int64 |" in card
    assert 'pd.read_parquet("stars.parquet")' in card


def test_zip_is_a_dataset_repository_with_one_file_per_split(batch, tmp_path):
    sample = batch("image_multi_label")
    splits = ["train", "test", "train", "validation", "train", "train"]
    records = [replace(r, split=s) for r, s in zip(sample.consensus, splits, strict=True)]
    summary = exports.write(records, "parquet", tmp_path / "repo.zip", meta=sample.meta, split_files=True)
    assert summary.paths == (tmp_path / "repo.zip",)

    with zipfile.ZipFile(summary.path) as archive:
        assert sorted(archive.namelist()) == ["README.md", "data/test.parquet", "data/train.parquet",
                                              "data/validation.parquet"]
        archive.extractall(tmp_path / "repo")
    loaded = load_dataset(str(tmp_path / "repo"), cache_dir=str(tmp_path / "hf"))
    assert {name: len(split) for name, split in loaded.items()} == {"train": 4, "validation": 1, "test": 1}
    assert label_names(loaded["train"].features["value"]) == list(sample.meta.labels)
    assert "split" not in loaded["train"].column_names


def test_a_label_outside_the_batch_is_refused_and_nothing_is_left(batch, tmp_path):
    sample = batch("text_categorical")
    records = [*sample.consensus[:3], replace(sample.consensus[3], value="sarcastic")]
    with pytest.raises(exports.ExportError, match="'sarcastic' is not one of the batch's labels"):
        exports.write(records, "parquet", tmp_path / "out.parquet", meta=sample.meta)
    assert list(tmp_path.glob("out*")) == list(tmp_path.glob(".*")) == []


def test_an_empty_batch_still_has_its_schema(batch, tmp_path):
    sample = batch("pairwise")
    exports.write([], "parquet", tmp_path / "none.parquet", meta=sample.meta)
    assert pq.ParquetFile(tmp_path / "none.parquet").metadata.num_rows == 0
    features = Features.from_arrow_schema(pq.read_schema(tmp_path / "none.parquet"))
    assert features["value"].names == ["a", "b", "tie"]
    assert list(features) == ["hit_id", "a", "b", *CONSENSUS_COLUMNS]
