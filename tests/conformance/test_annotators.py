"""Every registered annotator passes the same checks: its examples round-trip, bad answers and configs
are refused naming the field, its template and script exist and honour the page contract."""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from html.parser import HTMLParser

import jinja2
import pytest
from jsonschema import Draft202012Validator

import annotators
from annotators import REGISTRY, STATIC_FOLDER, TEMPLATE_FOLDER, Annotator, AnswerError, AnswerShape

ALL = pytest.mark.parametrize("annotator", list(REGISTRY.values()), ids=list(REGISTRY))
LABEL_SHAPES = {AnswerShape.CATEGORICAL, AnswerShape.MULTI_LABEL, AnswerShape.PAIRWISE, AnswerShape.ORDINAL}


@pytest.fixture(scope="module")
def jinja() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_FOLDER), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def render(jinja: jinja2.Environment, annotator: Annotator, item: dict | None = None,
           assignment_id: str | None = "A1") -> str:
    config = annotator.example_config()
    item = annotator.example_item(config) if item is None else item
    return jinja.get_template(annotator.template).render(
        config=annotator.public_config(config), item=item, assignment_id=assignment_id)


class Elements(HTMLParser):
    """Collects every start tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str | None = None, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if (tag is None or t == tag)
                and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]


@ALL
def test_annotator_declares_the_contract(annotator: Annotator) -> None:
    assert isinstance(annotator, Annotator)
    assert re.fullmatch(r"[a-z][a-z0-9_]{2,49}", annotator.kind)
    assert annotator.shape in set(AnswerShape)
    assert annotator.title.strip()
    assert annotator.template == f"annotators/{annotator.kind}.html"
    assert annotator.script == f"annotators/{annotator.kind}.js"
    assert annotators.get(annotator.kind) is annotator


@ALL
def test_example_config_is_canonical_json(annotator: Annotator) -> None:
    config = annotator.example_config()
    assert annotator.parse_config(config) == config
    assert json.loads(json.dumps(config)) == config
    assert annotator.shape_for(config) in set(AnswerShape)


@ALL
def test_example_answer_round_trips_and_matches_its_schema(annotator: Annotator) -> None:
    config = annotator.example_config()
    item = annotator.example_item(config)
    schema = annotator.answer_schema(config)
    Draft202012Validator.check_schema(schema)

    answer = annotator.parse_answer(config, annotator.example_answer(config), item=item)

    assert answer == annotator.example_answer(config)
    assert annotator.parse_answer(config, answer, item=item) == answer
    assert annotator.parse_answer(config, json.loads(json.dumps(answer)), item=item) == answer
    assert list(Draft202012Validator(schema).iter_errors(answer)) == []


@ALL
def test_example_answer_passes_without_the_item(annotator: Annotator) -> None:
    config = annotator.example_config()
    answer = annotator.example_answer(config)
    assert annotator.parse_answer(config, answer) == answer


@ALL
def test_item_fields_are_in_the_example_item(annotator: Annotator) -> None:
    config = annotator.example_config()
    assert set(annotator.item_fields(config)) <= set(annotator.example_item(config))


@ALL
@pytest.mark.parametrize("raw", [None, [], "label", 3])
def test_answer_that_is_not_an_object_names_the_answer(annotator: Annotator, raw: object) -> None:
    with pytest.raises(AnswerError) as caught:
        annotator.parse_answer(annotator.example_config(), raw)  # type: ignore[arg-type]
    assert caught.value.problems == {"answer": "must be a JSON object"}


@ALL
def test_answer_missing_a_key_names_the_key(annotator: Annotator) -> None:
    config = annotator.example_config()
    answer = annotator.example_answer(config)
    for key in answer:
        broken = {k: v for k, v in answer.items() if k != key}
        with pytest.raises(AnswerError) as caught:
            annotator.parse_answer(config, broken)
        assert caught.value.problems == {key: "is required"}


@ALL
def test_answer_with_an_unknown_key_names_it(annotator: Annotator) -> None:
    config = annotator.example_config()
    with pytest.raises(AnswerError) as caught:
        annotator.parse_answer(config, annotator.example_answer(config) | {"bogus": 1})
    assert caught.value.problems == {"bogus": "is not a known field"}


@ALL
def test_answer_with_a_wrongly_typed_value_names_its_path(annotator: Annotator) -> None:
    config = annotator.example_config()
    answer = annotator.example_answer(config)
    for key in answer:
        with pytest.raises(AnswerError) as caught:
            annotator.parse_answer(config, answer | {key: {"not": "this"}})
        paths = list(caught.value.problems)
        assert paths and all(path.split(".")[0] == key for path in paths)
        assert str(caught.value).startswith(key)


@ALL
def test_config_with_an_unknown_setting_names_it(annotator: Annotator) -> None:
    with pytest.raises(AnswerError) as caught:
        annotator.parse_config(annotator.example_config() | {"colour_scheme": "dark"})
    assert caught.value.problems == {"colour_scheme": "is not a known setting"}


@ALL
@pytest.mark.parametrize("raw", [None, ["labels"], "labels"])
def test_config_that_is_not_an_object_is_refused(annotator: Annotator, raw: object) -> None:
    with pytest.raises(AnswerError) as caught:
        annotator.parse_config(raw)  # type: ignore[arg-type]
    assert caught.value.problems["config"] == "must be a JSON object"


@ALL
def test_template_and_script_files_exist(annotator: Annotator) -> None:
    assert (TEMPLATE_FOLDER / annotator.template).is_file()
    assert (STATIC_FOLDER / annotator.script).is_file()


@ALL
def test_template_has_one_answer_input_inside_one_root(annotator: Annotator,
                                                       jinja: jinja2.Environment) -> None:
    html = render(jinja, annotator)
    elements = Elements(html)

    assert len(elements.find(data_annotator=annotator.kind)) == 1
    assert len(elements.find("input", name="answer")) == 1
    assert elements.find("input", name="answer", type="hidden")
    assert html.lstrip().startswith("<div") and html.rstrip().endswith("</div>")
    assert not elements.find(name="signals")  # the page provides that one
    fields = ("input", "textarea", "select")
    names = {a.get("name") for t, a in elements.tags if a.get("name") and t in fields}
    assert all(name == "answer" or name.startswith("_ann_") for name in names)
    assert elements.find(data_role="message") and elements.find(data_role="shortcuts")


@ALL
def test_template_renders_in_preview_with_an_empty_item(annotator: Annotator,
                                                        jinja: jinja2.Environment) -> None:
    html = render(jinja, annotator, item={}, assignment_id=None)
    elements = Elements(html)
    assert len(elements.find(data_annotator=annotator.kind)) == 1
    assert bool(elements.find(data_role="missing")) == bool(annotator.item_fields(annotator.example_config()))


@ALL
def test_template_escapes_item_values(annotator: Annotator, jinja: jinja2.Environment) -> None:
    config = annotator.example_config()
    hostile = '"><script>alert(1)</script>'
    html = render(jinja, annotator, item={field: hostile for field in annotator.item_fields(config)})
    assert "<script>alert(1)" not in html


@ALL
def test_script_is_a_module_that_mounts_its_kind(annotator: Annotator) -> None:
    source = (STATIC_FOLDER / annotator.script).read_text()
    assert f'autoMount("{annotator.kind}", ' in source
    assert re.search(r"^export (function|const) mount\b", source, re.M)
    for imported in re.findall(r'^import .* from "\./([\w.]+)";$', source, re.M):
        assert (STATIC_FOLDER / "annotators" / imported).is_file()


@ALL
def test_public_config_never_carries_expected_answers(annotator: Annotator) -> None:
    public = json.dumps(annotator.public_config(annotator.example_config()))
    assert '"expected"' not in public
    assert "attention_check" not in public


@ALL
def test_label_of_gives_a_hashable_label_for_label_shapes(annotator: Annotator) -> None:
    config = annotator.example_config()
    label = annotator.label_of(config, annotator.example_answer(config))
    if annotator.shape_for(config) in LABEL_SHAPES:
        assert label is not None and isinstance(label, Hashable)
        hash(label)
    else:
        assert label is None
