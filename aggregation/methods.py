"""The registry of aggregation methods: categorical methods by name, and estimators by answer shape.

Every categorical method is fitted the same way and read back as a ``Fitted`` value: labels, a
posterior per task where the method has one, and a skill or confusion matrix per worker where the
method has one. ``ds`` and ``ds_shrunk`` are LabelHub's own Dawid-Skene; the others are
crowd-kit's, by class name.

Methods without a posterior (``KOS``, ``MMSR``) get ``probas=None``: ``aggregate`` then reports as
confidence the share of the task's answers that agree with the chosen label (the vote share).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from aggregation.dawid_skene import FastDawidSkene
from aggregation.frames import LABEL, TASK, WORKER

SHRINKAGE = 2.0
"""Pseudo-answers per true class behind ``method="ds_shrunk"``: see ``FastDawidSkene.shrinkage``.
Two per class is a weak prior: a worker with 100 answers keeps their own matrix, one with 5 leans
on the one-coin model. (On the real data sets it moved accuracy by -0.4 to +6 points; see
benchmarks/README.md.)"""

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Fitted:
    """What a categorical method learned, in one shape for every method."""

    labels: pd.Series
    probas: pd.DataFrame | None
    skills: pd.Series | None = None
    confusion: pd.DataFrame | None = None  # crowd-kit's errors_ layout: (worker, given label) x true label


Fit = Callable[[pd.DataFrame, pd.Series | None, Progress | None], Fitted]


@dataclass(frozen=True)
class Method:
    """A categorical method. ``gold`` says how it uses known labels: not at all, if given, or always;
    ``posterior``: whether it gives probabilities per label (what an ordinal consensus needs)."""

    name: str
    fit: Fit
    gold: Literal["unused", "optional", "required"] = "unused"
    binary_only: bool = False
    posterior: bool = True
    summary: str = ""


def _fast_ds(shrinkage: float) -> Fit:
    def fit(frame: pd.DataFrame, gold: pd.Series | None, progress: Progress | None) -> Fitted:
        model = FastDawidSkene(shrinkage=shrinkage).fit(frame, gold, progress=progress)
        return Fitted(model.labels_, model.probas_, confusion=model.errors_)
    return fit


def _crowdkit(name: str) -> Fit:
    def fit(frame: pd.DataFrame, gold: pd.Series | None, progress: Progress | None) -> Fitted:
        from crowdkit import aggregation as ck  # heavy import, paid only by callers of crowd-kit methods

        model = getattr(ck, name)()
        labels = model.fit_predict(frame)  # Wawa and ZeroBasedSkill set labels_ and probas_ only in predict
        skills = getattr(model, "skills_", None)
        return Fitted(labels, getattr(model, "probas_", None),
                      skills=skills if isinstance(skills, pd.Series) else None,
                      confusion=getattr(model, "errors_", None))
    return fit


def _dawid_skene(frame: pd.DataFrame, gold: pd.Series | None, progress: Progress | None) -> Fitted:
    from crowdkit.aggregation import DawidSkene

    model = DawidSkene(n_iter=100).fit(frame, true_labels=gold)
    return Fitted(model.labels_, model.probas_, confusion=model.errors_)


def _gold_majority_vote(frame: pd.DataFrame, gold: pd.Series | None, progress: Progress | None) -> Fitted:
    """crowd-kit's GoldMajorityVote; a worker who answered no gold task gets the mean gold accuracy
    (crowd-kit would refuse the whole data set)."""
    from crowdkit.aggregation import GoldMajorityVote

    if gold is None or not gold.index.isin(frame[TASK]).any():
        raise ValueError("gold: GoldMajorityVote needs answers on at least one gold task; none was answered")
    model = GoldMajorityVote().fit(frame, gold)
    skills = model.skills_
    assert skills is not None  # fit sets it
    workers = pd.Index(frame[WORKER].unique(), name=WORKER)
    model.skills_ = skills.reindex(workers).fillna(skills.mean())
    model.predict_proba(frame)
    return Fitted(model.labels_, model.probas_, skills=model.skills_)


def _glad(frame: pd.DataFrame, gold: pd.Series | None, progress: Progress | None) -> Fitted:
    from crowdkit.aggregation import GLAD

    model = GLAD().fit(frame)
    return Fitted(model.labels_, model.probas_, skills=model.alphas_.rename("skill"))


def _mace(frame: pd.DataFrame, gold: pd.Series | None, progress: Progress | None) -> Fitted:
    """MACE; a worker's skill is the posterior probability that they answer knowingly (not spamming)."""
    from crowdkit.aggregation import MACE

    model = MACE(random_state=0).fit(frame)
    workers = pd.Index(pd.unique(frame[WORKER]), name=WORKER)  # MACE's own worker order
    return Fitted(model.labels_, model.probas_, skills=pd.Series(model.spamming_[:, 1], index=workers))


def _mmsr(frame: pd.DataFrame, gold: pd.Series | None, progress: Progress | None) -> Fitted:
    from crowdkit.aggregation import MMSR

    model = MMSR(random_state=0).fit(frame)
    assert model.skills_ is not None  # fit sets it
    if model.skills_.isna().any():  # its matrix completion divided by zero; predict would then fail
        raise ValueError("method: MMSR did not converge on these answers (its worker skills are NaN); "
                         "choose another method")
    return Fitted(model.predict(frame), None, skills=model.skills_)


def _kos(frame: pd.DataFrame, gold: pd.Series | None, progress: Progress | None) -> Fitted:
    from crowdkit.aggregation import KOS

    return Fitted(KOS(random_state=0).fit_predict(frame), None)


