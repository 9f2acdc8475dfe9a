"""The requester's view of workers: who is in scope (worked for them, blocked by them, holds or asked for
their qualification; nobody else, and not across marketplaces), the workers list with records and pooled
accuracy, and one worker's profile (history by batch, gold and consensus accuracy, spam signs, flags)."""

from __future__ import annotations

import pytest

from labelhub.errors import NotFoundError
from labelhub.models import Marketplace
from labelhub.money import parse_amount
from labelhub.services import (
    assignments,
    batch_results,
    consensus,
    payments,
    qualifications,
    worker_profiles,
    workers,
)
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.commands import QualificationTypeSpec
from tests.crowd import make_crowd
from tests.services.test_llm_flags import LLM_SUMMARY, PASTED
from tests.services.test_llm_flags import _batch as free_text_batch


def _submitted(runtime, factory, requester, worker, *, approve: bool | None = None):
    hit = factory.hit(requester.actor)
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"answer": "yes"})
    if approve is True:
        assignments.approve(runtime, requester.actor, taken.public_id)
    elif approve is False:
        assignments.reject(runtime, requester.actor, taken.public_id, feedback="Not what was asked")
    return taken


def _type(runtime, requester, name="Careful"):
    return qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(name=name, description="Reads."))


def test_scope_is_work_blocks_and_qualifications_of_this_requester(runtime, factory):
    owner, other = factory.requester(), factory.requester()
    worked, blocked, holder, asker, stranger = (factory.worker() for _ in range(5))
    _submitted(runtime, factory, owner, worked)
    workers.block(runtime, owner.actor, blocked.actor.public_id, "Spam")
    qualifications.grant(runtime, owner.actor, _type(runtime, owner).public_id, holder.actor.public_id, 5)
    qualifications.request(runtime, asker.actor, _type(runtime, owner, "Asked").public_id)
    _submitted(runtime, factory, other, stranger)

    for handle in (worked, blocked, holder, asker):
        worker_profiles.check_in_scope(runtime, owner.actor, handle.actor.public_id)
    with pytest.raises(NotFoundError):
        worker_profiles.check_in_scope(runtime, owner.actor, stranger.actor.public_id)
    with pytest.raises(NotFoundError):
        worker_profiles.worker_profile(runtime, other.actor, worked.actor.public_id)
    with pytest.raises(NotFoundError):  # the same requester in the sandbox: nothing was done there
        worker_profiles.check_in_scope(runtime, owner.sandbox(), worked.actor.public_id)
    with pytest.raises(NotFoundError):
        worker_profiles.check_in_scope(runtime, owner.actor, "ANOSUCHWORKER1")


def test_workers_page_lists_who_worked_with_record_and_search(runtime, factory):
    owner = factory.requester()
    first, second, blocked_only = factory.worker(), factory.worker(), factory.worker()
    _submitted(runtime, factory, owner, first, approve=True)
    _submitted(runtime, factory, owner, first, approve=False)
    _submitted(runtime, factory, owner, first)
    _submitted(runtime, factory, owner, second, approve=True)
    workers.block(runtime, owner.actor, blocked_only.actor.public_id, "Spam")
    workers.block(runtime, owner.actor, second.actor.public_id, "Spam")

    page = worker_profiles.workers_page(runtime, owner.actor, limit=1)
    following = worker_profiles.workers_page(runtime, owner.actor, cursor=page.next_cursor, limit=1)
    found = worker_profiles.workers_page(runtime, owner.actor, search=second.actor.public_id[:12].lower())

    rows = {row.worker_id: row for row in [*page.items, *following.items]}
    assert set(rows) == {first.actor.public_id, second.actor.public_id}  # blocked without work: not listed
    assert following.next_cursor is None
    mine = rows[first.actor.public_id]
    assert (mine.record.answers, mine.record.approved, mine.record.rejected) == (3, 1, 1)
    assert mine.record.approval_rate == 0.5 and mine.record.last_active is not None and not mine.blocked
    assert rows[second.actor.public_id].blocked
    assert [row.worker_id for row in found.items] == [second.actor.public_id]


