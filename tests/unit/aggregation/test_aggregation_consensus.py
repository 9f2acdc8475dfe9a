"""One consensus form for every answer shape (what a batch stores per HIT)."""

import numpy as np
import pandas as pd
import pytest

from aggregation import consensus as consensus_module
from aggregation import methods
from aggregation.consensus import CATEGORICAL_SHAPES, READERS, SHAPES, consensus
from aggregation.methods import ANSWER_SHAPES, ShapeEntry
from annotators.base import AnswerShape


def _frame(rows):
    return pd.DataFrame(rows, columns=["worker", "task", "label"])


def test_categorical_gives_labels_posteriors_alpha_and_confusion():
    frame = _frame([(w, t, "a" if t % 2 else "b") for w in "xyz" for t in range(10)])
    result = consensus("categorical", frame, method="ds")
    assert result.values.to_dict() == {t: "a" if t % 2 else "b" for t in range(10)}
    assert result.agreement == pytest.approx(1.0) and result.classes == ["a", "b"]
    assert (result.confidence > 0.99).all() and "confusion" in result.workers


def test_multi_label_boxes_spans_and_text_have_a_value_and_confidence_per_task():
    multi = consensus("multi_label", _frame([("x", 1, ("a", "b")), ("y", 1, ("a",)), ("z", 1, ("a", "b"))]))
    assert multi.values[1] == ["a", "b"] and 0 < multi.confidence[1] <= 1
    boxes = consensus("boxes", _frame([("x", 1, [[0, 0, 10, 10, "c"]]), ("y", 1, [[1, 1, 10, 10, "c"]]),
                                       ("z", 1, [])]))
    assert len(boxes.values[1]) == 1 and boxes.confidence[1] == pytest.approx(2 / 3)
    assert boxes.workers.loc["z", "accuracy"] == 0.0 and boxes.workers.loc["x", "accuracy"] == 1.0
    spans = consensus("spans", _frame([("x", 1, [[0, 4, "p"]]), ("y", 1, [[0, 4, "p"]])]))
    assert spans.values[1] == [[0, 4, "p"]] and spans.confidence[1] == 1.0
    text = consensus("text", _frame([("x", 1, "a cat"), ("y", 1, "a cat"), ("z", 1, "dog")]))
    assert text.values[1] == "a cat" and text.workers.loc["x", "accuracy"] > text.workers.loc["z", "accuracy"]


def test_gold_is_refused_for_shapes_without_labels_and_unknown_shapes_are_named():
    frame = _frame([("x", 1, "a cat")])
    with pytest.raises(ValueError, match="gold: known answers are used for single-label shapes only"):
        consensus("text", frame, gold=pd.Series({1: "a cat"}))
    with pytest.raises(ValueError, match="shape: no consensus for 'form'"):
        consensus("form", frame)


def test_every_shape_with_a_consensus_is_read_through_the_registry():
    assert set(ANSWER_SHAPES) == {shape.value for shape in AnswerShape}  # every task type's shape has an entry
    assert set(SHAPES) == {s for s, entry in ANSWER_SHAPES.items() if entry.estimator}
    assert {entry.estimator for entry in ANSWER_SHAPES.values() if entry.estimator} == set(READERS)
    assert CATEGORICAL_SHAPES == ("categorical", "ordinal", "pairwise")
    assert ANSWER_SHAPES["ordinal"].estimator == "aggregation.ordinal.OrdinalAggregator"
    assert ANSWER_SHAPES["pairwise"].estimator == "aggregation.pairwise.BradleyTerry"


def test_the_registry_alone_decides_the_estimator(monkeypatch):
    answers = _frame([("x", 1, 1), ("y", 1, 2), ("z", 1, 2)])
    assert consensus("ordinal", answers).method == "OrdinalAggregator(posterior median, ds)"

    monkeypatch.setitem(methods.ANSWER_SHAPES, "ordinal", ShapeEntry("aggregation.api.aggregate",
                                                                     methods=tuple(methods.METHODS)))

    assert consensus("ordinal", answers, method="MajorityVote").method == "MajorityVote"


def test_ordinal_answers_get_the_posterior_median_rank_an_ordinal_alpha_and_worker_distances():
    # w3 answers one point high (the top point stays): Dawid-Skene learns that, so the consensus
    # follows w1 and w2, and w3's distance says by how much they miss
    rows = [(w, t, t % 5 + 1) for w in ("w1", "w2") for t in range(20)] \
        + [("w3", t, min(t % 5 + 2, 5)) for t in range(20)]
    result = consensus("ordinal", _frame(rows))
    assert result.method == "OrdinalAggregator(posterior median, ds)" and result.classes == [1, 2, 3, 4, 5]
    assert result.values.to_dict() == {t: t % 5 + 1 for t in range(20)}
    assert all(isinstance(v, int) for v in result.values)  # ranks: what the services turn into labels
    assert result.workers.loc["w3", "accuracy"] == pytest.approx(0.2, abs=0.01)
    assert result.workers.loc["w3", "bias"] == 0.8 and result.workers.loc["w1", "mae"] == 0
    assert result.workers.loc["w1", "accuracy"] > 0.99 and (result.confidence > 0.99).all()
    assert result.agreement == pytest.approx(consensus_module.krippendorff_alpha(_frame(rows), "ordinal"))
    assert result.workers.loc["w3", "confusion"].shape == (5, 5)


