"""The estimators for the other answer kinds: multi-label, boxes, spans, ordinal, free text, pairwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import BradleyTerry as CrowdKitBradleyTerry
from crowdkit.metrics.data import alpha_krippendorff
from scipy.stats import spearmanr

from aggregation import (
    ANSWER_SHAPES,
    BinaryRelevance,
    BoxAggregator,
    BradleyTerry,
    OrdinalAggregator,
    SpanAggregator,
    TextAggregator,
    krippendorff_alpha,
)
from aggregation.methods import METHODS, estimator


def frame(rows):
    return pd.DataFrame(rows, columns=["worker", "task", "label"])


def test_answer_shapes_name_importable_estimators():
    for shape, entry in ANSWER_SHAPES.items():
        for name in entry.estimators:
            if "." in name:
                assert callable(estimator(name)), (shape, name)
        assert set(entry.methods) <= set(METHODS) and set(entry.parts) <= set(ANSWER_SHAPES), shape


# multi-label

@pytest.mark.parametrize("method", ["ds", "MajorityVote"])
def test_binary_relevance_recovers_label_sets(method):
    rng = np.random.default_rng(4)
    classes = ("cat", "dog", "sky")
    truth = {f"t{i}": frozenset(c for c in classes if rng.random() < 0.5) for i in range(150)}
    rows = []
    for task, labels in truth.items():
        for worker in rng.choice(12, 5, replace=False):
            flipped = {c for c in classes if rng.random() < 0.1}
            rows.append((f"w{worker}", task, sorted(labels ^ flipped)))

    model = BinaryRelevance(method=method).fit(frame(rows))

    expected = pd.Series({t: tuple(sorted(s)) for t, s in truth.items()})
    assert (model.labels_.reindex(expected.index) == expected).mean() > 0.95
    assert list(model.probas_.columns) == list(classes)
    assert model.confidence_.between(0, 1).all()
    assert model.workers_["accuracy"].min() > 0.8


def test_binary_relevance_half_the_votes_leaves_a_class_out():
    model = BinaryRelevance(method="MajorityVote").fit(frame([("w1", "t", ["a", "b"]), ("w2", "t", ["a"])]))

    assert model.labels_["t"] == ("a",)
    assert model.probas_.loc["t", "b"] == 0.5


def test_binary_relevance_rejects_a_plain_string():
    with pytest.raises(ValueError, match="list or set of labels"):
        BinaryRelevance().fit(frame([("w1", "t", "a")]))


# bounding boxes

def boxes_frame():
    return frame([
        ("w1", "img", [[10, 10, 50, 50, "car"], [100, 100, 20, 20, "person"]]),
        ("w2", "img", [[12, 8, 50, 54, "car"], [101, 99, 20, 22, "person"], [300, 300, 5, 5, "car"]]),
        ("w3", "img", [[8, 12, 50, 46, "car"]]),
    ])


def test_box_aggregator_averages_matched_boxes_and_drops_lone_ones():
    model = BoxAggregator().fit(boxes_frame())

    boxes = model.boxes_["img"]
    assert [box[4] for box in boxes] == ["car", "person"]
    assert boxes[0][:4] == pytest.approx([10, 10, 50, 50])
    assert boxes[1][:4] == pytest.approx([100.5, 99.5, 20, 21])
    assert model.confidence_["img"] == pytest.approx([1.0, 2 / 3])
    assert model.iou_["img"][0] > 0.85


def test_consensus_boxes_are_rounded_like_the_answers_unless_asked_not_to():
    data = frame([("w1", "img", [[10, 10, 50, 50, "car"]]), ("w2", "img", [[10, 11, 50, 50, "car"]]),
                  ("w3", "img", [[11, 11, 50, 50, "car"]])])

    assert BoxAggregator().fit(data).boxes_["img"][0][:4] == [10.33, 10.67, 50, 50]
    assert BoxAggregator(decimals=None).fit(data).boxes_["img"][0][:2] == [31 / 3, 32 / 3]


def test_box_aggregator_counts_missed_and_extra_boxes_per_worker():
    workers = BoxAggregator().fit(boxes_frame()).workers_

    assert workers.loc["w1", ["n_boxes", "matched", "extra", "missed"]].tolist() == [2, 2, 0, 0]
    assert workers.loc["w2", ["n_boxes", "matched", "extra", "missed"]].tolist() == [3, 2, 1, 0]
    assert workers.loc["w3", ["n_boxes", "matched", "extra", "missed"]].tolist() == [1, 1, 0, 1]
    assert workers.loc["w3", "recall"] == 0.5 and workers.loc["w2", "precision"] == pytest.approx(2 / 3)


def test_box_aggregator_never_matches_boxes_of_different_labels():
    data = frame([("w1", "i", [[0, 0, 10, 10, "car"]]), ("w2", "i", [[0, 0, 10, 10, "bus"]])])

    model = BoxAggregator().fit(data)

    assert sorted(box[4] for box in model.boxes_["i"]) == ["bus", "car"]
    assert model.confidence_["i"] == [0.5, 0.5]


@pytest.mark.parametrize(("answer", "message"), [
    ("10,10,5,5", "list of boxes"), ([[1, 2, 3]], r"\[x, y, w, h\]"), ([[0, 0, -1, 5]], "positive width"),
    ([["a", 0, 1, 1]], "numbers"),
])
def test_box_aggregator_rejects_malformed_boxes(answer, message):
    with pytest.raises(ValueError, match=message):
        BoxAggregator().fit(frame([("w1", "i", answer)]))


def test_box_aggregator_rejects_two_answers_by_one_worker():
    with pytest.raises(ValueError, match="more than once"):
        BoxAggregator().fit(frame([("w1", "i", []), ("w1", "i", [])]))


# spans

def test_span_aggregator_votes_on_exact_spans_and_counts_workers():
    model = SpanAggregator().fit(frame([
        ("w1", "s", [[0, 5, "PER"], [10, 14, "LOC"]]),
        ("w2", "s", [[0, 5, "PER"], [10, 15, "LOC"]]),
        ("w3", "s", [[0, 5, "PER"], [10, 14, "LOC"], [20, 25, "ORG"]]),
    ]))

    assert model.spans_["s"] == [[0, 5, "PER"], [10, 14, "LOC"]]
    assert model.confidence_["s"] == pytest.approx([1.0, 2 / 3])
    assert model.workers_.loc["w2", ["matched", "extra", "missed"]].tolist() == [1, 1, 1]
    assert model.workers_.loc["w3", ["matched", "extra", "missed"]].tolist() == [2, 1, 0]


def test_span_aggregator_relaxed_matching_takes_median_boundaries():
    model = SpanAggregator(iou_threshold=0.5).fit(frame([
        ("w1", "s", [[10, 14, "LOC"]]), ("w2", "s", [[10, 15, "LOC"]]), ("w3", "s", [[9, 14, "LOC"]]),
    ]))

    assert model.spans_["s"] == [[10, 14, "LOC"]]
    assert model.confidence_["s"] == [1.0]


def test_span_aggregator_keeps_the_better_supported_of_overlapping_spans():
    model = SpanAggregator(min_support=0.3).fit(frame([
        ("w1", "s", [[0, 10, "ORG"]]), ("w2", "s", [[0, 10, "ORG"]]), ("w3", "s", [[5, 12, "PER"]]),
    ]))

    assert model.spans_["s"] == [[0, 10, "ORG"]]


@pytest.mark.parametrize("answer", [[[5, 5, "X"]], [[1.5, 3, "X"]], [[0, 3]], "0-3 X"])
def test_span_aggregator_rejects_malformed_spans(answer):
    with pytest.raises(ValueError, match="label: task 's'"):
        SpanAggregator().fit(frame([("w1", "s", answer)]))


# ordinal / Likert

KRIPPENDORFF_2011 = {  # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


@pytest.fixture
def reliability_data():
    return frame([(w, unit, value) for w, values in KRIPPENDORFF_2011.items()
                  for unit, value in enumerate(values, 1) if value is not None])


@pytest.mark.parametrize(("metric", "published"), [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797),
])
def test_krippendorff_alpha_matches_the_published_example(reliability_data, metric, published):
    assert krippendorff_alpha(reliability_data, metric) == pytest.approx(published, abs=5e-4)


def test_krippendorff_alpha_nominal_matches_crowd_kit(reliability_data):
    expected = alpha_krippendorff(reliability_data)

    assert krippendorff_alpha(reliability_data, "nominal") == pytest.approx(expected)


def test_ordinal_aggregator_median_mean_and_worker_bias():
    data = frame([("w1", "q1", 1), ("w2", "q1", 2), ("w3", "q1", 4), ("w4", "q1", 5),
                  ("w1", "q2", 3), ("w2", "q2", 3), ("w3", "q2", 4)])

    model = OrdinalAggregator().fit(data)

    assert model.labels_.to_dict() == {"q1": 2, "q2": 3}  # lower median: always a point of the scale
    assert model.mean_.to_dict() == {"q1": 3.0, "q2": pytest.approx(10 / 3)}
    assert model.workers_.loc["w3", "bias"] == 1.5 and model.workers_.loc["w1", "bias"] == -0.5
    assert OrdinalAggregator(statistic="mean").fit(data).labels_["q1"] == 3.0
    assert -1 <= model.alpha_ <= 1


def test_ordinal_confidence_grows_with_agreement_and_answers():
    unanimous = frame([(f"w{i}", "three", 3) for i in range(3)] + [(f"w{i}", "four", 3) for i in range(4)]
                      + [("w0", "split", 3), ("w1", "split", 3), ("w2", "split", 4)]
                      + [(f"w{i}", "scale", v) for i, v in enumerate((1, 2, 4, 5))])

    confidence = OrdinalAggregator().fit(unanimous).confidence_

    assert confidence["three"] == pytest.approx(0.944)  # as OrdinalAggregator documents
    assert confidence["four"] == pytest.approx(0.96, abs=0.005)
    assert confidence["three"] > confidence["split"] > confidence["scale"]
    assert OrdinalAggregator(statistic="mean").fit(unanimous).confidence_.isna().all()


def test_ordinal_gold_clamps_its_task_and_is_what_workers_are_measured_from():
    data = frame([("w1", "q", 2), ("w2", "q", 2), ("w3", "q", 4)])

    model = OrdinalAggregator().fit(data, gold=pd.Series({"q": 4}))

    assert model.labels_["q"] == 4 and model.confidence_["q"] == 1.0
    assert model.workers_.loc["w3", "mae"] == 0 and model.workers_.loc["w1", "bias"] == -2


def test_ordinal_aggregator_rejects_words():
    with pytest.raises(ValueError, match="must be numbers"):
        OrdinalAggregator().fit(frame([("w1", "q", "agree")]))


# free text

def test_text_aggregator_medoid_picks_the_central_answer():
    data = frame([("w1", "t", "A red car parked near the house"),
                  ("w2", "t", "a red car parked by the house"),
                  ("w3", "t", "a red car near the house"), ("w4", "t", "lorem ipsum")])

    model = TextAggregator().fit(data)

    assert model.texts_["t"] == "A red car parked near the house"
    assert model.workers_.loc["w4", "similarity"] < 0.2 < model.workers_.loc["w2", "similarity"]
    assert 0 < model.agreement_["t"] < model.confidence_["t"] < 1


def test_text_aggregator_rover_merges_transcriptions_word_by_word():
    data = frame([("w1", "a", "the quick brown fox"), ("w2", "a", "the quick brown box"),
                  ("w3", "a", "a quick brown fox")])

    model = TextAggregator(method="rover").fit(data)

    assert model.texts_["a"] == "the quick brown fox"
    assert model.confidence_["a"] == pytest.approx(np.mean([1.0, 0.75, 0.75]))


def test_text_aggregator_rejects_non_text():
    with pytest.raises(ValueError, match="must be strings"):
        TextAggregator().fit(frame([("w1", "t", 3)]))


# pairwise

def test_bradley_terry_finds_the_maximum_likelihood_strengths():
    rng = np.random.default_rng(9)
    strength = pd.Series(np.exp(rng.normal(0, 1, 12)), index=[f"item{i}" for i in range(12)])
    rows = []
    for _ in range(3000):
        left, right = rng.choice(strength.index, 2, replace=False)
        p_left = strength[left] / (strength[left] + strength[right])
        rows.append((f"w{rng.integers(10)}", left, right, left if rng.random() < p_left else right))
    data = pd.DataFrame(rows, columns=["worker", "left", "right", "label"])

    scores = BradleyTerry(regularization=0.0).fit(data).scores_

    assert spearmanr(scores.reindex(strength.index), strength).statistic > 0.95
    # at the maximum of the likelihood every item's expected wins equal its observed wins
    loser = np.where(data["label"] == data["left"], data["right"], data["left"])
    won, lost = scores.reindex(data["label"]).to_numpy(), scores.reindex(loser).to_numpy()
    expected = pd.Series(won / (won + lost), index=data["label"]).groupby(level=0).sum() \
        + pd.Series(lost / (won + lost), index=loser).groupby(level=0).sum()
    assert expected.reindex(strength.index).to_numpy() == pytest.approx(
        data["label"].value_counts().reindex(strength.index).to_numpy(), rel=1e-4)
    # crowd-kit 1.4.2's BradleyTerry stops after two iterations (its p_old aliases p_new): a lower likelihood
    theirs = CrowdKitBradleyTerry(n_iter=1000).fit(data).scores_
    assert _log_likelihood(scores, data, loser) > _log_likelihood(theirs, data, loser)


def _log_likelihood(scores, data, loser):
    won, lost = scores.reindex(data["label"]).to_numpy(), scores.reindex(loser).to_numpy()
    return float(np.log(won / (won + lost)).sum())


def test_bradley_terry_regularization_keeps_a_never_winning_item_finite():
    data = pd.DataFrame({"worker": ["w"] * 4, "left": ["a", "a", "b", "c"], "right": ["b", "c", "c", "a"],
                         "label": ["a", "a", "b", "a"]})

    scores = BradleyTerry().fit(data).scores_

    assert list(scores.index) == ["a", "b", "c"]
    assert scores["c"] > 0


def test_bradley_terry_rejects_a_winner_that_was_not_compared():
    data = pd.DataFrame({"worker": ["w"], "left": ["a"], "right": ["b"], "label": ["z"]})

    with pytest.raises(ValueError, match="must be left or right"):
        BradleyTerry().fit(data)


def test_bradley_terry_weights_count_a_comparison_that_many_times():
    data = pd.DataFrame({"worker": ["w"] * 3, "left": ["a", "a", "a"], "right": ["b", "b", "b"],
                         "label": ["a", "b", "b"]})
    doubled = pd.concat([data.iloc[[0, 0]], data.iloc[[1, 2]]], ignore_index=True)

    weighted = BradleyTerry().fit(data, weights=[2.0, 1.0, 1.0])

    assert weighted.scores_.to_dict() == pytest.approx(BradleyTerry().fit(doubled).scores_.to_dict())
    assert weighted.scores_["a"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="weights: one non-negative number per comparison"):
        BradleyTerry().fit(data, weights=[1.0])


def test_bradley_terry_intervals_narrow_with_more_comparisons():
    rng = np.random.default_rng(3)
    strength = {"a": 4.0, "b": 2.0, "c": 1.0}

    def sample(n):
        rows = []
        for _ in range(n):
            left, right = rng.choice(list(strength), 2, replace=False)
            won = left if rng.random() < strength[left] / (strength[left] + strength[right]) else right
            rows.append(("w", left, right, won))
        return pd.DataFrame(rows, columns=["worker", "left", "right", "label"])

    few, many = BradleyTerry().fit(sample(30)), BradleyTerry().fit(sample(3000))

    assert (many.log_errors_ < few.log_errors_).all()
    assert many.log_scores_.sum() == pytest.approx(0.0)
    assert many.log_scores_["a"] - many.log_scores_["c"] == pytest.approx(np.log(4), abs=3 * 0.1)
    assert BradleyTerry(max_interval_items=2).fit(sample(10)).log_errors_.isna().all()
