"""Multi-label answers (a set of labels per answer): binary relevance over a categorical method."""

from __future__ import annotations

from collections.abc import Iterable

import attr
import numpy as np
import pandas as pd

from aggregation import methods
from aggregation.frames import LABEL, TASK, WORKER, check_answers, sorted_labels


@attr.s(auto_attribs=True, kw_only=True)
class BinaryRelevance:
    """One yes/no question per class ("does the answer include c?"), each aggregated on its own.

    Each answer (the ``label`` column) is a list, tuple or set of labels; an empty one means "none
    applies". For every class seen, every answer becomes a yes or a no for that class and ``method``
    aggregates those; a class is in the consensus when its posterior is above 1/2 (exactly 1/2, as
    in a 1-1 vote, leaves it out).

    Hyperparameters:
        method: any categorical method of ``aggregation.methods`` (``"ds"``, ``"MajorityVote"``...).
            Methods without a posterior use the share of yes votes.

    Fitted attributes:
        labels_: Series indexed by task, the consensus as a sorted tuple of labels.
        probas_: DataFrame task x class, the probability that the class applies.
        confidence_: Series indexed by task, the probability that the whole set is right (the
            product over classes of the probability of the decision taken, treating classes as
            independent).
        workers_: DataFrame indexed by worker: ``n_answers`` and ``accuracy`` (the mean, over their
            answers and the classes, of the probability that their yes/no was right).
    """

    method: str = "ds"

    labels_: pd.Series = attr.ib(init=False)
    probas_: pd.DataFrame = attr.ib(init=False)
    confidence_: pd.Series = attr.ib(init=False)
    workers_: pd.DataFrame = attr.ib(init=False)

    def __attrs_post_init__(self) -> None:
        chosen = methods.get(self.method)
        if chosen.gold == "required":
            raise ValueError(f"method: {self.method} needs gold labels; binary relevance runs without them")

    def fit(self, data: pd.DataFrame) -> BinaryRelevance:
        frame = check_answers(data, name="data")
        set_of_labels = _as_sets(frame[LABEL])
        classes = sorted_labels(pd.Series([c for labels in set_of_labels for c in labels], dtype=object))
        tasks = pd.Index(pd.unique(frame[TASK]), name=TASK)
        chosen = methods.get(self.method)
        probas = pd.DataFrame(0.0, index=tasks, columns=classes)
        right = np.zeros((len(frame), len(classes)))
        for column, cls in enumerate(classes):
            says_yes = np.fromiter((cls in labels for labels in set_of_labels), bool, len(frame))
            binary = pd.DataFrame({TASK: frame[TASK].to_numpy(), WORKER: frame[WORKER].to_numpy(),
                                   LABEL: says_yes})
            yes = _probability_of_yes(chosen, binary).reindex(tasks).to_numpy()
            probas[cls] = yes
            task_yes = yes[tasks.get_indexer(binary[TASK])]
            right[:, column] = np.where(says_yes, task_yes, 1.0 - task_yes)
        self.probas_ = probas
        picked = probas.to_numpy() > 0.5
        self.labels_ = pd.Series([tuple(classes[row]) for row in picked], index=tasks, name="agg_label",
                                 dtype=object)
        decided = np.where(picked, probas.to_numpy(), 1.0 - probas.to_numpy())
        self.confidence_ = pd.Series(decided.prod(axis=1), index=tasks, name="confidence")
        by_worker = pd.Series(right.mean(axis=1) if len(classes) else np.ones(len(frame)),
                              index=frame[WORKER].to_numpy()).groupby(level=0, sort=False)
        self.workers_ = pd.DataFrame({"n_answers": by_worker.size(), "accuracy": by_worker.mean()}) \
            .rename_axis(WORKER)
        return self

    def fit_predict(self, data: pd.DataFrame) -> pd.Series:
        return self.fit(data).labels_


def _as_sets(labels: pd.Series) -> list[frozenset]:
    sets = []
    for value in labels:
        if not isinstance(value, Iterable) or isinstance(value, str | bytes):
            raise ValueError(f"label: a multi-label answer is a list or set of labels, got {value!r}")
        sets.append(frozenset(value))
    return sets


def _probability_of_yes(method: methods.Method, binary: pd.DataFrame) -> pd.Series:
    if not binary[LABEL].any():
        return pd.Series(0.0, index=pd.unique(binary[TASK]))
    if binary[LABEL].all():
        return pd.Series(1.0, index=pd.unique(binary[TASK]))
    fitted = method.fit(binary, None, None)
    if fitted.probas is not None:
        return fitted.probas.reindex(columns=[False, True], fill_value=0.0)[True]
    return binary.groupby(TASK, sort=False)[LABEL].mean()
