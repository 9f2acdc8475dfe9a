"""`labelhub llm-check` and `labelhub quality train-llm-model`: CSV in, CSV out, no database, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from quality.llm import TextModel

LLM = ("Certainly! Here is a concise summary: the council has approved the extension of night buses. "
       "Additionally, it is important to note that the routes begin in March. I hope this helps!")
HUMAN = "buses at night go north now, from march i think"


@pytest.fixture
def run(offline_cli):
    return offline_cli


def test_llm_check_adds_probability_band_and_reasons(run, tmp_path):
    source = tmp_path / "answers.csv"
    pd.DataFrame({"text": [LLM, HUMAN], "task": ["t1", "t1"], "worker": ["a", "b"],
                  "pasted_chars": [len(LLM), 0], "pastes": [1, 0]}).to_csv(source, index=False)
    result = run("llm-check", source, "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert list(out.columns) == ["text", "task", "worker", "pasted_chars", "pastes", "llm_probability", "band",
                                 "reasons"]
    assert out["band"].tolist() == ["high", "low"] and out["llm_probability"][0] > 0.9
    assert "characters pasted from outside the page" in out["reasons"][0]
    assert "2 answers scored, 1 flagged" in result.stderr


@pytest.mark.parametrize(("content", "message"), [
    ('text\n"never closed\n', "cannot be read"),
    ("answer\nhello\n", "missing column text"),
    ("text,pastes\nhello,lots\n", "line 2: pastes must be a number, got 'lots'"),
    ("", "cannot be read: the file is empty"),
])
def test_llm_check_bad_input_names_the_problem_and_writes_nothing(run, tmp_path, content, message):
    source = tmp_path / "answers.csv"
    source.write_text(content)
    result = run("llm-check", source, "-o", tmp_path / "out.csv")
    assert result.exit_code == 1 and message in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_llm_check_missing_input_file(run, tmp_path):
    result = run("llm-check", tmp_path / "none.csv", "-o", tmp_path / "out.csv")
    assert result.exit_code == 1 and "no such file" in result.stderr


def _write_sets(root):
    for name, size in (("first", 40), ("second", 30)):
        folder = root / name
        folder.mkdir(parents=True)
        rows = []
        for i in range(size):
            rows.append({"text": f"i reckon number {i} is fine tbh", "source": "human", "task_id": f"q{i}"})
            rows.append({"text": f"Certainly! Number {i} is generally considered adequate. Additionally, it is "
                                 "important to note the context.", "source": "llm", "task_id": f"q{i}"})
        pd.DataFrame(rows).to_csv(folder / "texts.csv", index=False)


def test_train_llm_model_writes_a_model_that_loads(run, tmp_path):
    _write_sets(tmp_path / "sets")
    result = run("quality", "train-llm-model", "--datasets", tmp_path / "sets", "-o", tmp_path / "model.npz")
    assert result.exit_code == 0, result.output
    model = TextModel.load(tmp_path / "model.npz")
    assert model.metadata["sets"] == ["first", "second"] and model.metadata["texts"] == 140
    assert "Training on 140 texts (70 LLM-written)" in result.stderr


def test_train_llm_model_refuses_a_folder_without_text_sets(run, tmp_path):
    result = run("quality", "train-llm-model", "--datasets", tmp_path, "-o", tmp_path / "model.npz")
    assert result.exit_code == 1 and "no folder with a texts.csv" in result.stderr
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "texts.csv").write_text("text,source,task_id\nhello,robot,q1\n")
    result = run("quality", "train-llm-model", "--datasets", tmp_path, "-o", tmp_path / "model.npz")
    assert result.exit_code == 1 and "source must be human or llm, found robot" in result.stderr
