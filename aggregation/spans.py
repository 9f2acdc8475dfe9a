"""Text spans (named entities, highlights): a vote over matched spans, with non-overlapping output."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import attr
import numpy as np
import pandas as pd

from aggregation.frames import LABEL, TASK, WORKER, check_answers
from aggregation.matching import (
    Cluster,
    check_one_answer_each,
    check_parameters,
    cluster_regions,
    count_regions,
    workers_frame,
)


@attr.s(auto_attribs=True, kw_only=True)
class SpanAggregator:
    """Consensus spans per task from every worker's list of spans.

    Each answer (the ``label`` column) is a list of spans ``[start, end, label]`` (end exclusive;
    an empty list: the worker marked nothing). Spans of different workers with the same label and
    an overlap (IoU of the two character ranges) of at least ``iou_threshold`` are matched; the
    default 1.0 is exact matching, the usual span vote. A group of matched spans is kept when at
    least ``min_support`` of the task's workers marked it; its boundaries are the lower medians of
    the members' starts and ends (so they are always boundaries some worker chose).

    Kept spans may not overlap: they are accepted by decreasing support, ties to the earlier then
    the shorter span, and a span overlapping an accepted one is dropped.

    Hyperparameters:
        iou_threshold: the least overlap for two spans to count as the same.
        min_support: the least share of the task's workers behind a kept span.

    Fitted attributes:
        spans_: Series indexed by task, the consensus spans ``[start, end, label]`` in text order.
        confidence_: Series indexed by task, per span the share of workers who marked it.
        workers_: DataFrame indexed by worker: ``n_spans``, ``matched``, ``extra``, ``missed``,
            ``precision`` and ``recall`` against the consensus.
    """

    iou_threshold: float = 1.0
    min_support: float = 0.5

    spans_: pd.Series = attr.ib(init=False)
    confidence_: pd.Series = attr.ib(init=False)
    workers_: pd.DataFrame = attr.ib(init=False)

    def __attrs_post_init__(self) -> None:
        check_parameters(self.iou_threshold, self.min_support)

    def fit(self, data: pd.DataFrame) -> SpanAggregator:
        frame = check_one_answer_each(check_answers(data, name="data"))
        spans, confidence = {}, {}
        tally: dict[Hashable, np.ndarray] = {}  # worker -> [n_spans, matched, extra, missed]
        for task, group in frame.groupby(TASK, sort=False):
            by_worker = {worker: _parse_spans(answer, task) for worker, answer in
                         zip(group[WORKER], group[LABEL], strict=True)}
            clusters = cluster_regions(by_worker, span_iou, _median_span, self.iou_threshold)
            supported = [c for c in clusters if len(c.members) >= self.min_support * len(by_worker)]
            kept = _without_overlaps(supported)
            spans[task] = [[int(c.consensus[0]), int(c.consensus[1]), c.label] for c in kept]
            confidence[task] = [len(c.members) / len(by_worker) for c in kept]
            count_regions(tally, by_worker, clusters, kept, span_iou)
        self.spans_ = pd.Series(spans, name="spans", dtype=object).rename_axis(TASK)
        self.confidence_ = pd.Series(confidence, name="confidence", dtype=object).rename_axis(TASK)
        self.workers_ = workers_frame(tally, "n_spans", mean_iou=False)
        return self

    def fit_predict(self, data: pd.DataFrame) -> pd.Series:
        return self.fit(data).spans_


def span_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix between the rows of ``a`` and ``b``, spans as ``start, end``."""
    inter = np.clip(np.minimum(a[:, 1:2], b[:, 1]) - np.maximum(a[:, 0:1], b[:, 0]), 0, None)
    union = (a[:, 1:2] - a[:, 0:1]) + (b[:, 1] - b[:, 0]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _median_span(stack: np.ndarray) -> np.ndarray:
    ordered = np.sort(stack, axis=0)
    return ordered[(len(stack) - 1) // 2]


def _without_overlaps(clusters: list[Cluster]) -> list[Cluster]:
    ranked = sorted(clusters, key=lambda c: (-len(c.members), c.consensus[0],
                                             c.consensus[1] - c.consensus[0]))
    accepted: list[Cluster] = []
    for cluster in ranked:
        start, end = cluster.consensus
        if all(end <= other.consensus[0] or start >= other.consensus[1] for other in accepted):
            accepted.append(cluster)
    return sorted(accepted, key=lambda c: (c.consensus[0], c.consensus[1]))


def _parse_spans(answer: Any, task: Hashable) -> list[tuple[np.ndarray, Hashable]]:
    if not isinstance(answer, Iterable) or isinstance(answer, str | bytes):
        raise ValueError(f"label: task {task!r}: expected a list of spans [start, end, label], "
                         f"got {answer!r}")
    parsed = []
    for span in answer:
        values = list(span) if isinstance(span, Iterable) and not isinstance(span, str) else []
        if len(values) != 3:
            raise ValueError(f"label: task {task!r}: a span is [start, end, label], got {span!r}")
        start, end = values[0], values[1]
        if not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in (start, end)) \
                or not 0 <= start < end:
            raise ValueError(f"label: task {task!r}: a span needs integer 0 <= start < end, got {span!r}")
        parsed.append((np.array([start, end], dtype=float), values[2]))
    return parsed
