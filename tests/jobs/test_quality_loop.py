"""The quality loop end to end through a real rq worker on Redis: simulated workers of known accuracy
submit through the services, each submission enqueues the batch's aggregation job, the jobs run in
an rq worker, and the estimated accuracies, the qualification feed and the spam rule take effect."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from sqlalchemy import select

from labelhub import jobs
from labelhub.errors import InvalidStateError, PermissionDeniedError
from labelhub.models import Comparator, Job
from labelhub.services import assignments, batch_results, outbox, qualifications
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.commands import QualificationTypeSpec, RequirementSpec
from tests.crowd import hit_type, make_crowd

ACCURACIES = {"expert": 0.95, "good": 0.8, "fair": 0.65}


@pytest.fixture
def seeded_runtime(rq_runtime):
    """The rq test Runtime with seeded draws (which HITs are gold)."""
    rt = replace(rq_runtime, random=random.Random(5).random)
    jobs.install_runtime(rt)
    yield rt
    jobs.install_runtime(rq_runtime)


def waiting_aggregations(rt, batch_id: str) -> list[str]:
    with rt.sessions() as db:
        return list(db.scalars(select(Job.state).where(Job.dedup_key == f"aggregate:{batch_id}",
                                                       Job.state == "queued")))


@pytest.mark.redis
def test_submissions_drive_scores_qualifications_and_the_spam_rule_through_rq(seeded_runtime, factory, queue,
                                                                               drain):
    rt = seeded_runtime
    requester = factory.requester(deposit="500.00")
    qtype = qualifications.create_type(rt, requester.actor, QualificationTypeSpec(
        name="Accuracy: tone", description="Accuracy on the tone batches, 0-100"))
    quality = QualitySettings.parse({
        "method": "ds", "gold_share": 0.2, "qualification_type_id": qtype.public_id,
        "rules": {"spam": {"action": "revoke", "max_run": 15, "max_separation": 0.1}}})
    crowd = make_crowd(rt, factory, items=50, gold=10, max_assignments=4, quality=quality, requester=requester)
    idle = make_crowd(rt, factory, items=3, gold=0, requester=requester, seed=9)
    handles = {name: factory.worker(name) for name in [*ACCURACIES, "spammer"]}

    answered = crowd.work(handles["spammer"], None, constant="negative")
    while outbox.dispatch_pending(rt):  # every submission's event
        pass
    assert answered >= 20 and waiting_aggregations(rt, crowd.batch_id) == ["queued"]  # one run however many
    drain()
    for name, accuracy in ACCURACIES.items():
        crowd.work(handles[name], accuracy)
        drain()

    scores = {v.worker_id: v for v in batch_results.batch_worker_scores(rt, requester.actor, crowd.batch_id,
                                                                         limit=100).items}
    estimated = {name: scores[h.actor.public_id].scores["accuracy"] for name, h in handles.items()}
    assert sorted(estimated, key=estimated.get, reverse=True) == [*ACCURACIES, "spammer"]
    for name in ACCURACIES:
        fed = qualifications.get_score(rt, requester.actor, qtype.public_id, handles[name].actor.public_id)
        assert fed.integer_value == scores[handles[name].actor.public_id].scores["score"]
    with pytest.raises(InvalidStateError):  # the spammer's qualification is revoked
        qualifications.get_score(rt, requester.actor, qtype.public_id, handles["spammer"].actor.public_id)
    assert scores[handles["spammer"].actor.public_id].decision["action"] == "revoke"

    gate = RequirementSpec(qualification_type_id=qtype.public_id, comparator=Comparator.GREATER_THAN_OR_EQUAL_TO,
                           integer_values=(50,))
    gated = factory.hit(requester.actor, hit_type=hit_type(requirements=(gate,)))
    with pytest.raises(PermissionDeniedError):
        assignments.accept(rt, handles["spammer"].actor, gated.public_id)
    assert assignments.accept(rt, handles["expert"].actor, gated.public_id).hit.public_id == gated.public_id

    summary = batch_results.batch_summary(rt, requester.actor, crowd.batch_id)
    assert not summary.aggregation_pending and summary.hits_with_consensus == 50
    untouched = batch_results.batch_summary(rt, requester.actor, idle.batch_id)
    assert untouched.batch.aggregated_at is None  # no answers: never aggregated
    jobs.aggregate_batch(crowd.batch_id)  # a duplicate run finds nothing new
    assert batch_results.batch_summary(rt, requester.actor, crowd.batch_id).batch.aggregated_at \
        == summary.batch.aggregated_at
