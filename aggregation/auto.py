"""``method="auto"``: pick a categorical method for one data set from what the data set itself shows.

With enough gold tasks (at least ``MIN_GOLD_TASKS`` answered ones), each of ``CANDIDATES`` is fitted
*without* the gold labels and scored on them; the most accurate wins. Ties go to the method the rule
below would pick, then to the earlier candidate. ``aggregate`` then fits the winner with the gold
labels clamped, if the winner uses them (``ds``, ``ds_shrunk``).

Without gold (or with too little), a documented rule on the shape of the data:

1. every task has one answer: ``MajorityVote`` (nothing to weigh);
2. the worker behind a typical answer gave fewer than ``2 K^2`` answers (K = number of labels;
   "typical" = the answer-weighted mean, sum n_w^2 / sum n_w): ``MajorityVote``, because a K x K
   confusion matrix cannot be learned from so few answers and Dawid-Skene then chases noise;
3. otherwise ``ds_shrunk``: Dawid-Skene, whose one-coin shrinkage keeps the workers with few
   answers from hurting.

benchmarks/README.md reports how both ways do on the real data sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aggregation import methods
from aggregation.frames import LABEL, TASK, WORKER

CANDIDATES = ("MajorityVote", "Wawa", "ds", "ds_shrunk")
MIN_GOLD_TASKS = 30


@dataclass(frozen=True)
class Choice:
    method: str
    reason: str


def choose(frame: pd.DataFrame, gold: pd.Series | None) -> Choice:
    """The method for ``frame`` (a checked answers frame) and a one-line reason."""
    rule = _by_shape(frame)
    if gold is None:
        return rule
    known = gold[gold.index.isin(frame[TASK].unique())]
    if len(known) < MIN_GOLD_TASKS:
        return Choice(rule.method, f"{rule.reason} (only {len(known)} answered gold task(s); "
                                   f"at least {MIN_GOLD_TASKS} are needed to compare methods on gold)")
    return _by_gold(frame, known, rule)


def _by_shape(frame: pd.DataFrame) -> Choice:
    per_task = frame.groupby(TASK, sort=False).size()
    if int(per_task.max()) == 1:
        return Choice("MajorityVote", "each task has a single answer: there is nothing to weigh")
    n_labels = frame[LABEL].nunique()
    per_worker = frame.groupby(WORKER, sort=False).size().to_numpy(dtype=float)
    typical = float((per_worker ** 2).sum() / per_worker.sum())
    needed = 2 * n_labels ** 2
    if typical < needed:
        return Choice("MajorityVote", f"the typical answer comes from a worker with {typical:.0f} answers, "
                                      f"fewer than the {needed} a {n_labels}x{n_labels} confusion matrix "
                                      "needs")
    return Choice("ds_shrunk", f"the typical answer comes from a worker with {typical:.0f} answers "
                               f"(>= {needed} for {n_labels} labels): enough to learn confusion matrices")


def _by_gold(frame: pd.DataFrame, gold: pd.Series, rule: Choice) -> Choice:
    scores = {}
    for name in CANDIDATES:
        method = methods.get(name)
        labels = method.fit(frame, None, None).labels.reindex(gold.index)
        scores[name] = float(np.mean(labels.to_numpy() == gold.to_numpy()))
    best = max(scores.values())
    tied = [name for name, score in scores.items() if score == best]
    winner = rule.method if rule.method in tied else tied[0]
    others = ", ".join(f"{name} {score:.3f}" for name, score in scores.items() if name != winner)
    return Choice(winner, f"most accurate on {len(gold)} gold tasks: {best:.3f} ({others}); "
                          "each method fitted without the gold labels")
