"""LabelHub's Dawid-Skene: the EM of crowd-kit's ``DawidSkene`` on sparse integer-coded arrays.

One sparse matrix ``A`` (tasks x (worker, given label)) holds every answer; an E-step is ``A @ log E``
and an M-step is ``A.T @ P``, so an iteration costs two sparse products and no Python loop per
answer. Initialisation, clipping, priors and the stopping rule follow crowd-kit 1.4.2, so on the same
data both give the same labels (tests and ``benchmarks/aggregation.py`` check it).
"""

from __future__ import annotations

from collections.abc import Callable

import attr
import numpy as np
import pandas as pd
import scipy.sparse as sp

from aggregation.frames import LABEL, WORKER, Coded, check_answers, check_gold, encode

_EPS = 1e-10  # crowd-kit's floor for probabilities and error-matrix entries


@attr.s(auto_attribs=True, kw_only=True)
class FastDawidSkene:
    """Dawid-Skene (1979): a confusion matrix per worker and a posterior over the true label per task.

    Hyperparameters:
        n_iter: maximum number of EM iterations.
        tol: EM stops when the evidence lower bound per answer improves by less than ``tol``.
        shrinkage: pseudo-answers per true class that pull each worker's confusion matrix toward
            a one-coin matrix (the worker's own accuracy on the diagonal, the rest spread evenly).
            The one-coin accuracy is itself pulled toward the crowd's by the same pseudo-count, so a
            worker with 3 answers gets a matrix close to the crowd's typical one, while a worker with
            300 keeps their own. ``0`` is plain Dawid-Skene, exactly crowd-kit's model.

    ``fit(data, true_labels=gold)`` clamps the posterior of tasks with a known label to that label
    in every iteration (crowd-kit's ``DawidSkene`` does the same), so gold answers teach the
    confusion matrices and never move.

    Tie-break: the label is the argmax of the posterior over the labels in sorted order, so an exact
    tie goes to the label that sorts first (crowd-kit's ``idxmax`` over its sorted columns does too).

    Fitted attributes:
        probas_: DataFrame (task x label), posterior probability of each label.
        labels_: Series indexed by task, the most probable label.
        priors_: Series indexed by label, the estimated class prior.
        errors_: DataFrame indexed by (worker, given label) with a column per true label:
            ``errors_.loc[(w, given), true]`` = P(worker w answers ``given`` | true label), as in
            crowd-kit.
        skills_: Series indexed by worker, the expected share of the worker's answers that are right.
        n_answers_: Series indexed by worker, the number of answers.
        loss_history_: the evidence lower bound per answer after each iteration.
        n_iter_: the number of iterations run.
    """

    n_iter: int = 100
    tol: float = 1e-5
    shrinkage: float = 0.0

    probas_: pd.DataFrame = attr.ib(init=False)
    labels_: pd.Series = attr.ib(init=False)
    priors_: pd.Series = attr.ib(init=False)
    errors_: pd.DataFrame = attr.ib(init=False)
    skills_: pd.Series = attr.ib(init=False)
    n_answers_: pd.Series = attr.ib(init=False)
    loss_history_: list[float] = attr.ib(init=False)
    n_iter_: int = attr.ib(init=False)

    def __attrs_post_init__(self) -> None:
        if self.n_iter < 1:
            raise ValueError("n_iter: must be at least 1")
        if self.tol < 0:
            raise ValueError("tol: must not be negative")
        if self.shrinkage < 0:
            raise ValueError("shrinkage: must not be negative")

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None, *,
            progress: Callable[[int], None] | None = None) -> FastDawidSkene:
        """Run EM on ``data`` (columns task, worker, label). ``progress(1)`` is called per iteration."""
        frame = check_answers(data, name="data")
        gold = check_gold(true_labels)
        coded = encode(frame, None if gold is None else gold[gold.index.isin(frame["task"].unique())])
        model = _Model(coded, self.shrinkage, gold)
        probas = model.clamp(model.vote_shares())
        priors = model.priors(probas)
        errors = model.m_step(model.counts(probas))
        previous, history = -np.inf, []
        for _ in range(self.n_iter):
            probas = model.clamp(model.e_step(errors, priors))
            priors = model.priors(probas)
            counts = model.counts(probas)
            errors = model.m_step(counts)
            loss = model.elbo(probas, priors, errors, counts)
            history.append(loss)
            if progress is not None:
                progress(1)
            if loss - previous < self.tol:
                break
            previous = loss
        self._store(coded, model, probas, priors, errors, history)
        return self

    def fit_predict(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> pd.Series:
        return self.fit(data, true_labels).labels_

    def fit_predict_proba(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> pd.DataFrame:
        return self.fit(data, true_labels).probas_

    def _store(self, coded: Coded, model: _Model, probas: np.ndarray, priors: np.ndarray,
               errors: np.ndarray, history: list[float]) -> None:
        n_workers, n_labels = len(coded.workers), len(coded.labels)
        self.probas_ = pd.DataFrame(probas, index=coded.tasks, columns=coded.labels)
        self.labels_ = pd.Series(coded.labels[probas.argmax(axis=1)], index=coded.tasks, name="agg_label")
        self.priors_ = pd.Series(priors, index=coded.labels, name="prior")
        rows = pd.MultiIndex.from_product([coded.workers, coded.labels], names=[WORKER, LABEL])
        self.errors_ = pd.DataFrame(errors.reshape(n_workers * n_labels, n_labels), index=rows,
                                    columns=coded.labels)
        answered = np.bincount(coded.worker, minlength=n_workers)
        right = np.bincount(coded.worker, weights=probas[coded.task, coded.label], minlength=n_workers)
        self.skills_ = pd.Series(right / answered, index=coded.workers, name="skill")
        self.n_answers_ = pd.Series(answered, index=coded.workers, name="n_answers")
        self.loss_history_ = history
        self.n_iter_ = len(history)


class _Model:
    """The sparse design of one fit: answer counts per (task, worker, given label) and the clamps."""

    def __init__(self, coded: Coded, shrinkage: float, gold: pd.Series | None) -> None:
        self.n_tasks, self.n_workers, self.n_labels = coded.shape
        self.shrinkage = shrinkage
        columns = coded.worker * self.n_labels + coded.label
        ones = np.ones(len(columns))
        # Duplicate (task, worker) answers are summed: each counts as one more answer, as in crowd-kit.
        self.answers = sp.csr_matrix((ones, (coded.task, columns)),
                                     shape=(self.n_tasks, self.n_workers * self.n_labels))
        self.answers_t = self.answers.T.tocsr()
        self.votes = sp.csr_matrix((ones, (coded.task, coded.label)), shape=(self.n_tasks, self.n_labels))
        self.per_task = np.asarray(self.votes.sum(axis=1)).ravel()
        given = np.asarray(self.answers.sum(axis=0)).ravel() > 0
        # crowd-kit keeps error rows only for labels a worker gave; without shrinkage we do the same.
        self.support = (given.reshape(self.n_workers, self.n_labels, 1) if shrinkage == 0
                        else np.ones((self.n_workers, self.n_labels, 1), dtype=bool))
        self.gold_rows, self.gold_cols = _gold_positions(coded, gold)

    def vote_shares(self) -> np.ndarray:
        return self.votes.toarray() / self.per_task[:, None]

    def priors(self, probas: np.ndarray) -> np.ndarray:
        return probas.sum(axis=0) / self.n_tasks

    def clamp(self, probas: np.ndarray) -> np.ndarray:
        if len(self.gold_rows):
            probas[self.gold_rows] = 0.0
            probas[self.gold_rows, self.gold_cols] = 1.0
        return probas

    def counts(self, probas: np.ndarray) -> np.ndarray:
        """Expected (worker, given label, true label) counts under the posterior."""
        return (self.answers_t @ probas).reshape(self.n_workers, self.n_labels, self.n_labels)

    def m_step(self, counts: np.ndarray) -> np.ndarray:
        if self.shrinkage > 0:
            counts = counts + self.shrinkage * self._one_coin(counts)
        errors = np.where(self.support, np.maximum(counts, _EPS), 0.0)
        return errors / errors.sum(axis=1, keepdims=True)

    def _one_coin(self, counts: np.ndarray) -> np.ndarray:
        """Per worker, a confusion matrix with their shrunk accuracy on the diagonal."""
        right = np.trace(counts, axis1=1, axis2=2)
        total = counts.sum(axis=(1, 2))
        crowd = right.sum() / total.sum()
        accuracy = (right + self.shrinkage * crowd) / (total + self.shrinkage)
        off = (1.0 - accuracy) / max(self.n_labels - 1, 1)
        eye = np.eye(self.n_labels)[None, :, :]
        return eye * accuracy[:, None, None] + (1.0 - eye) * off[:, None, None]

    def e_step(self, errors: np.ndarray, priors: np.ndarray) -> np.ndarray:
        log_errors = _safe_log(errors).reshape(self.n_workers * self.n_labels, self.n_labels)
        scores = self.answers @ log_errors
        scores += np.log(np.maximum(priors, _EPS))
        scores -= _by_row(np.maximum, scores)[:, None]
        np.exp(scores, out=scores)
        scores /= _by_row(np.add, scores)[:, None]
        return scores

    def elbo(self, probas: np.ndarray, priors: np.ndarray, errors: np.ndarray, counts: np.ndarray) -> float:
        """crowd-kit's evidence lower bound divided by the number of answers (its stopping rule)."""
        joint = float((counts * _safe_log(errors)).sum())
        expected_classes = (probas * self.per_task[:, None]).sum(axis=0)
        joint += float(expected_classes @ np.log(np.maximum(priors, _EPS)))
        clipped = np.maximum(probas, _EPS)
        entropy = -float((clipped * np.log(clipped)).sum())
        return (joint + entropy) / float(self.per_task.sum())


def _by_row(ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(values, axis=1)`` for a tall, narrow array, one column at a time: several times
    faster than numpy's row reduction, and no BLAS call (whose threads stall on a busy machine)."""
    out = values[:, 0].copy()
    for column in range(1, values.shape[1]):
        ufunc(out, values[:, column], out=out)
    return out


def _safe_log(values: np.ndarray) -> np.ndarray:
    """log, with 0 for the entries outside the support (never multiplied by a non-zero count)."""
    return np.log(np.where(values > 0, values, 1.0))


def _gold_positions(coded: Coded, gold: pd.Series | None) -> tuple[np.ndarray, np.ndarray]:
    if gold is None:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    rows = coded.tasks.get_indexer(gold.index)
    known = rows >= 0
    return rows[known], coded.labels.get_indexer(gold.to_numpy()[known])

