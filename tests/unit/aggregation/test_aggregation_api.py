"""``aggregation.aggregate``: every method through one interface, the result's shape, ``auto``, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from crowd_simulation import simulate
from scipy.stats import spearmanr

from aggregation import METHODS, aggregate
from aggregation.auto import MIN_GOLD_TASKS

# crowd-kit 1.4.2's estimators predate scikit-learn 1.7's estimator tags; the warning is theirs.
pytestmark = pytest.mark.filterwarnings("ignore:.*__sklearn_tags__:DeprecationWarning")


@pytest.fixture(scope="module")
def binary():
    """100 tasks x 5 answers by 16 workers, two labels: small enough for GLAD and MACE."""
    return simulate(n_tasks=100, n_workers=16, per_task=5, labels=("no", "yes"), accuracy=(0.65, 0.95),
                    seed=11)


@pytest.fixture(scope="module")
def fitted(binary):
    """Each method's result on ``binary``, computed once (MACE alone takes seconds)."""
    cache = {}

    def get(method):
        if method not in cache:
            gold = binary.truth.iloc[:40] if METHODS[method].gold == "required" else None
            cache[method] = aggregate(binary.answers, method, gold)
        return cache[method]
    return get


@pytest.fixture(scope="module")
def adversarial():
    """Three labels, a third of the workers mostly wrong: majority vote is fooled, Dawid-Skene is not."""
    return simulate(n_tasks=900, n_workers=30, per_task=6, accuracy=(0.2, 0.95), seed=5)


WITH_SKILL = {"MajorityVote", "Wawa", "ZeroBasedSkill", "GoldMajorityVote", "OneCoinDawidSkene", "GLAD",
              "MACE", "MMSR"}
WITH_CONFUSION = {"ds", "ds_shrunk", "DawidSkene", "OneCoinDawidSkene"}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_aggregate_every_method_recovers_the_truth(binary, fitted, method):
    result = fitted(method)

    assert result.method == method
    assert list(result.labels.index) == list(pd.unique(binary.answers["task"]))
    assert (result.labels == binary.truth.reindex(result.labels.index)).mean() > 0.85
    assert result.confidence.between(0.0, 1.0).all() and result.confidence.notna().all()
    assert result.workers["n_answers"].sum() == len(binary.answers)
    assert result.workers["accuracy"].between(0.0, 1.0).all()
    assert ("skill" in result.workers.columns) == (method in WITH_SKILL)
    assert ("confusion" in result.workers.columns) == (method in WITH_CONFUSION)
    assert list(result.to_frame().columns) == ["task", "label", "confidence"]


@pytest.mark.parametrize("method", sorted(set(METHODS) - {"KOS", "MMSR"}))
def test_aggregate_confidence_is_the_posterior_of_the_chosen_label(fitted, method):
    result = fitted(method)

    picked = [result.probas.loc[task, label] for task, label in result.labels.items()]
    assert result.confidence.to_numpy() == pytest.approx(picked)
    assert (result.confidence >= result.probas.max(axis=1) - 1e-12).all()


@pytest.mark.parametrize("method", ["KOS", "MMSR"])
def test_aggregate_without_posterior_reports_the_vote_share(binary, fitted, method):
    result = fitted(method)

    assert result.probas is None
    answers = binary.answers.assign(chosen=result.labels.reindex(binary.answers["task"]).to_numpy())
    share = (answers["label"] == answers["chosen"]).groupby(answers["task"]).mean()
    assert result.confidence.to_numpy() == pytest.approx(share.reindex(result.labels.index).to_numpy())


def test_aggregate_worker_accuracy_ranks_workers_and_confusion_is_stochastic(adversarial):
    result = aggregate(adversarial.answers, "ds")

    estimated = result.workers["accuracy"].reindex(adversarial.accuracy.index)
    assert spearmanr(estimated, adversarial.accuracy).statistic > 0.95
    confusion = result.workers.loc["w000", "confusion"]
    assert confusion.shape == (3, 3)
    assert confusion.sum(axis=0) == pytest.approx(np.ones(3))
    assert list(result.classes) == ["a", "b", "c"]


