"""`labelhub aggregate LABELS.csv --method M -o OUT.csv`: CSV in, CSV out, no database, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest
from crowd_simulation import simulate

# auto fits crowd-kit's Wawa, which predates scikit-learn 1.7's estimator tags; the warning is theirs.
pytestmark = pytest.mark.filterwarnings("ignore:.*__sklearn_tags__:DeprecationWarning")


@pytest.fixture
def run(offline_cli):
    return lambda *args: offline_cli("aggregate", *args)


@pytest.fixture
def crowd():
    return simulate(n_tasks=200, n_workers=12, per_task=5, accuracy=(0.6, 0.95), seed=21)


@pytest.fixture
def labels_csv(tmp_path, crowd):
    path = tmp_path / "labels.csv"
    crowd.answers[["worker", "task", "label"]].to_csv(path, index=False)
    return path


@pytest.mark.parametrize("method", ["ds", "MajorityVote", "auto"])
def test_aggregate_command_writes_task_label_confidence(run, tmp_path, labels_csv, crowd, method):
    out = tmp_path / "out.csv"

    result = run(labels_csv, "--method", method, "-o", out)

    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype={"label": str})
    assert list(written.columns) == ["task", "label", "confidence"]
    assert list(written["task"]) == list(pd.unique(crowd.answers["task"]))
    assert (written.set_index("task")["label"] == crowd.truth.reindex(written["task"])).mean() > 0.85
    assert written["confidence"].between(0, 1).all()
    assert "200 tasks from 1000 answers" in result.stderr


def test_aggregate_command_uses_gold_and_explains_auto(run, tmp_path, labels_csv, crowd):
    gold = tmp_path / "gold.csv"
    crowd.truth.iloc[:40].rename_axis("task").reset_index().to_csv(gold, index=False)
    out = tmp_path / "out.csv"

    result = run(labels_csv, "-m", "auto", "--gold", gold, "-o", out)

    assert result.exit_code == 0, result.output
    assert "most accurate on 40 gold tasks" in result.stderr
    written = pd.read_csv(out).set_index("task")
    assert written.loc[crowd.truth.index[:40], "label"].tolist() == crowd.truth.iloc[:40].tolist()


def test_aggregate_command_shows_progress_when_asked(run, tmp_path, labels_csv):
    result = run(labels_csv, "-o", tmp_path / "out.csv", "--progress")

    assert result.exit_code == 0, result.output
    assert "Reading answers" in result.stderr and "Aggregating" in result.stderr


def test_aggregate_command_keeps_labels_as_written(run, tmp_path):
    source = tmp_path / "labels.csv"
    source.write_text("worker,task,label\nw1,t1,007\nw2,t1,007\nw1,t2,NA\nw2,t2,NA\n", encoding="utf-8")

    result = run(source, "-m", "MajorityVote", "-o", tmp_path / "out.csv")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.csv").read_text().splitlines()[1:] == ["t1,007,1.0", "t2,NA,1.0"]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"worker,task,label\n", "no rows after the header"),
    (b"worker,item,label\nw1,t1,a\n", "missing column(s) task"),
    (b"worker,task,label\nw1,t1,a\nw2,t1,\n", "line 3: empty label"),
    (b"worker,task,label\nw1,t1,a,extra,fields\n", "more fields than the header"),
    (b"worker,task,label\nw1,t1,a\nw1,t2,b,c\n", "cannot be read"),
    (b"worker,task,label\nw1,t1\n", "line 2: empty label"),
    (b"worker,task,label\nw1,t1,\xff\xfe\n", "cannot be read"),
])
def test_aggregate_command_rejects_a_malformed_csv_and_writes_nothing(run, tmp_path, content, message):
    source = tmp_path / "labels.csv"
    source.write_bytes(content)
    out = tmp_path / "out.csv"
    out.write_text("previous result\n")

    result = run(source, "-o", out)

    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert out.read_text() == "previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv", "out.csv"]


@pytest.mark.parametrize(("args", "message"), [
    (("-m", "Majority"), "unknown method 'Majority'"),
    (("-m", "KOS"), "handles exactly two labels"),
    (("-m", "GoldMajorityVote"), "needs gold labels"),
])
def test_aggregate_command_rejects_bad_methods(run, tmp_path, labels_csv, args, message):
    result = run(labels_csv, *args, "-o", tmp_path / "out.csv")

    assert result.exit_code == 1
    assert message in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_aggregate_command_reports_unreadable_inputs(run, tmp_path, labels_csv):
    missing = run(tmp_path / "nope.csv", "-o", tmp_path / "out.csv")
    directory = run(tmp_path, "-o", tmp_path / "out.csv")
    no_folder = run(labels_csv, "-o", tmp_path / "no" / "out.csv")
    bad_gold = run(labels_csv, "--gold", labels_csv, "-o", tmp_path / "out.csv")

    assert missing.exit_code == 1 and "No such file or directory" in missing.stderr
    assert directory.exit_code == 2 and "is a directory" in directory.stderr
    assert no_folder.exit_code == 1 and "its folder does not exist" in no_folder.stderr
    assert bad_gold.exit_code == 1 and "gold file" in bad_gold.stderr and "task" in bad_gold.stderr
    assert not (tmp_path / "out.csv").exists()
