"""The text model: character n-grams and style measures -> a logistic regression, calibrated.

It is trained by ``train`` (``labelhub quality train-llm-model`` runs it on the human-vs-LLM data
sets) and stored as plain arrays in an ``.npz`` file (no pickle): the hashed character n-gram
weights, the style measures' scaling and weights, the Platt calibration and the flag threshold.

The threshold is the operating point: the probability at or above which an answer is flagged. It
is set from out-of-fold scores (folds split by prompt, never the same prompt in training and
scoring) as the highest, over the training sets, of the 99.5th percentile of human answers'
probabilities: each set's human answers were flagged at most 0.5% of the time by the fold models,
which leaves a margin under the 1% the project promises.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from quality.llm.text import STYLE_NAMES, similarity, style_matrix

HASH_FEATURES = 2**17
NGRAM_RANGE = (1, 4)
REGULARISATION_C = 10.0
STYLE_WEIGHT = 0.3  # the scaled style block's weight beside the l2-normalised n-gram block
HUMAN_QUANTILE = 0.995
DEFAULT_PATH = Path(__file__).with_name("text_model.npz")


def _hasher() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, n_features=HASH_FEATURES,
                             alternate_sign=False, norm="l2", lowercase=False)


def _features(texts: Sequence[str], mean: np.ndarray, scale: np.ndarray) -> sp.csr_matrix:
    chars = _hasher().transform(texts)
    styles = (style_matrix(texts) - mean) / scale * STYLE_WEIGHT
    return sp.hstack([chars, sp.csr_matrix(styles)], format="csr")


@dataclass(frozen=True)
class TextModel:
    """A trained text model; ``probability(texts)`` is the calibrated P(LLM-written)."""

    char_coef: np.ndarray
    style_mean: np.ndarray
    style_scale: np.ndarray
    style_coef: np.ndarray
    intercept: float
    calibration: tuple[float, float]  # calibrated logit = a * raw decision + b
    threshold: float
    metadata: dict[str, Any] = field(default_factory=dict)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        features = _features(texts, self.style_mean, self.style_scale)
        weights = np.concatenate([self.char_coef.astype(float), self.style_coef])
        return np.asarray(features @ weights).ravel() + self.intercept

    def logit(self, texts: Sequence[str]) -> np.ndarray:
        a, b = self.calibration
        return a * self.decision(texts) + b

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        return expit(self.logit(texts))

    def style_contributions(self, text: str) -> list[tuple[str, float]]:
        """The style measures that pushed this text's score up the most (name, logit change)."""
        scaled = (style_matrix([text])[0] - self.style_mean) / self.style_scale * STYLE_WEIGHT
        pushes = scaled * self.style_coef * self.calibration[0]
        order = np.argsort(-pushes)
        return [(STYLE_NAMES[i], float(pushes[i])) for i in order[:3] if pushes[i] > 0]

    def save(self, path: str | Path) -> None:
        np.savez_compressed(path, char_coef=self.char_coef.astype(np.float32), style_mean=self.style_mean,
                            style_scale=self.style_scale, style_coef=self.style_coef,
                            scalars=np.array([self.intercept, *self.calibration, self.threshold]),
                            metadata=np.array(json.dumps(self.metadata)))

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> TextModel:
        """Read a model file; ValueError naming the file when it is missing or not a model."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                intercept, a, b, threshold = (float(v) for v in stored["scalars"])
                model = cls(stored["char_coef"], stored["style_mean"], stored["style_scale"],
                            stored["style_coef"], intercept, (a, b), threshold,
                            json.loads(str(stored["metadata"])))
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"LLM text model {path}: cannot be read ({exc}); run "
                             "`labelhub quality train-llm-model`") from None
        if len(model.style_coef) != len(STYLE_NAMES) or len(model.char_coef) != HASH_FEATURES:
            raise ValueError(f"LLM text model {path}: made for other features; run "
                             "`labelhub quality train-llm-model` again")
        return model


def _fit(features: sp.csr_matrix, labels: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=REGULARISATION_C, max_iter=5000).fit(features, labels)


def fold_models(texts: Sequence[str], labels: np.ndarray, groups: Sequence[Any], *, folds: int = 5,
                progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Fit one model per fold (folds split by ``groups``, i.e. prompts). Returns every text's raw
    decision from the model that never saw its prompt, and the fold models' average as weights on
    the hashed n-grams and the raw (unscaled) style measures, with its intercept."""
    from sklearn.model_selection import GroupKFold

    styles = style_matrix(texts)
    chars = _hasher().transform(texts)
    scores = np.zeros(len(texts))
    weights, intercepts = [], []
    for train_rows, test_rows in GroupKFold(n_splits=folds).split(styles, labels, groups):
        mean, scale = styles[train_rows].mean(axis=0), styles[train_rows].std(axis=0) + 1e-9
        features = sp.hstack([chars, sp.csr_matrix((styles - mean) / scale * STYLE_WEIGHT)], format="csr")
        model = _fit(features[train_rows], labels[train_rows])
        scores[test_rows] = model.decision_function(features[test_rows])
        coef = model.coef_.ravel()
        raw_style = coef[HASH_FEATURES:] * STYLE_WEIGHT / scale
        weights.append(np.concatenate([coef[:HASH_FEATURES], raw_style]))
        intercepts.append(float(model.intercept_[0]) - float(raw_style @ mean))
        if progress:
            progress(1)
    return scores, np.mean(weights, axis=0), float(np.mean(intercepts))


