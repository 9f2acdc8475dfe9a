"""Requester-worker relations against the real database: blocks, notifications and the inbox, and the
worker's list of available HITs (requirements, blocks, pagination)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from labelhub.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from labelhub.models import Comparator, GuardedAction, Marketplace, WorkerBlock, WorkerMessage
from labelhub.services import assignments, eligibility, hits, workers
from labelhub.services.commands import Locale, NotifyWorkers, RequirementSpec


def _count(rt, model, *where) -> int:
    with rt.sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def _listed(rt, actor, **options) -> list[str]:
    return [listing.hit.public_id for listing in workers.available_hits(rt, actor, **options).items]


def _reviewed(rt, factory, requester, worker) -> None:
    """Give ``requester`` an approved assignment of ``worker``, so notifications may be sent."""
    hit = factory.hit(requester.actor, max_assignments=1)
    assignment = assignments.accept(rt, worker.actor, hit.public_id)
    assignments.submit(rt, worker.actor, assignment.public_id, {"label": "cat"})
    assignments.approve(rt, requester.actor, assignment.public_id)


def _guarded_spec(factory, action: GuardedAction, *, title: str):
    """A HIT type no new worker qualifies for (it needs more than 10 approved assignments)."""
    requirement = RequirementSpec(eligibility.NUMBER_HITS_APPROVED, Comparator.GREATER_THAN, (10,),
                                  actions_guarded=action)
    return factory.hit_type_spec(title=title, requirements=(requirement,))


# --- blocks ------------------------------------------------------------------------------------


def test_block_then_block_again_updates_the_reason(runtime, factory):
    requester, worker = factory.requester(), factory.worker()
    workers.block(runtime, requester.actor, worker.actor.public_id, "spam answers")
    workers.block(runtime, requester.actor, worker.actor.public_id, "copied answers")
    page = workers.list_blocks(runtime, requester.actor)
    assert [(b.worker_id, b.reason) for b in page.items] == [(worker.actor.public_id, "copied answers")]
    assert _count(runtime, WorkerBlock) == 1


def test_unblock_removes_the_block(runtime, factory):
    requester, worker = factory.requester(), factory.worker()
    workers.block(runtime, requester.actor, worker.actor.public_id, "spam")
    workers.unblock(runtime, requester.actor, worker.actor.public_id, reason="appeal granted")
    assert workers.list_blocks(runtime, requester.actor).items == []
    assert _count(runtime, WorkerBlock) == 0


def test_unblock_of_a_worker_not_blocked_succeeds(runtime, factory):
    requester, worker, other = factory.requester(), factory.worker(), factory.worker()
    workers.block(runtime, requester.actor, other.actor.public_id, "spam")
    workers.unblock(runtime, requester.actor, worker.actor.public_id)
    assert [b.worker_id for b in workers.list_blocks(runtime, requester.actor).items] == \
        [other.actor.public_id]


@pytest.mark.parametrize("reason", ["", "x" * 1025])
def test_block_without_a_proper_reason_names_the_field(runtime, factory, reason):
    requester, worker = factory.requester(), factory.worker()
    with pytest.raises(InvalidInputError) as raised:
        workers.block(runtime, requester.actor, worker.actor.public_id, reason)
    assert set(raised.value.fields) == {"reason"}
    assert _count(runtime, WorkerBlock) == 0


def test_block_of_an_unknown_worker_is_not_found(runtime, factory):
    requester = factory.requester()
    with pytest.raises(NotFoundError, match="ANOSUCHWORKER1 does not exist"):
        workers.block(runtime, requester.actor, "ANOSUCHWORKER1", "spam")
    with pytest.raises(NotFoundError):
        workers.unblock(runtime, requester.actor, "ANOSUCHWORKER1")


def test_block_by_a_worker_is_permission_denied(runtime, factory):
    worker, other = factory.worker(), factory.worker()
    with pytest.raises(PermissionDeniedError):
        workers.block(runtime, worker.actor, other.actor.public_id, "spam")
    assert _count(runtime, WorkerBlock) == 0


def test_list_blocks_pages_and_is_per_requester_and_marketplace(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    blocked = [factory.worker() for _ in range(3)]
    for worker in blocked:
        workers.block(runtime, alice.actor, worker.actor.public_id, "spam")
    workers.block(runtime, bob.actor, blocked[0].actor.public_id, "spam")
    workers.block(runtime, alice.sandbox(), blocked[0].actor.public_id, "spam")
    first = workers.list_blocks(runtime, alice.actor, limit=2)
    second = workers.list_blocks(runtime, alice.actor, limit=2, cursor=first.next_cursor)
    assert [b.worker_id for b in [*first.items, *second.items]] == [w.actor.public_id for w in blocked]
    assert second.next_cursor is None
    assert [b.worker_id for b in workers.list_blocks(runtime, bob.actor).items] == \
        [blocked[0].actor.public_id]


def test_blocked_worker_cannot_see_or_accept_that_requesters_hits(runtime, factory):
    blocker, other = factory.requester(), factory.requester()
    worker = factory.worker()
    blocked_hit = factory.hit(blocker.actor)
    open_hit = factory.hit(other.actor)
    workers.block(runtime, blocker.actor, worker.actor.public_id, "spam")

    assert _listed(runtime, worker.actor) == [open_hit.public_id]
    with pytest.raises(NotFoundError, match="does not exist"):
        assignments.accept(runtime, worker.actor, blocked_hit.public_id)
    with pytest.raises(NotFoundError):
        assignments.preview(runtime, worker.actor, blocked_hit.public_id)
    assert hits.get_hit(runtime, blocker.actor, blocked_hit.public_id).pending_count == 0

    workers.unblock(runtime, blocker.actor, worker.actor.public_id)
    assert _listed(runtime, worker.actor) == [blocked_hit.public_id, open_hit.public_id]
    assert assignments.accept(runtime, worker.actor, blocked_hit.public_id).hit_id == blocked_hit.id


def test_block_in_production_does_not_reach_the_sandbox(runtime, factory):
    requester, worker = factory.requester(), factory.worker()
    sandbox_hit = factory.hit(requester.sandbox())
    workers.block(runtime, requester.actor, worker.actor.public_id, "spam")
    assert _listed(runtime, worker.actor.in_marketplace(Marketplace.SANDBOX)) == [sandbox_hit.public_id]


# --- notifications and the inbox ---------------------------------------------------------------


def test_notify_writes_to_the_inbox_of_reviewed_workers(runtime, factory, clock):
    requester, worker = factory.requester(), factory.worker()
    _reviewed(runtime, factory, requester, worker)
    failures = workers.notify(runtime, requester.actor, NotifyWorkers(
        subject="New batch", message="More cats tomorrow.", worker_ids=(worker.actor.public_id,) * 2))
    assert failures == []
    inbox = workers.inbox(runtime, worker.actor)
    assert [(m.subject, m.body, m.created_at, m.read_at) for m in inbox.items] == [
        ("New batch", "More cats tomorrow.", clock.now, None)]
    assert inbox.items[0].requester_id == requester.actor.id


def test_notify_unknown_and_never_reviewed_workers_are_hard_failures(runtime, factory):
    requester = factory.requester()
    reviewed, unreviewed = factory.worker(), factory.worker()
    _reviewed(runtime, factory, requester, reviewed)
    hit = factory.hit(requester.actor)
    assignment = assignments.accept(runtime, unreviewed.actor, hit.public_id)
    assignments.submit(runtime, unreviewed.actor, assignment.public_id, {"label": "cat"})  # not yet reviewed

    failures = workers.notify(runtime, requester.actor, NotifyWorkers(
        subject="Hi", message="Hello", worker_ids=("ANOSUCHWORKER1", unreviewed.actor.public_id,
                                                   reviewed.actor.public_id)))
    assert [(f.worker_id, f.code) for f in failures] == [
        ("ANOSUCHWORKER1", "HardFailure"), (unreviewed.actor.public_id, "HardFailure")]
    assert "does not exist" in failures[0].message
    assert workers.inbox(runtime, unreviewed.actor).items == []
    assert len(workers.inbox(runtime, reviewed.actor).items) == 1


def test_notify_only_counts_this_requesters_reviews(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    worker = factory.worker()
    _reviewed(runtime, factory, alice, worker)
    failures = workers.notify(runtime, bob.actor, NotifyWorkers(subject="Hi", message="Hello",
                                                                worker_ids=(worker.actor.public_id,)))
    assert [f.code for f in failures] == ["HardFailure"]
    assert _count(runtime, WorkerMessage) == 0


@pytest.mark.parametrize(("options", "field"), [
    ({"subject": "", "message": "m", "worker_ids": ("A1",)}, "subject"),
    ({"subject": "s" * 201, "message": "m", "worker_ids": ("A1",)}, "subject"),
    ({"subject": "s", "message": "m" * 4097, "worker_ids": ("A1",)}, "message"),
    ({"subject": "s", "message": "m", "worker_ids": ()}, "worker_ids"),
    ({"subject": "s", "message": "m", "worker_ids": tuple(f"A{i}" for i in range(101))}, "worker_ids"),
])
def test_notify_command_names_the_bad_field(options, field):
    with pytest.raises(InvalidInputError) as raised:
        NotifyWorkers(**options)
    assert set(raised.value.fields) == {field}


def test_inbox_pages_and_is_per_worker_and_marketplace(runtime, factory):
    requester, worker, other = factory.requester(), factory.worker(), factory.worker()
    _reviewed(runtime, factory, requester, worker)
    _reviewed(runtime, factory, requester, other)
    for number in range(3):
        workers.notify(runtime, requester.actor, NotifyWorkers(subject=f"Message {number}", message="m",
                                                               worker_ids=(worker.actor.public_id,)))
    first = workers.inbox(runtime, worker.actor, limit=2)
    second = workers.inbox(runtime, worker.actor, limit=2, cursor=first.next_cursor)
    assert [m.subject for m in [*first.items, *second.items]] == ["Message 0", "Message 1", "Message 2"]
    assert second.next_cursor is None
    assert workers.inbox(runtime, other.actor).items == []
    assert workers.inbox(runtime, worker.actor.in_marketplace(Marketplace.SANDBOX)).items == []
    with pytest.raises(PermissionDeniedError):
        workers.inbox(runtime, requester.actor)


# --- available HITs ----------------------------------------------------------------------------


def test_available_hits_applies_each_guarded_action(runtime, factory):
    requester, worker = factory.requester(), factory.worker()
    hidden = factory.hit(requester.actor, hit_type=_guarded_spec(
        factory, GuardedAction.DISCOVER_PREVIEW_AND_ACCEPT, title="Hidden"))
    no_preview = factory.hit(requester.actor, hit_type=_guarded_spec(
        factory, GuardedAction.PREVIEW_AND_ACCEPT, title="No preview"))
    no_accept = factory.hit(requester.actor, hit_type=_guarded_spec(
        factory, GuardedAction.ACCEPT, title="No accept"))
    open_hit = factory.hit(requester.actor)

    listings = workers.available_hits(runtime, worker.actor).items
    assert [(x.hit.public_id, x.can_preview, x.can_accept) for x in listings] == [
        (no_preview.public_id, False, False), (no_accept.public_id, True, False),
        (open_hit.public_id, True, True)]
    assert hidden.public_id not in {x.hit.public_id for x in listings}
    with pytest.raises(PermissionDeniedError):
        assignments.accept(runtime, worker.actor, no_accept.public_id)
    with pytest.raises(NotFoundError):
        assignments.accept(runtime, worker.actor, hidden.public_id)


def test_available_hits_by_locale(runtime, factory):
    requester = factory.requester()
    american, german = factory.worker(country="US", subdivision="WA"), factory.worker(country="DE")
    requirement = RequirementSpec(eligibility.LOCALE, Comparator.IN, locale_values=(Locale("US", "WA"),),
                                  actions_guarded=GuardedAction.DISCOVER_PREVIEW_AND_ACCEPT)
    hit = factory.hit(requester.actor, hit_type=factory.hit_type_spec(requirements=(requirement,)))
    assert _listed(runtime, american.actor) == [hit.public_id]
    assert _listed(runtime, german.actor) == []


def test_available_hits_hides_expired_full_taken_and_other_marketplace_hits(runtime, factory, clock):
    requester, worker, other = factory.requester(), factory.worker(), factory.worker()
    expired = factory.hit(requester.actor)
    hits.update_expiration(runtime, requester.actor, expired.public_id, clock.now)
    full = factory.hit(requester.actor, max_assignments=1)
    assignments.accept(runtime, other.actor, full.public_id)
    taken = factory.hit(requester.actor)
    assignment = assignments.accept(runtime, worker.actor, taken.public_id)
    returned = factory.hit(requester.actor)
    assignments.return_assignment(runtime, worker.actor,
                                  assignments.accept(runtime, worker.actor, returned.public_id).public_id)
    factory.hit(requester.sandbox())
    visible = factory.hit(requester.actor)
    lapsing = factory.hit(requester.actor, lifetime_seconds=60)
    assert _listed(runtime, worker.actor) == [visible.public_id, lapsing.public_id]
    clock.advance(seconds=60)  # lapsing reaches its expiry time before any sweep has run
    assert _listed(runtime, worker.actor) == [visible.public_id]
    assert assignment.hit_id == taken.id


def test_available_hits_pages_through_hidden_hits_without_repeats(runtime, factory):
    requester, worker = factory.requester(deposit="200.00"), factory.worker()
    hidden_type = _guarded_spec(factory, GuardedAction.DISCOVER_PREVIEW_AND_ACCEPT, title="Hidden")
    visible = []
    for group in ([False], [True] * 9, [False] * 3, [True] * 3, [False]):
        for is_hidden in group:
            hit = factory.hit(requester.actor, max_assignments=1, hit_type=hidden_type if is_hidden else None)
            if not is_hidden:
                visible.append(hit.public_id)
    seen, cursor, pages = [], None, 0
    while True:
        page = workers.available_hits(runtime, worker.actor, cursor=cursor, limit=2)
        seen += [listing.hit.public_id for listing in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == visible
    assert pages == 3


def test_available_hits_bad_limit_names_the_field(runtime, factory):
    with pytest.raises(InvalidInputError) as raised:
        workers.available_hits(runtime, factory.worker().actor, limit=0)
    assert set(raised.value.fields) == {"limit"}


def test_available_hits_for_a_requester_is_permission_denied(runtime, factory):
    with pytest.raises(PermissionDeniedError):
        workers.available_hits(runtime, factory.requester().actor)
