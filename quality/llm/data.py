"""Reading the human-vs-LLM text sets (``texts.csv`` with text, source and a prompt id per folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

SOURCES = {"human": 0, "llm": 1}


def read_text_sets(root: str | os.PathLike[str]) -> pd.DataFrame:
    """Every ``<root>/<set>/texts.csv`` as one frame: text, label (1 = LLM), group (the set and the
    prompt id, so no prompt is split) and set. ValueError naming the file and the problem."""
    folders = sorted(p for p in Path(root).iterdir() if (p / "texts.csv").is_file()) if Path(root).is_dir() else []
    if not folders:
        raise ValueError(f"{root}: no folder with a texts.csv (expected e.g. hc3_en_subset/texts.csv)")
    frames = []
    for folder in folders:
        path = folder / "texts.csv"
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise ValueError(f"{path}: cannot be read: {exc}") from None
        missing = [c for c in ("text", "source", "task_id") if c not in frame.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        unknown = sorted(set(frame["source"]) - SOURCES.keys())
        if unknown:
            raise ValueError(f"{path}: source must be human or llm, found {', '.join(unknown[:3])}")
        frame = frame[frame["text"].str.strip() != ""]
        frames.append(pd.DataFrame({"text": frame["text"], "label": frame["source"].map(SOURCES),
                                    "group": folder.name + "/" + frame["task_id"], "set": folder.name}))
    return pd.concat(frames, ignore_index=True)
