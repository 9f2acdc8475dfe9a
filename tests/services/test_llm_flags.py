"""LLM flags through the services: the scoring job after each submission, and what the requester's
per-batch choice does with a flag (nothing, hold for review, exclude from or down-weight in the
consensus, auto-reject only when asked)."""

from datetime import timedelta

import pytest
from sqlalchemy import delete

from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.models import AnswerFlag, AssignmentStatus
from labelhub.money import parse_amount
from labelhub.services import assignments, batch_results, batches, hits, llm_flags, workers
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.batches import CreateBatch

SOURCE = "The council voted to extend night buses to the northern suburbs from March, paid by a parking levy."
LLM_SUMMARY = ("Certainly! The city council has voted to extend the night bus network to the northern suburbs. "
               "Additionally, the new routes will begin in March and will be funded by a parking levy. Overall, "
               "this decision is expected to improve late-night transportation options for residents.")
LLM_SUMMARY_2 = ("Certainly! The city council has approved an extension of the night bus network to the northern "
                 "suburbs. Additionally, the routes will start in March, funded through a parking levy. Overall, "
                 "it is expected to improve late-night transportation options for residents.")
HUMAN_SUMMARY = "night buses go north from march, the parking levy pays for it"
PASTED = {"pastes": 1, "pasted_chars": len(LLM_SUMMARY), "pastes_from_page": 0, "pasted_chars_from_page": 0}


def _typed(text):
    return {"typed_chars": len(text), "keystrokes": len(text) + 6, "deletions": 6, "pastes": 0,
            "pasted_chars": 0, "active_typing_ms": len(text) * 200, "time_on_page_ms": len(text) * 260}


def _batch(runtime, factory, requester, llm=None, rows=1, max_assignments=3):
    quality = QualitySettings.parse({"method": "ds", "llm": llm} if llm else {"method": "ds"})
    spec = factory.hit_type_spec(title="Summarise a news item", reward_micros=parse_amount("0.20"),
                                 auto_approval_delay_seconds=3600)
    batch = batches.create_batch(runtime, requester.actor, CreateBatch(
        name="Summaries", template_kind="free_text", question_template="<p>${text}</p>", hit_type=spec,
        rows=tuple({"text": SOURCE, "llm_reference": LLM_SUMMARY_2} for _ in range(rows)), lifetime_seconds=86_400,
        max_assignments=max_assignments, template_config={"mode": "summarise", "min_length": 10},
        quality=quality))
    hit = hits.list_hits(runtime, requester.actor, batch_id=batches.batch_id_for(
        runtime, requester.actor, batch.public_id)).items[0]
    return batch, hit


def _submit(runtime, factory, hit, text, signals):
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    return assignments.submit(runtime, worker.actor, taken.public_id, {"text": text}, signals)


def _flags(runtime, requester, batch, **filters):
    return {v.assignment_id: v for v in llm_flags.list_flags(runtime, requester.actor, batch.public_id,
                                                             **filters).items}


def test_each_submission_is_scored_with_reasons(runtime, factory):
    requester = factory.requester()
    batch, hit = _batch(runtime, factory, requester)
    pasted = _submit(runtime, factory, hit, LLM_SUMMARY, PASTED)
    typed = _submit(runtime, factory, hit, HUMAN_SUMMARY, _typed(HUMAN_SUMMARY))

    flags = _flags(runtime, requester, batch)
    assert flags[pasted.public_id].flag.band == "high"
    assert f"{len(LLM_SUMMARY)} of {len(LLM_SUMMARY)} characters pasted from outside the page" in \
        flags[pasted.public_id].flag.reasons
    assert any("reference LLM answer" in e["reason"] for e in flags[pasted.public_id].flag.evidence)
    assert flags[typed.public_id].flag.band == "low"
    assert flags[pasted.public_id].flag.action == "none"  # the default does nothing to the assignment
    again = assignments.get_assignment(runtime, requester.actor, pasted.public_id)
    assert again.status is AssignmentStatus.SUBMITTED and again.auto_approval_at == pasted.auto_approval_at
    summary = batch_results.batch_summary(runtime, requester.actor, batch.public_id).llm
    assert (summary.scored, summary.flagged) == (2, 1)
    expected_share = sum(v.flag.probability for v in flags.values()) / 2
    assert summary.estimated_share == pytest.approx(expected_share)


def test_a_later_copy_raises_the_earlier_answer_through_similarity(runtime, factory):
    requester = factory.requester()
    batch, hit = _batch(runtime, factory, requester)
    first = _submit(runtime, factory, hit, HUMAN_SUMMARY + " and buses run every hour", _typed(HUMAN_SUMMARY))
    before = _flags(runtime, requester, batch)[first.public_id].flag.probability
    _submit(runtime, factory, hit, HUMAN_SUMMARY + " and buses run every hour.", _typed(HUMAN_SUMMARY))
    after = _flags(runtime, requester, batch)[first.public_id].flag
    assert after.probability > before
    assert any("similar to another worker's answer" in e["reason"] for e in after.evidence)


