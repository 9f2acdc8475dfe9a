"""Fixed labels through the services on the real database: validation and ownership, the fix as a known
answer of the aggregation (worker accuracy), the fix winning in exports and the REST consensus listing,
and clearing it. Jobs (the aggregation) run inline."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError, PermissionDeniedError
from labelhub.models import HIT
from labelhub.runtime import Runtime
from labelhub.services import batch_results, consensus, gold, hits, label_fixes
from labelhub.services.export_commands import ExportRequest
from labelhub.services.export_reading import reading
from tests.crowd import LABELS, Crowd, make_crowd
from tests.factories import Factory


@pytest.fixture
def crowd(runtime: Runtime, factory: Factory) -> Crowd:
    """Six tone HITs, no gold, answered by a careful worker and by one who always says "positive"."""
    runtime.random = lambda: 0.99
    crowd = make_crowd(runtime, factory, items=6, gold=0, max_assignments=2)
    crowd.work(factory.worker("careful"), 1.0)
    crowd.work(factory.worker("constant"), None, constant="positive")
    return crowd


def _hit_ids(rt: Runtime, crowd: Crowd) -> dict[str, str]:
    """Item text -> HIT id."""
    listed = hits.list_hits(rt, crowd.requester.actor, limit=100).items
    return {hit.data["text"]: hit.public_id for hit in listed}


def _hit_where_constant_is_wrong(rt: Runtime, crowd: Crowd) -> tuple[str, str]:
    """A HIT whose true label is not "positive", and that label."""
    text, truth = next((text, label) for text, label in sorted(crowd.truth.items()) if label != "positive")
    return _hit_ids(rt, crowd)[text], truth


def _pk(rt: Runtime, hit_id: str) -> int:
    with rt.sessions() as db:
        return db.scalar(select(HIT.id).where(HIT.public_id == hit_id))


def _scores(rt: Runtime, crowd: Crowd) -> dict[str, dict]:
    page = batch_results.batch_worker_scores(rt, crowd.requester.actor, crowd.batch_id, limit=100)
    return {view.worker_id: view.scores for view in page.items}


def _records(rt: Runtime, crowd: Crowd) -> dict[str, object]:
    with reading(rt, crowd.requester.actor, crowd.batch_id, ExportRequest("jsonl")) as stream:
        return {record.hit_id: record for record in stream.records()}


def test_fix_is_validated_by_the_task_type_and_nothing_is_written_when_refused(runtime, crowd):
    hit_id, _ = _hit_where_constant_is_wrong(runtime, crowd)

    with pytest.raises(InvalidInputError) as refused:
        label_fixes.fix_label(runtime, crowd.requester.actor, hit_id, {"label": "purple"})
    assert list(refused.value.fields) == ["answer.label"] and "positive" in refused.value.fields["answer.label"]
    with pytest.raises(InvalidInputError) as not_an_object:
        label_fixes.fix_label(runtime, crowd.requester.actor, hit_id, ["negative"])
    assert list(not_an_object.value.fields) == ["answer"]

    view = label_fixes.label_view(runtime, crowd.requester.actor, hit_id)
    assert (view.fixed_answer, view.hit.reviewed_at, view.source) == (None, None, "consensus")


def test_another_requesters_hit_is_not_found_and_a_worker_is_refused(runtime, factory, crowd):
    hit_id, truth = _hit_where_constant_is_wrong(runtime, crowd)
    stranger = factory.requester()

    with pytest.raises(NotFoundError):
        label_fixes.fix_label(runtime, stranger.actor, hit_id, {"label": truth})
    with pytest.raises(NotFoundError):
        label_fixes.clear_fix(runtime, stranger.actor, hit_id)
    with pytest.raises(NotFoundError):
        label_fixes.label_view(runtime, stranger.actor, hit_id)
    with pytest.raises(PermissionDeniedError):
        label_fixes.fix_label(runtime, factory.worker().actor, hit_id, {"label": truth})
    assert label_fixes.label_view(runtime, crowd.requester.actor, hit_id).fixed_answer is None


def test_a_hit_outside_a_batch_has_no_label_to_fix(runtime, factory):
    requester = factory.requester()
    lone = factory.hit(requester.actor)
    with pytest.raises(InvalidStateError):
        label_fixes.fix_label(runtime, requester.actor, lone.public_id, {"label": "cat"})


def test_a_fixed_label_is_a_known_answer_that_changes_worker_accuracy(runtime, crowd):
    hit_id, truth = _hit_where_constant_is_wrong(runtime, crowd)
    before = _scores(runtime, crowd)
    assert all(scores["gold_answers"] == 0 for scores in before.values())

    label_fixes.fix_label(runtime, crowd.requester.actor, hit_id, {"label": truth})

    snapshot = consensus._snapshot(runtime, crowd.batch_id, force=True)
    assert snapshot.gold.to_dict() == {_pk(runtime, hit_id): truth}
    after = _scores(runtime, crowd)
    by_right = {worker: (s["gold_answers"], s["gold_correct"]) for worker, s in after.items()}
    assert sorted(by_right.values()) == [(1, 0), (1, 1)]  # the careful worker right, the constant one wrong
    right, wrong = (next(w for w, pair in by_right.items() if pair == want) for want in ((1, 1), (1, 0)))
    assert before[wrong]["gold_accuracy"] is None  # no known answer before the fix
    assert after[wrong]["gold_accuracy"] < 0.5 < after[right]["gold_accuracy"]  # Beta(1,1) posterior of 0/1, 1/1


def test_a_fix_wins_over_the_gold_answer_of_a_gold_hit(runtime, crowd):
    hit_id, truth = _hit_where_constant_is_wrong(runtime, crowd)
    other = next(label for label in LABELS if label != truth)
    gold.mark_gold(runtime, crowd.requester.actor, hit_id, {"label": other})

    label_fixes.fix_label(runtime, crowd.requester.actor, hit_id, {"label": truth})

    snapshot = consensus._snapshot(runtime, crowd.batch_id, force=True)
    assert list(snapshot.gold.to_dict().values()) == [truth]
    record = _records(runtime, crowd)[hit_id]
    assert (record.value, record.gold, record.reviewed_value, record.label_source) == (truth, other, truth, "fixed")


def test_a_fixed_label_wins_in_exports_and_in_the_consensus_listing_and_clearing_restores(runtime, crowd):
    hit_id, truth = _hit_where_constant_is_wrong(runtime, crowd)
    listing = {v.hit_id: v for v in batch_results.consensus_labels(runtime, crowd.requester.actor,
                                                                      crowd.batch_id, limit=100).items}
    crowd_said = listing[hit_id].value
    wrong = next(label for label in LABELS if label not in (truth, "positive"))  # nobody's answer

    label_fixes.fix_label(runtime, crowd.requester.actor, hit_id, {"label": wrong})

    records = _records(runtime, crowd)
    fixed = records[hit_id]
    assert (fixed.value, fixed.reviewed_value, fixed.label_source, fixed.answers) == (wrong, wrong, "fixed", 2)
    assert fixed.agreement == 0.0  # neither worker gave the fixed label
    assert {r.label_source for h, r in records.items() if h != hit_id} == {"consensus"}
    assert len(records) == 6
    listed = {v.hit_id: v for v in batch_results.consensus_labels(runtime, crowd.requester.actor,
                                                                   crowd.batch_id, limit=100).items}
    assert (listed[hit_id].value, listed[hit_id].label_source, listed[hit_id].answers) == (wrong, "fixed", 2)
    assert listed[hit_id].confidence is None  # the aggregation replaced the consensus by the known answer
    low = batch_results.consensus_labels(runtime, crowd.requester.actor, crowd.batch_id, below=1.01, limit=100)
    assert hit_id not in {v.hit_id for v in low.items}  # a fixed HIT needs no look

    label_fixes.clear_fix(runtime, crowd.requester.actor, hit_id)

    restored = _records(runtime, crowd)[hit_id]
    assert (restored.value, restored.reviewed_value, restored.label_source) == (crowd_said, None, "consensus")
    assert consensus._snapshot(runtime, crowd.batch_id, force=True).gold.empty
    view = label_fixes.label_view(runtime, crowd.requester.actor, hit_id)
    assert (view.fixed_answer, view.source, view.consensus) == (None, "consensus", crowd_said)
