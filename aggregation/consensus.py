"""One consensus per task for any answer shape, in one form: what a batch's results page stores.

``consensus(shape, answers)`` runs the estimator that ``aggregation.methods.ANSWER_SHAPES`` names
for the shape (the one place that decides it) and reads it back as a ``Consensus``: a JSON-able
value and a confidence (0-1) per task, a per-worker ``accuracy`` (0-1), and one agreement figure for
the whole set.

What the confidence and the worker accuracy are, per estimator:

- ``aggregate`` (categorical): the posterior of the consensus label; the expected share of the
  worker's answers that are right (see ``AggregationResult``). Agreement: Krippendorff's alpha, nominal.
- ``OrdinalAggregator`` (ordinal scales, labels are the points' ranks 1..K): the posterior median
  of ``method``'s posterior over the points (Dawid-Skene's by default: the point with the least
  expected distance in ranks to the truth), an integer rank; its posterior probability; the
  expected share of the worker's answers that are right, as for categorical (``mae`` and ``bias``
  say how far the worker's answers fall from the consensus). Agreement: Krippendorff's alpha,
  ordinal. (Measured once on the real 4-point sets of ../shared/datasets against gold, exact /
  mean distance in points: adult content posterior median 0.766 / 0.267, Dawid-Skene's mode 0.766 /
  0.267, plain median 0.751 / 0.303; TREC relevance 0.611 / 0.508, 0.617 / 0.513, 0.485 / 0.626.
  The plain median weighs a careless worker like a careful one.)
- ``BradleyTerry`` (pairwise, labels ``a``/``b``/``tie``): every batch answer is a comparison of
  the task's two items (``pairs``), and one Bradley-Terry fit scores every item (the ranking). A
  task's consensus is the item the scores prefer (``a`` or ``b``; ``tie`` only if they score the
  same), its confidence the Bradley-Terry probability that this item wins: so it reflects both the
  task's own answers and every other comparison of its items, and stays near 0.5 for two items of
  about equal strength, however many answers they get. Worker accuracy: the share of their
  answers that pick the consensus item, a tie (in the answer or in the consensus) counting half.
  Agreement: Krippendorff's alpha, nominal, over the answers a/b/tie.
- ``BinaryRelevance`` (multi_label): the probability that the whole consensus set is right; the
  mean probability that each of the worker's yes/no per class is right. Agreement: alpha over the
  sets as categories.
- ``BoxAggregator``, ``SpanAggregator``: the mean share of the task's workers behind its consensus
  boxes (spans), 1 for a consensus of "nothing" that every worker agreed on; the worker's F1 against
  the consensus. Agreement: the mean confidence.
- ``TextAggregator``: the mean similarity of the task's texts to the consensus text; the worker's
  mean similarity to it. Agreement: the mean pairwise similarity within tasks.

Known answers (``gold``) clamp their tasks for the single-label shapes: the known answer is the
task's consensus and worker accuracy is measured against it. The single-label readers also give
each worker a ``confusion`` matrix (rows given, columns true, in ``classes`` order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aggregation import pairwise
from aggregation.api import aggregate
from aggregation.boxes import BoxAggregator
from aggregation.frames import LABEL, TASK, WORKER, check_answers, check_gold, sorted_labels
from aggregation.methods import ANSWER_SHAPES, shape_entry
from aggregation.multilabel import BinaryRelevance
from aggregation.ordinal import OrdinalAggregator, krippendorff_alpha
from aggregation.spans import SpanAggregator
from aggregation.texts import TextAggregator

SHAPES = tuple(shape for shape, entry in ANSWER_SHAPES.items() if entry.estimator)
"""The shapes with a consensus."""
CATEGORICAL_SHAPES = tuple(shape for shape in SHAPES if ANSWER_SHAPES[shape].single_label)
"""The shapes with one label per answer (categorical, ordinal, pairwise): gold, spammer signs and
quality rules apply to them."""


@dataclass(frozen=True)
class Consensus:
    """Attributes:
        values: Series indexed by task, the consensus (a label, a list of labels, boxes, spans, text).
        confidence: Series indexed by task, 0-1.
        workers: DataFrame indexed by worker with ``n_answers`` and ``accuracy`` (0-1); for
            single-label answers also ``confusion`` (K x K, rows given, columns true, in
            ``classes`` order) when the method has one (ordinal also ``mae`` and ``bias``).
        agreement: one figure for the whole set (see the module docstring), NaN when unmeasurable.
        classes: the labels in sorted order (single-label answers), else None.
        method, reason: the method used and why.
    """

    values: pd.Series
    confidence: pd.Series
    workers: pd.DataFrame
    agreement: float
    classes: list[Any] | None
    method: str
    reason: str


@dataclass(frozen=True)
class Request:
    """What ``consensus`` was given, for the reader of the shape's estimator."""

    answers: pd.DataFrame
    method: str
    gold: pd.Series | None
    weights: pd.Series | None
    pairs: pd.DataFrame | None


