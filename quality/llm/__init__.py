"""Flag answers that look LLM-written: a text model, page telemetry, similarity to other workers'
and to reference LLM answers, and drift from the worker's own earlier answers (``flag``), plus
``score_frame`` for a CSV of answers without a server (``labelhub llm-check``).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from quality.llm.data import read_text_sets
from quality.llm.flag import BEHAVIOUR, AnswerContext, Evidence, Flag, behaviour_evidence, flag_many
from quality.llm.model import DEFAULT_PATH, TextModel, train
from quality.llm.text import artefacts, similarity

__all__ = [
    "BEHAVIOUR", "DEFAULT_PATH", "TELEMETRY_COLUMNS", "AnswerContext", "Evidence", "Flag", "TextModel",
    "artefacts", "behaviour_evidence", "default_model", "flag_many", "read_text_sets", "score_frame",
    "similarity", "train",
]

TELEMETRY_COLUMNS = ("time_on_page_ms", "active_typing_ms", "keystrokes", "typed_chars", "deletions", "pastes",
                     "pasted_chars", "pastes_from_page", "pasted_chars_from_page", "pastes_after_return")


@cache
def default_model() -> TextModel:
    """The model shipped with LabelHub (``quality/llm/text_model.npz``), read once per process."""
    return TextModel.load(DEFAULT_PATH)


def _telemetry(frame: pd.DataFrame) -> list[dict[str, int] | None]:
    columns = [c for c in TELEMETRY_COLUMNS if c in frame.columns]
    if not columns:
        return [None] * len(frame)
    values = frame[columns].apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & frame[columns].astype(str).apply(lambda c: c.str.strip() != "")
    if bad.to_numpy().any():
        row, column = np.argwhere(bad.to_numpy())[0]
        got = frame[columns[column]].iloc[row]
        raise ValueError(f"line {row + 2}: {columns[column]} must be a number, got {got!r}")
    if (values < 0).to_numpy().any():
        row, column = np.argwhere((values < 0).to_numpy())[0]
        raise ValueError(f"line {row + 2}: {columns[column]} must not be negative")
    return [{k: int(v) for k, v in row.items() if not pd.isna(v)} or None for _, row in values.iterrows()]


def contexts_of(frame: pd.DataFrame) -> list[AnswerContext]:
    """One context per row of a frame with ``text`` and optionally ``task``, ``worker``, ``reference``
    and telemetry columns: others = the other rows of the same task, references = the task's
    non-empty reference values, earlier = the same worker's rows above this one."""
    if "text" not in frame.columns:
        raise ValueError(f"missing column text (found {', '.join(map(str, frame.columns)) or 'none'})")
    texts = frame["text"].fillna("").astype(str).tolist()
    tasks = frame["task"].fillna("").astype(str).tolist() if "task" in frame.columns else [""] * len(frame)
    workers = frame["worker"].fillna("").astype(str).tolist() if "worker" in frame.columns else [""] * len(frame)
    refs = frame["reference"].fillna("").astype(str).tolist() if "reference" in frame.columns else [""] * len(frame)
    by_task: dict[str, list[int]] = {}
    for row, task in enumerate(tasks):
        if task:
            by_task.setdefault(task, []).append(row)
    telemetry = _telemetry(frame)
    contexts: list[AnswerContext] = []
    seen: dict[str, list[str]] = {}
    for row, text in enumerate(texts):
        same = by_task.get(tasks[row], [])
        contexts.append(AnswerContext(
            text=text, signals=telemetry[row], others=[texts[r] for r in same if r != row],
            references=sorted({refs[r] for r in same or [row] if refs[r].strip()}),
            earlier=list(seen.get(workers[row], [])) if workers[row] else []))
        if workers[row]:
            seen.setdefault(workers[row], []).append(text)
    return contexts


def score_frame(frame: pd.DataFrame, model: TextModel | None = None) -> pd.DataFrame:
    """``frame`` with ``llm_probability``, ``band`` and ``reasons`` (joined with "; ") added."""
    flags = flag_many(contexts_of(frame), model or default_model())
    scored = frame.copy()
    scored["llm_probability"] = [round(f.probability, 4) for f in flags]
    scored["band"] = [f.band for f in flags]
    scored["reasons"] = ["; ".join(f.reasons) for f in flags]
    return scored
