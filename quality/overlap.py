"""Dynamic overlap: ask for more answers only where the consensus is still uncertain.

A batch sets ``min_assignments``, ``max_assignments`` and ``confidence_target``. Its HITs start with
the minimum; after each aggregation, ``OverlapPolicy.changes`` says which HITs get one more
assignment (every slot answered, consensus confidence below the target, fewer slots than the
maximum) and which give back the slots nobody took yet (confidence at or above the target).

``simulate`` replays a real data set's answers in a seeded random order under a policy, and
``simulate_fixed`` does the same with a fixed number of answers per task, so both spend answers
drawn from the same order and can be compared on answers used and accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aggregation import aggregate
from aggregation.frames import TASK, check_answers, check_gold

MAX_OVERLAP = 1000


@dataclass(frozen=True)
class OverlapPolicy:
    min_assignments: int
    max_assignments: int
    confidence_target: float

    def __post_init__(self) -> None:
        problems = []
        low, high = self.min_assignments, self.max_assignments
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) \
                or not 1 <= low <= high <= MAX_OVERLAP:
            problems.append(f"min_assignments and max_assignments: need 1 <= minimum <= maximum <= {MAX_OVERLAP}")
        target = self.confidence_target
        if isinstance(target, bool) or not isinstance(target, int | float) or not 0.0 < target < 1.0:
            problems.append("confidence_target: must be a probability between 0 and 1 (exclusive)")
        if problems:
            raise ValueError("; ".join(problems))

    def changes(self, hits: pd.DataFrame) -> pd.Series:
        """The change of each HIT's number of assignments (0 for most).

        ``hits`` is indexed by HIT with the columns ``answers`` (answers the consensus counts),
        ``slots`` (its assignments now), ``open`` (slots nobody has accepted), ``pending`` (accepted,
        not yet submitted) and ``confidence`` (of its consensus label; NaN without one).
        """
        settled = (hits["open"] == 0) & (hits["pending"] == 0)
        confident = hits["confidence"].fillna(0.0) >= self.confidence_target
        short = (hits["answers"] < self.min_assignments) | ~confident
        grow = settled & short & (hits["slots"] < self.max_assignments)
        floor = np.maximum(self.min_assignments, hits["answers"] + hits["pending"])
        shrink = confident & (hits["open"] > 0) & (hits["slots"] > floor)
        change = pd.Series(0, index=hits.index, dtype=int)
        change[grow] = 1
        change[shrink] = (floor - hits["slots"])[shrink].astype(int)
        return change


@dataclass(frozen=True)
class Simulation:
    """What one replay spent and got: answers used, tasks, and accuracy on the gold tasks."""

    answers_used: int
    tasks: int
    correct: int
    gold_tasks: int
    rounds: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.gold_tasks if self.gold_tasks else float("nan")

    @property
    def answers_per_task(self) -> float:
        return self.answers_used / self.tasks if self.tasks else float("nan")


def replay_order(answers: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``answers`` with a column ``position``: each task's answers in a seeded random order (0, 1, ...)."""
    frame = check_answers(answers).reset_index(drop=True)
    shuffled = frame.sample(frac=1.0, random_state=np.random.default_rng(seed)).copy()
    shuffled["position"] = shuffled.groupby(TASK, sort=False).cumcount()
    return shuffled


def _score(used: pd.DataFrame, gold: pd.Series, method: str, rounds: int) -> Simulation:
    labels = aggregate(used, method=method).labels
    known = gold[gold.index.isin(labels.index)]
    correct = int((labels.reindex(known.index).to_numpy() == known.to_numpy()).sum())
    return Simulation(len(used), labels.size, correct, len(known), rounds)


def simulate_fixed(ordered: pd.DataFrame, gold: pd.Series, overlap: int, *, method: str = "ds") -> Simulation:
    """The first ``overlap`` answers of every task (of ``replay_order``'s order)."""
    return _score(ordered[ordered["position"] < overlap], check_gold(gold), method, 1)


def simulate(ordered: pd.DataFrame, gold: pd.Series, policy: OverlapPolicy, *, method: str = "ds") -> Simulation:
    """Replay ``policy``: every task starts with ``min_assignments`` answers; after each aggregation a
    task below the target gets its next answer, while it has one left and fewer than the maximum."""
    known = check_gold(gold)
    available = ordered.groupby(TASK, sort=False).size()
    taken = pd.Series(np.minimum(policy.min_assignments, available), index=available.index)
    rounds = 0
    while True:
        rounds += 1
        used = ordered[ordered["position"] < taken.reindex(ordered[TASK]).to_numpy()]
        confidence = aggregate(used, method=method).confidence.reindex(taken.index)
        more = (confidence < policy.confidence_target) & (taken < np.minimum(policy.max_assignments, available))
        if not more.any():
            return _score(used, known, method, rounds)
        taken[more] += 1
