"""Qualification operations through boto3: types, tests and answer keys, grants, scores, requests."""

from __future__ import annotations

import pytest

from labelhub.models import Marketplace
from labelhub.services import qualifications
from tests.mturk.conftest import ANSWER_KEY, QUESTION_FORM, fails


def create_type(client, name: str = "Good annotator", **extra):
    return client.create_qualification_type(Name=name, Description="Passed our checks", Keywords="quality",
                                            QualificationTypeStatus="Active", **extra)["QualificationType"]


@pytest.fixture
def client(factory, connect):
    return connect(factory.requester())


@pytest.fixture
def worker(factory):
    return factory.worker(marketplace=Marketplace.SANDBOX)


def test_create_qualification_type_returns_the_type(client, clock):
    qtype = create_type(client, RetryDelayInSeconds=3600)

    assert (qtype["Name"], qtype["Description"], qtype["Keywords"]) == ("Good annotator", "Passed our checks",
                                                                        "quality")
    assert (qtype["QualificationTypeStatus"], qtype["IsRequestable"], qtype["AutoGranted"]) == \
        ("Active", True, False)
    assert (qtype["RetryDelayInSeconds"], qtype["CreationTime"]) == (3600, clock.now)
    assert len(qtype["QualificationTypeId"]) == 30


def test_create_qualification_type_with_a_used_name_has_mturks_message(client):
    create_type(client)

    failed = fails(client.create_qualification_type, Name="Good annotator", Description="again",
                   QualificationTypeStatus="Active")

    assert failed.message.startswith("You have already created a QualificationType with this name.")


def test_create_qualification_type_refuses_bad_status_and_test_with_auto_grant(client):
    bad_status = fails(client.create_qualification_type, Name="q", Description="d",
                       QualificationTypeStatus="Enabled")
    test_and_auto = fails(client.create_qualification_type, Name="q", Description="d",
                          QualificationTypeStatus="Active", Test=QUESTION_FORM, TestDurationInSeconds=60,
                          AutoGranted=True)

    assert "QualificationTypeStatus: 'Enabled' is not one of Active, Inactive" in bad_status.message
    assert "AutoGranted:" in test_and_auto.message
    listed = client.list_qualification_types(MustBeRequestable=True, MustBeOwnedByCaller=True)
    assert listed["NumResults"] == 0


def test_get_qualification_type_shows_test_and_answer_key_to_its_owner(client):
    qtype = create_type(client, Test=QUESTION_FORM, AnswerKey=ANSWER_KEY, TestDurationInSeconds=300)

    response = client.get_qualification_type(QualificationTypeId=qtype["QualificationTypeId"])
    fetched = response["QualificationType"]

    assert fetched["Test"] == QUESTION_FORM and fetched["TestDurationInSeconds"] == 300
    assert "<SelectionIdentifier>red</SelectionIdentifier><AnswerScore>10</AnswerScore>" \
        in fetched["AnswerKey"]
    assert "<MaximumSummedScore>10</MaximumSummedScore>" in fetched["AnswerKey"]


def test_get_qualification_type_knows_the_system_types_and_refuses_unknown_ones(client):
    locale = client.get_qualification_type(QualificationTypeId="00000000000000000071")["QualificationType"]
    unknown = fails(client.get_qualification_type, QualificationTypeId="3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA")

    assert (locale["Name"], locale["IsRequestable"]) == ("Worker_Locale", False)
    assert unknown.turk_code == "AWS.MechanicalTurk.QualificationTypeDoesNotExist"


def test_update_qualification_type_changes_description_and_status(client, factory, connect):
    qtype = create_type(client)

    updated = client.update_qualification_type(QualificationTypeId=qtype["QualificationTypeId"],
                                               Description="Stricter", QualificationTypeStatus="Inactive")
    foreign = fails(connect(factory.requester()).update_qualification_type,
                    QualificationTypeId=qtype["QualificationTypeId"], Description="mine now")

    assert (updated["QualificationType"]["Description"],
            updated["QualificationType"]["QualificationTypeStatus"]) == ("Stricter", "Inactive")
    assert foreign.turk_code == "AWS.MechanicalTurk.PermissionDenied"