def test_aggregate_gold_clamps_ds_and_fills_gold_majority_vote_skills(adversarial):
    gold = adversarial.truth.iloc[:50]
    only_some = adversarial.answers[~adversarial.answers["worker"].isin(["w001", "w002"])
                                    | ~adversarial.answers["task"].isin(gold.index)]

    clamped = aggregate(adversarial.answers, "ds", gold)
    weighted = aggregate(only_some, "GoldMajorityVote", gold)

    assert (clamped.labels[gold.index] == gold).all()
    assert (clamped.confidence[gold.index] == 1.0).all()
    assert weighted.workers.loc[["w001", "w002"], "skill"].notna().all()


def test_aggregate_auto_without_gold_picks_dawid_skene_for_busy_workers(adversarial):
    result = aggregate(adversarial.answers, "auto")

    assert result.method == "ds_shrunk"
    assert "enough to learn confusion matrices" in result.reason


def test_aggregate_auto_without_gold_picks_majority_vote_for_sparse_workers():
    crowd = simulate(n_tasks=60, n_workers=120, per_task=3, labels=tuple("abcde"), seed=2)

    result = aggregate(crowd.answers, "auto")

    assert result.method == "MajorityVote"
    assert "fewer than the 50" in result.reason


def test_aggregate_auto_single_answer_per_task_is_majority_vote(binary):
    first = binary.answers.drop_duplicates("task")

    assert aggregate(first, "auto").method == "MajorityVote"


def test_aggregate_auto_with_gold_picks_the_most_accurate_on_gold(adversarial):
    gold = adversarial.truth.iloc[:MIN_GOLD_TASKS + 20]

    result = aggregate(adversarial.answers, "auto", gold)

    assert result.method in ("ds", "ds_shrunk")
    assert "gold tasks" in result.reason and "MajorityVote" in result.reason
    assert (result.labels[gold.index] == gold).all()  # the chosen Dawid-Skene also clamps the gold


def test_aggregate_auto_with_too_little_gold_falls_back_to_the_rule(adversarial):
    result = aggregate(adversarial.answers, "auto", adversarial.truth.iloc[:5])

    assert result.method == "ds_shrunk"
    assert "only 5 answered gold task(s)" in result.reason


@pytest.mark.parametrize(("answers", "method", "gold", "message"), [
    (pd.DataFrame({"task": ["t"], "label": ["a"]}), "ds", None, "missing column.*worker"),
    (pd.DataFrame(columns=["worker", "task", "label"]), "ds", None, "empty"),
    (pd.DataFrame({"worker": ["w"], "task": ["t"], "label": [None]}), "ds", None, "empty label"),
    ([("w", "t", "a")], "ds", None, "expected a pandas DataFrame"),
    (pd.DataFrame({"worker": ["w"], "task": ["t"], "label": ["a"]}), "Majority", None,
     "unknown method 'Majority'"),
    (pd.DataFrame({"worker": ["w"], "task": ["t"], "label": ["a"]}), "Wawa", pd.Series({"t": "a"}),
     "Wawa does not use gold"),
    (pd.DataFrame({"worker": ["w"], "task": ["t"], "label": ["a"]}), "GoldMajorityVote", None, "needs gold"),
    (pd.DataFrame({"worker": ["w"], "task": ["t"], "label": ["a"]}), "GoldMajorityVote",
     pd.Series({"u": "a"}), "none was answered"),
    (pd.DataFrame({"worker": ["w"] * 3, "task": ["t", "u", "v"], "label": ["a", "b", "c"]}), "KOS", None,
     "exactly two labels"),
    (pd.DataFrame({"worker": ["w"], "task": ["t"], "label": ["a"]}), "ds", pd.Series({"t": None}), "gold"),
    (pd.DataFrame({"worker": ["w", "v"], "task": ["t", "t"], "label": [["a"], ["b"]]}), "MajorityVote", None,
     "multi-label answer"),
    (pd.DataFrame({"worker": ["w", "v"], "task": ["t", "t"], "label": ["a", 2]}), "Wawa", None,
     "cannot be ordered"),
    (pd.DataFrame({"worker": ["w"], "task": ["t"], "label": ["a"]}), "ds", {"t": "a"}, "gold: expected"),
])
def test_aggregate_rejects_bad_input_with_a_clear_error(answers, method, gold, message):
    with pytest.raises(ValueError, match=message):
        aggregate(answers, method, gold)
