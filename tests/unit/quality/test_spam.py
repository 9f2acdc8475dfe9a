"""Spammer signs: confusion-matrix separation, independence from the consensus, runs, speed."""

import numpy as np
import pytest

from quality import independence_p, longest_run, median_seconds, separation


def test_separation_is_1_for_a_perfect_worker_and_0_for_uniform_or_constant_answers():
    assert separation(np.eye(3)) == pytest.approx(1.0)
    assert separation(np.full((3, 3), 1 / 3)) == pytest.approx(0.0)
    constant = np.zeros((3, 3))
    constant[0, :] = 1.0
    assert separation(constant) == pytest.approx(0.0)


def test_separation_of_even_errors_is_accuracy_minus_error_share():
    accuracy, k = 0.6, 4
    matrix = np.full((k, k), (1 - accuracy) / (k - 1))
    np.fill_diagonal(matrix, accuracy)
    assert separation(matrix) == pytest.approx(accuracy - (1 - accuracy) / (k - 1))


def test_separation_weights_pairs_by_class_weight():
    matrix = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 0.0]])  # class 2 never told apart
    assert separation(matrix, np.array([1.0, 1.0, 0.0])) == pytest.approx(1.0)
    assert separation(matrix) == pytest.approx((1.0 + 0.5 + 0.5) / 3)


def test_separation_refuses_a_non_square_matrix():
    with pytest.raises(ValueError, match="square"):
        separation(np.ones((2, 3)))


def test_independence_p_small_for_an_informative_worker_and_1_for_a_constant_one():
    consensus = ["a", "b"] * 20
    assert independence_p(consensus, consensus) < 1e-6
    assert independence_p(["a"] * 40, consensus) == 1.0
    rng = np.random.default_rng(0)
    assert independence_p(list(rng.choice(["a", "b"], 40)), consensus) > 0.05


def test_longest_run_counts_the_consensus_disagreements_in_it():
    answers = list("abbbbba")
    consensus = list("abxbyba")
    run = longest_run(answers, consensus)
    assert (run.label, run.length, run.disagreements) == ("b", 5, 2)
    assert run.disagreement_share == pytest.approx(0.4)
    assert longest_run([], []).length == 0


def test_median_seconds_ignores_missing_times():
    assert median_seconds([4.0, None, 1.0, 2.0, float("nan")]) == 2.0
    assert np.isnan(median_seconds([]))
