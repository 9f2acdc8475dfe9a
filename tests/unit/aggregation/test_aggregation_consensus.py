"""One consensus form for every answer shape (what a batch stores per HIT)."""

import pandas as pd
import pytest

from aggregation.consensus import consensus


def _frame(rows):
    return pd.DataFrame(rows, columns=["worker", "task", "label"])


def test_categorical_gives_labels_posteriors_alpha_and_confusion():
    frame = _frame([(w, t, "a" if t % 2 else "b") for w in "xyz" for t in range(10)])
    result = consensus("categorical", frame, method="ds")
    assert result.values.to_dict() == {t: "a" if t % 2 else "b" for t in range(10)}
    assert result.agreement == pytest.approx(1.0) and result.classes == ["a", "b"]
    assert (result.confidence > 0.99).all() and "confusion" in result.workers


def test_multi_label_boxes_spans_and_text_have_a_value_and_confidence_per_task():
    multi = consensus("multi_label", _frame([("x", 1, ("a", "b")), ("y", 1, ("a",)), ("z", 1, ("a", "b"))]))
    assert multi.values[1] == ["a", "b"] and 0 < multi.confidence[1] <= 1
    boxes = consensus("boxes", _frame([("x", 1, [[0, 0, 10, 10, "c"]]), ("y", 1, [[1, 1, 10, 10, "c"]]),
                                       ("z", 1, [])]))
    assert len(boxes.values[1]) == 1 and boxes.confidence[1] == pytest.approx(2 / 3)
    assert boxes.workers.loc["z", "accuracy"] == 0.0 and boxes.workers.loc["x", "accuracy"] == 1.0
    spans = consensus("spans", _frame([("x", 1, [[0, 4, "p"]]), ("y", 1, [[0, 4, "p"]])]))
    assert spans.values[1] == [[0, 4, "p"]] and spans.confidence[1] == 1.0
    text = consensus("text", _frame([("x", 1, "a cat"), ("y", 1, "a cat"), ("z", 1, "dog")]))
    assert text.values[1] == "a cat" and text.workers.loc["x", "accuracy"] > text.workers.loc["z", "accuracy"]


def test_gold_is_refused_for_shapes_without_labels_and_unknown_shapes_are_named():
    frame = _frame([("x", 1, "a cat")])
    with pytest.raises(ValueError, match="gold: known answers are used for categorical shapes only"):
        consensus("text", frame, gold=pd.Series({1: "a cat"}))
    with pytest.raises(ValueError, match="shape: no consensus for 'form'"):
        consensus("form", frame)
