"""Pairwise comparisons ("which of the two is better?"): Bradley-Terry scores per item, and the
ranking of a batch of pairwise tasks (``comparisons``, ``ranking``)."""

from __future__ import annotations

from typing import Any

import attr
import numpy as np
import pandas as pd

from aggregation.frames import LABEL, TASK, WORKER, check_answers, check_gold

LEFT, RIGHT = "left", "right"
A, B, TIE = "a", "b", "tie"
"""A pairwise task's answers: its first item (left) wins, its second (right), or neither."""
Z95 = 1.959963984540054


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
        max_interval_items: standard errors need the inverse of an items x items matrix; above
            this many items ``log_errors_`` is NaN.

    ``fit(data, weights)``: each comparison counts ``weights`` (one per row; 0.5 and 0.5 for the two
    halves of a tie).

    Fitted attributes:
        scores_: Series indexed by item, strengths summing to 1, highest first.
        log_scores_: the same items' log-strengths minus their mean (0 = an average item; i beats j
            with probability 1 / (1 + exp(log_j - log_i))).
        log_errors_: Series indexed by item, the standard error of ``log_scores_`` (the inverse of
            the Fisher information of the regularized likelihood), NaN above ``max_interval_items``.
        workers_: DataFrame indexed by worker: ``n_answers`` and ``accuracy`` (share of their
            comparisons that agree with the fitted order; a tie in scores counts as half).
        n_iter_: the number of iterations run.
    """

    n_iter: int = 1000
    tol: float = 1e-8
    regularization: float = 0.1
    max_interval_items: int = 2000

    scores_: pd.Series = attr.ib(init=False)
    log_scores_: pd.Series = attr.ib(init=False)
    log_errors_: pd.Series = attr.ib(init=False)
    workers_: pd.DataFrame = attr.ib(init=False)
    n_iter_: int = attr.ib(init=False)

    def __attrs_post_init__(self) -> None:
        if self.n_iter < 1:
            raise ValueError("n_iter: must be at least 1")
        if self.regularization < 0:
            raise ValueError("regularization: must not be negative")

    def fit(self, data: pd.DataFrame, weights: Any = None) -> BradleyTerry:
        winners, losers, items = _coded(data)
        weight = np.ones(len(winners)) if weights is None else np.asarray(weights, dtype=float)
        if weight.shape != winners.shape or not (weight >= 0).all():
            raise ValueError("weights: one non-negative number per comparison")
        n_items = len(items)
        wins = np.bincount(winners, weight, n_items) + self.regularization
        strength = np.full(n_items, 1.0 / n_items)
        for iteration in range(1, self.n_iter + 1):
            self.n_iter_ = iteration
            inverse = weight / (strength[winners] + strength[losers])
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
        logs = np.log(strength)
        self.log_scores_ = pd.Series(logs - logs.mean(), index=items, name="log_score")
        errors = self._log_errors(strength, winners, losers, weight) if n_items <= self.max_interval_items \
            else np.full(n_items, np.nan)
        self.log_errors_ = pd.Series(errors, index=items, name="log_error")
        gap = strength[winners] - strength[losers]
        agree = np.where(gap > 0, 1.0, np.where(gap == 0, 0.5, 0.0))
        by_worker = pd.Series(agree, index=data[WORKER].to_numpy()).groupby(level=0, sort=False)
        self.workers_ = pd.DataFrame({"n_answers": by_worker.size(), "accuracy": by_worker.mean()}) \
            .rename_axis(WORKER)
        return self

    def fit_predict(self, data: pd.DataFrame) -> pd.Series:
        return self.fit(data).scores_

    def _log_errors(self, strength: np.ndarray, winners: np.ndarray, losers: np.ndarray,
                    weight: np.ndarray) -> np.ndarray:
        """Standard errors of the centred log-strengths from the observed Fisher information."""
        n_items = len(strength)
        p = strength[winners] / (strength[winners] + strength[losers])
        info = weight * p * (1 - p)
        fisher = np.zeros((n_items, n_items))
        np.add.at(fisher, (winners, winners), info)
        np.add.at(fisher, (losers, losers), info)
        np.add.at(fisher, (winners, losers), -info)
        np.add.at(fisher, (losers, winners), -info)
        virtual = 1.0 / n_items
        fisher[np.diag_indices(n_items)] += 2 * self.regularization * strength * virtual / (strength + virtual) ** 2
        covariance = np.linalg.pinv(fisher, hermitian=True)
        row_means = covariance.mean(axis=1)
        variance = np.diag(covariance) - 2 * row_means + row_means.mean()  # of log-strength minus the mean
        return np.sqrt(np.clip(variance, 0.0, None))


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


def comparisons(answers: pd.DataFrame, pairs: pd.DataFrame, gold: pd.Series | None = None) -> pd.DataFrame:
    """Pairwise answers (worker, task, label ``a``/``b``/``tie``) as comparisons for ``BradleyTerry``:
    worker, task, left, right, label (the winning item), weight. A tie is two half comparisons, one
    won by each item. ``pairs`` holds each task's two items (index task, columns left, right).

    On a task with a known answer (``gold``) every answer counts as that answer: the known outcome
    has as much weight in the scores as the crowd had on that pair.
    """
    frame = check_answers(answers)
    known = check_gold(gold)
    if not isinstance(pairs, pd.DataFrame) or {LEFT, RIGHT} - set(pairs.columns):
        raise ValueError("pairs: a DataFrame indexed by task with the columns left and right")
    missing = ~frame[TASK].isin(pairs.index)
    if missing.any():
        raise ValueError(f"pairs: task {frame[TASK][missing].tolist()[0]!r} has no pair of items")
    outcome = frame[LABEL].astype(object).to_numpy()
    if known is not None:
        on_gold = known.reindex(frame[TASK]).to_numpy()
        outcome = np.where(pd.isna(on_gold), outcome, on_gold)
    bad = ~np.isin(outcome, [A, B, TIE])
    if bad.any():
        raise ValueError(f"label: pairwise answers are 'a', 'b' or 'tie'; got {outcome[bad][0]!r}")
    items = pairs.loc[frame[TASK], [LEFT, RIGHT]].astype(str)
    base = pd.DataFrame({WORKER: frame[WORKER].to_numpy(), TASK: frame[TASK].to_numpy(),
                         LEFT: items[LEFT].to_numpy(), RIGHT: items[RIGHT].to_numpy()})
    tie = outcome == TIE
    decided = base[~tie].assign(**{LABEL: np.where(outcome[~tie] == A, base[LEFT][~tie], base[RIGHT][~tie]),
                                   "weight": 1.0})
    left_half = base[tie].assign(**{LABEL: base[LEFT][tie], "weight": 0.5})
    right_half = base[tie].assign(**{LABEL: base[RIGHT][tie], "weight": 0.5})
    return pd.concat([decided, left_half, right_half], ignore_index=True)


def ranking(model: BradleyTerry, compared: pd.DataFrame) -> pd.DataFrame:
    """The fitted items, best first: ``score`` (centred log-strength), ``low`` and ``high`` (its 95%
    Wald interval, NaN when the model has no standard errors) and ``comparisons`` (how many tasks'
    answers compared the item, a tie counted once)."""
    once = compared[(compared["weight"] >= 1.0) | (compared[LABEL] == compared[LEFT])]  # one half of a tie
    counted = pd.concat([once[LEFT], once[RIGHT]])
    table = pd.DataFrame({"score": model.log_scores_,
                          "low": model.log_scores_ - Z95 * model.log_errors_,
                          "high": model.log_scores_ + Z95 * model.log_errors_})
    table["comparisons"] = counted.value_counts().reindex(table.index, fill_value=0).astype(int)
    return table.rename_axis("item").sort_values(["score"], ascending=False, kind="stable")
