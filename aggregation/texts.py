"""Free-text answers: the answer most similar to the others, or a ROVER merge for transcriptions."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Literal

import attr
import numpy as np
import pandas as pd

from aggregation.frames import LABEL, TASK, WORKER, check_answers


def similarity(a: str, b: str) -> float:
    """How alike two texts are, in [0, 1]: difflib's ratio over their words after case folding
    and whitespace collapsing (1.0: the same words in the same order)."""
    left, right = a.casefold().split(), b.casefold().split()
    if not left and not right:
        return 1.0
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


@attr.s(auto_attribs=True, kw_only=True)
class TextAggregator:
    """Consensus text per task.

    Hyperparameters:
        method: ``"medoid"`` picks the worker's text with the highest mean similarity to the other
            texts of the task (ties to the earlier answer); fits free-form answers (summaries,
            captions). With ``weights`` (one per answer, e.g. 1 - the probability that the answer
            is LLM-written) each similarity counts by the weight of the answer it is to, so a
            low-weight answer neither wins nor pulls the choice toward itself. ``"rover"`` merges the
            texts word by word with crowd-kit's ROVER (Fiscus 1997); fits transcriptions, where every
            worker types the same words.

    Fitted attributes:
        texts_: Series indexed by task, the consensus text.
        confidence_: Series indexed by task, the mean similarity of the task's texts to it.
        agreement_: Series indexed by task, the mean similarity between every two of its texts
            (NaN for a task with one answer).
        workers_: DataFrame indexed by worker: ``n_answers`` and ``similarity`` (mean similarity
            of their texts to the consensus).
    """

    method: Literal["medoid", "rover"] = "medoid"

    texts_: pd.Series = attr.ib(init=False)
    confidence_: pd.Series = attr.ib(init=False)
    agreement_: pd.Series = attr.ib(init=False)
    workers_: pd.DataFrame = attr.ib(init=False)

    def __attrs_post_init__(self) -> None:
        if self.method not in ("medoid", "rover"):
            raise ValueError("method: must be 'medoid' or 'rover'")

    def fit(self, data: pd.DataFrame, weights: pd.Series | np.ndarray | None = None) -> TextAggregator:
        frame = check_answers(data, name="data")
        weight = np.ones(len(frame)) if weights is None else np.asarray(weights, dtype=float)
        if len(weight) != len(frame) or np.any(weight < 0) or not np.all(np.isfinite(weight)):
            raise ValueError("weights: one non-negative weight per answer is needed")
        not_text = ~frame[LABEL].map(lambda value: isinstance(value, str))
        if not_text.any():
            first = frame[LABEL][not_text].iloc[0]
            raise ValueError(f"label: free-text answers must be strings, got {first!r}")
        texts, agreement = {}, {}
        for task, rows in frame.groupby(TASK, sort=False).indices.items():
            answers = frame[LABEL].iloc[rows]
            matrix = _similarities(list(answers))
            agreement[task] = _mean_off_diagonal(matrix)
            texts[task] = answers.iloc[int(np.argmax(matrix @ weight[rows] * weight[rows]))]
        self.texts_ = pd.Series(texts, name="text", dtype=object).rename_axis(TASK)
        if self.method == "rover":
            self.texts_ = _rover(frame).reindex(self.texts_.index)
        to_consensus = np.array([similarity(text, self.texts_[task])
                                 for task, text in zip(frame[TASK], frame[LABEL], strict=True)])
        self.confidence_ = pd.Series(to_consensus).groupby(frame[TASK].to_numpy(), sort=False).mean() \
            .rename_axis(TASK).rename("confidence")
        self.agreement_ = pd.Series(agreement, name="agreement", dtype=float).rename_axis(TASK)
        by_worker = pd.Series(to_consensus, index=frame[WORKER].to_numpy()).groupby(level=0, sort=False)
        self.workers_ = pd.DataFrame({"n_answers": by_worker.size(), "similarity": by_worker.mean()}) \
            .rename_axis(WORKER)
        return self

    def fit_predict(self, data: pd.DataFrame) -> pd.Series:
        return self.fit(data).texts_


def _similarities(texts: list[str]) -> np.ndarray:
    size = len(texts)
    matrix = np.eye(size)
    for i in range(size):
        for j in range(i + 1, size):
            matrix[i, j] = matrix[j, i] = similarity(texts[i], texts[j])
    return matrix


def _mean_off_diagonal(matrix: np.ndarray) -> float:
    size = len(matrix)
    return float((matrix.sum() - size) / (size * (size - 1))) if size > 1 else float("nan")


def _rover(frame: pd.DataFrame) -> pd.Series:
    from crowdkit.aggregation import ROVER

    rover = ROVER(tokenizer=str.split, detokenizer=" ".join)
    return rover.fit_predict(frame.rename(columns={LABEL: "text"}))
