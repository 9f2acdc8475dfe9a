"""Qualification use cases against the real database: types, grants and scores, requests with tests
and answer keys, retry delays, and the system types."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from labelhub.errors import (
    ConflictError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from labelhub.models import (
    Comparator,
    GuardedAction,
    HITStatus,
    Qualification,
    QualificationRequest,
    QualificationStatus,
    QualificationType,
    QualificationTypeStatus,
    RequestStatus,
)
from labelhub.money import parse_amount
from labelhub.services import eligibility, hits, payments, qualifications, workers
from labelhub.services.commands import (
    AnswerKey,
    QualificationTypeSpec,
    QualificationTypeUpdate,
    RequirementSpec,
)
from labelhub.services.qualifications import DUPLICATE_NAME

TEST_FORM = "<form><p>2 + 2?</p><input name='q1'><p>Capital of France?</p><input name='q2'></form>"
KEY = AnswerKey(points={"q1": {"4": 1}, "q2": {"Paris": 1, "paris": 1}}, percentage_of=2)


def _count(rt, model, *where) -> int:
    with rt.sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def _spec(name: str = "Cat expert", **overrides) -> QualificationTypeSpec:
    values = {"name": name, "description": "Knows cats from dogs.", "keywords": "cats, images"}
    return QualificationTypeSpec(**(values | overrides))


def _test_spec(name: str = "Quiz", **overrides) -> QualificationTypeSpec:
    return _spec(name, test=TEST_FORM, answer_key=KEY, test_duration_seconds=600, **overrides)


# --- types -------------------------------------------------------------------------------------


def test_create_type_stores_every_property(runtime, factory, clock):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _test_spec(retry_delay_seconds=3600))
    view = qualifications.get_type(runtime, requester.actor, qtype.public_id)
    assert (view.name, view.description, view.keywords) == ("Quiz", "Knows cats from dogs.", "cats, images")
    assert (view.status, view.is_requestable, view.auto_granted) == \
        (QualificationTypeStatus.ACTIVE, True, False)
    assert (view.test, view.test_duration_seconds, view.retry_delay_seconds) == (TEST_FORM, 600, 3600)
    assert view.answer_key == KEY.as_json()
    assert view.created_at == clock.now


def test_create_type_duplicate_name_is_conflict_and_writes_nothing(runtime, factory):
    requester = factory.requester()
    qualifications.create_type(runtime, requester.actor, _spec())
    with pytest.raises(ConflictError) as raised:
        qualifications.create_type(runtime, requester.actor, _spec(description="Another description"))
    assert raised.value.message.startswith("You have already created a QualificationType with this name.")
    assert raised.value.message.startswith(DUPLICATE_NAME)
    assert _count(runtime, QualificationType) == 1


def test_create_type_same_name_is_fine_for_another_requester_or_marketplace(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    for actor in (alice.actor, alice.sandbox(), bob.actor):
        qualifications.create_type(runtime, actor, _spec())
    assert _count(runtime, QualificationType) == 3


def test_create_type_name_is_reusable_after_delete(runtime, factory):
    requester = factory.requester()
    first = qualifications.create_type(runtime, requester.actor, _spec())
    qualifications.delete_type(runtime, requester.actor, first.public_id)
    second = qualifications.create_type(runtime, requester.actor, _spec())
    assert second.public_id != first.public_id
    assert qualifications.get_type(runtime, requester.actor, second.public_id).name == "Cat expert"


def test_create_type_by_a_worker_is_permission_denied(runtime, factory):
    with pytest.raises(PermissionDeniedError):
        qualifications.create_type(runtime, factory.worker().actor, _spec())
    assert _count(runtime, QualificationType) == 0


def test_update_type_changes_given_fields_only(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    qualifications.update_type(runtime, requester.actor, qtype.public_id, QualificationTypeUpdate(
        description="Updated", active=False, retry_delay_seconds=60))
    view = qualifications.get_type(runtime, requester.actor, qtype.public_id)
    assert (view.name, view.description, view.keywords) == ("Cat expert", "Updated", "cats, images")
    assert (view.status, view.retry_delay_seconds) == (QualificationTypeStatus.INACTIVE, 60)


def test_update_type_adds_a_test_with_its_answer_key(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    qualifications.update_type(runtime, requester.actor, qtype.public_id, QualificationTypeUpdate(
        test=TEST_FORM, answer_key=KEY, test_duration_seconds=300))
    view = qualifications.get_type(runtime, requester.actor, qtype.public_id)
    assert (view.test, view.answer_key, view.test_duration_seconds) == (TEST_FORM, KEY.as_json(), 300)


@pytest.mark.parametrize(("start", "change", "field"), [
    ("plain", QualificationTypeUpdate(test=TEST_FORM), "test_duration_seconds"),
    ("plain", QualificationTypeUpdate(answer_key=KEY), "answer_key"),
    ("with_test", QualificationTypeUpdate(auto_granted=True), "auto_granted"),
    ("auto", QualificationTypeUpdate(test=TEST_FORM, test_duration_seconds=60), "auto_granted"),
])
def test_update_type_breaking_a_rule_names_the_field_and_changes_nothing(runtime, factory, start, change,
                                                                         field):
    requester = factory.requester()
    spec = {"plain": _spec(), "with_test": _test_spec(), "auto": _spec(auto_granted=True)}[start]
    qtype = qualifications.create_type(runtime, requester.actor, spec)
    before = qualifications.get_type(runtime, requester.actor, qtype.public_id)
    with pytest.raises(InvalidInputError) as raised:
        qualifications.update_type(runtime, requester.actor, qtype.public_id, change)
    assert set(raised.value.fields) == {field}
    assert qualifications.get_type(runtime, requester.actor, qtype.public_id) == before


def test_update_type_cannot_remove_the_test(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _test_spec())
    with pytest.raises(InvalidInputError) as raised:
        qualifications.update_type(runtime, requester.actor, qtype.public_id,
                                   QualificationTypeUpdate(test=""))
    assert set(raised.value.fields) == {"test"}
    qualifications.update_type(runtime, requester.actor, qtype.public_id,
                               QualificationTypeUpdate(description="x"))
    assert qualifications.get_type(runtime, requester.actor, qtype.public_id).test == TEST_FORM


def test_update_type_of_another_requester_or_a_system_type_is_refused(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    qtype = qualifications.create_type(runtime, alice.actor, _spec())
    change = QualificationTypeUpdate(description="x")
    with pytest.raises(PermissionDeniedError, match="another requester"):
        qualifications.update_type(runtime, bob.actor, qtype.public_id, change)
    with pytest.raises(PermissionDeniedError, match="system type"):
        qualifications.update_type(runtime, bob.actor, eligibility.LOCALE, change)
    with pytest.raises(NotFoundError, match="does not exist"):
        qualifications.update_type(runtime, bob.actor, "NOSUCHTYPE", change)
    assert qualifications.get_type(runtime, alice.actor, qtype.public_id).description == \
        "Knows cats from dogs."


def test_delete_type_rejects_pending_requests_keeps_grants_and_expires_live_hits(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    holder, asker = factory.worker(), factory.worker()
    qualifications.grant(runtime, requester.actor, qtype.public_id, holder.actor.public_id, 5)
    pending = qualifications.request(runtime, asker.actor, qtype.public_id)
    requirement = RequirementSpec(qtype.public_id, Comparator.GREATER_THAN_OR_EQUAL_TO, (1,))
    guarded = factory.hit(requester.actor, max_assignments=2,
                          hit_type=factory.hit_type_spec(requirements=(requirement,)))
    unrelated = factory.hit(requester.actor, max_assignments=2)
    clock.advance(minutes=1)

    qualifications.delete_type(runtime, requester.actor, qtype.public_id)

    with runtime.sessions() as db:
        request = db.scalars(select(QualificationRequest).where(
            QualificationRequest.public_id == pending.public_id)).one()
        grant = db.scalars(select(Qualification)).one()
        deleted = db.scalars(select(QualificationType)).one()
    assert (request.status, request.decided_at) == (RequestStatus.REJECTED, clock.now)
    assert request.reason == "The qualification type was deleted"
    assert (grant.status, grant.integer_value) == (QualificationStatus.GRANTED, 5)
    assert (deleted.deleted_at, deleted.active_name, deleted.status) == (
        clock.now, None, QualificationTypeStatus.INACTIVE)
    expired = hits.get_hit(runtime, requester.actor, guarded.public_id)
    assert (expired.status, expired.expires_at) == (HITStatus.REVIEWABLE, clock.now)
    assert hits.get_hit(runtime, requester.actor, unrelated.public_id).status is HITStatus.ASSIGNABLE
    assert payments.balance(runtime, requester.actor).on_hold_micros == 2 * parse_amount("0.60")
    with pytest.raises(NotFoundError):
        qualifications.get_type(runtime, requester.actor, qtype.public_id)
    with pytest.raises(NotFoundError):
        qualifications.delete_type(runtime, requester.actor, qtype.public_id)


def test_delete_type_of_another_requester_is_refused(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    qtype = qualifications.create_type(runtime, alice.actor, _spec())
    with pytest.raises(PermissionDeniedError):
        qualifications.delete_type(runtime, bob.actor, qtype.public_id)
    assert qualifications.get_type(runtime, alice.actor, qtype.public_id).status is \
        QualificationTypeStatus.ACTIVE


# --- grants and scores -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["x" * 1025, "late\x00"])
def test_a_reason_that_cannot_be_stored_is_refused_by_name_and_changes_nothing(runtime, factory, reason):
    requester, worker = factory.requester(), factory.worker()
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 80)

    with pytest.raises(InvalidInputError) as refused:
        qualifications.revoke(runtime, requester.actor, qtype.public_id, worker.actor.public_id, reason=reason)

    assert list(refused.value.fields) == ["reason"]
    assert qualifications.get_score(runtime, requester.actor, qtype.public_id, worker.actor.public_id) \
        .status is QualificationStatus.GRANTED


def test_grant_set_score_revoke_and_regrant(runtime, factory):
    requester = factory.requester()
    worker = factory.worker()
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 80)
    assert qualifications.get_score(runtime, requester.actor, qtype.public_id, worker.actor.public_id) \
        .integer_value == 80
    qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 90)
    assert qualifications.get_score(runtime, requester.actor, qtype.public_id, worker.actor.public_id) \
        .integer_value == 90
    assert _count(runtime, Qualification) == 1

    qualifications.revoke(runtime, requester.actor, qtype.public_id, worker.actor.public_id, reason="sloppy")
    with pytest.raises(InvalidStateError) as raised:
        qualifications.get_score(runtime, requester.actor, qtype.public_id, worker.actor.public_id)
    assert "status of: Granted" in raised.value.message
    with runtime.sessions() as db:
        revoked = db.scalars(select(Qualification)).one()
    assert (revoked.status, revoked.reason, revoked.integer_value) == \
        (QualificationStatus.REVOKED, "sloppy", 90)

    qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 3)
    regranted = qualifications.get_score(runtime, requester.actor, qtype.public_id, worker.actor.public_id)
    assert (regranted.status, regranted.integer_value, regranted.reason) == \
        (QualificationStatus.GRANTED, 3, None)
    assert _count(runtime, Qualification) == 1


def test_get_score_without_a_qualification_is_not_found(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    worker = factory.worker()
    with pytest.raises(NotFoundError, match="does not exist"):
        qualifications.get_score(runtime, requester.actor, qtype.public_id, worker.actor.public_id)
    with pytest.raises(NotFoundError, match="does not exist"):
        qualifications.get_score(runtime, requester.actor, qtype.public_id, "ANOSUCHWORKER1")


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, True, "5"])
def test_grant_value_outside_32_bits_names_the_field(runtime, factory, value):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    worker = factory.worker()
    with pytest.raises(InvalidInputError) as raised:
        qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, value)
    assert set(raised.value.fields) == {"integer_value"}
    assert _count(runtime, Qualification) == 0


def test_grant_extreme_32_bit_values(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    low, high = factory.worker(), factory.worker()
    qualifications.grant(runtime, requester.actor, qtype.public_id, low.actor.public_id, -(2**31))
    qualifications.grant(runtime, requester.actor, qtype.public_id, high.actor.public_id, 2**31 - 1)
    assert qualifications.get_score(runtime, requester.actor, qtype.public_id, high.actor.public_id) \
        .integer_value == 2**31 - 1


def test_grant_on_another_requesters_type_or_to_unknown_worker_is_refused(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    qtype = qualifications.create_type(runtime, alice.actor, _spec())
    worker = factory.worker()
    with pytest.raises(PermissionDeniedError):
        qualifications.grant(runtime, bob.actor, qtype.public_id, worker.actor.public_id)
    with pytest.raises(NotFoundError, match="Worker ANOSUCHWORKER1 does not exist"):
        qualifications.grant(runtime, alice.actor, qtype.public_id, "ANOSUCHWORKER1")
    with pytest.raises(NotFoundError):
        qualifications.revoke(runtime, alice.actor, qtype.public_id, worker.actor.public_id)
    assert _count(runtime, Qualification) == 0


def test_list_workers_by_status(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    workers = [factory.worker() for _ in range(3)]
    for worker in workers:
        qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 10)
    qualifications.revoke(runtime, requester.actor, qtype.public_id, workers[1].actor.public_id)

    def listed(status, limit=50):
        page = qualifications.list_workers(runtime, requester.actor, qtype.public_id, status=status,
                                           limit=limit)
        return [q.worker_id for q in page.items], page.next_cursor

    granted, _ = listed(QualificationStatus.GRANTED)
    assert granted == [workers[0].actor.id, workers[2].actor.id]
    assert listed(QualificationStatus.REVOKED) == ([workers[1].actor.id], None)
    first, cursor = listed(None, limit=2)
    rest = qualifications.list_workers(runtime, requester.actor, qtype.public_id, cursor=cursor, limit=2)
    assert first + [q.worker_id for q in rest.items] == [w.actor.id for w in workers]
    assert rest.next_cursor is None


def test_worker_qualifications_lists_the_workers_own_in_this_marketplace(runtime, factory):
    requester = factory.requester()
    worker, other = factory.worker(), factory.worker()
    production = qualifications.create_type(runtime, requester.actor, _spec("Production"))
    sandbox = qualifications.create_type(runtime, requester.sandbox(), _spec("Sandbox"))
    qualifications.grant(runtime, requester.actor, production.public_id, worker.actor.public_id, 7)
    qualifications.grant(runtime, requester.sandbox(), sandbox.public_id, worker.actor.public_id, 8)
    qualifications.grant(runtime, requester.actor, production.public_id, other.actor.public_id, 9)
    mine = qualifications.worker_qualifications(runtime, worker.actor).items
    assert [(q.qualification_type.public_id, q.integer_value) for q in mine] == [(production.public_id, 7)]


# --- requests ----------------------------------------------------------------------------------


def test_request_of_auto_granted_type_grants_at_once(runtime, factory, clock):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor,
                                       _spec(auto_granted=True, auto_granted_value=42))
    worker = factory.worker()
    request = qualifications.request(runtime, worker.actor, qtype.public_id)
    assert (request.status, request.score, request.decided_at) == (RequestStatus.ACCEPTED, 42, clock.now)
    assert qualifications.get_score(runtime, requester.actor, qtype.public_id, worker.actor.public_id) \
        .integer_value == 42
    assert qualifications.list_requests(runtime, requester.actor).items == []


@pytest.mark.parametrize(("answers", "score"), [
    ({"q1": "4", "q2": "Paris"}, 100), ({"q1": "4", "q2": "Rome"}, 50), ({"q1": "5"}, 0),
    ({"q1": ["4", "5"], "q2": "paris"}, 100),
])
def test_request_with_test_and_answer_key_is_scored_as_percentage(runtime, factory, answers, score):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _test_spec())
    worker = factory.worker()
    request = qualifications.request(runtime, worker.actor, qtype.public_id, answers)
    assert (request.status, request.score, request.answers) == (RequestStatus.ACCEPTED, score, answers)
    assert qualifications.get_score(runtime, requester.actor, qtype.public_id, worker.actor.public_id) \
        .integer_value == score


def test_request_of_a_type_with_test_needs_answers(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _test_spec())
    worker = factory.worker()
    with pytest.raises(InvalidInputError) as raised:
        qualifications.request(runtime, worker.actor, qtype.public_id)
    assert set(raised.value.fields) == {"answers"}
    with pytest.raises(InvalidInputError) as raised:
        qualifications.request(runtime, worker.actor, qtype.public_id,
                               ["4", "Paris"])  # type: ignore[arg-type]
    assert set(raised.value.fields) == {"answers"}
    assert _count(runtime, QualificationRequest) == 0


def test_request_retry_delay_is_honoured(runtime, factory, clock):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _test_spec(retry_delay_seconds=3600))
    worker = factory.worker()
    qualifications.request(runtime, worker.actor, qtype.public_id, {"q1": "5"})
    clock.advance(seconds=3599)
    with pytest.raises(InvalidStateError, match="again after") as raised:
        qualifications.request(runtime, worker.actor, qtype.public_id, {"q1": "4", "q2": "Paris"})
    assert raised.value.context["retry_at"] == (clock.now + timedelta(seconds=1)).isoformat()
    assert _count(runtime, QualificationRequest) == 1
    clock.advance(seconds=1)
    retried = qualifications.request(runtime, worker.actor, qtype.public_id, {"q1": "4", "q2": "Paris"})
    assert retried.score == 100
    assert qualifications.get_score(runtime, requester.actor, qtype.public_id, worker.actor.public_id) \
        .integer_value == 100


def test_request_without_retry_delay_is_allowed_once(runtime, factory, clock):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _test_spec())
    worker = factory.worker()
    qualifications.request(runtime, worker.actor, qtype.public_id, {"q1": "5"})
    clock.advance(days=365)
    with pytest.raises(InvalidStateError, match="only once"):
        qualifications.request(runtime, worker.actor, qtype.public_id, {"q1": "4", "q2": "Paris"})
    assert _count(runtime, QualificationRequest) == 1


def test_pending_request_is_accepted_by_the_requester(runtime, factory, clock):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    worker = factory.worker()
    request = qualifications.request(runtime, worker.actor, qtype.public_id)
    assert (request.status, request.score) == (RequestStatus.PENDING, None)
    with pytest.raises(InvalidStateError, match="pending request"):
        qualifications.request(runtime, worker.actor, qtype.public_id)
    listed = qualifications.list_requests(runtime, requester.actor, qtype.public_id)
    assert [r.public_id for r in listed.items] == [request.public_id]

    clock.advance(hours=1)
    accepted = qualifications.accept_request(runtime, requester.actor, request.public_id, 7)
    assert (accepted.status, accepted.score, accepted.decided_at) == (RequestStatus.ACCEPTED, 7, clock.now)
    assert qualifications.get_score(runtime, requester.actor, qtype.public_id, worker.actor.public_id) \
        .integer_value == 7
    assert qualifications.list_requests(runtime, requester.actor).items == []
    with pytest.raises(InvalidStateError, match="already accepted"):
        qualifications.accept_request(runtime, requester.actor, request.public_id)


def test_pending_request_with_test_but_no_answer_key_waits_for_the_requester(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor,
                                       _spec(test=TEST_FORM, test_duration_seconds=60))
    worker = factory.worker()
    request = qualifications.request(runtime, worker.actor, qtype.public_id, {"q1": "4"})
    assert (request.status, request.score, request.answers) == (RequestStatus.PENDING, None, {"q1": "4"})
    assert _count(runtime, Qualification) == 0


def test_pending_request_is_rejected_with_a_reason(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec(retry_delay_seconds=0))
    worker = factory.worker()
    request = qualifications.request(runtime, worker.actor, qtype.public_id)
    rejected = qualifications.reject_request(runtime, requester.actor, request.public_id, reason="not yet")
    assert (rejected.status, rejected.reason) == (RequestStatus.REJECTED, "not yet")
    assert _count(runtime, Qualification) == 0
    with pytest.raises(InvalidStateError, match="already rejected"):
        qualifications.reject_request(runtime, requester.actor, request.public_id)
    again = qualifications.request(runtime, worker.actor, qtype.public_id)  # retry delay 0: at once
    assert again.status is RequestStatus.PENDING


def test_request_of_another_requesters_type_cannot_be_decided_by_others(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    qtype = qualifications.create_type(runtime, alice.actor, _spec())
    request = qualifications.request(runtime, factory.worker().actor, qtype.public_id)
    with pytest.raises(NotFoundError, match="does not exist"):  # the same answer as an unknown id
        qualifications.accept_request(runtime, bob.actor, request.public_id)
    with pytest.raises(NotFoundError, match="does not exist"):
        qualifications.reject_request(runtime, bob.actor, request.public_id)
    with pytest.raises(PermissionDeniedError):
        qualifications.list_requests(runtime, bob.actor, qtype.public_id)
    assert qualifications.list_requests(runtime, bob.actor).items == []
    with pytest.raises(NotFoundError):
        qualifications.accept_request(runtime, alice.actor, "NOSUCHREQUEST")
    assert _count(runtime, QualificationRequest, QualificationRequest.status == RequestStatus.PENDING) == 1
    assert _count(runtime, Qualification) == 0


def test_request_of_inactive_type_is_invalid_state(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec(active=False, auto_granted=True))
    with pytest.raises(InvalidStateError, match="not accepting requests"):
        qualifications.request(runtime, factory.worker().actor, qtype.public_id)
    assert _count(runtime, QualificationRequest) == 0


def test_request_by_a_requester_is_permission_denied(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec(auto_granted=True))
    with pytest.raises(PermissionDeniedError):
        qualifications.request(runtime, requester.actor, qtype.public_id)


# --- reading types -----------------------------------------------------------------------------


def test_get_type_of_a_system_type(runtime, factory):
    worker = factory.worker()
    view = qualifications.get_type(runtime, worker.actor, eligibility.LOCALE)
    assert (view.public_id, view.name, view.is_requestable) == (eligibility.LOCALE, "Worker_Locale", False)
    masters = qualifications.get_type(runtime, worker.actor, eligibility.MASTERS_ID[worker.actor.marketplace])
    assert masters.name == "Masters"


def test_get_type_hides_the_answer_key_from_everyone_but_the_owner(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    qtype = qualifications.create_type(runtime, alice.actor, _test_spec())
    assert qualifications.get_type(runtime, alice.actor, qtype.public_id).answer_key == KEY.as_json()
    assert qualifications.get_type(runtime, bob.actor, qtype.public_id).answer_key is None
    assert qualifications.get_type(runtime, factory.worker().actor, qtype.public_id).answer_key is None
    assert qualifications.get_type(runtime, bob.actor, qtype.public_id).test == TEST_FORM


def test_list_types_query_is_case_insensitive_and_includes_system_types(runtime, factory):
    requester = factory.requester()
    cats = qualifications.create_type(runtime, requester.actor, _spec("Cat expert"))
    qualifications.create_type(runtime, requester.actor,
                               _spec("Dog expert", description="Dogs.", keywords="dogs"))

    def found(query):
        return [t.public_id for t in qualifications.list_types(runtime, requester.actor, query=query).items]

    assert found("CAT EX") == [cats.public_id]
    assert found("IMAGES") == [cats.public_id]
    assert found("worker_LOCALE") == [eligibility.LOCALE]


@pytest.mark.parametrize(("decoy", "wanted", "query"), [
    ("Accuracy 100", "Top 100%", "100%"), ("Catxexpert", "Cat_expert", "T_E"),
    ("Cat/expert", "Cat\\expert", "t\\e"),
])
def test_list_types_like_wildcards_in_query_are_literal(runtime, factory, decoy, wanted, query):
    requester = factory.requester()
    qualifications.create_type(runtime, requester.actor, _spec(decoy, description="Plain.", keywords=""))
    found = qualifications.create_type(runtime, requester.actor,
                                       _spec(wanted, description="Plain.", keywords=""))
    page = qualifications.list_types(runtime, requester.actor, query=query, must_be_requestable=True)
    assert [t.public_id for t in page.items] == [found.public_id]


def test_list_types_owned_by_caller_excludes_system_and_others(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    mine = qualifications.create_type(runtime, alice.actor, _spec("Mine"))
    qualifications.create_type(runtime, bob.actor, _spec("Theirs"))
    deleted = qualifications.create_type(runtime, alice.actor, _spec("Gone"))
    qualifications.delete_type(runtime, alice.actor, deleted.public_id)
    page = qualifications.list_types(runtime, alice.actor, must_be_owned_by_caller=True)
    assert [t.public_id for t in page.items] == [mine.public_id]
    everything = qualifications.list_types(runtime, alice.actor)
    names = [t.name for t in everything.items]
    assert names[-2:] == ["Mine", "Theirs"]
    assert {"Masters", "Worker_Locale", "Worker_PercentAssignmentsApproved"} <= set(names)


def test_list_types_pages_custom_types(runtime, factory):
    requester = factory.requester()
    created = [qualifications.create_type(runtime, requester.actor, _spec(f"Type {i}")).public_id
               for i in range(5)]
    first = qualifications.list_types(runtime, requester.actor, must_be_owned_by_caller=True, limit=3)
    second = qualifications.list_types(runtime, requester.actor, must_be_owned_by_caller=True, limit=3,
                                       cursor=first.next_cursor)
    assert [t.public_id for t in first.items + list(second.items)] == created
    assert second.next_cursor is None


def test_list_types_sandbox_is_separate(runtime, factory):
    requester = factory.requester()
    qualifications.create_type(runtime, requester.actor, _spec("Production only"))
    page = qualifications.list_types(runtime, requester.sandbox(), query="production only")
    assert page.items == []


def test_hit_requirement_on_a_granted_qualification_lets_the_worker_accept(runtime, factory):
    """The grant is what eligibility reads: without it the HIT is hidden, with it it is listed."""
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, _spec())
    requirement = RequirementSpec(qtype.public_id, Comparator.GREATER_THAN, (50,),
                                  actions_guarded=GuardedAction.DISCOVER_PREVIEW_AND_ACCEPT)
    hit = factory.hit(requester.actor, hit_type=factory.hit_type_spec(requirements=(requirement,)))
    worker = factory.worker()
    assert workers.available_hits(runtime, worker.actor).items == []
    qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 51)
    assert [h.hit.public_id for h in workers.available_hits(runtime, worker.actor).items] == [hit.public_id]
    qualifications.revoke(runtime, requester.actor, qtype.public_id, worker.actor.public_id)
    assert workers.available_hits(runtime, worker.actor).items == []


def test_list_types_hides_the_answer_key_from_everyone_but_the_owner(runtime, factory):
    """The same rule as get_type: searching everyone's types must not reveal another requester's key."""
    alice, bob, worker = factory.requester(), factory.requester(), factory.worker()
    qtype = qualifications.create_type(runtime, alice.actor, _test_spec("Leaky quiz"))

    def listed(actor, **options):
        (view,) = qualifications.list_types(runtime, actor, query="leaky quiz", **options).items
        assert (view.public_id, view.test) == (qtype.public_id, TEST_FORM)
        return view

    assert listed(bob.actor, must_be_owned_by_caller=False).answer_key is None
    assert listed(worker.actor, must_be_requestable=True).answer_key is None
    assert listed(alice.actor, must_be_owned_by_caller=False).answer_key == KEY.as_json()
    assert listed(alice.actor, must_be_owned_by_caller=True).answer_key == KEY.as_json()
