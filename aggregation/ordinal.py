"""Ordinal, Likert and numeric answers: mean or median per task, and Krippendorff's alpha."""

from __future__ import annotations

from typing import Literal

import attr
import numpy as np
import pandas as pd
import scipy.sparse as sp

from aggregation.frames import LABEL, TASK, WORKER, check_answers

Metric = Literal["nominal", "ordinal", "interval", "ratio"]


@attr.s(auto_attribs=True, kw_only=True)
class OrdinalAggregator:
    """Consensus of numeric answers (Likert points, ratings, scores) per task.

    Hyperparameters:
        statistic: ``"median"`` (the lower median, so a Likert consensus is always one of the
            scale's points) or ``"mean"``.
        metric: the distance Krippendorff's alpha uses: ``"ordinal"`` (ranks; Likert scales),
            ``"interval"`` (differences; scores), ``"ratio"`` or ``"nominal"``.

    Fitted attributes:
        labels_: Series indexed by task, the consensus value.
        mean_, median_, std_: Series indexed by task (``std_`` is 0 for a single answer).
        alpha_: Krippendorff's alpha of the whole data set (NaN when no task has two answers).
        workers_: DataFrame indexed by worker: ``n_answers``, ``mae`` (mean absolute distance to
            the consensus) and ``bias`` (mean signed distance: above 0, the worker rates high).
    """

    statistic: Literal["median", "mean"] = "median"
    metric: Metric = "ordinal"

    labels_: pd.Series = attr.ib(init=False)
    mean_: pd.Series = attr.ib(init=False)
    median_: pd.Series = attr.ib(init=False)
    std_: pd.Series = attr.ib(init=False)
    alpha_: float = attr.ib(init=False)
    workers_: pd.DataFrame = attr.ib(init=False)

    def __attrs_post_init__(self) -> None:
        if self.statistic not in ("median", "mean"):
            raise ValueError("statistic: must be 'median' or 'mean'")
        if self.metric not in ("nominal", "ordinal", "interval", "ratio"):
            raise ValueError("metric: must be 'nominal', 'ordinal', 'interval' or 'ratio'")

    def fit(self, data: pd.DataFrame) -> OrdinalAggregator:
        frame = check_answers(data, name="data")
        values = pd.to_numeric(frame[LABEL], errors="coerce")
        if values.isna().any():
            bad = frame[LABEL][values.isna()].iloc[0]
            raise ValueError(f"label: ordinal answers must be numbers, got {bad!r}")
        by_task = values.groupby(frame[TASK].to_numpy(), sort=False)
        self.mean_ = by_task.mean().rename_axis(TASK).rename("mean")
        self.median_ = by_task.quantile(0.5, interpolation="lower").rename_axis(TASK).rename("median")
        self.std_ = by_task.std(ddof=0).rename_axis(TASK).rename("std")
        self.labels_ = (self.median_ if self.statistic == "median" else self.mean_).rename("agg_label")
        self.alpha_ = krippendorff_alpha(frame.assign(**{LABEL: values}), metric=self.metric)
        deviation = values.to_numpy() - self.labels_.reindex(frame[TASK]).to_numpy()
        by_worker = pd.DataFrame({"deviation": deviation, "distance": np.abs(deviation)},
                                 index=frame[WORKER].to_numpy()).groupby(level=0, sort=False)
        self.workers_ = pd.DataFrame({"n_answers": by_worker.size(), "mae": by_worker["distance"].mean(),
                                      "bias": by_worker["deviation"].mean()}).rename_axis(WORKER)
        return self

    def fit_predict(self, data: pd.DataFrame) -> pd.Series:
        return self.fit(data).labels_


def krippendorff_alpha(data: pd.DataFrame, metric: Metric = "ordinal") -> float:
    """Krippendorff's alpha for answers (task, worker, label) via the coincidence matrix.

    Tasks with a single answer are not pairable and are left out, as Krippendorff prescribes.
    Labels must be numbers for every metric but ``nominal``.
    """
    frame = data[[TASK, LABEL]]
    per_task = frame.groupby(TASK, sort=False)[LABEL].transform("size")
    frame = frame[per_task.to_numpy() > 1]
    if frame.empty:
        return float("nan")
    task_codes, _ = pd.factorize(frame[TASK])
    value_codes, values = pd.factorize(frame[LABEL], sort=True)
    counts = sp.csr_matrix((np.ones(len(frame)), (task_codes, value_codes)),
                           shape=(task_codes.max() + 1, len(values)))
    pairable = np.asarray(counts.sum(axis=1)).ravel()
    weights = sp.diags(1.0 / (pairable - 1))
    coincidence = (counts.T @ weights @ counts).toarray()
    coincidence -= np.diag(np.asarray(counts.T @ (1.0 / (pairable - 1))).ravel())
    marginals = coincidence.sum(axis=1)
    total = marginals.sum()
    delta = _distances(np.asarray(values), marginals, metric)
    expected = float(marginals @ delta @ marginals)
    if expected == 0:
        return 1.0
    return 1.0 - (total - 1) * float((coincidence * delta).sum()) / expected


def _distances(values: np.ndarray, marginals: np.ndarray, metric: Metric) -> np.ndarray:
    """Squared distance between every two values, as Krippendorff (2011) defines each metric."""
    if metric == "nominal":
        return 1.0 - np.eye(len(values))
    numbers = values.astype(float)
    if metric == "interval":
        return (numbers[:, None] - numbers[None, :]) ** 2
    if metric == "ratio":
        total = numbers[:, None] + numbers[None, :]
        return np.divide((numbers[:, None] - numbers[None, :]) ** 2, total ** 2,
                         out=np.zeros((len(numbers), len(numbers))), where=total != 0)
    cumulative = np.cumsum(marginals)
    # ordinal: (sum of the marginals from c to k) - (n_c + n_k) / 2, squared; values are sorted
    low = np.minimum.outer(np.arange(len(values)), np.arange(len(values)))
    high = np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
    between = cumulative[high] - cumulative[low] + marginals[low]
    return (between - (marginals[:, None] + marginals[None, :]) / 2) ** 2
