"""The dataset card (README.md) written with a Parquet export: what the rows are, each column, the label
names behind the class ids, and how to load the files. Its YAML header is what the Hugging Face Hub
reads (``configs`` maps the splits to the files)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from exports.records import ExportMeta

VALUE_RULES = {
    "categorical": "a class id (see Labels)",
    "ordinal": "a class id on the ordered scale, 0 for its first point (see Labels)",
    "pairwise": "a class id: 0 = a, 1 = b, 2 = tie (see Labels)",
    "multi_label": "a list of class ids (see Labels)",
    "boxes": "a list of boxes {x, y, w, h, label}: top-left corner, width and height in image pixels, and a "
             "class id (see Labels)",
    "spans": "a list of spans {start, end, label}: character offsets into the text (end exclusive) and a "
             "class id (see Labels)",
    "text": "the text",
    "form": "the survey's answers as JSON text, {question id: answer}",
}


@dataclass(frozen=True, slots=True)
class CardColumn:
    name: str
    type: str
    description: str


@dataclass(frozen=True, slots=True)
class CardFile:
    """A data file: the split it holds (``train`` for a single file), its path relative to the card."""

    split: str
    path: str
    rows: int


def dataset_card(*, meta: ExportMeta, answers: bool, files: list[CardFile], columns: list[CardColumn]) -> str:
    header = ["---", f"pretty_name: {json.dumps(meta.batch_name, ensure_ascii=False)}",
              "tags:", "- labelhub", "- crowdsourcing", "configs:", "- config_name: default", "  data_files:",
              *(f"  - split: {file.split}\n    path: {json.dumps(file.path, ensure_ascii=False)}" for file in files),
              "---", ""]
    unit = "one row per assignment (a worker's answer)" if answers else "one row per HIT (its consensus)"
    body = [
        f"# {meta.batch_name}", "",
        f"Crowd labels exported by LabelHub from batch `{meta.batch_id}`: {meta.annotator} with "
        f"{meta.shape.value.replace('_', '-')} answers, {unit}.", "",
        "## Files", "", "| split | file | rows |", "|---|---|---|",
        *(f"| {file.split} | `{file.path}` | {file.rows} |" for file in files),
        "", "## Columns", "", "| column | type | description |", "|---|---|---|",
        *(f"| `{_cell(c.name)}` | {_cell(c.type)} | {_cell(c.description)} |" for c in columns), "",
        f"`value`{'' if answers else ', `gold` and `reviewed_value`'} hold "
        f"{VALUE_RULES.get(meta.shape.value, 'the value as JSON text')}.", "",
        *_labels(meta), *_loading(files),
    ]
    return "\n".join(header + body)


def _labels(meta: ExportMeta) -> list[str]:
    names = meta.labels or (("a", "b", "tie") if meta.shape.value == "pairwise" else ())
    if not names:
        return []
    return ["## Labels", "", "Stored as `datasets` stores a `ClassLabel`: the class id, with the names in the "
            "file's schema metadata (`huggingface`).", "", "| id | label |", "|---|---|",
            *(f"| {n} | {_cell(name)} |" for n, name in enumerate(names)), ""]


def _loading(files: list[CardFile]) -> list[str]:
    data_files = "{" + ", ".join(f"{json.dumps(file.split)}: {json.dumps(file.path)}" for file in files) + "}"
    first = json.dumps(files[0].path) if files else '"..."'
    return ["## Loading", "", "```python", "import pandas as pd", f"frame = pd.read_parquet({first})", "",
            "from datasets import load_dataset", f'dataset = load_dataset("parquet", data_files={data_files})',
            "```", ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
