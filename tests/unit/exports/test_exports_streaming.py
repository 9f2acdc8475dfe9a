"""Exports stream: records are taken from the iterator one at a time, never held, and memory stays
flat however many there are."""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc
from collections.abc import Iterator

import pytest

import exports
import exports.parquet
import exports.tables
from annotators import AnswerShape
from exports import ConsensusRecord, ExportMeta

LABELS = ("no", "yes", "maybe")
TEXT_META = ExportMeta(batch_id="b", batch_name="big", annotator="text_spans", shape=AnswerShape.SPANS,
                       labels=LABELS, input_columns=("text", "source"), text_column="text")
BOXES_META = ExportMeta(batch_id="b", batch_name="big", annotator="bounding_boxes", shape=AnswerShape.BOXES,
                        labels=LABELS, input_columns=("image_url",), image_column="image_url", image_size=(640, 480))


class Source:
    """Records made on demand; ``most_in_flight`` is how far making ran ahead of writing."""

    def __init__(self, count: int, meta: ExportMeta) -> None:
        self.count, self.meta = count, meta
        self.made = self.written = self.most_in_flight = 0

    def __iter__(self) -> Iterator[ConsensusRecord]:
        for n in range(self.count):
            self.made += 1
            self.most_in_flight = max(self.most_in_flight, self.made - self.written)
            value = [[n % 7, n % 7 + 4, LABELS[n % 3]]] if self.meta is TEXT_META else [[1, 2, 30, 40, LABELS[n % 3]]]
            item = ({"text": f"Review number {n} says it was fine.", "source": f"s{n % 10}"} if self.meta is TEXT_META
                    else {"image_url": f"https://img.example/{n}.jpg"})
            yield ConsensusRecord(hit_id=f"HIT{n:08d}", item=item, value=value, confidence=0.5, answers=3,
                                  agreement=0.66, method="spans")

    def on_record(self) -> None:
        self.written += 1


@pytest.mark.parametrize("format_name", ["jsonl", "parquet"])
def test_two_hundred_thousand_records_stream_in_seconds(tmp_path, format_name):
    source = Source(200_000, TEXT_META)
    started = time.perf_counter()
    summary = exports.write(source, format_name, tmp_path / f"big.{format_name}", meta=TEXT_META,
                            on_record=source.on_record)
    elapsed = time.perf_counter() - started
    assert summary.records == source.written == 200_000
    # Records are taken one at a time (tabular formats: turned into a table every TABLE_ROWS of them).
    assert source.most_in_flight <= (exports.tables.TABLE_ROWS if format_name in exports.formats.TABULAR else 1)
    assert elapsed < 30, f"{elapsed:.1f} s"  # about 2 s on a quiet machine; CI runs on two cores


def written_peak(tmp_path, format_name: str, meta: ExportMeta, count: int) -> tuple[int, int]:
    """(peak Python memory while writing ``count`` records, memory that holding them takes), measured
    after a first small export (what a format's first use loads once is not what this is about), the
    least of two writes, each after a garbage collection (garbage that other tests left in reference
    cycles, collected in the middle of a write, is not the writer's)."""
    exports.write(Source(10, meta), format_name, tmp_path / f"warm.{format_name}", meta=meta)
    tracemalloc.start()
    try:
        held = list(Source(count, meta))
        holding = tracemalloc.get_traced_memory()[0]
        del held
        peaks = []
        for _ in range(2):
            gc.collect()
            tracemalloc.reset_peak()
            baseline = tracemalloc.get_traced_memory()[0]
            exports.write(Source(count, meta), format_name, tmp_path / f"big.{format_name}", meta=meta)
            peaks.append(tracemalloc.get_traced_memory()[1] - baseline)
        return min(peaks), holding
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("format_name", "meta"), [
    ("jsonl", TEXT_META), ("csv", TEXT_META), ("parquet", TEXT_META), ("conll", TEXT_META),
    ("spans-jsonl", TEXT_META), ("coco", BOXES_META),
])
def test_memory_stays_flat(tmp_path, monkeypatch, format_name, meta):
    """Peak Python memory while writing is a small fraction of what holding the records would take
    (small tables and Parquet row groups, so that the one bounded buffer does not hide a leak)."""
    monkeypatch.setattr(exports.parquet, "ROW_GROUP_ROWS", 50)
    monkeypatch.setattr(exports.tables, "TABLE_ROWS", 50)
    peak, holding = written_peak(tmp_path, format_name, meta, 5_000)
    assert peak < holding / 5, f"peak {peak / 2**10:.0f} KiB; holding the records takes {holding / 2**10:.0f} KiB"


@pytest.mark.parametrize("format_name", ["yolo", "voc"])
def test_zips_grow_only_by_their_directory(tmp_path, format_name):
    """A zip's central directory is written last, so zipfile keeps one entry per file until then (a
    few hundred bytes each); apart from that the peak does not grow with the records."""
    small = min(written_peak(tmp_path, format_name, BOXES_META, 500)[0] for _ in range(3))
    large = min(written_peak(tmp_path, format_name, BOXES_META, 2_500)[0] for _ in range(3))
    per_file = (large - small) / 2_000
    # tracemalloc counts every thread's allocations: the least of three runs leaves out a background
    # thread's (a server or runner an earlier test left behind), which the message names
    assert per_file < 1_000, f"{per_file:.0f} bytes more per file written; threads: " \
                             f"{sorted(thread.name for thread in threading.enumerate())}"
