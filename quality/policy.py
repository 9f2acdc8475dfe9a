"""A requester's quality rules, and the decisions they make about workers from the evidence.

The evidence is a DataFrame indexed by worker (built by the caller from ``quality.scores`` and
``quality.spam``) with the columns ``n_answers``, ``gold_answers``, ``gold_accuracy``,
``gold_accuracy_low``, ``gold_accuracy_high``, ``separation``, ``independence_p``, ``run_label``, ``run_length``,
``run_disagreements`` and ``median_seconds`` (NaN where a detector had nothing to measure).
Each decision names the worker, the action and the reason in plain words, which is what the worker's
revoked qualification or block records.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Literal

import pandas as pd

Action = Literal["revoke", "block"]
INDEPENDENCE_P = 0.05
"""A worker is only called a uniform or constant answerer when a chi-square test finds no relation
between their answers and the consensus at this level (see quality.spam)."""
ACTIONS: tuple[Action, ...] = ("revoke", "block")


class PolicyError(ValueError):
    """Rules that cannot be applied; ``problems`` maps each field to what is wrong with it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = dict(problems)


def _check_action(problems: dict[str, str], action: object) -> None:
    if action not in ACTIONS:
        problems["action"] = f"must be one of: {', '.join(ACTIONS)}"


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class AccuracyRule:
    """Act on a worker whose gold accuracy (posterior mean, 0-100) is below ``threshold`` once they
    have answered at least ``min_gold_answers`` gold tasks."""

    threshold: int
    min_gold_answers: int = 10
    action: Action = "revoke"

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        if not _whole(self.threshold) or not 1 <= self.threshold <= 100:
            problems["threshold"] = "must be a whole number from 1 to 100"
        if not _whole(self.min_gold_answers) or not 1 <= self.min_gold_answers <= 10_000:
            problems["min_gold_answers"] = "must be a whole number from 1 to 10,000"
        _check_action(problems, self.action)
        if problems:
            raise PolicyError(problems)

    def reason(self, row: pd.Series) -> str | None:
        if row["gold_answers"] < self.min_gold_answers or math.isnan(row["gold_accuracy"]):
            return None
        score = round(100 * row["gold_accuracy"])
        if score >= self.threshold:
            return None
        low, high = round(100 * row["gold_accuracy_low"]), round(100 * row["gold_accuracy_high"])
        return (f"gold accuracy {score} (95% interval {low}-{high}) after {int(row['gold_answers'])} gold "
                f"answers is below {self.threshold}")


@dataclass(frozen=True)
class SpamRule:
    """Act on a worker showing any enabled spammer sign (a threshold of None turns a sign off):

    - ``max_separation``: after ``min_answers`` answers, their answers barely depend on the true
      label: ``quality.spam.separation`` below this (0 = uniform or constant answering) and no
      detectable relation to the consensus (``independence_p`` above ``INDEPENDENCE_P``);
    - ``max_run``: the same answer at least this many times in a row, while the consensus says
      otherwise on at least ``min_run_disagreement`` of those tasks;
    - ``min_seconds``: a median below this many seconds per answer.
    """

    action: Action = "revoke"
    max_separation: float | None = 0.1
    min_answers: int = 20
    max_run: int | None = 20
    min_run_disagreement: float = 0.2
    min_seconds: float | None = None

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        _check_action(problems, self.action)
        if self.max_separation is not None and not _in_range(self.max_separation, 0.0, 1.0):
            problems["max_separation"] = "must be a number from 0 to 1, or null to turn the sign off"
        if not _whole(self.min_answers) or not 2 <= self.min_answers <= 100_000:
            problems["min_answers"] = "must be a whole number from 2 to 100,000"
        if self.max_run is not None and (not _whole(self.max_run) or not 3 <= self.max_run <= 100_000):
            problems["max_run"] = "must be a whole number from 3 to 100,000, or null to turn the sign off"
        if not _in_range(self.min_run_disagreement, 0.0, 1.0):
            problems["min_run_disagreement"] = "must be a number from 0 to 1"
        if self.min_seconds is not None and not _in_range(self.min_seconds, 0.1, 86_400.0):
            problems["min_seconds"] = "must be a number from 0.1 to 86400, or null to turn the sign off"
        if problems:
            raise PolicyError(problems)

    def reasons(self, row: pd.Series) -> list[str]:
        found = []
        if self.max_separation is not None and row["n_answers"] >= self.min_answers \
                and not math.isnan(row["separation"]) and row["separation"] < self.max_separation \
                and row["independence_p"] > INDEPENDENCE_P:
            found.append(f"answers barely depend on the true label: separation {row['separation']:.2f} "
                         f"(below {self.max_separation:g}) over {int(row['n_answers'])} answers, no relation "
                         f"to the consensus (chi-square p = {row['independence_p']:.2f})")
        if self.max_run is not None and row["run_length"] >= self.max_run \
                and row["run_disagreements"] >= self.min_run_disagreement * row["run_length"]:
            found.append(f"answered {row['run_label']!r} {int(row['run_length'])} times in a row; the "
                         f"consensus differs on {int(row['run_disagreements'])} of those")
        if self.min_seconds is not None and not math.isnan(row["median_seconds"]) \
                and row["median_seconds"] < self.min_seconds:
            found.append(f"median {row['median_seconds']:.1f} s per answer, below the {self.min_seconds:g} s "
                         "floor")
        return found


def _in_range(value: object, low: float, high: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


@dataclass(frozen=True)
class Decision:
    worker: Hashable
    action: Action
    reason: str


@dataclass(frozen=True)
class QualityPolicy:
    """The rules a requester turned on; either may be None (off)."""

    accuracy: AccuracyRule | None = None
    spam: SpamRule | None = None

    def decide(self, evidence: pd.DataFrame) -> list[Decision]:
        """One decision per worker that breaks a rule (block wins over revoke; reasons joined)."""
        decisions = []
        for worker, row in evidence.iterrows():
            broken: list[tuple[Action, str]] = []
            if self.accuracy is not None and (why := self.accuracy.reason(row)):
                broken.append((self.accuracy.action, why))
            if self.spam is not None:
                broken += [(self.spam.action, why) for why in self.spam.reasons(row)]
            if broken:
                action: Action = "block" if any(a == "block" for a, _ in broken) else "revoke"
                decisions.append(Decision(worker, action, "; ".join(why for _, why in broken)))
        return decisions

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> QualityPolicy:
        """Build from ``{"accuracy": {...}, "spam": {...}}`` (JSON); PolicyError names bad fields."""
        raw = raw or {}
        problems: dict[str, str] = {}
        rules: dict[str, Any] = {}
        for name, kind in (("accuracy", AccuracyRule), ("spam", SpamRule)):
            given = raw.get(name)
            if given is None:
                continue
            if not isinstance(given, Mapping):
                problems[name] = "must be an object of the rule's settings, or null"
                continue
            known = {f.name: f for f in fields(kind)}
            problems |= {f"{name}.{key}": "is not a setting of this rule" for key in given if key not in known}
            problems |= {f"{name}.{key}": "is required" for key, f in known.items()
                         if f.default is MISSING and key not in given}
            if any(key.startswith(f"{name}.") for key in problems):
                continue
            try:
                rules[name] = kind(**given)
            except PolicyError as exc:
                problems |= {f"{name}.{k}": v for k, v in exc.problems.items()}
        if problems:
            raise PolicyError(problems)
        return cls(**rules)

    def to_dict(self) -> dict[str, Any]:
        return {"accuracy": None if self.accuracy is None else asdict(self.accuracy),
                "spam": None if self.spam is None else asdict(self.spam)}
