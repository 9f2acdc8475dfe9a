"""Which formats fit which batches, the errors that name the ones that do, and bad input refused
with nothing written: no partial file, no temporary file, an existing file left as it was."""

from __future__ import annotations

from dataclasses import replace

import pytest
from export_samples import VARIANTS

import exports
from exports import FORMATS, AnswerRecord, ConsensusRecord, ExportFormatError, check_fits, formats_for

TABULAR = ["csv", "jsonl", "parquet"]
FITS = {  # variant -> formats for consensus records
    "image_categorical": [*TABULAR, "coco"], "image_multi_label": [*TABULAR, "coco"],
    "image_ordinal": [*TABULAR, "coco"], "boxes": [*TABULAR, "coco", "yolo", "voc"],
    "spans": [*TABULAR, "conll", "spans-jsonl"], "text_categorical": TABULAR, "text_multi_label": TABULAR,
    "text_ordinal": TABULAR, "free_text": TABULAR, "survey": TABULAR, "pairwise": TABULAR,
}


def test_the_format_names():
    assert FORMATS == ("csv", "jsonl", "parquet", "coco", "yolo", "voc", "conll", "spans-jsonl", "mturk-csv")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_formats_for_each_annotator_type(batch, variant):
    meta = batch(variant, hits=1).meta
    assert formats_for(meta, answers=False) == FITS[variant]
    assert formats_for(meta, answers=True) == [*TABULAR, "mturk-csv"]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("format_name", FORMATS)
def test_every_format_either_fits_or_writes_nothing(batch, tmp_path, variant, format_name):
    """The whole matrix, run: a fitting format writes every record, any other is refused up front."""
    sample = batch(variant, hits=3)
    target = tmp_path / "out" / f"export.{format_name}"
    target.parent.mkdir()
    if format_name in FITS[variant]:
        summary = exports.write(sample.consensus, format_name, target, meta=sample.meta)
        assert summary.records == 3 and summary.bytes > 0
    else:
        with pytest.raises(ExportFormatError, match=f"formats that do: {', '.join(FITS[variant])}$"):
            exports.write(sample.consensus, format_name, target, meta=sample.meta)
        assert list(target.parent.iterdir()) == []


def test_check_fits_names_the_batch_and_the_formats_that_fit(batch):
    meta = batch("text_categorical", hits=1).meta
    with pytest.raises(ExportFormatError) as caught:
        check_fits("yolo", meta, answers=False)
    assert str(caught.value) == (
        "the yolo format does not fit consensus labels of batch 'Batch text_categorical' (text_classification: "
        "categorical answers on texts); formats that do: csv, jsonl, parquet")
    check_fits("parquet", meta, answers=True)


def test_an_unknown_format_names_the_known_ones(batch, tmp_path):
    sample = batch("boxes", hits=1)
    message = "unknown export format 'xlsx'; known formats: csv, jsonl, parquet, coco, yolo, voc, conll, " \
              "spans-jsonl, mturk-csv"
    with pytest.raises(ExportFormatError, match=message):
        check_fits("xlsx", sample.meta, answers=False)
    with pytest.raises(ExportFormatError, match=message):
        exports.write(sample.consensus, "xlsx", tmp_path / "out.xlsx", meta=sample.meta)
    assert isinstance(ExportFormatError("x"), ValueError)


def test_a_format_that_needs_meta_says_so(batch, tmp_path):
    sample = batch("boxes", hits=1)
    with pytest.raises(ExportFormatError, match="the coco format needs the batch's ExportMeta.*without it: "
                                                "csv, jsonl$"):
        exports.write(sample.consensus, "coco", tmp_path / "c.json")
    assert not (tmp_path / "c.json").exists()


def test_a_failure_midway_leaves_an_existing_file_untouched_and_no_temporary_files(batch, tmp_path):
    sample = batch("boxes", hits=5)
    target = tmp_path / "boxes.zip"
    target.write_bytes(b"the previous export")
    broken = [*sample.consensus[:4], replace(sample.consensus[4], value=[[1, 1, 5, 5, "triangle"]])]
    with pytest.raises(exports.ExportError, match="'triangle' is not one of the batch's labels"):
        exports.write(broken, "yolo", target, meta=sample.meta, include_images=True)
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["boxes.zip", "stored-images"]


def test_a_failing_record_iterator_leaves_nothing(batch, tmp_path):
    sample = batch("text_categorical", hits=4)

    def records():
        yield from sample.consensus
        raise RuntimeError("the database went away")
    for format_name in ("csv", "jsonl", "parquet"):
        with pytest.raises(RuntimeError):
            exports.write(records(), format_name, tmp_path / f"out.{format_name}", meta=sample.meta)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stored-images"]


def test_consensus_and_answers_do_not_mix(batch, tmp_path):
    sample = batch("text_categorical", hits=2)
    mixed: list[ConsensusRecord | AnswerRecord] = [sample.consensus[0], sample.answers[0]]
    with pytest.raises(exports.ExportError, match=r"record 2 \(AnswerRecord\) does not belong in an export of "
                                                  "ConsensusRecords"):
        exports.write(mixed, "jsonl", tmp_path / "mixed.jsonl", meta=sample.meta)
    assert not (tmp_path / "mixed.jsonl").exists()


def test_split_files_need_every_record_to_have_a_usable_split(batch, tmp_path):
    sample = batch("text_categorical", hits=2)
    with pytest.raises(exports.ExportError, match="has no split.*exports.assign_splits"):
        exports.write(sample.consensus, "csv", tmp_path / "s.csv", meta=sample.meta, split_files=True)
    odd = [replace(r, split="../train") for r in sample.consensus]
    with pytest.raises(exports.ExportError, match="is not a usable name"):
        exports.write(odd, "csv", tmp_path / "s.csv", meta=sample.meta, split_files=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stored-images"]


def test_the_target_folder_must_exist_and_the_target_must_not_be_one(batch, tmp_path):
    sample = batch("text_categorical", hits=1)
    with pytest.raises(exports.ExportError, match="does not exist"):
        exports.write(sample.consensus, "csv", tmp_path / "missing" / "s.csv", meta=sample.meta)
    with pytest.raises(exports.ExportError, match="is a folder"):
        exports.write(sample.consensus, "csv", tmp_path, meta=sample.meta)


def test_on_record_is_called_once_per_record(batch, tmp_path):
    sample = batch("boxes", hits=4)
    records = [replace(r, value=None) if n == 2 else r for n, r in enumerate(sample.consensus)]
    calls = []
    summary = exports.write(records, "voc", tmp_path / "v.zip", meta=sample.meta, on_record=lambda: calls.append(1))
    assert len(calls) == 4
    assert (summary.records, summary.skipped) == (3, 1)
