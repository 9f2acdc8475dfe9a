"""The registry of task types, and the package's independence from the rest of LabelHub."""

from __future__ import annotations

import subprocess
import sys

import pytest

import annotators
from annotators import REGISTRY, AnswerError, build_registry, get, kinds
from annotators.image_classification import ImageClassification
from annotators.text_classification import TextClassification


def test_registry_holds_the_seven_task_types() -> None:
    assert kinds() == ["bounding_boxes", "free_text", "image_classification", "pairwise", "survey",
                       "text_classification", "text_spans"]
    assert all(REGISTRY[kind].kind == kind for kind in kinds())


def test_get_unknown_kind_raises_key_error_listing_known_kinds() -> None:
    with pytest.raises(KeyError) as caught:
        get("video_tracking")
    message = caught.value.args[0]
    assert "unknown annotator kind 'video_tracking'" in message
    assert "image_classification" in message and "text_spans" in message


def test_build_registry_refuses_two_annotators_of_one_kind() -> None:
    twin = type("Twin", (TextClassification,), {"kind": "image_classification"})()
    with pytest.raises(ValueError, match="two annotators claim the kind 'image_classification'"):
        build_registry([ImageClassification(), twin])


def test_build_registry_indexes_by_kind() -> None:
    image, text = ImageClassification(), TextClassification()
    assert build_registry([image, text]) == {"image_classification": image, "text_classification": text}


def test_answer_error_lists_every_problem() -> None:
    error = AnswerError({"labels.2": "repeats the label 'cat'", "min_labels": "must be between 0 and 3"})
    assert str(error) == "labels.2: repeats the label 'cat'; min_labels: must be between 0 and 3"
    assert isinstance(error, ValueError)


def test_package_imports_no_framework_and_no_labelhub() -> None:
    code = ("import sys, annotators; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'labelhub', 'flask', 'sqlalchemy', 'rq', 'redis', 'jinja2'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=annotators.TEMPLATE_FOLDER.parent.parent)
    assert out.stdout.strip() == "[]"