def test_profile_pools_accuracy_as_the_batch_results_do(runtime, factory):
    crowd = make_crowd(runtime, factory, items=8, gold=2, max_assignments=3, gold_assignments=3,
                       quality=QualitySettings.parse({"method": "ds"}))
    good, careless, spammer = factory.worker(), factory.worker(), factory.worker()
    crowd.work(good, 0.95)
    crowd.work(careless, 0.8)
    crowd.work(spammer, None, constant="positive")
    consensus.aggregate_batch(runtime, crowd.batch_id, force=True)

    profile = worker_profiles.worker_profile(runtime, crowd.requester.actor, spammer.actor.public_id)

    pooled = {view.worker_id: view.scores for view in
              batch_results.requester_worker_scores(runtime, crowd.requester.actor).items}[spammer.actor.public_id]
    assert profile.accuracy.consensus == pooled["accuracy"]
    assert (profile.accuracy.consensus_low, profile.accuracy.consensus_high) == \
        (pooled["accuracy_low"], pooled["accuracy_high"])
    assert (profile.accuracy.gold_answers, profile.accuracy.gold_correct) == \
        (pooled["gold_answers"], pooled["gold_correct"])
    assert profile.accuracy.gold == pooled["gold_accuracy"]
    (batch,) = profile.history.items
    assert batch.batch_id == crowd.batch_id and batch.record.answers == crowd.answered[spammer.actor.public_id]
    assert batch.signs is not None and batch.signs.run["label"] == "positive"
    assert batch.signs.run["length"] == crowd.answered[spammer.actor.public_id]
    assert batch.has_confusion
    assert profile.median_seconds == 0.0  # the clock stands still in tests
    assert profile.record.approval_rate is None


def test_profile_counts_llm_flags_and_lists_the_flagged_ones(runtime, factory):
    owner = factory.requester()
    batch, hit = free_text_batch(runtime, factory, owner)
    writer = factory.worker()
    taken = assignments.accept(runtime, writer.actor, hit.public_id)
    assignments.submit(runtime, writer.actor, taken.public_id, {"text": LLM_SUMMARY}, PASTED)

    profile = worker_profiles.worker_profile(runtime, owner.actor, writer.actor.public_id)

    assert (profile.flags.high, profile.flags.medium, profile.flags.low) == (1, 0, 0)
    (flag,) = profile.flagged.items
    assert (flag.assignment_id, flag.batch_id, flag.band) == (taken.public_id, batch.public_id, "high")
    assert flag.reasons


def test_profile_shows_block_qualifications_and_bonus_choices(runtime, factory):
    owner, other = factory.requester(), factory.requester()
    worker = factory.worker()
    done = _submitted(runtime, factory, owner, worker, approve=True)
    _submitted(runtime, factory, other, worker)
    mine = _type(runtime, owner)
    qualifications.grant(runtime, owner.actor, mine.public_id, worker.actor.public_id, 42)
    qualifications.grant(runtime, other.actor, _type(runtime, other, "Theirs").public_id, worker.actor.public_id, 7)
    workers.block(runtime, owner.actor, worker.actor.public_id, "Too fast")

    profile = worker_profiles.worker_profile(runtime, owner.actor, worker.actor.public_id)

    assert profile.block_reason == "Too fast" and profile.blocked
    assert [(q.type_id, q.value) for q in profile.qualifications.items] == [(mine.public_id, 42)]
    assert [choice.assignment_id for choice in profile.assignments] == [done.public_id]
    assert profile.types == [(mine.public_id, mine.name)]
    assert profile.history.items == [] and profile.record.answers == 1  # a HIT without a batch


def test_sandbox_work_is_out_of_production_scope(runtime, factory):
    owner = factory.requester()
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    payments.deposit(runtime, owner.credentials.requester_id, parse_amount("10.00"), marketplace=Marketplace.SANDBOX)
    hit = factory.hit(owner.sandbox())
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"answer": "yes"})

    assert [row.worker_id for row in worker_profiles.workers_page(runtime, owner.sandbox()).items] == \
        [worker.actor.public_id]
    assert worker_profiles.workers_page(runtime, owner.actor).items == []
