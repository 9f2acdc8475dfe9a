"""Ordinal, Likert and numeric answers: mean, median or posterior median per task, and Krippendorff's alpha."""

from __future__ import annotations

from typing import Literal

import attr
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import binom

from aggregation import methods
from aggregation.api import AggregationResult, aggregate
from aggregation.frames import LABEL, TASK, WORKER, check_answers, check_gold

Statistic = Literal["posterior_median", "median", "mean"]
Metric = Literal["nominal", "ordinal", "interval", "ratio"]


@attr.s(auto_attribs=True, kw_only=True)
class OrdinalAggregator:
    """Consensus of numeric answers (Likert points, ratings, scores) per task.

    Hyperparameters:
        statistic: ``"median"`` (the lower median of the task's answers, so a Likert consensus is
            always one of the scale's points), ``"mean"``, or ``"posterior_median"``: the median of
            the posterior over the scale's points that the categorical ``method`` gives (Dawid-Skene
            by default), the point with the least expected distance in ranks to the truth. It
            weighs each worker by their confusion matrix, where the plain median counts a careless
            worker like a careful one (on the real 4-point sets it is as right as Dawid-Skene's mode
            and closer on average: see ``aggregation.consensus``).
        method: the categorical method behind ``posterior_median`` (``aggregate``'s names or
            ``auto``); it must give a posterior.
        metric: the distance Krippendorff's alpha uses: ``"ordinal"`` (ranks; Likert scales),
            ``"interval"`` (differences; scores), ``"ratio"`` or ``"nominal"``.

    Known answers (``gold`` of ``fit``) clamp their tasks: the known value is their consensus, with
    confidence 1, and the workers' distances on them are measured from it (the posterior median's
    method also gets them, if it uses gold).

    Fitted attributes:
        labels_: Series indexed by task, the consensus value.
        confidence_: Series indexed by task. Posterior median: the posterior probability of that
            point. Median: the probability that the lower median of as many answers, drawn from
            the task's answers smoothed by one pseudo-answer spread over the scale's points, is the
            consensus; it grows with agreement and with the number of answers (3 equal answers on
            the middle of a 5-point scale: 0.94; 4: 0.96). Mean: NaN.
        posterior_: the ``AggregationResult`` behind the posterior median (its workers' accuracy
            and confusion matrices), else None.
        mean_, median_, std_: Series indexed by task (``std_`` is 0 for a single answer).
        alpha_: Krippendorff's alpha of the whole data set (NaN when no task has two answers).
        workers_: DataFrame indexed by worker: ``n_answers``, ``mae`` (mean absolute distance to
            the consensus) and ``bias`` (mean signed distance: above 0, the worker rates high).
    """

    statistic: Statistic = "median"
    metric: Metric = "ordinal"
    method: str = "ds"

    labels_: pd.Series = attr.ib(init=False)
    posterior_: AggregationResult | None = attr.ib(init=False, default=None)
    confidence_: pd.Series = attr.ib(init=False)
    mean_: pd.Series = attr.ib(init=False)
    median_: pd.Series = attr.ib(init=False)
    std_: pd.Series = attr.ib(init=False)
    alpha_: float = attr.ib(init=False)
    workers_: pd.DataFrame = attr.ib(init=False)

    def __attrs_post_init__(self) -> None:
        if self.statistic not in ("posterior_median", "median", "mean"):
            raise ValueError("statistic: must be 'posterior_median', 'median' or 'mean'")
        if self.metric not in ("nominal", "ordinal", "interval", "ratio"):
            raise ValueError("metric: must be 'nominal', 'ordinal', 'interval' or 'ratio'")

    def fit(self, data: pd.DataFrame, gold: pd.Series | None = None) -> OrdinalAggregator:
        frame = check_answers(data, name="data")
        values = _numbers(frame[LABEL], "label")
        known = check_gold(gold)
        by_task = values.groupby(frame[TASK].to_numpy(), sort=False)
        self.mean_ = by_task.mean().rename_axis(TASK).rename("mean")
        self.median_ = by_task.quantile(0.5, interpolation="lower").rename_axis(TASK).rename("median")
        self.std_ = by_task.std(ddof=0).rename_axis(TASK).rename("std")
        if self.statistic == "posterior_median":
            labels, confidence = self._posterior_median(frame.assign(**{LABEL: values}), known)
        elif self.statistic == "median":
            labels = self.median_.rename("agg_label")
            confidence = _median_confidence(frame[TASK], values, labels)
        else:
            labels, confidence = self.mean_.rename("agg_label"), pd.Series(np.nan, index=self.mean_.index)
        if known is not None:
            clamped = labels.index.intersection(known.index)
            labels = labels.astype(float)
            labels[clamped] = _numbers(known[clamped], "gold").to_numpy()
            confidence[clamped] = 1.0
        self.labels_, self.confidence_ = labels, confidence.rename("confidence")
        self.alpha_ = krippendorff_alpha(frame.assign(**{LABEL: values}), metric=self.metric)
        deviation = values.to_numpy() - self.labels_.reindex(frame[TASK]).to_numpy()
        by_worker = pd.DataFrame({"deviation": deviation, "distance": np.abs(deviation)},
                                 index=frame[WORKER].to_numpy()).groupby(level=0, sort=False)
        self.workers_ = pd.DataFrame({"n_answers": by_worker.size(), "mae": by_worker["distance"].mean(),
                                      "bias": by_worker["deviation"].mean()}).rename_axis(WORKER)
        return self

    def fit_predict(self, data: pd.DataFrame) -> pd.Series:
        return self.fit(data).labels_

    def _posterior_median(self, frame: pd.DataFrame, known: pd.Series | None) -> tuple[pd.Series, pd.Series]:
        chosen = None if self.method == "auto" else methods.get(self.method)
        if chosen is not None and not chosen.posterior:
            raise ValueError(f"method: {chosen.name} gives no posterior; the ordinal consensus needs one")
        uses_gold = chosen is None or chosen.gold != "unused"
        result = aggregate(frame, method=self.method, gold=_numbers(known, "gold") if uses_gold and known is not None
                           else None)
        if result.probas is None:
            raise ValueError(f"method: {result.method} gives no posterior; the ordinal consensus needs one")
        points = np.asarray(result.probas.columns, dtype=float)
        order = np.argsort(points)
        probas = result.probas.to_numpy()[:, order]
        at = (np.cumsum(probas, axis=1) >= 0.5 - 1e-9).argmax(axis=1)
        self.posterior_ = result
        tasks = result.probas.index
        return (pd.Series(points[order][at], index=tasks, name="agg_label"),
                pd.Series(probas[np.arange(len(tasks)), at], index=tasks))


