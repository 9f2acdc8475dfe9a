"""Every task type describes its configuration as a JSON Schema that its canonical configurations match
and from which the requester's form is built."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from annotators import REGISTRY, Annotator, get

ALL = pytest.mark.parametrize("annotator", list(REGISTRY.values()), ids=list(REGISTRY))


def schema_errors(annotator: Annotator, config: dict[str, Any]) -> list[str]:
    return [error.message for error in Draft202012Validator(annotator.config_schema()).iter_errors(config)]


@ALL
def test_config_schema_is_a_valid_draft_2020_12_object_schema(annotator: Annotator) -> None:
    schema = annotator.config_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is False


@ALL
def test_config_schema_covers_every_key_of_the_example_config(annotator: Annotator) -> None:
    assert set(annotator.example_config()) <= set(annotator.config_schema()["properties"])


@ALL
def test_example_config_matches_the_config_schema(annotator: Annotator) -> None:
    assert schema_errors(annotator, annotator.example_config()) == []


@ALL
def test_every_config_property_has_a_title(annotator: Annotator) -> None:
    properties = annotator.config_schema()["properties"]
    assert all(str(prop.get("title", "")).strip() for prop in properties.values()), properties


@ALL
def test_column_properties_are_strings(annotator: Annotator) -> None:
    columns = [prop for prop in annotator.config_schema()["properties"].values() if prop.get("format") == "column"]
    assert all("string" in ([prop["type"]] if isinstance(prop["type"], str) else prop["type"]) for prop in columns)


@pytest.mark.parametrize(("kind", "raw"), [
    ("text_classification", {"labels": ["a", "b", "c"], "multi_label": True, "min_labels": 2}),
    ("image_classification", {"labels": ["a", "b"], "ordinal": True, "image_field": "photo"}),
    ("bounding_boxes", {"labels": ["car"], "image_width": 640, "image_height": 480}),
    ("free_text", {"mode": "answer", "question": "Why?"}),
    ("free_text", {"mode": "transcribe", "multiline": False}),
    ("pairwise", {"media": "image", "a_label": "Left", "b_label": "Right"}),
])
def test_other_canonical_configs_match_the_config_schema(kind: str, raw: dict[str, Any]) -> None:
    annotator = get(kind)
    assert schema_errors(annotator, annotator.parse_config(raw)) == []


def test_config_schema_refuses_an_unknown_setting() -> None:
    annotator = get("pairwise")
    assert schema_errors(annotator, annotator.example_config() | {"colour": "red"})