def consensus(shape: str, answers: pd.DataFrame, *, method: str = "ds", gold: pd.Series | None = None,
              weights: pd.Series | None = None, pairs: pd.DataFrame | None = None) -> Consensus:
    """The consensus of ``answers`` (columns worker, task, label) of one answer ``shape``.

    ``method`` applies to the shapes whose estimator takes categorical methods (categorical, and
    multi-label per class); ``gold`` (known answers, indexed by task) to single-label shapes;
    ``weights`` (one per answer) to text answers (see ``TextAggregator``); ``pairs`` (indexed by
    task, columns left and right: the two items compared) to pairwise answers, where it is required.
    Raises ValueError naming the problem (unknown shape, bad input).
    """
    entry = shape_entry(shape)
    if gold is not None and not entry.single_label:
        single = ", ".join(CATEGORICAL_SHAPES)
        raise ValueError(f"gold: known answers are used for single-label shapes only ({single}), not {shape}")
    if entry.compares_items and pairs is None:
        raise ValueError(f"pairs: {shape} answers need the two items each task compares")
    assert entry.estimator is not None  # shape_entry refuses shapes without one
    return READERS[entry.estimator](Request(answers, method, gold, weights, pairs))


def _categorical(request: Request) -> Consensus:
    result = aggregate(request.answers, method=request.method, gold=request.gold)
    frame = check_answers(request.answers)
    return Consensus(result.labels, result.confidence, result.workers,
                     krippendorff_alpha(frame, metric="nominal"), list(result.classes), result.method,
                     result.reason)


def _ordinal(request: Request) -> Consensus:
    frame = check_answers(request.answers)
    model = OrdinalAggregator(statistic="posterior_median", method=request.method, metric="ordinal") \
        .fit(frame, request.gold)
    assert model.posterior_ is not None  # the posterior median keeps it
    values = model.labels_.map(lambda v: int(v) if float(v).is_integer() else float(v))
    workers = model.posterior_.workers.join(model.workers_[["mae", "bias"]])
    result = Consensus(values, model.confidence_, workers, model.alpha_, list(model.posterior_.classes),
                       f"OrdinalAggregator(posterior median, {model.posterior_.method})",
                       f"the posterior median point of the scale; {model.posterior_.reason}")
    return result if "confusion" in workers.columns else _with_confusion(result, frame)


def _pairwise(request: Request) -> Consensus:
    frame = check_answers(request.answers)
    known = check_gold(request.gold)
    assert request.pairs is not None  # consensus() requires them
    compared = pairwise.comparisons(frame, request.pairs, known)
    model = pairwise.BradleyTerry().fit(compared, compared["weight"])
    tasks = pd.Index(pd.unique(frame[TASK]), name=TASK)
    items = request.pairs.loc[tasks, [pairwise.LEFT, pairwise.RIGHT]].astype(str)
    gap = model.log_scores_.reindex(items[pairwise.LEFT]).to_numpy() \
        - model.log_scores_.reindex(items[pairwise.RIGHT]).to_numpy()
    p_left = 1.0 / (1.0 + np.exp(-gap))
    chosen = np.where(np.abs(gap) < 1e-9, pairwise.TIE, np.where(gap > 0, pairwise.A, pairwise.B))
    values = pd.Series(chosen, index=tasks, dtype=object)
    confidence = pd.Series(np.maximum(p_left, 1.0 - p_left), index=tasks, name="confidence")
    if known is not None:
        clamped = tasks.intersection(known.index)
        values[clamped], confidence[clamped] = known[clamped].to_numpy(), 1.0
    given, consensus_of = frame[LABEL].to_numpy(), values.reindex(frame[TASK]).to_numpy()
    half = (given == pairwise.TIE) != (consensus_of == pairwise.TIE)
    right = np.where(given == consensus_of, 1.0, np.where(half, 0.5, 0.0))
    return _with_confusion(Consensus(values, confidence, _accuracy(frame, right),
                                     krippendorff_alpha(frame, metric="nominal"), None, "BradleyTerry",
                                     "items ranked by Bradley-Terry scores; a HIT's consensus is the item "
                                     "the scores prefer"), frame)


