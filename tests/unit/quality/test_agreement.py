"""Pairwise agreement (Cohen's kappa, worker by worker) and the dashboard's histogram bins."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from quality.agreement import agreement_matrix, cohen_kappa, grouped_median, histogram, time_edges, uniform_edges


def frame(rows):
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


def test_kappa_of_a_hand_computed_table():
    # 10 shared tasks: both "yes" 4 times, both "no" 3 times, they differ 3 times.
    first = ["yes"] * 4 + ["no"] * 3 + ["yes", "yes", "no"]
    second = ["yes"] * 4 + ["no"] * 3 + ["no", "no", "yes"]
    # observed 0.7; first says yes 6/10, second 5/10: chance 0.6 * 0.5 + 0.4 * 0.5 = 0.5
    assert cohen_kappa(first, second) == pytest.approx((0.7 - 0.5) / (1 - 0.5))
    assert cohen_kappa(first, second) == pytest.approx(cohen_kappa_score(first, second))


def test_weighted_kappa_matches_sklearn_on_an_ordinal_scale():
    draw = np.random.default_rng(4)
    first = draw.integers(1, 6, 60)
    second = np.clip(first + draw.integers(-1, 2, 60), 1, 5)
    assert cohen_kappa(list(first), list(second), weights="linear") == pytest.approx(
        cohen_kappa_score(first, second, weights="linear", labels=[1, 2, 3, 4, 5]))
    assert cohen_kappa(list(first), list(second), weights="linear") > cohen_kappa(list(first), list(second))


def test_kappa_is_undefined_when_both_give_one_label_only():
    assert math.isnan(cohen_kappa(["a", "a"], ["a", "a"]))
    assert math.isnan(cohen_kappa([], []))
    with pytest.raises(ValueError, match="one label each"):
        cohen_kappa(["a"], [])


def test_matrix_keeps_pairs_sharing_enough_tasks_and_the_busiest_workers():
    truth = ["x", "y", "x", "y", "x", "y"]
    rows = [(t, "ann", label) for t, label in enumerate(truth)]
    rows += [(t, "bob", label) for t, label in enumerate(truth)]  # agrees with ann on all six
    rows += [(t, "cat", "y" if label == "x" else "x") for t, label in enumerate(truth[:5])]  # always opposite
    rows += [(0, "dan", "x"), (1, "dan", "y")]  # two tasks only
    matrix = agreement_matrix(frame(rows), min_shared=5, max_workers=3)

    assert matrix.workers == ["ann", "bob", "cat"]  # dan has the fewest answers
    assert matrix.kappa[0, 1] == pytest.approx(1.0)
    # on their 5 shared tasks: never the same; ann says x 3/5, cat 2/5: chance .6 * .4 + .4 * .6 = .48
    assert matrix.kappa[0, 2] == pytest.approx((0 - 0.48) / (1 - 0.48))
    assert matrix.shared[0, 2] == 5 and matrix.agreed[0, 2] == 0.0
    assert matrix.pairs == 3

    with_dan = agreement_matrix(frame(rows), min_shared=5, max_workers=4)
    assert with_dan.shared[0, 3] == 2 and math.isnan(with_dan.kappa[0, 3])
    assert with_dan.agreed[0, 3] == 1.0
    assert with_dan.pairs == 3


def test_matrix_of_no_answers_is_empty():
    matrix = agreement_matrix(frame([]))
    assert matrix.workers == [] and matrix.pairs == 0


def test_uniform_bins_and_their_counts():
    edges = uniform_edges(0.0, 1.0, 20)
    assert edges[:3] == [0.0, 0.05, 0.1] and edges[-1] == 1.0 and len(edges) == 21
    found = histogram([0.0, 0.04, 0.05, 0.95, 1.0, 1.2], edges)
    assert found.counts[0] == 2 and found.counts[1] == 1
    assert found.counts[-1] == 3  # 0.95, 1.0 (the last bin holds its upper edge) and 1.2 (beyond the end)
    assert found.total == 6
    with pytest.raises(ValueError):
        uniform_edges(1.0, 1.0, 5)


def test_work_time_bins_stop_at_the_time_allotted():
    assert time_edges(600) == [0, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 450, 600]
    assert time_edges(100)[-1] == 120  # the first edge at or above it
    assert time_edges(0) == [0.0, 1.0]


def test_grouped_values_bin_and_give_their_median():
    values, counts = [100.0, 10.0, 40.0], [5, 6, 6]  # 17 answers: 6 at 10 s, 6 at 40 s, 5 at 100 s
    found = histogram(values, time_edges(600), counts)
    assert found.total == 17 and found.counts[2] == 6 and found.counts[4] == 6 and found.counts[7] == 5
    assert grouped_median(values, counts) == 40.0  # the 9th of 17
    assert grouped_median([1.0, 2.0], [1, 1]) == 1.0  # the lower middle of an even count
    assert grouped_median([], []) is None
