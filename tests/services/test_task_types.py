"""Batches made with a registered task type (annotators/): configuration checked at creation, answers and
page signals checked by the task type at submit."""

import pytest

from labelhub.errors import InvalidInputError
from labelhub.money import parse_amount
from labelhub.services import assignments, batches, hits
from labelhub.services.batches import CreateBatch

CONFIG = {"labels": ["positive", "negative"], "text_field": "text"}


def _batch(runtime, factory, requester, **overrides):
    values = {"name": "Tone", "template_kind": "text_classification", "question_template": "<p>${text}</p>",
              "hit_type": factory.hit_type_spec(reward_micros=parse_amount("0.10")),
              "rows": ({"text": "Great"}, {"text": "Awful"}), "lifetime_seconds": 3600,
              "max_assignments": 2, "template_config": CONFIG} | overrides
    return batches.create_batch(runtime, requester.actor, CreateBatch(**values))


def _accepted(runtime, factory, requester, batch):
    hit = hits.list_hits(runtime, requester.actor, batch_id=batches.batch_id_for(
        runtime, requester.actor, batch.public_id)).items[0]
    worker = factory.worker()
    return worker, assignments.accept(runtime, worker.actor, hit.public_id)


def test_batch_with_an_invalid_task_type_config_names_the_field_and_creates_nothing(runtime, factory):
    requester = factory.requester()
    with pytest.raises(InvalidInputError) as caught:
        _batch(runtime, factory, requester, template_config={"labels": ["only one"]})
    assert any(key.startswith("template_config.") for key in caught.value.fields)
    assert hits.list_hits(runtime, requester.actor).items == []


def test_batch_rows_must_hold_the_columns_the_task_type_reads(runtime, factory):
    requester = factory.requester()
    with pytest.raises(InvalidInputError) as caught:
        _batch(runtime, factory, requester, question_template="<p>review</p>", rows=({"body": "x"},))
    assert caught.value.fields == {"rows[1]": "has no value for text"}


def test_submit_checks_the_answer_with_the_task_type(runtime, factory):
    requester = factory.requester()
    worker, taken = _accepted(runtime, factory, requester, _batch(runtime, factory, requester))
    with pytest.raises(InvalidInputError) as caught:
        assignments.submit(runtime, worker.actor, taken.public_id, {"label": "maybe"})
    assert list(caught.value.fields) == ["answer.label"]
    stored = assignments.submit(runtime, worker.actor, taken.public_id, {"label": "positive"},
                                {"keystrokes": 0, "pastes": 0})
    assert stored.answer["label"] == "positive"


def test_submit_refuses_unknown_page_signals_on_task_type_hits(runtime, factory):
    requester = factory.requester()
    worker, taken = _accepted(runtime, factory, requester, _batch(runtime, factory, requester))
    with pytest.raises(InvalidInputError) as caught:
        assignments.submit(runtime, worker.actor, taken.public_id, {"label": "positive"}, {"mood": 3})
    assert "signals.mood" in caught.value.fields
    assert assignments.get_assignment(runtime, worker.actor, taken.public_id).answer is None
