"""``assign_splits``: seeded, stratified by label, exact per stratum, independent of input order."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from exports import assign_splits
from exports.splits import largest_remainder


def keys(counts: dict[object, int]) -> list[tuple[str, object]]:
    return [(f"H-{label}-{n}", label) for label, count in counts.items() for n in range(count)]


def test_each_label_is_split_exactly_by_the_largest_remainder():
    labelled = keys({"cat": 10, "dog": 7, ("a", "b"): 3, None: 1})
    splits = assign_splits(labelled, (0.7, 0.2, 0.1), seed=3)
    per_label = Counter((label, splits[hit_id]) for hit_id, label in labelled)
    assert [per_label["cat", s] for s in ("train", "validation", "test")] == [7, 2, 1]
    assert [per_label["dog", s] for s in ("train", "validation", "test")] == [5, 1, 1]  # 4.9, 1.4, 0.7
    assert [per_label[("a", "b"), s] for s in ("train", "validation", "test")] == [2, 1, 0]
    assert per_label[None, "train"] == 1
    assert splits.keys() == {hit_id for hit_id, _ in labelled}


def test_the_same_seed_gives_the_same_splits_whatever_the_order():
    labelled = keys({"yes": 40, "no": 25})
    shuffled = labelled[:]
    random.Random(9).shuffle(shuffled)
    assert assign_splits(labelled, (0.8, 0.1, 0.1), seed=42) == assign_splits(shuffled, (0.8, 0.1, 0.1), seed=42)
    assert assign_splits(labelled, (0.8, 0.1, 0.1), seed=42) != assign_splits(labelled, (0.8, 0.1, 0.1), seed=43)


def test_adding_a_label_leaves_the_other_labels_splits_alone():
    before = assign_splits(keys({"yes": 30}), (0.6, 0.2, 0.2), seed=1)
    after = assign_splits(keys({"yes": 30, "no": 12}), (0.6, 0.2, 0.2), seed=1)
    assert {hit_id: split for hit_id, split in after.items() if hit_id in before} == before


@pytest.mark.parametrize(("total", "ratios", "counts"), [
    (10, (0.8, 0.1, 0.1), [8, 1, 1]),
    (3, (0.8, 0.1, 0.1), [3, 0, 0]),
    (5, (0.5, 0.25, 0.25), [3, 1, 1]),
    (4, (1 / 3, 1 / 3, 1 / 3), [2, 1, 1]),
    (0, (0.8, 0.1, 0.1), [0, 0, 0]),
])
def test_largest_remainder(total, ratios, counts):
    assert largest_remainder(total, ratios) == counts


@pytest.mark.parametrize(("ratios", "message"), [
    ((0.8, 0.1), "three non-negative numbers"),
    ((0.8, -0.1, 0.3), "three non-negative numbers"),
    ((0.8, float("nan"), 0.2), "three non-negative numbers"),
    ((0.5, 0.1, 0.1), "add up to 1, not 0.7"),
])
def test_bad_ratios_are_refused(ratios, message):
    with pytest.raises(ValueError, match=message):
        assign_splits([("H1", "x")], ratios, seed=0)


def test_a_repeated_hit_is_refused():
    with pytest.raises(ValueError, match="HIT 'H1' appears twice"):
        assign_splits([("H1", "x"), ("H1", "y")], (0.8, 0.1, 0.1), seed=0)
