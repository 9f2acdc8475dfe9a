"""Worker accuracy with its uncertainty, from the consensus posterior and from gold answers.

A worker's accuracy is a Beta posterior over the share of their answers that are right. Its counts:

- ``expected_correct``: the sum, over the worker's answers, of the consensus posterior that the
  answer is the true label (Dawid-Skene's view of the worker, read off the same posterior its
  confusion matrix comes from). On gold tasks the posterior is clamped to the known label, so those
  answers count exactly 0 or 1;
- ``gold_correct`` of ``gold_answers``: exact counts on the tasks with a known answer.

With the uniform prior Beta(1, 1), a worker with 2 answers out of 2 right gets a mean of 0.75 and a
95% interval of 0.29-0.99; with 200 out of 200, 0.995 and 0.98-1.00. Counts from several batches
add up, so the same functions give a worker's accuracy across a requester's batches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import beta

PRIOR = (1.0, 1.0)
LEVEL = 0.95
COUNT_COLUMNS = ("n_answers", "expected_correct", "gold_answers", "gold_correct")


def beta_posterior(correct: np.ndarray | float, total: np.ndarray | float, *, prior: tuple[float, float] = PRIOR,
                   level: float = LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and equal-tailed ``level`` interval of Beta(prior_a + correct, prior_b + total - correct).

    ``correct`` may be fractional (expected counts). Raises ValueError on counts outside 0..total.
    """
    correct, total = np.asarray(correct, dtype=float), np.asarray(total, dtype=float)
    if np.any(total < 0) or np.any(correct < -1e-9) or np.any(correct > total + 1e-9):
        raise ValueError("counts: correct answers must lie between 0 and the number of answers")
    a = prior[0] + np.clip(correct, 0.0, None)
    b = prior[1] + np.clip(total - correct, 0.0, None)
    tail = (1.0 - level) / 2.0
    return a / (a + b), beta.ppf(tail, a, b), beta.ppf(1.0 - tail, a, b)


def worker_counts(answers: pd.DataFrame, accuracy: pd.Series, gold: pd.Series | None = None) -> pd.DataFrame:
    """Per worker: ``n_answers``, ``expected_correct``, ``gold_answers`` and ``gold_correct``.

    ``answers`` has the columns worker, task, label; ``accuracy`` is the share of each worker's
    answers the consensus holds right (``AggregationResult.workers["accuracy"]``: the expected share
    under the posterior), so ``expected_correct`` = accuracy x answers; ``gold`` holds the known
    labels, indexed by task.
    """
    workers = answers["worker"].to_numpy()
    frame = pd.DataFrame({"worker": workers, "n_answers": 1})
    if gold is not None and len(gold):
        known = gold.reindex(answers["task"]).to_numpy()
        has_gold = ~pd.isna(known)
        frame["gold_answers"] = has_gold.astype(int)
        frame["gold_correct"] = (has_gold & (answers["label"].to_numpy() == known)).astype(int)
    else:
        frame["gold_answers"] = frame["gold_correct"] = 0
    counts = frame.groupby("worker", sort=False)[["n_answers", "gold_answers", "gold_correct"]].sum()
    share = accuracy.reindex(counts.index)
    if share.isna().any():
        raise ValueError(f"accuracy: no value for worker {share.index[share.isna()][0]!r}")
    counts.insert(1, "expected_correct", share.to_numpy(dtype=float) * counts["n_answers"].to_numpy())
    return counts


def accuracy_table(counts: pd.DataFrame, *, level: float = LEVEL) -> pd.DataFrame:
    """Add the posterior accuracy (``accuracy``, ``accuracy_low``, ``accuracy_high``), the same from
    gold answers alone (``gold_accuracy``..., NaN without gold answers) and ``score``: the accuracy
    as an integer 0-100, the value the qualification feed writes."""
    table = counts.copy()
    mean, low, high = beta_posterior(table["expected_correct"], table["n_answers"], level=level)
    table["accuracy"], table["accuracy_low"], table["accuracy_high"] = mean, low, high
    g_mean, g_low, g_high = beta_posterior(table["gold_correct"], table["gold_answers"], level=level)
    no_gold = table["gold_answers"].to_numpy() == 0
    table["gold_accuracy"] = np.where(no_gold, np.nan, g_mean)
    table["gold_accuracy_low"] = np.where(no_gold, np.nan, g_low)
    table["gold_accuracy_high"] = np.where(no_gold, np.nan, g_high)
    table["score"] = np.rint(100.0 * mean).astype(int)
    return table


def combine(*tables: pd.DataFrame) -> pd.DataFrame:
    """Sum the counts of several batches' ``worker_counts`` (workers are matched by index)."""
    present = [t[list(COUNT_COLUMNS)] for t in tables if len(t)]
    if not present:
        return pd.DataFrame(columns=list(COUNT_COLUMNS))
    total = pd.concat(present).groupby(level=0, sort=False).sum()
    for column in ("n_answers", "gold_answers", "gold_correct"):
        total[column] = total[column].astype(int)
    return total

