"""A HIT's whole life through the services, checking counters, status, money and history."""

from labelhub.models import AssignmentStatus, HITStatus
from labelhub.money import parse_amount
from labelhub.services import assignments, hits, payments


def test_hit_lifecycle_pays_worker_and_fee_and_releases_the_rest(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    worker_a, worker_b = factory.worker(), factory.worker()
    hit = factory.hit(requester.actor, max_assignments=3)
    # reward 0.50 + 20% fee 0.10 = 0.60 per slot, 3 slots held
    assert payments.balance(runtime, requester.actor).on_hold_micros == parse_amount("1.80")
    assert payments.balance(runtime, requester.actor).available_micros == parse_amount("8.20")

    first = assignments.accept(runtime, worker_a.actor, hit.public_id)
    second = assignments.accept(runtime, worker_b.actor, hit.public_id)
    assignments.submit(runtime, worker_a.actor, first.public_id, {"label": "cat"}, {"pastes": 0})
    assignments.submit(runtime, worker_b.actor, second.public_id, {"label": "dog"})
    assignments.approve(runtime, requester.actor, first.public_id, feedback="thanks")
    assignments.reject(runtime, requester.actor, second.public_id, feedback="wrong label")

    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    current = hits.get_hit(runtime, requester.actor, hit.public_id)
    assert current.status is HITStatus.REVIEWABLE
    assert (current.approved_count, current.rejected_count, current.available_count) == (1, 1, 1)
    balance = payments.balance(runtime, requester.actor)
    assert balance.on_hold_micros == 0
    assert balance.available_micros == parse_amount("9.40")
    assert payments.worker_earnings(runtime, worker_a.actor).approved_micros == parse_amount("0.50")

    hits.delete_hit(runtime, requester.actor, hit.public_id)
    history = [e.action for e in hits.hit_history(runtime, requester.actor, hit.public_id).items]
    assert history[0] == "HITCreated" and history[-1] == "HITDisposed"
    assert history.count("AssignmentAccepted") == 2
    assert assignments.get_assignment(runtime, worker_a.actor, first.public_id).status is AssignmentStatus.APPROVED