METHODS: dict[str, Method] = {method.name: method for method in (
    Method("ds", _fast_ds(0.0), gold="optional",
           summary="LabelHub's sparse Dawid-Skene (the model of crowd-kit's DawidSkene, faster)"),
    Method("ds_shrunk", _fast_ds(SHRINKAGE), gold="optional",
           summary=f"LabelHub's Dawid-Skene, confusion matrices shrunk toward one-coin ({SHRINKAGE:g} "
                   "pseudo-answers per class), for workers with few answers"),
    Method("MajorityVote", _crowdkit("MajorityVote"), summary="the most frequent answer"),
    Method("Wawa", _crowdkit("Wawa"), summary="majority vote weighted by agreement with the majority"),
    Method("ZeroBasedSkill", _crowdkit("ZeroBasedSkill"),
           summary="weighted vote, skills fitted by gradient steps"),
    Method("GoldMajorityVote", _gold_majority_vote, gold="required",
           summary="vote weighted by each worker's accuracy on gold tasks"),
    Method("OneCoinDawidSkene", _crowdkit("OneCoinDawidSkene"),
           summary="Dawid-Skene with one accuracy per worker"),
    Method("DawidSkene", _dawid_skene, gold="optional", summary="crowd-kit's Dawid-Skene"),
    Method("GLAD", _glad, summary="worker ability and task difficulty"),
    Method("MACE", _mace, summary="workers either know the answer or spam"),
    Method("MMSR", _mmsr, posterior=False,
           summary="matrix completion of worker agreement (no posterior: vote-share confidence)"),
    Method("KOS", _kos, binary_only=True, posterior=False, summary="Karger-Oh-Shah message passing, two labels only"),
)}

@dataclass(frozen=True)
class ShapeEntry:
    """How one answer shape is aggregated: the one place that decides it.

    ``estimator``: the dotted path of what gives the shape's consensus (``aggregation.consensus``
    reads each estimator back into a ``Consensus``), None when no single estimator does.
    ``methods``: the categorical method names it takes (``method=``), in ``METHODS``.
    ``single_label``: one label per answer, so known answers (gold) clamp tasks and spammer signs
    (runs, independence, separation) apply. ``compares_items``: each task compares two items (the
    consensus needs them: see ``aggregation.consensus``). ``parts``: the shapes a survey form's
    questions are aggregated with, question by question.
    """

    estimator: str | None
    methods: tuple[str, ...] = ()
    single_label: bool = False
    compares_items: bool = False
    parts: tuple[str, ...] = ()

    @property
    def estimators(self) -> tuple[str, ...]:
        """The estimator's dotted path and the categorical method names it takes."""
        return ((self.estimator,) if self.estimator else ()) + self.methods


ANSWER_SHAPES: dict[str, ShapeEntry] = {
    "categorical": ShapeEntry("aggregation.api.aggregate", methods=tuple(METHODS), single_label=True),
    "multi_label": ShapeEntry("aggregation.multilabel.BinaryRelevance", methods=tuple(METHODS)),
    "boxes": ShapeEntry("aggregation.boxes.BoxAggregator"),
    "spans": ShapeEntry("aggregation.spans.SpanAggregator"),
    "text": ShapeEntry("aggregation.texts.TextAggregator"),
    "ordinal": ShapeEntry("aggregation.ordinal.OrdinalAggregator", methods=tuple(METHODS), single_label=True),
    "pairwise": ShapeEntry("aggregation.pairwise.BradleyTerry", single_label=True, compares_items=True),
    "form": ShapeEntry(None, parts=("ordinal", "text", "categorical")),
}
"""What aggregates each answer shape (``annotators.base.AnswerShape`` values). A survey form has no
single consensus: it is aggregated question by question, each with the estimator of its shape."""


def shape_entry(shape: str) -> ShapeEntry:
    """The registry entry of ``shape``, or ValueError naming the shapes that have a consensus."""
    entry = ANSWER_SHAPES.get(shape)
    if entry is None or entry.estimator is None:
        known = ", ".join(s for s, e in ANSWER_SHAPES.items() if e.estimator)
        raise ValueError(f"shape: no consensus for {shape!r} answers; shapes: {known}")
    return entry


def estimator(path: str) -> Any:
    """The estimator class (or function) at a dotted path of ``ANSWER_SHAPES``."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def get(name: str) -> Method:
    """The method called ``name``, or ValueError listing the known ones."""
    try:
        return METHODS[name]
    except KeyError:
        known = ", ".join(["auto", *METHODS])
        raise ValueError(f"method: unknown method {name!r}; choose one of {known}") from None


def vote_shares(frame: pd.DataFrame, labels: pd.Series) -> pd.Series:
    """Per task, the share of its answers equal to ``labels[task]`` (the fallback confidence)."""
    chosen = labels.reindex(frame[TASK]).to_numpy()
    agree = pd.Series(frame[LABEL].to_numpy() == chosen, index=frame[TASK].to_numpy())
    return agree.groupby(level=0, sort=False).mean().astype(float)


def check_binary(frame: pd.DataFrame, method: Method) -> None:
    if method.binary_only:
        found = np.sort(frame[LABEL].unique().astype(str))
        if len(found) != 2:
            raise ValueError(f"method: {method.name} handles exactly two labels; these answers have "
                             f"{len(found)} ({', '.join(found[:5])}{', ...' if len(found) > 5 else ''})")