def test_review_holds_flagged_answers_back_from_auto_approval(runtime, factory, clock):
    requester = factory.requester()
    batch, hit = _batch(runtime, factory, requester, llm={"action": "review"})
    pasted = _submit(runtime, factory, hit, LLM_SUMMARY, PASTED)
    typed = _submit(runtime, factory, hit, HUMAN_SUMMARY, _typed(HUMAN_SUMMARY))

    held = assignments.get_assignment(runtime, requester.actor, pasted.public_id)
    assert held.auto_approval_at == held.submitted_at + timedelta(days=30)
    assert _flags(runtime, requester, batch)[pasted.public_id].flag.action == "held for review"
    assert assignments.get_assignment(runtime, requester.actor, typed.public_id).auto_approval_at == \
        typed.auto_approval_at


def test_auto_reject_only_when_the_requester_turns_it_on(runtime, factory):
    requester = factory.requester()
    batch, hit = _batch(runtime, factory, requester, llm={"action": "none", "auto_reject": True})
    pasted = _submit(runtime, factory, hit, LLM_SUMMARY, PASTED)
    typed = _submit(runtime, factory, hit, HUMAN_SUMMARY, _typed(HUMAN_SUMMARY))

    rejected = assignments.get_assignment(runtime, requester.actor, pasted.public_id)
    assert rejected.status is AssignmentStatus.REJECTED
    assert rejected.requester_feedback.startswith("Rejected automatically: the answer looks LLM-written (")
    assert assignments.get_assignment(runtime, requester.actor, typed.public_id).status is AssignmentStatus.SUBMITTED


def _consensus_text(runtime, requester, batch):
    (row,) = batch_results.consensus_labels(runtime, requester.actor, batch.public_id).items
    return row.value, row.answers


@pytest.mark.parametrize(("action", "expected"), [
    ("none", {(LLM_SUMMARY, 3), (LLM_SUMMARY_2, 3)}), ("exclude", {(HUMAN_SUMMARY, 1)}),
    ("downweight", {(HUMAN_SUMMARY, 3)})])
def test_the_batch_choice_decides_whether_flagged_answers_shape_the_consensus(runtime, factory, action, expected):
    requester = factory.requester()
    batch, hit = _batch(runtime, factory, requester, llm={"action": action})
    _submit(runtime, factory, hit, LLM_SUMMARY, PASTED)
    _submit(runtime, factory, hit, LLM_SUMMARY_2, PASTED | {"pasted_chars": len(LLM_SUMMARY_2)})
    _submit(runtime, factory, hit, HUMAN_SUMMARY, _typed(HUMAN_SUMMARY))
    assert _consensus_text(runtime, requester, batch) in expected


def test_flags_are_filtered_by_band_and_probability_and_stay_the_requesters(runtime, factory):
    requester = factory.requester()
    batch, hit = _batch(runtime, factory, requester)
    pasted = _submit(runtime, factory, hit, LLM_SUMMARY, PASTED)
    _submit(runtime, factory, hit, HUMAN_SUMMARY, _typed(HUMAN_SUMMARY))
    assert list(_flags(runtime, requester, batch, bands=("high",))) == [pasted.public_id]
    assert list(_flags(runtime, requester, batch, min_probability=0.99)) == [pasted.public_id]
    assert len(_flags(runtime, requester, batch, bands=("low", "medium", "high"))) == 2
    with pytest.raises(InvalidInputError):
        _flags(runtime, requester, batch, bands=("severe",))
    with pytest.raises(NotFoundError, match="does not exist"):
        _flags(runtime, factory.requester(), batch)


def test_the_sweep_scores_answers_whose_job_was_lost(runtime, factory):
    requester = factory.requester()
    batch, hit = _batch(runtime, factory, requester)
    _submit(runtime, factory, hit, LLM_SUMMARY, PASTED)
    with runtime.sessions.begin() as db:
        db.execute(delete(AnswerFlag))
    assert llm_flags.score_due(runtime) == 1
    assert len(_flags(runtime, requester, batch)) == 1
    assert llm_flags.score_due(runtime) == 0


def test_classification_batches_are_not_scored(runtime, factory):
    requester = factory.requester()
    batch = batches.create_batch(runtime, requester.actor, CreateBatch(
        name="Tone", template_kind="text_classification", question_template="<p>${text}</p>",
        hit_type=factory.hit_type_spec(), rows=({"text": "fine"},), lifetime_seconds=3600, max_assignments=1,
        template_config={"labels": ["a", "b"], "text_field": "text"}))
    worker = factory.worker()
    (listing,) = workers.available_hits(runtime, worker.actor).items
    taken = assignments.accept(runtime, worker.actor, listing.hit.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"label": "a"})
    assert _flags(runtime, requester, batch) == {}