def test_delete_qualification_type_frees_its_name(client):
    qtype = create_type(client)

    client.delete_qualification_type(QualificationTypeId=qtype["QualificationTypeId"])
    gone = fails(client.get_qualification_type, QualificationTypeId=qtype["QualificationTypeId"])
    again = create_type(client)

    assert "does not exist" in gone.message
    assert again["QualificationTypeId"] != qtype["QualificationTypeId"]
    assert fails(client.delete_qualification_type,
                 QualificationTypeId=qtype["QualificationTypeId"]).turk_code == \
        "AWS.MechanicalTurk.QualificationTypeDoesNotExist"


def test_list_qualification_types_searches_case_insensitively_and_pages(client, factory, connect):
    for name in ("Cat expert", "Dog expert", "Bird watcher"):
        create_type(client, name)
    create_type(connect(factory.requester()), "Cat expert")

    mine = client.list_qualification_types(Query="EXPERT", MustBeRequestable=False, MustBeOwnedByCaller=True)
    first = client.list_qualification_types(MustBeRequestable=True, MustBeOwnedByCaller=True, MaxResults=2)
    rest = client.list_qualification_types(MustBeRequestable=True, MustBeOwnedByCaller=True,
                                           NextToken=first["NextToken"])
    everyone = client.list_qualification_types(Query="cat", MustBeRequestable=True)

    assert [t["Name"] for t in mine["QualificationTypes"]] == ["Cat expert", "Dog expert"]
    assert [t["Name"] for t in first["QualificationTypes"] + rest["QualificationTypes"]] == \
        ["Cat expert", "Dog expert", "Bird watcher"]
    assert everyone["NumResults"] == 2


def test_list_qualification_types_without_must_be_requestable_is_refused(factory, raw_post):
    """botocore checks required members itself, so this takes a hand-made request."""
    response = raw_post(factory.requester(), "ListQualificationTypes", {"Query": "cat"})

    assert (response.status, response.body["__type"]) == (400, "RequestError")
    assert "MustBeRequestable: is required" in response.body["Message"]


def test_associate_score_list_and_disassociate_a_qualification(client, worker):
    type_id = create_type(client)["QualificationTypeId"]
    worker_id = worker.actor.public_id

    client.associate_qualification_with_worker(QualificationTypeId=type_id, WorkerId=worker_id,
                                               IntegerValue=87, SendNotification=False)
    score = client.get_qualification_score(QualificationTypeId=type_id, WorkerId=worker_id)["Qualification"]
    granted = client.list_workers_with_qualification_type(QualificationTypeId=type_id, Status="Granted")
    client.disassociate_qualification_from_worker(QualificationTypeId=type_id, WorkerId=worker_id,
                                                  Reason="bad")
    revoked = client.list_workers_with_qualification_type(QualificationTypeId=type_id, Status="Revoked")
    revoked_score = fails(client.get_qualification_score, QualificationTypeId=type_id, WorkerId=worker_id)

    assert (score["WorkerId"], score["IntegerValue"], score["Status"]) == (worker_id, 87, "Granted")
    assert [q["WorkerId"] for q in granted["Qualifications"]] == [worker_id]
    assert [q["Status"] for q in revoked["Qualifications"]] == ["Revoked"]
    assert "This operation can be called with a status of: Granted" in revoked_score.message


