"""Train/validation/test splits: seeded, stratified by label, exact per label."""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable

SPLITS = ("train", "validation", "test")


def assign_splits(keys: Iterable[tuple[str, Hashable]], ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
                  seed: int = 0) -> dict[str, str]:
    """Map each HIT id to "train", "validation" or "test".

    ``keys`` are (HIT id, stratum) pairs, the stratum being the HIT's label (any hashable: a tuple of
    labels for multi-label, None for none). Within each stratum the HITs are shuffled by a generator
    seeded from ``seed`` and the stratum, and cut by ``ratios`` with the largest-remainder rule, so
    every stratum is split as exactly as its size allows. The result depends only on the set of keys
    and the seed, not on their order. Raises ValueError for bad ratios or a repeated HIT id."""
    _check_ratios(ratios)
    strata: dict[Hashable, list[str]] = {}
    seen: set[str] = set()
    for hit_id, stratum in keys:
        if hit_id in seen:
            raise ValueError(f"HIT {hit_id!r} appears twice")
        seen.add(hit_id)
        strata.setdefault(stratum, []).append(hit_id)
    splits: dict[str, str] = {}
    for stratum, hit_ids in strata.items():
        hit_ids.sort()
        random.Random(f"{seed}/{_stable_text(stratum)}").shuffle(hit_ids)
        start = 0
        for split, count in zip(SPLITS, largest_remainder(len(hit_ids), ratios), strict=True):
            splits |= dict.fromkeys(hit_ids[start:start + count], split)
            start += count
    return splits


def largest_remainder(total: int, ratios: tuple[float, ...]) -> list[int]:
    """Whole counts summing to ``total`` in proportion to ``ratios``: each gets the floor of its quota,
    the ones left over go to the largest fractional parts (ties to the earlier split)."""
    quotas = [total * ratio / sum(ratios) for ratio in ratios]
    counts = [math.floor(quota) for quota in quotas]
    by_remainder = sorted(range(len(ratios)), key=lambda n: (-(quotas[n] - counts[n]), n))
    for n in by_remainder[:total - sum(counts)]:
        counts[n] += 1
    return counts


def _check_ratios(ratios: tuple[float, ...]) -> None:
    if len(ratios) != len(SPLITS) or not all(isinstance(r, (int, float)) and math.isfinite(r) and r >= 0
                                              for r in ratios):
        raise ValueError(f"ratios must be three non-negative numbers (train, validation, test), not {ratios!r}")
    if not math.isclose(sum(ratios), 1.0, abs_tol=1e-9):
        raise ValueError(f"ratios must add up to 1, not {sum(ratios):g}")


def _stable_text(stratum: Hashable) -> str:
    """The stratum as text that is the same in every process (hash() of a str is not)."""
    return f"{type(stratum).__name__}:{stratum!r}"
