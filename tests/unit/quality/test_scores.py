"""Worker accuracy posteriors: Beta intervals from (expected) counts, gold counts, pooling batches."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta

from quality import accuracy_table, beta_posterior, combine, worker_counts


def test_beta_posterior_matches_scipy_and_narrows_with_more_answers():
    mean, low, high = beta_posterior(np.array([2.0, 200.0]), np.array([2.0, 200.0]))
    assert mean == pytest.approx([3 / 4, 201 / 202])
    assert low[0] == pytest.approx(beta.ppf(0.025, 3, 1)) and high[0] == pytest.approx(beta.ppf(0.975, 3, 1))
    assert (high - low)[1] < (high - low)[0] / 5


def test_beta_posterior_takes_fractional_counts_and_refuses_impossible_ones():
    mean, _, _ = beta_posterior(7.5, 10)
    assert mean == pytest.approx(8.5 / 12)
    with pytest.raises(ValueError, match="between 0 and the number of answers"):
        beta_posterior(11, 10)


def test_worker_counts_add_expected_and_gold_counts():
    answers = pd.DataFrame({"worker": ["a", "a", "a", "b"], "task": [1, 2, 3, 1], "label": ["x", "y", "x", "y"]})
    accuracy = pd.Series({"a": 2 / 3, "b": 0.5})
    gold = pd.Series({1: "x", 3: "y"})
    counts = worker_counts(answers, accuracy, gold)
    assert counts.loc["a"].tolist() == [3, pytest.approx(2.0), 2, 1]
    assert counts.loc["b"].tolist() == [1, pytest.approx(0.5), 1, 0]


def test_worker_counts_name_a_worker_without_an_accuracy():
    answers = pd.DataFrame({"worker": ["a", "c"], "task": [1, 1], "label": ["x", "x"]})
    with pytest.raises(ValueError, match="'c'"):
        worker_counts(answers, pd.Series({"a": 1.0}))


def test_accuracy_table_scores_0_to_100_and_leaves_gold_empty_without_gold():
    counts = pd.DataFrame({"n_answers": [10, 0], "expected_correct": [9.0, 0.0], "gold_answers": [4, 0],
                           "gold_correct": [4, 0]}, index=["a", "new"])
    table = accuracy_table(counts)
    assert table.loc["a", "score"] == round(100 * 10 / 12)
    assert table.loc["new", "score"] == 50  # no evidence: the uniform prior's mean
    assert np.isnan(table.loc["new", "gold_accuracy"]) and table.loc["a", "gold_accuracy"] == pytest.approx(5 / 6)


def test_combine_sums_batches_per_worker():
    first = pd.DataFrame({"n_answers": [2], "expected_correct": [1.5], "gold_answers": [1], "gold_correct": [1]},
                         index=["a"])
    second = pd.DataFrame({"n_answers": [3, 1], "expected_correct": [3.0, 0.2], "gold_answers": [0, 1],
                           "gold_correct": [0, 0]}, index=["a", "b"])
    total = combine(first, second)
    assert total.loc["a"].tolist() == [5, 4.5, 1, 1] and total.loc["b"].tolist() == [1, 0.2, 1, 0]
    assert combine().empty
