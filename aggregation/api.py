"""``aggregate(answers, method, gold)``: the entry point for categorical answers (DESIGN.md's contract)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aggregation import auto, methods
from aggregation.frames import LABEL, TASK, WORKER, check_answers, check_gold, sorted_labels
from aggregation.methods import Fitted, Method, Progress


@dataclass(frozen=True)
class AggregationResult:
    """Consensus per task and quality per worker.

    Attributes:
        labels: Series indexed by task (order of first appearance in the answers), the consensus label.
        confidence: Series indexed by task, the posterior probability of that label (methods
            without a posterior: the share of the task's answers that agree with it).
        workers: DataFrame indexed by worker with ``n_answers`` and ``accuracy`` (the expected share
            of the worker's answers that are right under the posterior; without one, the share that
            agree with the consensus), plus ``skill`` (methods with one skill per worker) or
            ``confusion`` (Dawid-Skene methods: a K x K array, rows = the worker's answer, columns =
            the true label, both in ``classes`` order, each column summing to 1).
        probas: DataFrame task x label of posterior probabilities, or None.
        classes: the labels in sorted order (the tie-break order and the axes of ``confusion``).
        method: the method that produced the labels (for ``auto``, the one it picked).
        reason: why that method (``auto``), or what it is.
    """

    labels: pd.Series
    confidence: pd.Series
    workers: pd.DataFrame
    probas: pd.DataFrame | None
    classes: pd.Index
    method: str
    reason: str

    def to_frame(self) -> pd.DataFrame:
        """The table the CLI writes: task, label, confidence."""
        return pd.DataFrame({TASK: self.labels.index, LABEL: self.labels.to_numpy(),
                             "confidence": self.confidence.to_numpy()})


def aggregate(answers: pd.DataFrame, method: str = "ds", gold: pd.Series | None = None, *,
              progress: Progress | None = None) -> AggregationResult:
    """Consensus labels for categorical ``answers`` (columns worker, task, label).

    ``method``: ``"ds"`` (LabelHub's Dawid-Skene), a crowd-kit class name (``"MajorityVote"``,
    ``"DawidSkene"``, ``"GLAD"``...; see ``methods.METHODS``) or ``"auto"`` (see ``aggregation.auto``).
    ``gold``: known labels, a Series indexed by task. ``ds`` and ``DawidSkene`` clamp those tasks to
    them during EM; ``GoldMajorityVote`` requires them; ``auto`` uses them to choose the method.
    Giving them to a method that cannot use them is an error rather than silently ignored.
    ``progress(n)`` is called as iterative work advances (``ds`` only: once per EM iteration).

    Raises ValueError naming the problem: missing column, empty answers, unknown method, gold given
    to a method that ignores it or missing for one that needs it, KOS on more than two labels.
    """
    frame = check_answers(answers)
    known = check_gold(gold)
    classes = sorted_labels(frame[LABEL] if known is None else pd.concat([frame[LABEL], known]))
    if method == "auto":
        choice = auto.choose(frame, known)
        chosen, reason = methods.get(choice.method), choice.reason
        if chosen.gold == "unused":
            known = None
    else:
        chosen = methods.get(method)
        reason = chosen.summary
        _check_gold_use(chosen, known)
    methods.check_binary(frame, chosen)
    fitted = chosen.fit(frame, known, progress)
    return build_result(frame, fitted, classes, chosen.name, reason)


def _check_gold_use(method: Method, gold: pd.Series | None) -> None:
    if method.gold == "required" and gold is None:
        raise ValueError(f"gold: method {method.name} needs gold labels (tasks with known answers)")
    if method.gold == "unused" and gold is not None:
        users = ", ".join(["auto", *(m.name for m in methods.METHODS.values() if m.gold != "unused")])
        raise ValueError(f"gold: method {method.name} does not use gold labels; methods that do: {users}")


def build_result(frame: pd.DataFrame, fitted: Fitted, classes: pd.Index, method: str,
                 reason: str) -> AggregationResult:
    """Read a fitted method back into an ``AggregationResult`` (tasks in order of first appearance)."""
    tasks = pd.Index(pd.unique(frame[TASK]), name=TASK)
    labels = fitted.labels.reindex(tasks).rename(LABEL)
    if fitted.probas is not None:
        probas = fitted.probas.reindex(index=tasks, columns=classes, fill_value=0.0)
        picked = probas.to_numpy()[np.arange(len(tasks)), classes.get_indexer(labels.to_numpy())]
        confidence = pd.Series(picked, index=tasks, name="confidence")
        right = _posterior_of_answers(probas, frame)
    else:
        probas = None
        confidence = methods.vote_shares(frame, labels).reindex(tasks).rename("confidence")
        right = (frame[LABEL].to_numpy() == labels.reindex(frame[TASK]).to_numpy()).astype(float)
    by_worker = pd.Series(right, index=frame[WORKER].to_numpy()).groupby(level=0, sort=False)
    workers = pd.DataFrame({"n_answers": by_worker.size(), "accuracy": by_worker.mean()})
    workers.index.name = WORKER
    if fitted.skills is not None:
        workers["skill"] = fitted.skills.reindex(workers.index).to_numpy()
    if fitted.confusion is not None:
        workers["confusion"] = _confusion_column(fitted.confusion, workers.index, classes)
    return AggregationResult(labels, confidence, workers, probas, classes, method, reason)


def _posterior_of_answers(probas: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """P(true label = the given label) for each answer."""
    rows = probas.index.get_indexer(frame[TASK])
    cols = probas.columns.get_indexer(frame[LABEL])
    return probas.to_numpy()[rows, cols]


def _confusion_column(errors: pd.DataFrame, workers: pd.Index, classes: pd.Index) -> list[np.ndarray]:
    full = pd.MultiIndex.from_product([workers, classes], names=[WORKER, LABEL])
    table = errors.reindex(columns=classes, fill_value=0.0).reindex(full, fill_value=0.0)
    cube = table.to_numpy().reshape(len(workers), len(classes), len(classes))
    return list(cube)