def _accuracy(frame: pd.DataFrame, right: np.ndarray) -> pd.DataFrame:
    """Per worker: ``n_answers`` and ``accuracy``, the mean of ``right`` (one 0-1 per answer)."""
    by_worker = pd.Series(right, index=frame[WORKER].to_numpy()).groupby(level=0, sort=False)
    return pd.DataFrame({"n_answers": by_worker.size(), "accuracy": by_worker.mean()}).rename_axis(WORKER)


def _with_confusion(result: Consensus, frame: pd.DataFrame) -> Consensus:
    """``result`` with its ``classes`` and each worker's confusion matrix against the consensus
    (rows the worker's answer, columns the consensus; one pseudo-answer spread over each column, so
    a class the worker never met is a uniform column)."""
    classes = sorted_labels(pd.concat([frame[LABEL], result.values], ignore_index=True))
    given = classes.get_indexer(frame[LABEL])
    true = classes.get_indexer(result.values.reindex(frame[TASK]))
    workers = pd.Index(result.workers.index)
    counts = np.zeros((len(workers), len(classes), len(classes)))
    np.add.at(counts, (workers.get_indexer(frame[WORKER]), given, true), 1.0)
    counts += 1.0 / len(classes)
    matrices = counts / counts.sum(axis=1, keepdims=True)
    table = result.workers.assign(confusion=list(matrices))
    return Consensus(result.values, result.confidence, table, result.agreement, list(classes), result.method,
                     result.reason)


def _multi_label(request: Request) -> Consensus:
    method = request.method  # per class
    model = BinaryRelevance(method=method).fit(request.answers)
    frame = check_answers(request.answers)
    as_keys = frame.assign(**{LABEL: [",".join(map(str, sorted(map(str, v)))) for v in frame[LABEL]]})
    values = model.labels_.map(list)
    return Consensus(values, model.confidence_, model.workers_[["n_answers", "accuracy"]],
                     krippendorff_alpha(as_keys, metric="nominal"), None, f"BinaryRelevance({method})",
                     "one yes/no aggregation per label")


def _boxes(request: Request) -> Consensus:
    return _regions("boxes", request.answers)


def _spans(request: Request) -> Consensus:
    return _regions("spans", request.answers)


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


def _text(request: Request) -> Consensus:
    model = TextAggregator().fit(request.answers, request.weights)
    workers = model.workers_.rename(columns={"similarity": "accuracy"})
    return Consensus(model.texts_, model.confidence_, workers, float(model.agreement_.mean()), None,
                     "TextAggregator(medoid)", "the text most similar to the others")



READERS: dict[str, Callable[[Request], Consensus]] = {
    "aggregation.api.aggregate": _categorical,
    "aggregation.multilabel.BinaryRelevance": _multi_label,
    "aggregation.boxes.BoxAggregator": _boxes,
    "aggregation.spans.SpanAggregator": _spans,
    "aggregation.texts.TextAggregator": _text,
    "aggregation.ordinal.OrdinalAggregator": _ordinal,
    "aggregation.pairwise.BradleyTerry": _pairwise,
}
"""How each estimator of ``ANSWER_SHAPES`` is run and read back into a ``Consensus`` (keyed by the
estimator, not the shape: which estimator a shape gets is the registry's decision)."""
