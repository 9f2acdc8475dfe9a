"""Matching the regions (boxes, spans) that different workers drew on one task.

Workers are taken in sorted order; each worker's regions are matched one-to-one to the clusters
formed so far (Hungarian assignment on IoU with the clusters' current consensus region, same label
only, IoU at least the threshold), and unmatched regions start new clusters. A cluster therefore
holds at most one region per worker, and the result does not depend on the order of the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from aggregation.frames import WORKER


@dataclass
class Cluster:
    """Regions judged to be the same object: ``members`` maps worker -> that worker's region."""

    label: Hashable
    members: dict[Hashable, np.ndarray] = field(default_factory=dict)
    consensus: np.ndarray = field(default_factory=lambda: np.empty(0))


def cluster_regions(by_worker: Mapping[Hashable, Sequence[tuple[np.ndarray, Hashable]]],
                    iou: Callable[[np.ndarray, np.ndarray], np.ndarray],
                    combine: Callable[[np.ndarray], np.ndarray], threshold: float) -> list[Cluster]:
    """Cluster the regions of one task.

    ``by_worker``: worker -> list of (coordinates, label). ``iou(a, b)``: IoU matrix between the
    rows of two coordinate arrays. ``combine(stack)``: consensus coordinates of a stack of regions.
    """
    clusters: list[Cluster] = []
    for worker in sorted(by_worker, key=_sort_key):
        regions = by_worker[worker]
        if not regions:
            continue
        matched = _assign(regions, clusters, iou, threshold)
        for index, (coords, label) in enumerate(regions):
            target = matched.get(index)
            if target is None:
                clusters.append(Cluster(label))
                target = clusters[-1]
            target.members[worker] = coords
            target.consensus = combine(np.stack(list(target.members.values())))
    return clusters


def _assign(regions: Sequence[tuple[np.ndarray, Hashable]], clusters: list[Cluster],
            iou: Callable[[np.ndarray, np.ndarray], np.ndarray], threshold: float) -> dict[int, Cluster]:
    if not clusters:
        return {}
    coords = np.stack([region for region, _ in regions])
    scores = iou(coords, np.stack([cluster.consensus for cluster in clusters]))
    same = np.array([[label == cluster.label for cluster in clusters] for _, label in regions])
    scores = np.where(same & (scores >= threshold), scores, 0.0)
    rows, cols = linear_sum_assignment(scores, maximize=True)
    return {int(r): clusters[c] for r, c in zip(rows, cols, strict=True) if scores[r, c] > 0}


def check_one_answer_each(frame: pd.DataFrame) -> pd.DataFrame:
    """Region answers are whole lists: a second answer by the same worker to a task is an error."""
    repeated = frame.duplicated(["task", "worker"])
    if repeated.any():
        row = frame[repeated].iloc[0]
        raise ValueError(f"data: worker {row['worker']!r} answered task {row['task']!r} more than once")
    return frame


def _sort_key(value: Any) -> tuple[str, str]:
    return type(value).__name__, str(value)


def check_parameters(iou_threshold: float, min_support: float) -> None:
    """The hyperparameters every region aggregator shares; ValueError naming the bad one."""
    if not 0 < iou_threshold <= 1:
        raise ValueError("iou_threshold: must be in (0, 1]")
    if not 0 < min_support <= 1:
        raise ValueError("min_support: must be in (0, 1]")


def count_regions(tally: dict[Hashable, np.ndarray],
                  by_worker: Mapping[Hashable, Sequence[tuple[np.ndarray, Hashable]]],
                  clusters: list[Cluster], kept: list[Cluster],
                  iou: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """Add one task to each worker's row [regions, matched, extra, missed, IoU sum over matched]:
    matched = their regions in kept clusters, extra = in dropped ones, missed = kept clusters they
    have no region in."""
    kept_ids = {id(c) for c in kept}
    for worker, regions in by_worker.items():
        row = tally.setdefault(worker, np.zeros(5))
        row[0] += len(regions)
        for cluster in clusters:
            if worker in cluster.members and id(cluster) in kept_ids:
                row[1] += 1
                row[4] += iou(cluster.members[worker][None], cluster.consensus[None])[0, 0]
            elif worker in cluster.members:
                row[2] += 1
        row[3] += sum(1 for cluster in kept if worker not in cluster.members)


def workers_frame(tally: dict[Hashable, np.ndarray], regions: str, *, mean_iou: bool) -> pd.DataFrame:
    """The tally as a frame indexed by worker: ``regions`` (e.g. n_boxes), matched, extra, missed,
    precision and recall against the consensus, and with ``mean_iou`` the mean IoU of the matched."""
    table = pd.DataFrame.from_dict(tally, orient="index", columns=[regions, "matched", "extra", "missed", "iou_sum"])
    table.index.name = WORKER
    for column in (regions, "matched", "extra", "missed"):
        table[column] = table[column].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["precision"] = table["matched"] / table[regions]
        table["recall"] = table["matched"] / (table["matched"] + table["missed"])
        if mean_iou:
            table["mean_iou"] = table["iou_sum"] / table["matched"]
    return table.drop(columns="iou_sum")