def _numbers(labels: pd.Series, name: str) -> pd.Series:
    values = pd.to_numeric(labels, errors="coerce")
    if values.isna().any():
        raise ValueError(f"{name}: ordinal answers must be numbers, got {labels[values.isna()].iloc[0]!r}")
    return values.astype(float)


def _median_confidence(tasks: pd.Series, values: pd.Series, medians: pd.Series) -> pd.Series:
    """Per task, P(the lower median of n draws from its smoothed answers = its median): see
    ``OrdinalAggregator.confidence_``."""
    task_codes = pd.Index(medians.index).get_indexer(tasks)
    points = np.unique(values.to_numpy())
    counts = np.zeros((len(medians), len(points)))
    np.add.at(counts, (task_codes, np.searchsorted(points, values.to_numpy())), 1.0)
    n = counts.sum(axis=1)
    shares = (counts + 1.0 / len(points)) / (n + 1.0)[:, None]
    cumulative = np.cumsum(shares, axis=1)
    at = np.searchsorted(points, medians.to_numpy(dtype=float))
    up_to = cumulative[np.arange(len(medians)), at]
    below = up_to - shares[np.arange(len(medians)), at]
    k = (n + 1) // 2  # the lower median is the k-th smallest of n
    probability = binom.sf(k - 1, n, up_to) - binom.sf(k - 1, n, below)
    return pd.Series(np.clip(probability, 0.0, 1.0), index=medians.index, name="confidence")


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
