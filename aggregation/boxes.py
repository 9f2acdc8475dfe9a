"""Bounding boxes: match workers' boxes by IoU, average the matched ones, count missed and extra boxes."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import attr
import numpy as np
import pandas as pd

from aggregation.frames import LABEL, TASK, WORKER, check_answers
from aggregation.matching import (
    check_one_answer_each,
    check_parameters,
    cluster_regions,
    count_regions,
    workers_frame,
)


@attr.s(auto_attribs=True, kw_only=True)
class BoxAggregator:
    """Consensus boxes per task from every worker's list of boxes.

    Each answer (the ``label`` column) is a list of boxes ``[x, y, w, h]`` or ``[x, y, w, h, label]``
    (an empty list: the worker saw nothing). Boxes of different workers with the same label and an
    IoU of at least ``iou_threshold`` are matched (see ``aggregation.matching``); a group of matched
    boxes becomes a consensus box, the mean of its coordinates, when at least ``min_support`` of the
    task's workers drew it.

    Hyperparameters:
        iou_threshold: the least IoU with a group's current mean box for a box to join the group.
        min_support: the least share of the task's workers who must have drawn a box for it to stay.
        decimals: the consensus coordinates are rounded to this many decimals (2: the 0.01 px of
            LabelHub's box answers); None keeps the means as they are.

    Fitted attributes:
        boxes_: Series indexed by task, the consensus boxes ``[x, y, w, h, label]``.
        confidence_: Series indexed by task, per consensus box the share of workers who drew it.
        iou_: Series indexed by task, per consensus box the mean IoU of its workers' boxes with it.
        workers_: DataFrame indexed by worker: ``n_boxes``, ``matched`` (boxes in consensus boxes),
            ``extra`` (boxes in no consensus box), ``missed`` (consensus boxes of their tasks they did
            not draw), ``precision``, ``recall`` and ``mean_iou`` (of their matched boxes).
    """

    iou_threshold: float = 0.5
    min_support: float = 0.5
    decimals: int | None = 2

    boxes_: pd.Series = attr.ib(init=False)
    confidence_: pd.Series = attr.ib(init=False)
    iou_: pd.Series = attr.ib(init=False)
    workers_: pd.DataFrame = attr.ib(init=False)

    def __attrs_post_init__(self) -> None:
        check_parameters(self.iou_threshold, self.min_support)

    def fit(self, data: pd.DataFrame) -> BoxAggregator:
        frame = check_one_answer_each(check_answers(data, name="data"))
        boxes, confidence, ious = {}, {}, {}
        tally: dict[Hashable, np.ndarray] = {}  # worker -> [n_boxes, matched, extra, missed, iou_sum]
        for task, group in frame.groupby(TASK, sort=False):
            by_worker = {worker: _parse_boxes(answer, task) for worker, answer in
                         zip(group[WORKER], group[LABEL], strict=True)}
            clusters = cluster_regions(by_worker, box_iou, _mean_box, self.iou_threshold)
            kept = [c for c in clusters if len(c.members) >= self.min_support * len(by_worker)]
            boxes[task] = [[*map(self._coordinate, c.consensus), c.label] for c in kept]
            confidence[task] = [len(c.members) / len(by_worker) for c in kept]
            ious[task] = [float(box_iou(np.stack(list(c.members.values())), c.consensus[None])[:, 0].mean())
                          for c in kept]
            count_regions(tally, by_worker, clusters, kept, box_iou)
        self.boxes_ = pd.Series(boxes, name="boxes", dtype=object).rename_axis(TASK)
        self.confidence_ = pd.Series(confidence, name="confidence", dtype=object).rename_axis(TASK)
        self.iou_ = pd.Series(ious, name="iou", dtype=object).rename_axis(TASK)
        self.workers_ = workers_frame(tally, "n_boxes", mean_iou=True)
        return self

    def fit_predict(self, data: pd.DataFrame) -> pd.Series:
        return self.fit(data).boxes_

    def _coordinate(self, value: float) -> float:
        return float(value) if self.decimals is None else round(float(value), self.decimals)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix between the rows of ``a`` and ``b``, boxes as ``x, y, w, h``."""
    ax0, ay0, ax1, ay1 = a[:, 0:1], a[:, 1:2], a[:, 0:1] + a[:, 2:3], a[:, 1:2] + a[:, 3:4]
    bx0, by0, bx1, by1 = b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    width = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    height = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    inter = width * height
    union = (a[:, 2:3] * a[:, 3:4]) + (b[:, 2] * b[:, 3]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _mean_box(stack: np.ndarray) -> np.ndarray:
    return stack.mean(axis=0)


def _parse_boxes(answer: Any, task: Hashable) -> list[tuple[np.ndarray, Hashable]]:
    if not isinstance(answer, Iterable) or isinstance(answer, str | bytes):
        raise ValueError(f"label: task {task!r}: expected a list of boxes [x, y, w, h(, label)], "
                         f"got {answer!r}")
    parsed = []
    for box in answer:
        values = list(box) if isinstance(box, Iterable) and not isinstance(box, str) else []
        if len(values) not in (4, 5):
            raise ValueError(f"label: task {task!r}: a box is [x, y, w, h] or [x, y, w, h, label], "
                             f"got {box!r}")
        try:
            coords = np.array(values[:4], dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"label: task {task!r}: box coordinates must be numbers, got {box!r}") from None
        if not np.isfinite(coords).all() or coords[2] <= 0 or coords[3] <= 0:
            raise ValueError(f"label: task {task!r}: a box needs finite coordinates and a positive "
                             f"width and height, got {box!r}")
        parsed.append((coords, values[4] if len(values) == 5 else None))
    return parsed