def train(texts: Sequence[str], labels: Sequence[int], groups: Sequence[Any], sets: Sequence[str], *,
          folds: int = 5, progress: Callable[[int], None] | None = None) -> TextModel:
    """Fit the text model on ``texts`` (label 1 = LLM-written); ``groups`` are prompts (the folds
    never split one), ``sets`` name each text's data set (the threshold holds on each).

    The model is the average of the fold models, not a refit on everything: the out-of-fold
    scores that set the calibration and the threshold then come from models like the one shipped
    (a refit on all texts is more confident than its folds, and flagged 1.1% of TruthfulQA's human
    answers at a threshold meant for 0.5%; the average flagged 0.86%). ``progress(1)`` is called
    after each fold.
    """
    from sklearn.linear_model import LogisticRegression

    y, names = np.asarray(labels, dtype=int), np.asarray(sets)
    oof, weights, intercept = fold_models(texts, y, groups, folds=folds, progress=progress)
    platt = LogisticRegression(C=1e6).fit(oof.reshape(-1, 1), y)
    a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    calibrated = expit(a * oof + b)
    threshold = max(float(np.quantile(calibrated[(names == s) & (y == 0)], HUMAN_QUANTILE))
                    for s in np.unique(names))
    styles = style_matrix(texts)
    mean, scale = styles.mean(axis=0), styles.std(axis=0) + 1e-9
    raw_style = weights[HASH_FEATURES:]
    metadata = {"texts": len(y), "llm_texts": int(y.sum()), "sets": sorted(set(names.tolist())),
                "folds": folds, "human_quantile": HUMAN_QUANTILE,
                "reference_logit": reference_logit(texts, y, groups)}
    return TextModel(weights[:HASH_FEATURES].astype(np.float32), mean, scale, raw_style * scale / STYLE_WEIGHT,
                     intercept + float(raw_style @ mean), (a, b), threshold, metadata)


def reference_pairs(texts: Sequence[str], labels: np.ndarray, groups: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(similarity to a reference, label) for every text of a prompt with at least two LLM texts:
    the prompt's first LLM text is the reference, compared with each of the prompt's other texts."""
    by_group: dict[Any, list[int]] = {}
    for row, group in enumerate(groups):
        by_group.setdefault(group, []).append(row)
    scores, truth = [], []
    for rows in by_group.values():
        llm = [r for r in rows if labels[r] == 1]
        if len(llm) < 2:
            continue
        for row in rows:
            if row != llm[0]:
                scores.append(similarity(texts[row], texts[llm[0]]))
                truth.append(labels[row])
    return np.asarray(scores), np.asarray(truth, dtype=int)


def reference_logit(texts: Sequence[str], labels: np.ndarray, groups: Sequence[Any]) -> list[float]:
    """The log-likelihood ratio of LLM authorship as a linear function of the similarity to a
    reference LLM answer, fitted with balanced classes (so it adds evidence, not a prior)."""
    from sklearn.linear_model import LogisticRegression

    scores, truth = reference_pairs(texts, labels, groups)
    if len(set(truth.tolist())) < 2:
        return [8.0, -5.0]  # no prompt with two LLM answers: a reference at 0.6 is then neutral
    fitted = LogisticRegression(class_weight="balanced").fit(scores.reshape(-1, 1), truth)
    return [float(fitted.coef_[0, 0]), float(fitted.intercept_[0])]
