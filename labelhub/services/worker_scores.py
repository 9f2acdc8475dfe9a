"""Stored worker scores read back: the counts each aggregation keeps per worker and batch
(``WorkerScore``) turned into accuracy with its 95% interval (``quality.accuracy_table``), one way for
every page, listing and export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from quality import accuracy_table

COUNTS = ("n_answers", "expected_correct", "gold_answers", "gold_correct")


def accuracy_of(rows: Sequence[Any]) -> pd.DataFrame:
    """``accuracy_table`` over rows of WorkerScore counts (attributes named as COUNTS, summed or not;
    None reads as 0), in the rows' order."""
    frame = pd.DataFrame([{name: getattr(row, name) or 0 for name in COUNTS} for row in rows], columns=list(COUNTS))
    return accuracy_table(frame.astype({"expected_correct": float, "n_answers": int, "gold_answers": int,
                                        "gold_correct": int}))
