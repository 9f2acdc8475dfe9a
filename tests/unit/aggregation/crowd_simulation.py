"""Seeded simulated crowds for the aggregation tests: workers with known accuracies answer tasks with
known true labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Crowd:
    answers: pd.DataFrame  # worker, task, label
    truth: pd.Series  # true label per task
    accuracy: pd.Series  # true accuracy per worker


def simulate(*, n_tasks: int, n_workers: int, per_task: int, labels: tuple = ("a", "b", "c"),
             accuracy: tuple[float, float] = (0.55, 0.95), seed: int = 0) -> Crowd:
    """Each task gets ``per_task`` distinct random workers; a worker answers right with their own
    accuracy (drawn uniformly from ``accuracy``) and otherwise picks a wrong label uniformly."""
    rng = np.random.default_rng(seed)
    k = len(labels)
    truth = rng.integers(0, k, n_tasks)
    skill = rng.uniform(*accuracy, n_workers)
    workers = np.argsort(rng.random((n_tasks, n_workers)), axis=1)[:, :per_task].ravel()
    tasks = np.repeat(np.arange(n_tasks), per_task)
    right = rng.random(len(tasks)) < skill[workers]
    given = np.where(right, truth[tasks], (truth[tasks] + rng.integers(1, k, len(tasks))) % k)
    names = np.asarray(labels, dtype=object)
    answers = pd.DataFrame({"worker": [f"w{w:03d}" for w in workers], "task": [f"t{t:05d}" for t in tasks],
                            "label": names[given]})
    truth_series = pd.Series(names[truth], index=[f"t{t:05d}" for t in range(n_tasks)], name="label")
    accuracy_series = pd.Series(skill, index=[f"w{w:03d}" for w in range(n_workers)], name="accuracy")
    return Crowd(answers, truth_series, accuracy_series)
