"""Column names, input checks and integer coding of answer frames, and the CSV readers of the CLI.

Every estimator takes a long frame with one row per answer and the columns ``task``, ``worker``,
``label`` (crowd-kit's layout). Bad input raises ``ValueError`` naming the column or the problem.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

TASK, WORKER, LABEL = "task", "worker", "label"
COLUMNS = (WORKER, TASK, LABEL)


def check_answers(answers: Any, *, name: str = "answers") -> pd.DataFrame:
    """Return ``answers[[task, worker, label]]`` or raise ValueError saying what is wrong with it."""
    if not isinstance(answers, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame with columns worker, task, label, "
                         f"got {type(answers).__name__}")
    missing = [column for column in COLUMNS if column not in answers.columns]
    if missing:
        found = ", ".join(map(str, answers.columns)) or "none"
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)} "
                         f"(expected worker, task, label; got {found})")
    if answers.empty:
        raise ValueError(f"{name}: no answers (the frame is empty)")
    frame = answers[[TASK, WORKER, LABEL]]
    for column in (TASK, WORKER, LABEL):
        empty = int(frame[column].isna().sum())
        if empty:
            raise ValueError(f"{name}: {empty} row(s) have an empty {column}")
    return frame


def check_gold(gold: Any) -> pd.Series | None:
    """Return the gold labels as a Series indexed by task (one label per task), or None."""
    if gold is None:
        return None
    if not isinstance(gold, pd.Series):
        raise ValueError(f"gold: expected a pandas Series of labels indexed by task, "
                         f"got {type(gold).__name__}")
    if gold.isna().any():
        raise ValueError(f"gold: {int(gold.isna().sum())} task(s) have an empty label")
    if gold.index.has_duplicates:
        clashes = gold.groupby(level=0).nunique()
        if (clashes > 1).any():
            raise ValueError(f"gold: task {clashes[clashes > 1].index[0]!r} has more than one label")
        gold = gold[~gold.index.duplicated()]
    return gold


def sorted_labels(values: pd.Index | np.ndarray | pd.Series) -> pd.Index:
    """Distinct labels in sorted order: the order every tie-break of this package follows."""
    try:
        unique = pd.unique(np.asarray(values, dtype=object))
    except TypeError:
        raise ValueError("label: a label must be one value such as a string or a number (a list or set "
                         "of labels is a multi-label answer: use aggregation.BinaryRelevance)") from None
    try:
        return pd.Index(sorted(unique))
    except TypeError:
        raise ValueError("label: labels of different types cannot be ordered; "
                         "use one type (all strings or all numbers)") from None


@dataclass(frozen=True)
class Coded:
    """Answers as integer arrays (one entry per answer) plus the values the codes stand for."""

    task: np.ndarray
    worker: np.ndarray
    label: np.ndarray
    tasks: pd.Index
    workers: pd.Index
    labels: pd.Index

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.tasks), len(self.workers), len(self.labels)


def encode(frame: pd.DataFrame, extra_labels: pd.Series | None = None) -> Coded:
    """Integer-code a checked frame. Tasks and workers keep their order of first appearance; labels
    (including ``extra_labels``, e.g. gold labels no worker gave) are sorted."""
    task_codes, tasks = pd.factorize(frame[TASK])
    worker_codes, workers = pd.factorize(frame[WORKER])
    values = frame[LABEL] if extra_labels is None else pd.concat([frame[LABEL], extra_labels])
    labels = sorted_labels(values.unique())
    label_codes = labels.get_indexer(frame[LABEL])
    return Coded(task_codes, worker_codes, label_codes, pd.Index(tasks, name=TASK),
                 pd.Index(workers, name=WORKER), pd.Index(labels, name=LABEL))


class _Counted:
    """A binary file that reports how many bytes were read (for progress bars)."""

    def __init__(self, raw: BinaryIO, progress: Callable[[int], None]) -> None:
        self.raw, self.progress = raw, progress

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.progress(len(chunk))
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.raw)


def _read_csv(path: str | os.PathLike[str], required: tuple[str, ...], what: str,
              progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Read a UTF-8 CSV of strings; raise ValueError with one line saying why it cannot be used."""
    try:
        with open(path, "rb") as raw, warnings.catch_warnings():
            # pandas only warns when a row has more fields than the header, and drops the rest
            warnings.simplefilter("error", pd.errors.ParserWarning)
            source = raw if progress is None else _Counted(raw, progress)
            frame = pd.read_csv(source, dtype=str, keep_default_na=False, skipinitialspace=True,
                                encoding="utf-8", index_col=False)
    except pd.errors.ParserWarning:
        raise ValueError(f"{what} {os.fspath(path)}: cannot be read: a row has more fields than the header") \
            from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{what} {os.fspath(path)}: the file is empty") from None
    except OSError as exc:
        raise ValueError(f"{what} {os.fspath(path)}: cannot be read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{what} {os.fspath(path)}: cannot be read: {reason}") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} {os.fspath(path)}: missing column(s) {', '.join(missing)} "
                         f"(expected {', '.join(required)}; found {', '.join(frame.columns)})")
    if frame.empty:
        raise ValueError(f"{what} {os.fspath(path)}: no rows after the header")
    for column in required:
        blank = frame[column].str.strip() == ""
        if blank.any():
            row = int(np.flatnonzero(blank.to_numpy())[0]) + 2  # 1-based, after the header line
            raise ValueError(f"{what} {os.fspath(path)}: line {row}: empty {column}")
    return frame


def read_labels_csv(path: str | os.PathLike[str],
                    progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Answers from a CSV with the columns worker, task, label (extra columns are ignored).
    ``progress(n)`` is called with the number of bytes read as reading advances."""
    return _read_csv(path, COLUMNS, "labels file", progress)[[WORKER, TASK, LABEL]]


def read_gold_csv(path: str | os.PathLike[str]) -> pd.Series:
    """Known labels from a CSV with the columns task, label, as a Series indexed by task."""
    frame = _read_csv(path, (TASK, LABEL), "gold file")
    gold = frame.set_index(TASK)[LABEL]
    try:
        checked = check_gold(gold)
    except ValueError as exc:
        raise ValueError(f"gold file {os.fspath(path)}: {exc}") from None
    assert checked is not None
    return checked
