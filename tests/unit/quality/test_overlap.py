"""Dynamic overlap: which HITs grow or give back slots, and the replay simulation."""

import numpy as np
import pandas as pd
import pytest

from quality import OverlapPolicy, replay_order, simulate, simulate_fixed
from tests.unit.aggregation.crowd_simulation import simulate as simulate_crowd


def _hits(**rows):
    return pd.DataFrame(rows).T.astype(float)


def test_changes_grow_unsure_settled_hits_and_shrink_confident_open_ones():
    policy = OverlapPolicy(min_assignments=3, max_assignments=5, confidence_target=0.9)
    hits = _hits(
        unsure={"answers": 3, "slots": 3, "open": 0, "pending": 0, "confidence": 0.6},
        at_max={"answers": 5, "slots": 5, "open": 0, "pending": 0, "confidence": 0.6},
        waiting={"answers": 2, "slots": 3, "open": 0, "pending": 1, "confidence": 0.6},
        sure={"answers": 3, "slots": 3, "open": 0, "pending": 0, "confidence": 0.99},
        sure_open={"answers": 3, "slots": 5, "open": 2, "pending": 0, "confidence": 0.95},
        sure_early={"answers": 1, "slots": 3, "open": 2, "pending": 0, "confidence": 0.95},
        rejected={"answers": 2, "slots": 3, "open": 0, "pending": 0, "confidence": 0.99},
        no_consensus={"answers": 0, "slots": 3, "open": 0, "pending": 0, "confidence": np.nan})
    changes = policy.changes(hits)
    assert changes.to_dict() == {"unsure": 1, "at_max": 0, "waiting": 0, "sure": 0, "sure_open": -2,
                                 "sure_early": 0, "rejected": 1, "no_consensus": 1}


@pytest.mark.parametrize("values", [(0, 3, 0.9), (4, 3, 0.9), (1, 3, 1.0), (1, 3, 0.0), (True, 3, 0.5)])
def test_policy_refuses_bad_bounds(values):
    with pytest.raises(ValueError):
        OverlapPolicy(*values)


def test_simulation_spends_fewer_answers_than_the_maximum_and_beats_the_minimum():
    crowd = simulate_crowd(n_tasks=300, n_workers=40, per_task=7, labels=(0, 1), accuracy=(0.6, 0.95))
    answers, gold = crowd.answers, crowd.truth
    ordered = replay_order(answers, seed=1)
    policy = OverlapPolicy(3, 7, 0.95)
    dynamic = simulate(ordered, gold, policy)
    low, high = simulate_fixed(ordered, gold, 3), simulate_fixed(ordered, gold, 7)
    assert low.answers_per_task == 3 and high.answers_per_task == 7
    assert 3 < dynamic.answers_per_task < 7 and dynamic.rounds > 1
    assert dynamic.accuracy >= low.accuracy
    assert dynamic.gold_tasks == 300


def test_replay_order_is_a_seeded_permutation_within_tasks():
    answers = simulate_crowd(n_tasks=20, n_workers=10, per_task=7).answers
    first, again = replay_order(answers, 4), replay_order(answers, 4)
    assert first.equals(again)
    assert sorted(map(tuple, first[["worker", "task", "label"]].to_numpy())) == \
        sorted(map(tuple, answers.to_numpy()))
    assert (first.groupby("task")["position"].max() == 6).all()
