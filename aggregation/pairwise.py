"""Pairwise comparisons ("which of the two is better?"): Bradley-Terry scores per item."""

from __future__ import annotations

from typing import Any

import attr
import numpy as np
import pandas as pd

from aggregation.frames import LABEL, WORKER

LEFT, RIGHT = "left", "right"


@attr.s(auto_attribs=True, kw_only=True)
class BradleyTerry:
    """Bradley-Terry (1952) strengths from comparisons, by Hunter's (2004) MM iterations.

    Data: columns ``worker``, ``left``, ``right``, ``label`` (the winner: equal to left or right),
    crowd-kit's pairwise layout. P(i beats j) = s_i / (s_i + s_j).

    Hyperparameters:
        n_iter: maximum number of iterations.
        tol: stop when the scores move by less than this (L1 distance).
        regularization: pseudo-comparisons of every item with a virtual item of average strength,
            one won and one lost per unit, so an item that never won (or never lost) still gets a
            finite score. 0 is the plain maximum-likelihood estimate.

    Fitted attributes:
        scores_: Series indexed by item, strengths summing to 1, highest first.
        workers_: DataFrame indexed by worker: ``n_answers`` and ``accuracy`` (share of their
            comparisons that agree with the fitted order; a tie in scores counts as half).
        n_iter_: the number of iterations run.
    """

    n_iter: int = 1000
    tol: float = 1e-8
    regularization: float = 0.1

    scores_: pd.Series = attr.ib(init=False)
    workers_: pd.DataFrame = attr.ib(init=False)
    n_iter_: int = attr.ib(init=False)

    def __attrs_post_init__(self) -> None:
        if self.n_iter < 1:
            raise ValueError("n_iter: must be at least 1")
        if self.regularization < 0:
            raise ValueError("regularization: must not be negative")

    def fit(self, data: pd.DataFrame) -> BradleyTerry:
        winners, losers, items = _coded(data)
        n_items = len(items)
        wins = np.bincount(winners, minlength=n_items) + self.regularization
        strength = np.full(n_items, 1.0 / n_items)
        for iteration in range(1, self.n_iter + 1):
            self.n_iter_ = iteration
            inverse = 1.0 / (strength[winners] + strength[losers])
            games: np.ndarray = np.bincount(winners, inverse, n_items) + np.bincount(losers, inverse, n_items)
            # the virtual item has the mean strength 1 / n_items; each item met it 2 * regularization times
            games += 2 * self.regularization / (strength + 1.0 / n_items)
            updated = wins / games
            updated /= updated.sum()
            moved = float(np.abs(updated - strength).sum())
            strength = updated
            if moved < self.tol:
                break
        self.scores_ = pd.Series(strength, index=items, name="score") \
            .sort_values(ascending=False, kind="stable")
        gap = strength[winners] - strength[losers]
        agree = np.where(gap > 0, 1.0, np.where(gap == 0, 0.5, 0.0))
        by_worker = pd.Series(agree, index=data[WORKER].to_numpy()).groupby(level=0, sort=False)
        self.workers_ = pd.DataFrame({"n_answers": by_worker.size(), "accuracy": by_worker.mean()}) \
            .rename_axis(WORKER)
        return self

    def fit_predict(self, data: pd.DataFrame) -> pd.Series:
        return self.fit(data).scores_


def _coded(data: Any) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in (WORKER, LEFT, RIGHT, LABEL) if c not in data.columns]
    if missing:
        raise ValueError(f"data: missing column(s) {', '.join(missing)} "
                         "(expected worker, left, right, label)")
    if data.empty:
        raise ValueError("data: no comparisons (the frame is empty)")
    if data[[WORKER, LEFT, RIGHT, LABEL]].isna().any().any():
        raise ValueError("data: comparisons with an empty worker, left, right or label")
    left_won = (data[LABEL] == data[LEFT]).to_numpy()
    right_won = (data[LABEL] == data[RIGHT]).to_numpy()
    if not (left_won | right_won).all():
        row = data[~(left_won | right_won)].iloc[0]
        raise ValueError(f"label: the winner must be left or right; got {row[LABEL]!r} "
                         f"for {row[LEFT]!r} vs {row[RIGHT]!r}")
    codes, items = pd.factorize(pd.concat([data[LEFT], data[RIGHT]]), sort=True)
    left, right = codes[:len(data)], codes[len(data):]
    winners = np.where(left_won, left, right)
    losers = np.where(left_won, right, left)
    return winners, losers, pd.Index(items)