def test_qualification_of_unknown_worker_or_without_a_grant_does_not_exist(client, worker):
    type_id = create_type(client)["QualificationTypeId"]

    unknown_worker = fails(client.associate_qualification_with_worker, QualificationTypeId=type_id,
                           WorkerId="A1234567890123")
    never_granted = fails(client.get_qualification_score, QualificationTypeId=type_id,
                          WorkerId=worker.actor.public_id)
    not_revocable = fails(client.disassociate_qualification_from_worker, QualificationTypeId=type_id,
                          WorkerId=worker.actor.public_id)

    assert unknown_worker.turk_code == "AWS.MechanicalTurk.WorkerDoesNotExist"
    assert "does not exist" in never_granted.message  # what Dallinger greps for
    assert not_revocable.turk_code == "AWS.MechanicalTurk.QualificationDoesNotExist"


def test_qualification_requests_are_listed_with_answers_and_decided(client, factory, runtime):
    type_id = create_type(client, Test=QUESTION_FORM, TestDurationInSeconds=300)["QualificationTypeId"]
    alice, bob = (factory.worker(marketplace=Marketplace.SANDBOX) for _ in range(2))
    for worker in (alice, bob):
        qualifications.request(runtime, worker.actor, type_id, {"colour": "red", "why": "I like it"})

    listed = client.list_qualification_requests(QualificationTypeId=type_id)["QualificationRequests"]
    by_worker = {r["WorkerId"]: r["QualificationRequestId"] for r in listed}
    client.accept_qualification_request(QualificationRequestId=by_worker[alice.actor.public_id],
                                        IntegerValue=80)
    client.reject_qualification_request(QualificationRequestId=by_worker[bob.actor.public_id], Reason="No")
    twice = fails(client.accept_qualification_request, QualificationRequestId=by_worker[bob.actor.public_id])

    assert listed[0]["Test"] == QUESTION_FORM
    assert "<SelectionIdentifier>red</SelectionIdentifier>" in listed[0]["Answer"]
    assert "<FreeText>I like it</FreeText>" in listed[0]["Answer"]
    score = client.get_qualification_score(QualificationTypeId=type_id, WorkerId=alice.actor.public_id)
    assert score["Qualification"]["IntegerValue"] == 80
    assert twice.turk_code == "AWS.MechanicalTurk.InvalidQualificationRequestState"
    assert client.list_qualification_requests()["QualificationRequests"] == []


def test_answer_key_scores_a_test_automatically(client, worker, runtime):
    type_id = create_type(client, Test=QUESTION_FORM, AnswerKey=ANSWER_KEY,
                          TestDurationInSeconds=300)["QualificationTypeId"]

    qualifications.request(runtime, worker.actor, type_id, {"colour": "red"})

    score = client.get_qualification_score(QualificationTypeId=type_id, WorkerId=worker.actor.public_id)
    assert score["Qualification"]["IntegerValue"] == 100
    assert client.list_qualification_requests(QualificationTypeId=type_id)["NumResults"] == 0
    assert fails(client.reject_qualification_request,
                 QualificationRequestId="3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA").turk_code == \
        "AWS.MechanicalTurk.QualificationRequestDoesNotExist"


def test_list_qualification_types_honours_max_results_with_system_types(client):
    listed = client.list_qualification_types(MustBeRequestable=False, MaxResults=1)

    assert listed["NumResults"] == 1


def test_list_qualification_types_shows_the_answer_key_to_its_owner_only(client, factory, connect):
    type_id = create_type(client, "Secret quiz", Test=QUESTION_FORM, AnswerKey=ANSWER_KEY,
                          TestDurationInSeconds=300)["QualificationTypeId"]

    (theirs,) = connect(factory.requester()).list_qualification_types(
        Query="secret quiz", MustBeRequestable=False, MustBeOwnedByCaller=False)["QualificationTypes"]
    (own,) = client.list_qualification_types(Query="secret quiz", MustBeRequestable=False,
                                             MustBeOwnedByCaller=False)["QualificationTypes"]

    assert (theirs["QualificationTypeId"], theirs["Test"]) == (type_id, QUESTION_FORM)
    assert "AnswerKey" not in theirs
    assert "<MaximumSummedScore>10</MaximumSummedScore>" in own["AnswerKey"]
