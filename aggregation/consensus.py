"""One consensus per task for any answer shape, in one form: what a batch's results page stores.

``consensus(shape, answers)`` runs the shape's estimator (``aggregate`` for categorical answers,
``BinaryRelevance``, ``BoxAggregator``, ``SpanAggregator``, ``TextAggregator``) and reads it back as
a ``Consensus``: a JSON-able value and a confidence (0-1) per task, a per-worker ``accuracy`` (0-1),
and one agreement figure for the whole set.

What the confidence and the worker accuracy are, per shape:

- categorical (single labels, ordinal scales read as categories, pairwise choices): the posterior
  of the consensus label; the expected share of the worker's answers that are right (see
  ``AggregationResult``). Agreement: Krippendorff's alpha, nominal.
- multi_label: the probability that the whole consensus set is right; the mean probability that
  each of the worker's yes/no per class is right. Agreement: alpha over the sets as categories.
- boxes, spans: the mean share of the task's workers behind its consensus boxes (spans), 1 for a
  consensus of "nothing" that every worker agreed on; the worker's F1 against the consensus.
  Agreement: the mean confidence.
- text: the mean similarity of the task's texts to the consensus text; the worker's mean
  similarity to it. Agreement: the mean pairwise similarity within tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aggregation.api import aggregate
from aggregation.boxes import BoxAggregator
from aggregation.frames import LABEL, WORKER, check_answers
from aggregation.multilabel import BinaryRelevance
from aggregation.ordinal import krippendorff_alpha
from aggregation.spans import SpanAggregator
from aggregation.texts import TextAggregator

CATEGORICAL_SHAPES = ("categorical", "ordinal", "pairwise")
SHAPES = (*CATEGORICAL_SHAPES, "multi_label", "boxes", "spans", "text")


@dataclass(frozen=True)
class Consensus:
    """Attributes:
        values: Series indexed by task, the consensus (a label, a list of labels, boxes, spans, text).
        confidence: Series indexed by task, 0-1.
        workers: DataFrame indexed by worker with ``n_answers`` and ``accuracy`` (0-1); for
            categorical answers also ``confusion`` (K x K, rows given, columns true, in
            ``classes`` order) when the method has one.
        agreement: one figure for the whole set (see the module docstring), NaN when unmeasurable.
        classes: the labels in sorted order (categorical answers), else None.
        method, reason: the method used and why.
    """

    values: pd.Series
    confidence: pd.Series
    workers: pd.DataFrame
    agreement: float
    classes: list[Any] | None
    method: str
    reason: str


def consensus(shape: str, answers: pd.DataFrame, *, method: str = "ds", gold: pd.Series | None = None,
              weights: pd.Series | None = None) -> Consensus:
    """The consensus of ``answers`` (columns worker, task, label) of one answer ``shape``.

    ``method`` and ``gold`` apply to categorical shapes (see ``aggregate``); multi-label answers use
    ``method`` per class and no gold; ``weights`` (one per answer) apply to text answers (see
    ``TextAggregator``). Raises ValueError naming the problem (unknown shape, bad input).
    """
    if shape in CATEGORICAL_SHAPES:
        return _categorical(answers, method, gold)
    if gold is not None:
        raise ValueError(f"gold: known answers are used for categorical shapes only, not {shape}")
    if shape == "multi_label":
        return _multi_label(answers, method)
    if shape in ("boxes", "spans"):
        return _regions(shape, answers)
    if shape == "text":
        return _text(answers, weights)
    raise ValueError(f"shape: no consensus for {shape!r} answers; shapes: {', '.join(SHAPES)}")


def _categorical(answers: pd.DataFrame, method: str, gold: pd.Series | None) -> Consensus:
    result = aggregate(answers, method=method, gold=gold)
    frame = check_answers(answers)
    return Consensus(result.labels, result.confidence, result.workers,
                     krippendorff_alpha(frame, metric="nominal"), list(result.classes), result.method,
                     result.reason)


def _multi_label(answers: pd.DataFrame, method: str) -> Consensus:
    model = BinaryRelevance(method=method).fit(answers)
    frame = check_answers(answers)
    as_keys = frame.assign(**{LABEL: [",".join(map(str, sorted(map(str, v)))) for v in frame[LABEL]]})
    values = model.labels_.map(list)
    return Consensus(values, model.confidence_, model.workers_[["n_answers", "accuracy"]],
                     krippendorff_alpha(as_keys, metric="nominal"), None, f"BinaryRelevance({method})",
                     "one yes/no aggregation per label")


def _regions(shape: str, answers: pd.DataFrame) -> Consensus:
    model: BoxAggregator | SpanAggregator
    if shape == "boxes":
        model = BoxAggregator().fit(answers)
        values = model.boxes_
    else:
        model = SpanAggregator().fit(answers)
        values = model.spans_
    confidence = model.confidence_.map(lambda shares: float(np.mean(shares)) if len(shares) else 1.0)
    tally = model.workers_
    found = tally["matched"].to_numpy(dtype=float)
    drawn = found + tally["extra"].to_numpy(dtype=float) + tally["missed"].to_numpy(dtype=float)
    f1 = np.divide(2 * found, found + drawn, out=np.ones_like(found), where=(found + drawn) > 0)
    per_worker = check_answers(answers).groupby(WORKER, sort=False).size()
    workers = pd.DataFrame({"n_answers": per_worker.reindex(tally.index).to_numpy(), "accuracy": f1},
                           index=tally.index)
    name = type(model).__name__
    return Consensus(values.map(lambda regions: [list(r) for r in regions]), confidence, workers,
                     float(confidence.mean()), None, name, f"{name}: matched regions kept by support")


def _text(answers: pd.DataFrame, weights: pd.Series | None) -> Consensus:
    model = TextAggregator().fit(answers, weights)
    workers = model.workers_.rename(columns={"similarity": "accuracy"})
    return Consensus(model.texts_, model.confidence_, workers, float(model.agreement_.mean()), None,
                     "TextAggregator(medoid)", "the text most similar to the others")

