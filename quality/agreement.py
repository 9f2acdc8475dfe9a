"""Agreement between annotators, pair by pair: Cohen's kappa for every two workers who answered enough
of the same tasks, and the bins of the dashboard's histograms.

Kappa corrects the share of shared tasks on which two workers agree for the agreement their own label
frequencies would give by chance: 1 is perfect agreement, 0 what chance alone gives, below 0 worse
than chance. On an ordinal scale (labels that are numbers) the linearly weighted kappa counts a
one-step disagreement as a partial one, as Krippendorff's ordinal alpha does for the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from aggregation.frames import LABEL, TASK, WORKER, check_answers

MIN_SHARED_TASKS = 5
MAX_WORKERS = 30
Weights = Literal["none", "linear"]


@dataclass(frozen=True)
class AgreementMatrix:
    """``workers`` in order of answers (most first); ``kappa[i][j]`` NaN where the two shared fewer
    than ``min_shared`` tasks (or kappa is undefined: both gave one and the same label throughout);
    ``shared[i][j]`` the tasks both answered, ``agreed[i][j]`` the share of those with the same label."""

    workers: list[Any]
    kappa: np.ndarray
    shared: np.ndarray
    agreed: np.ndarray
    min_shared: int
    weights: Weights

    @property
    def pairs(self) -> int:
        """Pairs of (different) workers with a kappa."""
        upper = np.triu_indices(len(self.workers), k=1)
        return int(np.count_nonzero(~np.isnan(self.kappa[upper])))


def _distances(classes: np.ndarray, weights: Weights) -> np.ndarray:
    """How far apart two labels are: 0 or 1 (nominal), or the gap between two numbers (linear)."""
    if weights == "linear":
        numbers = classes.astype(float)
        return np.abs(np.subtract.outer(numbers, numbers))
    return 1.0 - np.eye(len(classes))


def _kappa(first: np.ndarray, second: np.ndarray, distance: np.ndarray) -> float:
    """Kappa of two arrays of label codes (indices into ``distance``'s classes)."""
    k = len(distance)
    observed = np.zeros((k, k))
    np.add.at(observed, (first, second), 1.0)
    observed /= len(first)
    chance = float((distance * np.outer(observed.sum(axis=1), observed.sum(axis=0))).sum())
    return float("nan") if chance == 0 else 1.0 - float((distance * observed).sum()) / chance


def _codes(labels: pd.Series, weights: Weights) -> tuple[np.ndarray, np.ndarray]:
    values = pd.to_numeric(labels) if weights == "linear" else labels.astype(str)
    codes, classes = pd.factorize(values, sort=True)
    return codes, np.asarray(classes)


def cohen_kappa(first: Sequence[Any], second: Sequence[Any], *, weights: Weights = "none") -> float:
    """Cohen's kappa of two workers' labels on the same tasks (sklearn's ``cohen_kappa_score`` gives the
    same); ``weights="linear"`` for numeric ordinal labels. NaN when it is undefined (no tasks, or both
    used one and the same label only)."""
    if len(first) != len(second):
        raise ValueError("first, second: need one label each per shared task")
    if not len(first):
        return float("nan")
    codes, classes = _codes(pd.Series([*first, *second], dtype=object), weights)
    return _kappa(codes[:len(first)], codes[len(first):], _distances(classes, weights))


def agreement_matrix(answers: pd.DataFrame, *, min_shared: int = MIN_SHARED_TASKS, max_workers: int = MAX_WORKERS,
                     weights: Weights = "none") -> AgreementMatrix:
    """Cohen's kappa for every two of the ``max_workers`` workers with the most answers in ``answers``
    (columns task, worker, label; one answer per worker and task), where they shared at least
    ``min_shared`` tasks. Ties in answers go to the worker seen first; no answers, no workers."""
    if answers.empty:
        return AgreementMatrix([], np.zeros((0, 0)), np.zeros((0, 0), dtype=int), np.zeros((0, 0)), min_shared,
                               weights)
    frame = check_answers(answers)
    counts = frame.groupby(WORKER, sort=False).size()
    workers = list(counts.sort_values(ascending=False, kind="stable").index[:max_workers])
    frame = frame[frame[WORKER].isin(workers)]
    codes, classes = _codes(frame[LABEL], weights)
    distance = _distances(classes, weights)
    tasks, _ = pd.factorize(frame[TASK])
    table = np.full((tasks.max() + 1 if len(tasks) else 0, len(workers)), -1)
    table[tasks, [workers.index(w) for w in frame[WORKER]]] = codes
    size = len(workers)
    kappa, agreed = np.full((size, size), np.nan), np.full((size, size), np.nan)
    shared = np.zeros((size, size), dtype=int)
    for i in range(size):
        for j in range(i, size):
            both = (table[:, i] >= 0) & (table[:, j] >= 0)
            first, second = table[both, i], table[both, j]
            shared[i, j] = shared[j, i] = len(first)
            if len(first):
                agreed[i, j] = agreed[j, i] = float(np.mean(first == second))
            if len(first) >= min_shared:
                kappa[i, j] = kappa[j, i] = _kappa(first, second, distance)
    return AgreementMatrix(workers, kappa, shared, agreed, min_shared, weights)


@dataclass(frozen=True)
class Histogram:
    """Counts in bins: bin ``i`` holds values from ``edges[i]`` (included) to ``edges[i + 1]`` (excluded;
    the last bin includes its upper edge)."""

    edges: list[float]
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


def uniform_edges(low: float, high: float, bins: int) -> list[float]:
    """``bins`` equal bins from ``low`` to ``high``, rounded so 0.05 stays 0.05."""
    if bins < 1 or not high > low:
        raise ValueError("bins: need at least one bin and high > low")
    return [round(low + (high - low) * i / bins, 10) for i in range(bins + 1)]


TIME_EDGES = (0, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200,
              10_800, 14_400, 21_600, 43_200, 86_400)


def time_edges(longest_seconds: float) -> list[float]:
    """Bins of work time a reader can name (5 s, 10 s ... 1 h ...), up to the first edge at or above
    ``longest_seconds`` (the assignment's time allotted: no answer takes longer)."""
    edges: list[float] = []
    for edge in TIME_EDGES:
        edges.append(float(edge))
        if edge >= longest_seconds:
            break
    return edges if len(edges) > 1 else [0.0, float(max(longest_seconds, 1))]


def histogram(values: Sequence[float], edges: Sequence[float], counts: Sequence[int] | None = None) -> Histogram:
    """Values in the bins of ``edges``, each counted once or ``counts`` times (values already grouped);
    values beyond either end count in the bin at that end."""
    bounds = np.asarray(edges, dtype=float)
    clipped = np.clip(np.asarray(values, dtype=float), bounds[0], bounds[-1])
    found, _ = np.histogram(clipped, bins=bounds, weights=None if counts is None else np.asarray(counts, dtype=float))
    return Histogram(list(map(float, edges)), [int(round(c)) for c in found])


def grouped_median(values: Sequence[float], counts: Sequence[int]) -> float | None:
    """The median of values each seen ``counts`` times (the lower middle value of an even total), None
    without any."""
    order = np.argsort(np.asarray(values, dtype=float), kind="stable")
    ordered, weights = np.asarray(values, dtype=float)[order], np.asarray(counts, dtype=int)[order]
    total = int(weights.sum())
    if total == 0:
        return None
    return float(ordered[np.searchsorted(np.cumsum(weights), (total + 1) // 2)])
