"""MTurk's review policies' scoring, on plain answers: ScoreMyKnownAnswers (the share of an answer
key a worker got right) and SimplePlurality (agreement among a HIT's assignments)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_ANSWER_LENGTH = 256  # longer answers take no part in agreement (as on MTurk)


def _values(answer: Any) -> frozenset[str] | None:
    """A stored answer as the set of its trimmed values; None when there is none."""
    raw = answer if isinstance(answer, list) else [answer]
    values = frozenset(str(v).strip() for v in raw if v is not None and str(v).strip())
    return values or None


def known_answer_score(answer_key: Mapping[str, Sequence[str]],
                       answer: Mapping[str, Any]) -> tuple[dict[str, bool], int]:
    """Which known answers the worker got right, and the percentage right (rounded down)."""
    correct = {q: _values(answer.get(q)) == frozenset(expected) for q, expected in answer_key.items()}
    return correct, 100 * sum(correct.values()) // len(correct)


@dataclass(frozen=True)
class Agreement:
    """SimplePlurality's scores: per question the agreed answer (None when there is none) and its
    score, the HIT's score, and per assignment (score or None, answers agreeing, answers disagreeing)."""

    answers: dict[str, frozenset[str] | None]
    question_scores: dict[str, int]
    hit_score: int
    worker_scores: dict[str, tuple[int | None, int, int]]


def plurality(answers: Mapping[str, Mapping[str, Any]], question_ids: Sequence[str],
              threshold: int) -> Agreement:
    """Agreement among ``answers`` (assignment id -> answer): a question's plurality answer is agreed
    when it is the only most common one and more than ``threshold`` percent of the assignments gave it."""
    comparable = {a: {q: _comparable(answer.get(q)) for q in question_ids} for a, answer in answers.items()}
    agreed: dict[str, frozenset[str] | None] = {}
    scores: dict[str, int] = {}
    for question in question_ids:
        counts = Counter(v[question] for v in comparable.values() if v[question] is not None).most_common(2)
        unique = bool(counts) and (len(counts) == 1 or counts[0][1] > counts[1][1])
        score = 100 * counts[0][1] // len(answers) if unique else 0
        agreed[question] = counts[0][0] if unique and score > threshold else None
        if agreed[question] is not None:
            scores[question] = score
    settled = [q for q in question_ids if agreed[q] is not None]
    workers = {}
    for assignment, given in comparable.items():
        right = sum(given[q] == agreed[q] for q in settled)
        workers[assignment] = (100 * right // len(settled) if settled else None, right, len(settled) - right)
    return Agreement(agreed, scores, 100 * len(settled) // len(question_ids), workers)


def _comparable(answer: Any) -> frozenset[str] | None:
    values = _values(answer)
    return None if values is None or any(len(v) > MAX_ANSWER_LENGTH for v in values) else values
