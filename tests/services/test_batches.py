"""Batch use cases against the real database: one HIT per data row with ${column} substitution, all or
nothing, and progress counts."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from labelhub.errors import InsufficientFundsError, InvalidInputError, NotFoundError, PermissionDeniedError
from labelhub.models import HIT, Batch, Event, HITType, LedgerTransaction
from labelhub.money import parse_amount
from labelhub.services import assignments, batches, hits, payments
from labelhub.services.batches import CreateBatch

TEMPLATE = "<img src='${url}' alt='${caption}'><p>Is there a ${animal}?</p>"
SLOT = parse_amount("0.60")


def _count(rt, model, *where) -> int:
    with rt.sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def _rows(count: int) -> tuple[dict, ...]:
    return tuple({"url": f"https://example.org/{i}.jpg", "caption": f"photo {i}", "animal": "cat"}
                 for i in range(count))


def _cmd(factory, rows=None, **overrides) -> CreateBatch:
    values = {"name": "Cats 1", "template_kind": "html", "question_template": TEMPLATE,
              "hit_type": factory.hit_type_spec(), "rows": _rows(3) if rows is None else rows,
              "lifetime_seconds": 3600, "max_assignments": 2}
    return CreateBatch(**(values | overrides))


def test_create_batch_makes_one_hit_per_row_and_holds_their_cost(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    batch = batches.create_batch(runtime, requester.actor, _cmd(factory))
    assert (batch.name, batch.template_kind, batch.created_at) == ("Cats 1", "html", clock.now)
    assert batch.template == {"question": TEMPLATE, "config": {}}
    created = hits.list_hits(runtime, requester.actor, batch_id=batch.id).items
    assert [h.data for h in created] == list(_rows(3))
    assert created[1].question == "<img src='https://example.org/1.jpg' alt='photo 1'><p>Is there a cat?</p>"
    assert {h.hit_type_id for h in created} == {batch.hit_type_id}
    assert {h.max_assignments for h in created} == {2}
    assert _count(runtime, HITType) == 1
    assert payments.balance(runtime, requester.actor).on_hold_micros == 3 * 2 * SLOT


def test_create_batch_escapes_substituted_values(runtime, factory):
    requester = factory.requester()
    row = {"url": "x' onerror='alert(1)", "caption": "<script>alert(1)</script>", "animal": "cat & dog"}
    batch = batches.create_batch(runtime, requester.actor, _cmd(factory, rows=(row,)))
    (hit,) = hits.list_hits(runtime, requester.actor, batch_id=batch.id).items
    assert hit.question == ("<img src='x&#x27; onerror=&#x27;alert(1)' "
                            "alt='&lt;script&gt;alert(1)&lt;/script&gt;'><p>Is there a cat &amp; dog?</p>")
    assert hit.data == row


def test_create_batch_substitutes_non_string_values(runtime, factory):
    requester = factory.requester()
    batch = batches.create_batch(runtime, requester.actor, _cmd(
        factory, question_template="<p>${n} of ${total}</p>", rows=({"n": 1, "total": 2.5},)))
    (hit,) = hits.list_hits(runtime, requester.actor, batch_id=batch.id).items
    assert hit.question == "<p>1 of 2.5</p>"


def test_create_batch_row_missing_a_column_is_named(factory):
    rows = (*_rows(1), {"url": "u", "animal": "cat"}, {"url": "u"})
    with pytest.raises(InvalidInputError) as raised:
        _cmd(factory, rows=rows)
    assert raised.value.fields == {"rows[2]": "has no value for caption"}


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": ""}, "name"), ({"name": "n" * 201}, "name"), ({"template_kind": ""}, "template_kind"),
    ({"template_kind": "poetry"}, "template_kind"),
    ({"question_template": ""}, "question_template"), ({"rows": ()}, "rows"),
    ({"lifetime_seconds": 29}, "lifetime_seconds"), ({"max_assignments": 0}, "max_assignments"),
    ({"max_assignments": 1_000_001}, "max_assignments"), ({"rows": ("not a row",)}, "rows[1]"),
    ({"answer_schema": {"type": "no-such-type"}}, "answer_schema"),
])
def test_create_batch_bad_input_names_the_field(factory, overrides, field):
    with pytest.raises(InvalidInputError) as raised:
        _cmd(factory, **overrides)
    assert field in raised.value.fields


def test_create_batch_row_too_long_after_substitution_names_the_row(runtime, factory):
    requester = factory.requester()
    rows = ({"url": "u", "caption": "c", "animal": "cat"},
            {"url": "u", "caption": "x" * 70_000, "animal": "cat"})
    with pytest.raises(InvalidInputError) as raised:
        batches.create_batch(runtime, requester.actor, _cmd(factory, rows=rows))
    assert set(raised.value.fields) == {"rows[2].question"}
    assert _count(runtime, Batch) == 0
    assert _count(runtime, HIT) == 0


def test_create_batch_with_insufficient_funds_creates_nothing(runtime, factory):
    requester = factory.requester(deposit="3.00")  # 3 rows x 2 assignments x 0.60 = 3.60
    with pytest.raises(InsufficientFundsError):
        batches.create_batch(runtime, requester.actor, _cmd(factory))
    assert _count(runtime, Batch) == 0
    assert _count(runtime, HIT) == 0
    assert _count(runtime, HITType) == 0
    assert _count(runtime, LedgerTransaction, LedgerTransaction.kind == "reserve") == 0
    assert payments.balance(runtime, requester.actor) == payments.ledger.Balance(parse_amount("3.00"), 0)


def test_batch_progress_counts_assignments_and_reviewable_hits(runtime, factory, clock):
    requester = factory.requester(deposit="20.00")
    batch = batches.create_batch(runtime, requester.actor, _cmd(factory, rows=_rows(4)))
    first, second, third, _ = hits.list_hits(runtime, requester.actor, batch_id=batch.id).items
    workers = [factory.worker() for _ in range(3)]

    def work(hit, worker):
        assignment = assignments.accept(runtime, worker.actor, hit.public_id)
        assignments.submit(runtime, worker.actor, assignment.public_id, {"label": "cat"})
        return assignment

    approved, rejected = work(first, workers[0]), work(first, workers[1])
    assignments.approve(runtime, requester.actor, approved.public_id)
    assignments.reject(runtime, requester.actor, rejected.public_id, feedback="wrong")
    work(second, workers[0])
    assignments.accept(runtime, workers[2].actor, third.public_id)
    hits.update_expiration(runtime, requester.actor, third.public_id, clock.now)
    factory.hit(requester.actor)  # not in the batch

    progress = batches.batch_progress(runtime, requester.actor, batch.public_id)
    assert progress.batch.public_id == batch.public_id
    assert (progress.hits, progress.assignments_submitted, progress.assignments_approved,
            progress.assignments_rejected, progress.assignments_pending, progress.hits_reviewable) == \
        (4, 1, 1, 1, 1, 1)


def test_batch_progress_of_another_requester_or_unknown_batch_is_refused(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    batch = batches.create_batch(runtime, alice.actor, _cmd(factory, rows=_rows(1)))
    with pytest.raises(NotFoundError, match="does not exist"):  # the same answer as an unknown id
        batches.batch_progress(runtime, bob.actor, batch.public_id)
    with pytest.raises(NotFoundError):
        batches.batch_progress(runtime, alice.sandbox(), batch.public_id)
    with pytest.raises(NotFoundError, match="NOSUCHBATCH does not exist"):
        batches.batch_id_for(runtime, alice.actor, "NOSUCHBATCH")
    assert batches.batch_id_for(runtime, alice.actor, batch.public_id) == batch.id


def test_list_batches_pages_the_requesters_own(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    created = [batches.create_batch(runtime, alice.actor, _cmd(factory, rows=_rows(1), name=f"B{i}"))
               .public_id for i in range(3)]
    batches.create_batch(runtime, bob.actor, _cmd(factory, rows=_rows(1)))
    first = batches.list_batches(runtime, alice.actor, limit=2)
    second = batches.list_batches(runtime, alice.actor, limit=2, cursor=first.next_cursor)
    assert [b.public_id for b in [*first.items, *second.items]] == created
    assert second.next_cursor is None
    assert batches.list_batches(runtime, alice.sandbox()).items == []


def test_create_batch_by_a_worker_is_permission_denied(runtime, factory):
    with pytest.raises(PermissionDeniedError):
        batches.create_batch(runtime, factory.worker().actor, _cmd(factory))
    assert _count(runtime, Batch) == 0


def test_create_batch_writes_its_rows_in_a_few_statements_whatever_their_number(runtime, factory):
    """One multi-row INSERT per table, not a flush, a balance read and an event per HIT (which made a
    batch of 8,000 rows hold SQLite's write lock for over a minute)."""
    requester = factory.requester(deposit="2000.00")
    statements: list[str] = []
    committed: list[object] = []

    def count(conn, cursor, statement, *args) -> None:
        if not committed:  # the creation's own unit of work, not what the tests' backend runs after it
            statements.append(statement)

    def commit(conn) -> None:
        committed.append(conn)

    event.listen(runtime.engine, "before_cursor_execute", count)
    event.listen(runtime.engine, "commit", commit)
    try:
        batch = batches.create_batch(runtime, requester.actor, _cmd(factory, rows=_rows(batches.CHUNK_ROWS)))
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)
        event.remove(runtime.engine, "commit", commit)
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(writes) <= 10, writes
    assert len(statements) <= 30, statements
    assert _count(runtime, HIT, HIT.batch_id == batch.id) == batches.CHUNK_ROWS
    assert payments.balance(runtime, requester.actor).on_hold_micros == batches.CHUNK_ROWS * 2 * SLOT
    assert _count(runtime, Event, Event.action == "HITCreated") == batches.CHUNK_ROWS
