"""The export formats: which answer shapes and record kinds each fits, and its writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from annotators.base import AnswerShape
from exports.base import ExportFormatError, TableWriterFactory, WriterFactory
from exports.coco import CocoWriter
from exports.mturk_csv import MTurkCsvWriter
from exports.parquet import ParquetWriter
from exports.records import ExportMeta
from exports.tabular import CsvWriter, JsonlWriter
from exports.text_spans import ConllWriter, SpansJsonlWriter
from exports.voc import VocWriter
from exports.yolo import YoloWriter

IMAGE_LABELS = frozenset({AnswerShape.CATEGORICAL, AnswerShape.ORDINAL, AnswerShape.MULTI_LABEL,
                          AnswerShape.BOXES})


def _any_batch(meta: ExportMeta) -> bool:
    return True


def _image_labels(meta: ExportMeta) -> bool:
    return meta.image_column is not None and meta.shape in IMAGE_LABELS


def _image_boxes(meta: ExportMeta) -> bool:
    return meta.image_column is not None and meta.shape is AnswerShape.BOXES


def _text_spans(meta: ExportMeta) -> bool:
    return meta.text_column is not None and meta.shape is AnswerShape.SPANS


@dataclass(frozen=True, slots=True)
class Format:
    """``open``: its writer of records, or ``open_tables``: its writer of tables (the tabular formats,
    ``exports.tables``); ``fits``: the batches it can hold; ``consensus`` / ``answers``: the record
    kinds it holds; ``needs_meta``: it cannot be written without the batch's ExportMeta; ``own_splits``:
    it keeps splits itself (folders in its zip, or one file per split with one card) rather than one
    output per split."""

    name: str
    fits: Callable[[ExportMeta], bool]
    open: WriterFactory | None = None
    open_tables: TableWriterFactory | None = None
    answers: bool = False
    consensus: bool = True
    needs_meta: bool = True
    own_splits: bool = False


REGISTRY: dict[str, Format] = {f.name: f for f in (
    Format("csv", _any_batch, open_tables=CsvWriter, answers=True, needs_meta=False),
    Format("jsonl", _any_batch, open_tables=JsonlWriter, answers=True, needs_meta=False),
    Format("parquet", _any_batch, open_tables=ParquetWriter, answers=True, own_splits=True),
    Format("coco", _image_labels, CocoWriter),
    Format("yolo", _image_boxes, YoloWriter, own_splits=True),
    Format("voc", _image_boxes, VocWriter, own_splits=True),
    Format("conll", _text_spans, ConllWriter),
    Format("spans-jsonl", _text_spans, SpansJsonlWriter),
    Format("mturk-csv", _any_batch, MTurkCsvWriter, answers=True, consensus=False, needs_meta=False),
)}
FORMATS: tuple[str, ...] = tuple(REGISTRY)


TABULAR: tuple[str, ...] = tuple(spec.name for spec in REGISTRY.values() if spec.open_tables is not None)


def get_format(name: str) -> Format:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ExportFormatError(f"unknown export format {name!r}; known formats: {', '.join(FORMATS)}") from None


def holds(spec: Format, *, answers: bool) -> bool:
    return spec.answers if answers else spec.consensus


def formats_for(meta: ExportMeta, *, answers: bool) -> list[str]:
    """The formats a batch's records can be exported to: consensus records (one per HIT) or, with
    ``answers``, answer records (one per assignment)."""
    return [spec.name for spec in REGISTRY.values() if holds(spec, answers=answers) and spec.fits(meta)]


def check_fits(format: str, meta: ExportMeta, *, answers: bool) -> None:
    """Raise ExportFormatError unless ``format`` is known and fits the batch and record kind; the
    message names the formats that do."""
    spec = get_format(format)
    if holds(spec, answers=answers) and spec.fits(meta):
        return
    kind = "answers" if answers else "consensus labels"
    source = meta.image_column and "images" or meta.text_column and "texts" or "items"
    raise ExportFormatError(
        f"the {format} format does not fit {kind} of batch {meta.batch_name!r} ({meta.annotator}: "
        f"{meta.shape.value.replace('_', '-')} answers on {source}); formats that do: "
        f"{', '.join(formats_for(meta, answers=answers))}")


def formats_without_meta(*, answers: bool) -> list[str]:
    return [spec.name for spec in REGISTRY.values() if holds(spec, answers=answers) and not spec.needs_meta]
