"""Text spans: CoNLL-2003 BIO tags per token, and span JSON Lines with character offsets.

CoNLL-2003: each HIT is a document (``-DOCSTART- -X- -X- O``), each non-empty line of its text a
sentence, one token per line as ``token -X- -X- tag``; the part-of-speech and chunk columns are not
annotated and hold CoNLL's ``-X-`` placeholder. Tokenisation: a token is a run of letters, digits and
underscores (``\\w+``) or any other single non-space character, so "Lovelace's" is ``Lovelace ' s``.
A token belongs to a span when it overlaps it; the first token of a span is tagged ``B-<label>``, the
rest ``I-<label>``, everything else ``O``. BIO cannot nest: of overlapping spans the one that starts
first (then the longer) is kept and the others dropped. White space in a label becomes ``_``.

Span JSON Lines: ``{"hit_id", "text", "spans": [{"start", "end", "label", "text"}]}`` per HIT, offsets
in Python's indexing (code points, end exclusive) into ``text``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from exports.base import ExportError, Record, WriteContext, consensus_only
from exports.records import ConsensusRecord, ExportMeta
from exports.rows import final_value, json_text

TOKEN = re.compile(r"\w+|[^\w\s]")
PLACEHOLDER = "-X-"
DOCSTART = f"-DOCSTART- {PLACEHOLDER} {PLACEHOLDER} O"


def tokens(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the tokens of ``text``."""
    return [match.span() for match in TOKEN.finditer(text)]


def bio_tags(text: str, spans: list[list[Any]]) -> Iterator[list[tuple[str, str]]]:
    """The sentences (lines) of ``text`` as (token, tag) pairs."""
    offsets = tokens(text)
    tags = ["O"] * len(offsets)
    starts = [start for start, _ in offsets]
    ends = [end for _, end in offsets]
    for start, end, label in sorted(spans, key=lambda span: (span[0], -span[1])):
        first = bisect.bisect_right(ends, start)  # first token ending after the span starts
        last = bisect.bisect_left(starts, end)  # first token starting at or after the span's end
        if first >= last or any(tag != "O" for tag in tags[first:last]):
            continue
        name = "_".join(str(label).split())
        tags[first:last] = [f"B-{name}"] + [f"I-{name}"] * (last - first - 1)
    sentence: list[tuple[str, str]] = []
    previous_end = 0
    for (start, end), tag in zip(offsets, tags, strict=True):
        if sentence and "\n" in text[previous_end:start]:
            yield sentence
            sentence = []
        sentence.append((text[start:end], tag))
        previous_end = end
    if sentence:
        yield sentence


class ConllWriter:
    def __init__(self, target: Path, context: WriteContext) -> None:
        self._meta = context.required_meta
        self._file = context.resources.enter_context(
            context.files.claim(target).open("w", encoding="utf-8", newline="\n"))

    def write(self, record: Record) -> bool:
        record = consensus_only(record, "CoNLL")
        spans = final_value(record)
        if spans is None:
            return False
        self._file.write(DOCSTART + "\n\n")
        for sentence in bio_tags(hit_text(record, self._meta), spans):
            self._file.writelines(f"{token} {PLACEHOLDER} {PLACEHOLDER} {tag}\n" for token, tag in sentence)
            self._file.write("\n")
        return True

    def finish(self) -> None:
        pass


class SpansJsonlWriter:
    def __init__(self, target: Path, context: WriteContext) -> None:
        self._meta = context.required_meta
        self._split = context.split_column
        self._file = context.resources.enter_context(
            context.files.claim(target).open("w", encoding="utf-8", newline="\n"))

    def write(self, record: Record) -> bool:
        record = consensus_only(record, "span JSONL")
        spans = final_value(record)
        if spans is None:
            return False
        text = hit_text(record, self._meta)
        line: dict[str, Any] = {"hit_id": record.hit_id, "text": text, "spans": [
            {"start": start, "end": end, "label": label, "text": text[start:end]} for start, end, label in spans]}
        if self._split:
            line["split"] = record.split
        self._file.write(json_text(line) + "\n")
        return True

    def finish(self) -> None:
        pass


def hit_text(record: ConsensusRecord, meta: ExportMeta) -> str:
    text = record.item.get(meta.text_column or "")
    if not isinstance(text, str):
        raise ExportError(f"HIT {record.hit_id} has no text in its {meta.text_column!r} column")
    return text