def test_the_ordinal_consensus_is_the_median_of_the_posterior_not_its_mode():
    answers = _frame([("a", 1, 1), ("b", 1, 1), ("c", 1, 4), ("d", 1, 5), ("e", 1, 5)])
    assert consensus("categorical", answers, method="MajorityVote").values[1] == 1  # a tie, the first label
    result = consensus("ordinal", answers, method="MajorityVote")  # posterior = vote shares .4, .2, .4
    assert result.values[1] == 4 and result.confidence[1] == pytest.approx(0.2)
    assert result.workers.loc["c", "confusion"].shape == (3, 3)  # MajorityVote has none: against the consensus
    with pytest.raises(ValueError, match="method: KOS gives no posterior"):
        consensus("ordinal", _frame([("a", 1, 1), ("b", 1, 2)]), method="KOS")


def _pairwise(rows):
    """A hand-made pairwise batch: items ranked A > B > C > D, each task a pair."""
    pairs = pd.DataFrame({"left": ["A", "B", "C", "A", "D", "B"], "right": ["B", "C", "D", "C", "B", "D"]},
                         index=[1, 2, 3, 4, 5, 6])
    return _frame(rows), pairs


def test_pairwise_answers_are_ranked_by_bradley_terry_and_each_hit_gets_the_preferred_item():
    truth = {1: "a", 2: "a", 3: "a", 4: "a", 5: "b", 6: "a"}
    rows = [(w, t, choice) for w in ("x", "y", "z") for t, choice in truth.items()]
    rows += [("spam", t, "a") for t in truth]  # always the left item: wrong on task 5
    answers, pairs = _pairwise(rows)

    result = consensus("pairwise", answers, pairs=pairs)

    assert result.method == "BradleyTerry" and result.values.to_dict() == truth
    assert (result.confidence > 0.5).all() and (result.confidence <= 1).all()
    assert result.workers.loc["x", "accuracy"] == 1.0
    assert result.workers.loc["spam", "accuracy"] == pytest.approx(5 / 6)
    assert result.classes == ["a", "b"] and result.workers.loc["spam", "confusion"].shape == (2, 2)


def test_pairwise_consensus_uses_every_comparison_of_the_items():
    # task 4 (A vs C) has one answer for C, but A beat B and B beat C three times each
    rows = [(w, t, "a") for w in ("x", "y", "z") for t in (1, 2)] + [("x", 4, "b")]
    answers, pairs = _pairwise(rows)
    result = consensus("pairwise", answers, pairs=pairs)
    assert result.values[4] == "a" and result.workers.loc["x", "accuracy"] == pytest.approx(2 / 3)


def test_pairwise_ties_count_half_and_gold_clamps_its_task():
    rows = [("x", 1, "tie"), ("y", 1, "tie"), ("x", 3, "a"), ("y", 3, "a")]  # A-B apart from C-D
    answers, pairs = _pairwise(rows)
    result = consensus("pairwise", answers, pairs=pairs)
    assert result.values[1] == "tie" and result.confidence[1] == pytest.approx(0.5)
    assert result.classes == ["a", "tie"]

    clamped = consensus("pairwise", answers, pairs=pairs, gold=pd.Series({1: "b"}))
    assert clamped.values[1] == "b" and clamped.confidence[1] == 1.0
    assert clamped.workers.loc["x", "accuracy"] == pytest.approx((0.5 + 1) / 2)


def test_pairwise_needs_the_items_of_every_task():
    answers, pairs = _pairwise([("x", 1, "a"), ("x", 9, "b")])
    with pytest.raises(ValueError, match="pairs: pairwise answers need the two items"):
        consensus("pairwise", answers)
    with pytest.raises(ValueError, match="pairs: task 9 has no pair of items"):
        consensus("pairwise", answers, pairs=pairs)
    with pytest.raises(ValueError, match="label: pairwise answers are 'a', 'b' or 'tie'"):
        consensus("pairwise", _frame([("x", 1, "left")]), pairs=pairs)


def test_pairwise_ranking_orders_items_with_intervals_and_counts():
    rng = np.random.default_rng(5)
    strength = {"A": 8.0, "B": 4.0, "C": 2.0, "D": 1.0}
    rows, index, left, right = [], [], [], []
    for task in range(400):
        a, b = rng.choice(list(strength), 2, replace=False)
        index.append(task), left.append(a), right.append(b)
        p_a = strength[a] / (strength[a] + strength[b])
        rows.append(("w", task, "a" if rng.random() < p_a else "b"))
    pairs = pd.DataFrame({"left": left, "right": right}, index=index)
    compared = consensus_module.pairwise.comparisons(_frame(rows), pairs)
    model = consensus_module.pairwise.BradleyTerry().fit(compared, compared["weight"])

    table = consensus_module.pairwise.ranking(model, compared)

    assert list(table.index) == ["A", "B", "C", "D"]
    assert (table["low"] < table["score"]).all() and (table["score"] < table["high"]).all()
    assert table["comparisons"].sum() == 2 * 400
