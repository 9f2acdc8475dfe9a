"""LabelHub's sparse Dawid-Skene: recovery of known truth, agreement with crowd-kit, gold clamping,
shrinkage, tie-break and input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from crowd_simulation import simulate
from crowdkit.aggregation import DawidSkene
from scipy.stats import spearmanr

from aggregation import FastDawidSkene, aggregate


@pytest.fixture(scope="module")
def moderate():
    """3,000 tasks x 5 answers by 150 workers, 4 labels."""
    return simulate(n_tasks=3000, n_workers=150, per_task=5, labels=("n", "p", "q", "r"),
                    accuracy=(0.4, 0.95), seed=7)


def test_fast_dawid_skene_recovers_truth_and_worker_accuracies():
    crowd = simulate(n_tasks=2000, n_workers=40, per_task=5, accuracy=(0.5, 0.95), seed=1)
    majority = aggregate(crowd.answers, "MajorityVote").labels

    model = FastDawidSkene().fit(crowd.answers)

    accuracy = (model.labels_.reindex(crowd.truth.index) == crowd.truth).mean()
    assert accuracy > 0.93
    assert accuracy > (majority.reindex(crowd.truth.index) == crowd.truth).mean() + 0.02
    right = crowd.answers["label"].to_numpy() == crowd.truth.reindex(crowd.answers["task"]).to_numpy()
    realised = pd.Series(right, index=crowd.answers["worker"].to_numpy()).groupby(level=0).mean()
    estimated = model.skills_.reindex(realised.index)
    assert np.abs(estimated - realised).max() < 0.05
    assert spearmanr(estimated, crowd.accuracy.reindex(realised.index)).statistic > 0.95


def test_fast_dawid_skene_agrees_with_crowd_kit(moderate):
    ours = FastDawidSkene().fit(moderate.answers)
    theirs = DawidSkene(n_iter=100).fit(moderate.answers)

    same = (ours.labels_ == theirs.labels_.reindex(ours.labels_.index)).mean()
    assert same >= 0.999
    gap = np.abs(ours.probas_.to_numpy() - theirs.probas_.reindex(ours.probas_.index).to_numpy())
    assert gap.max() < 1e-6
    assert ours.n_iter_ == len(theirs.loss_history_)
    assert ours.loss_history_ == pytest.approx(theirs.loss_history_, abs=1e-9)


def test_fast_dawid_skene_counts_repeated_answers_like_crowd_kit(moderate):
    repeated = pd.concat([moderate.answers, moderate.answers.iloc[::7]], ignore_index=True)

    ours = FastDawidSkene().fit(repeated)
    theirs = DawidSkene(n_iter=100).fit(repeated)

    assert (ours.labels_ == theirs.labels_.reindex(ours.labels_.index)).mean() >= 0.999
    assert ours.n_answers_["w000"] == (repeated["worker"] == "w000").sum()


def test_fast_dawid_skene_gold_tasks_stay_clamped_and_match_crowd_kit(moderate):
    gold = moderate.truth.iloc[:300].copy()
    gold.iloc[:10] = "n"  # even a gold label every worker contradicts stays fixed

    ours = FastDawidSkene().fit(moderate.answers, gold)
    theirs = DawidSkene(n_iter=100).fit(moderate.answers, true_labels=gold)

    assert (ours.labels_[gold.index] == gold).all()
    assert (ours.probas_.loc[gold.index].max(axis=1) == 1.0).all()
    assert (ours.labels_ == theirs.labels_.reindex(ours.labels_.index)).mean() >= 0.999


def test_fast_dawid_skene_gold_label_no_worker_gave_becomes_a_class():
    answers = pd.DataFrame({"worker": ["w1", "w2", "w1", "w2"], "task": ["t1", "t1", "t2", "t2"],
                            "label": ["a", "a", "b", "a"]})

    model = FastDawidSkene().fit(answers, pd.Series({"t2": "z"}))

    assert list(model.probas_.columns) == ["a", "b", "z"]
    assert model.labels_["t2"] == "z"


def test_fast_dawid_skene_exact_tie_goes_to_the_label_that_sorts_first():
    answers = pd.DataFrame({"worker": ["w1", "w2"], "task": ["t1", "t1"], "label": ["zebra", "apple"]})

    model = FastDawidSkene().fit(answers)

    assert model.probas_.loc["t1"].tolist() == [0.5, 0.5]
    assert model.labels_["t1"] == "apple"
    assert DawidSkene(n_iter=100).fit(answers).labels_["t1"] == "apple"


def test_fast_dawid_skene_shrinks_a_sparse_worker_toward_one_coin():
    # Every task is gold, so the posterior is known exactly and so are the expected counts.
    busy = [("busy", f"t{i}", "x" if i % 2 else "y") for i in range(100)]
    busy = [(w, t, label if int(t[1:]) >= 10 else ("y" if label == "x" else "x")) for w, t, label in busy]
    rare = [("rare", "t1", "x"), ("rare", "t3", "x")]
    answers = pd.DataFrame(busy + rare, columns=["worker", "task", "label"])
    truth = pd.Series({f"t{i}": "x" if i % 2 else "y" for i in range(100)})

    model = FastDawidSkene(shrinkage=2.0).fit(answers, truth)

    crowd = (90 + 2) / 102  # the busy worker is right 90 times out of 100, the rare one 2 out of 2
    own = (2 + 2 * crowd) / (2 + 2)
    errors = model.errors_.loc["rare"]
    assert errors.loc["x", "x"] == pytest.approx((2 + 2 * own) / (2 + 2))
    assert errors.loc["y", "x"] == pytest.approx(2 * (1 - own) / (2 + 2))
    assert errors.loc["y", "y"] == pytest.approx(own)  # no answers on true y: the one-coin matrix itself
    plain = FastDawidSkene().fit(answers, truth).errors_.loc["rare"]
    assert plain.loc["x", "x"] == pytest.approx(1.0)


def test_fast_dawid_skene_elbo_never_decreases_and_progress_counts_iterations(moderate):
    calls = []

    model = FastDawidSkene(tol=0.0, n_iter=30).fit(moderate.answers, progress=calls.append)

    assert model.n_iter_ == len(model.loss_history_) == len(calls) == sum(calls)
    assert np.all(np.diff(model.loss_history_) > -1e-9)


def test_fast_dawid_skene_stops_at_max_iterations():
    crowd = simulate(n_tasks=200, n_workers=20, per_task=3, seed=3)

    model = FastDawidSkene(n_iter=2, tol=0.0).fit(crowd.answers)

    assert model.n_iter_ == 2


def test_fast_dawid_skene_errors_layout_sums_to_one_per_true_label(moderate):
    model = FastDawidSkene(shrinkage=1.0).fit(moderate.answers)

    sums = model.errors_.groupby(level="worker").sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    assert model.priors_.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(("params", "message"), [
    ({"n_iter": 0}, "n_iter"), ({"tol": -1.0}, "tol"), ({"shrinkage": -0.5}, "shrinkage"),
])
def test_fast_dawid_skene_rejects_bad_settings(params, message):
    with pytest.raises(ValueError, match=message):
        FastDawidSkene(**params)


@pytest.mark.parametrize(("frame", "message"), [
    (pd.DataFrame({"worker": ["w"], "task": ["t"]}), "missing column.*label"),
    (pd.DataFrame({"worker": [], "task": [], "label": []}), "empty"),
    (pd.DataFrame({"worker": ["w", None], "task": ["t", "t"], "label": ["a", "b"]}), "empty worker"),
    (pd.DataFrame({"worker": ["w", "v"], "task": ["t", "t"], "label": ["a", 1]}), "cannot be ordered"),
])
def test_fast_dawid_skene_rejects_bad_answers(frame, message):
    with pytest.raises(ValueError, match=message):
        FastDawidSkene().fit(frame)
