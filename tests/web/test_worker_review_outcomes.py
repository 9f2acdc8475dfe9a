"""What a worker sees of the requester's review on the dashboard: the feedback on rejected and approved
assignments, and the bonuses received (amount, reason, date, HIT title), paged, their own only."""

from __future__ import annotations

import pytest

from labelhub.errors import PermissionDeniedError
from labelhub.money import parse_amount
from labelhub.services import assignments, payments
from labelhub.services.commands import SendBonus
from tests.web.conftest import text_of


@pytest.fixture
def reviewed(factory, make_worker):
    """A worker with three assignments: one rejected with a reason, one approved with thanks and a
    bonus, one approved without a word."""
    requester = factory.requester()
    worker = make_worker()
    taken = []
    for n in range(3):
        hit = factory.hit(requester.actor, hit_type=factory.hit_type_spec(title=f"Describe picture {n}"))
        assignment = assignments.accept(factory.rt, worker.actor, hit.public_id)
        assignments.submit(factory.rt, worker.actor, assignment.public_id, {"text": f"answer {n}"})
        taken.append(assignment.public_id)
    assignments.reject(factory.rt, requester.actor, taken[0], feedback="The answer ignores the picture.")
    assignments.approve(factory.rt, requester.actor, taken[1], feedback="Thanks, very precise!")
    assignments.approve(factory.rt, requester.actor, taken[2])
    payments.send_bonus(factory.rt, requester.actor, SendBonus(
        worker_id=worker.actor.public_id, assignment_id=taken[1], amount_micros=parse_amount("0.75"),
        reason="Extra care on the details"))
    return requester, worker, taken


def test_dashboard_shows_the_rejection_reason_the_feedback_and_the_bonus(pages, reviewed):
    _, worker, _ = reviewed
    pages.sign_in(worker)

    html = text_of(pages.get("/dashboard"))

    assert "The answer ignores the picture." in html and "Thanks, very precise!" in html
    bonuses = html.split('id="bonuses-title"', 1)[1].split("</section>", 1)[0]
    assert "Describe picture 1" in bonuses and "$0.75" in bonuses and "Extra care on the details" in bonuses


def test_bonuses_are_the_workers_own_and_paged(runtime, factory, reviewed):
    requester, worker, taken = reviewed
    payments.send_bonus(runtime, requester.actor, SendBonus(
        worker_id=worker.actor.public_id, assignment_id=taken[2], amount_micros=parse_amount("0.10"),
        reason="Second bonus"))

    first = payments.bonuses_received(runtime, worker.actor, limit=1)
    second = payments.bonuses_received(runtime, worker.actor, cursor=first.next_cursor, limit=1)

    assert [line.reason for line in first.items + second.items] == ["Extra care on the details", "Second bonus"]
    assert second.next_cursor is None and first.items[0].amount_micros == parse_amount("0.75")
    assert payments.bonuses_received(runtime, factory.worker().actor).items == []
    with pytest.raises(PermissionDeniedError):
        payments.bonuses_received(runtime, requester.actor)
