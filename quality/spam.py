"""Spammer signs in a worker's answers, each with the evidence in plain words.

Three detectors, each usable alone:

- ``separation``: how much a worker's answer depends on the true label. For a confusion matrix
  (rows: the answer given, columns: the true label, each column summing to 1) it is the mean total
  variation distance between every two columns: 1 for a worker who tells every class apart
  (identity matrix), 0 for one whose answers follow the same distribution whatever the truth
  (uniform clicking, or always the same answer). This is Raykar and Yu's (2012) spammer score with
  the total variation distance in place of the Euclidean one, so it stays in 0-1 for any K. For a
  worker right with probability a whose errors are spread evenly it is a - (1 - a) / (K - 1).
  Estimated from few answers it is noisy (a uniform clicker's averages 0.30 over 20 answers on 3
  classes, 0.16 over 80), hence ``independence_p``:
- ``independence_p``: the p-value of a chi-square test that the worker's answers are independent of
  the consensus labels of the same tasks. A worker whose answers carry information gets a small
  p-value quickly; a spammer's stays large. Requiring both a low separation and a large p-value
  keeps weak but honest workers from being called spammers.
- ``longest_run``: the longest stretch of identical answers in submission order, and on how many of
  those tasks the consensus said something else.
- ``median_seconds``: the median time a worker spent per answer.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency


def separation(confusion: np.ndarray, class_weight: np.ndarray | None = None) -> float:
    """Mean total variation distance between the columns of a K x K confusion matrix (0-1).

    ``class_weight`` (one weight per true class, e.g. the class prior) weights each pair of columns
    by the product of their weights, so a class the worker barely met counts little.
    """
    matrix = np.asarray(confusion, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
        raise ValueError("confusion: a square matrix of at least 2 x 2 is needed")
    k = matrix.shape[0]
    weights = np.ones(k) if class_weight is None else np.asarray(class_weight, dtype=float)
    pairs = list(combinations(range(k), 2))
    distance = np.array([0.5 * np.abs(matrix[:, i] - matrix[:, j]).sum() for i, j in pairs])
    pair_weight = np.array([weights[i] * weights[j] for i, j in pairs])
    if pair_weight.sum() <= 0:
        return float(distance.mean())
    return float((distance * pair_weight).sum() / pair_weight.sum())


@dataclass(frozen=True)
class Run:
    """The longest stretch of one answer: its label, length, and how many of its tasks the
    consensus labelled otherwise."""

    label: Hashable
    length: int
    disagreements: int

    @property
    def disagreement_share(self) -> float:
        return self.disagreements / self.length if self.length else 0.0


def longest_run(answers: Sequence[Hashable], consensus: Sequence[Hashable | None]) -> Run:
    """The longest run of equal consecutive ``answers`` (earliest first on ties); ``consensus[i]`` is
    the consensus label of the task of ``answers[i]`` (None where there is none)."""
    if len(answers) != len(consensus):
        raise ValueError("consensus: one consensus label per answer is needed")
    best = Run(None, 0, 0)
    start = 0
    for end in range(1, len(answers) + 1):
        if end < len(answers) and answers[end] == answers[start]:
            continue
        length = end - start
        if length > best.length:
            disagree = sum(1 for i in range(start, end)
                           if consensus[i] is not None and consensus[i] != answers[start])
            best = Run(answers[start], length, disagree)
        start = end
    return best


def independence_p(answers: Sequence[Hashable], consensus: Sequence[Hashable]) -> float:
    """The chi-square p-value that ``answers`` are independent of ``consensus`` (paired by task; pairs
    without a consensus are left out); 1.0 when the table is degenerate (one answer or one consensus
    label throughout)."""
    if len(answers) != len(consensus):
        raise ValueError("consensus: one consensus label per answer is needed")
    pairs = [(answer, agreed) for answer, agreed in zip(answers, consensus, strict=True) if agreed is not None]
    rows, given = pd.factorize(pd.Series([answer for answer, _ in pairs], dtype=object))
    columns, agreed = pd.factorize(pd.Series([agreed for _, agreed in pairs], dtype=object))
    if len(given) < 2 or len(agreed) < 2:
        return 1.0
    table = np.bincount(rows * len(agreed) + columns, minlength=len(given) * len(agreed))
    return float(chi2_contingency(table.reshape(len(given), len(agreed))).pvalue)


def median_seconds(durations: Sequence[float]) -> float:
    """The median of a worker's times per answer, in seconds (NaN without any)."""
    values = np.asarray([d for d in durations if d is not None and np.isfinite(d)], dtype=float)
    return float(np.median(values)) if len(values) else float("nan")
