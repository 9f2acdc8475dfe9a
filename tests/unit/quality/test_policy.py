"""Quality rules: validation naming the field, and the decisions they make from the evidence."""

import numpy as np
import pandas as pd
import pytest

from quality import AccuracyRule, PolicyError, QualityPolicy, SpamRule


def _evidence(**workers):
    base = {"n_answers": 50, "gold_answers": 0, "gold_accuracy": np.nan, "gold_accuracy_low": np.nan,
            "gold_accuracy_high": np.nan, "separation": 0.8, "independence_p": 1e-9, "run_label": "x",
            "run_length": 3, "run_disagreements": 0, "median_seconds": 12.0}
    return pd.DataFrame({name: base | values for name, values in workers.items()}).T


def test_accuracy_rule_acts_only_after_enough_gold_answers():
    policy = QualityPolicy(accuracy=AccuracyRule(threshold=60, min_gold_answers=10, action="block"))
    evidence = _evidence(
        early={"gold_answers": 5, "gold_accuracy": 0.2, "gold_accuracy_low": 0.05, "gold_accuracy_high": 0.5},
        poor={"gold_answers": 12, "gold_accuracy": 0.4, "gold_accuracy_low": 0.2, "gold_accuracy_high": 0.6},
        fine={"gold_answers": 12, "gold_accuracy": 0.9, "gold_accuracy_low": 0.7, "gold_accuracy_high": 0.98})
    decisions = policy.decide(evidence)
    assert [(d.worker, d.action) for d in decisions] == [("poor", "block")]
    assert decisions[0].reason == "gold accuracy 40 (95% interval 20-60) after 12 gold answers is below 60"


def test_spam_rule_signs_each_with_its_evidence():
    policy = QualityPolicy(spam=SpamRule(max_separation=0.1, min_answers=20, max_run=10, min_seconds=2.0))
    evidence = _evidence(
        uniform={"separation": 0.05, "independence_p": 0.6},
        weak_but_honest={"separation": 0.05, "independence_p": 0.001},
        runner={"run_length": 12, "run_disagreements": 5},
        agreeing_run={"run_length": 12, "run_disagreements": 0},
        fast={"median_seconds": 0.8},
        honest={})
    found = {d.worker: d.reason for d in policy.decide(evidence)}
    assert set(found) == {"uniform", "runner", "fast"}
    assert "chi-square p = 0.60" in found["uniform"]
    assert found["runner"] == "answered 'x' 12 times in a row; the consensus differs on 5 of those"
    assert "median 0.8 s per answer" in found["fast"]


def test_block_wins_when_rules_disagree_on_the_action():
    policy = QualityPolicy(accuracy=AccuracyRule(threshold=60, min_gold_answers=1, action="revoke"),
                           spam=SpamRule(action="block", max_separation=None, max_run=None, min_seconds=5.0))
    evidence = _evidence(both={"gold_answers": 3, "gold_accuracy": 0.3, "gold_accuracy_low": 0.1,
                               "gold_accuracy_high": 0.6, "median_seconds": 1.0})
    (decision,) = policy.decide(evidence)
    assert decision.action == "block" and decision.reason.count(";") == 1


@pytest.mark.parametrize(("raw", "field"), [
    ({"accuracy": {"threshold": 0}}, "accuracy.threshold"),
    ({"accuracy": {"min_gold_answers": 3}}, "accuracy.threshold"),
    ({"accuracy": {"threshold": 50, "action": "fine"}}, "accuracy.action"),
    ({"spam": {"max_separation": 2}}, "spam.max_separation"),
    ({"spam": {"min_seconds": 0}}, "spam.min_seconds"),
    ({"spam": {"typo": 1}}, "spam.typo"),
    ({"spam": "on"}, "spam"),
])
def test_from_dict_names_the_bad_field(raw, field):
    with pytest.raises(PolicyError) as caught:
        QualityPolicy.from_dict(raw)
    assert field in caught.value.problems


def test_to_dict_round_trips():
    policy = QualityPolicy(accuracy=AccuracyRule(threshold=70), spam=SpamRule(max_run=None))
    assert QualityPolicy.from_dict(policy.to_dict()) == policy
    assert QualityPolicy.from_dict(None) == QualityPolicy()
