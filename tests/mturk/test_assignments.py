"""A HIT's whole life through boto3, with workers accepting and submitting through the services;
assignment and money operations with their error paths."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from labelhub.models import Marketplace
from labelhub.services import assignments
from tests.mturk.conftest import QUESTION_FORM, SCHEMAS, fails, hit_params

ANSWERS_NS = "{" + SCHEMAS + "2005-10-01/QuestionFormAnswers.xsd}"


def parse_answers(xml: str) -> dict[str, list[str]]:
    """Read an Answer document the way the AWS sample code does."""
    root = ET.fromstring(xml.replace('<?xml version="1.0" encoding="ASCII"?>', ""))
    return {answer.findtext(f"{ANSWERS_NS}QuestionIdentifier"):
            [e.text or "" for e in answer if e.tag != f"{ANSWERS_NS}QuestionIdentifier"]
            for answer in root.findall(f"{ANSWERS_NS}Answer")}


@pytest.fixture
def submitted(factory, connect, runtime):
    """A sandbox HIT with three slots and two submitted assignments: (client, hit_id, [assignments])."""
    requester = factory.requester()
    client = connect(requester)
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]
    done = []
    for answer in ({"comment": "café"}, {"comment": "a dog"}):
        worker = factory.worker(marketplace=Marketplace.SANDBOX)
        assignment = assignments.accept(runtime, worker.actor, hit_id)
        done.append(assignments.submit(runtime, worker.actor, assignment.public_id, answer))
    return client, hit_id, done


def test_hit_whole_life_in_production_pays_once_and_releases_the_rest(factory, connect, runtime):
    requester = factory.requester(deposit="10.00")
    client = connect(requester, "production")
    hit = client.create_hit(**hit_params())["HIT"]
    assert client.get_account_balance() | {"ResponseMetadata": None} == \
        {"AvailableBalance": "8.20", "OnHoldBalance": "1.80", "ResponseMetadata": None}
    good, bad = factory.worker(), factory.worker()
    for worker, answer in ((good, {"comment": "a cat", "tags": ["cat", "pet"]}), (bad, {"comment": ""})):
        taken = assignments.accept(runtime, worker.actor, hit["HITId"])
        assignments.submit(runtime, worker.actor, taken.public_id, answer)

    listed = client.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    by_worker = {a["WorkerId"]: a for a in listed}
    good_work, bad_work = by_worker[good.actor.public_id], by_worker[bad.actor.public_id]
    client.approve_assignment(AssignmentId=good_work["AssignmentId"], RequesterFeedback="Thanks")
    client.reject_assignment(AssignmentId=bad_work["AssignmentId"], RequesterFeedback="")
    client.send_bonus(WorkerId=good.actor.public_id, AssignmentId=good_work["AssignmentId"],
                      BonusAmount="1.00", Reason="Great work", UniqueRequestToken="bonus-1")
    client.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=0)
    final = client.get_hit(HITId=hit["HITId"])["HIT"]
    client.delete_hit(HITId=hit["HITId"])

    assert [a["AssignmentStatus"] for a in listed] == ["Submitted", "Submitted"]
    assert parse_answers(good_work["Answer"]) == {"comment": ["a cat"], "tags": ["cat|pet"]}
    assert parse_answers(bad_work["Answer"]) == {"comment": [""]}
    assert final["HITStatus"] == "Reviewable"
    assert (final["NumberOfAssignmentsCompleted"], final["NumberOfAssignmentsAvailable"]) == (2, 1)
    # reward 0.50 + fee 0.10 for the approved one, bonus 1.00 + fee 0.20; the rest is released
    balance = client.get_account_balance()
    assert (balance["AvailableBalance"], balance["OnHoldBalance"]) == ("8.20", "0.00")


def test_list_assignments_for_hit_filters_statuses_and_hides_unsubmitted(submitted, factory, runtime):
    client, hit_id, (first, second) = submitted
    holder = factory.worker(marketplace=Marketplace.SANDBOX)
    assignments.accept(runtime, holder.actor, hit_id)
    client.approve_assignment(AssignmentId=first.public_id)

    everything = client.list_assignments_for_hit(HITId=hit_id)
    approved = client.list_assignments_for_hit(HITId=hit_id, AssignmentStatuses=["Approved"])
    paged = client.list_assignments_for_hit(HITId=hit_id, MaxResults=1)

    assert [a["AssignmentId"] for a in everything["Assignments"]] == [first.public_id, second.public_id]
    assert [a["AssignmentId"] for a in approved["Assignments"]] == [first.public_id]
    assert paged["NumResults"] == 1 and paged["NextToken"]
    assert "AssignmentStatuses[0]:" in fails(client.list_assignments_for_hit, HITId=hit_id,
                                             AssignmentStatuses=["Accepted"]).message


def test_get_assignment_returns_assignment_and_hit_with_mturk_answer_xml(submitted):
    client, hit_id, (first, _) = submitted

    response = client.get_assignment(AssignmentId=first.public_id)
    assignment = response["Assignment"]

    assert response["HIT"]["HITId"] == hit_id
    assert (assignment["AssignmentStatus"], assignment["HITId"]) == ("Submitted", hit_id)
    assert assignment["Answer"] == (
        f'<?xml version="1.0" encoding="ASCII"?><QuestionFormAnswers xmlns="{SCHEMAS}2005-10-01/'
        'QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>comment</QuestionIdentifier>'
        '<FreeText>caf&#233;</FreeText></Answer></QuestionFormAnswers>')
    assert assignment["SubmitTime"] <= assignment["AutoApprovalTime"]
    assert {"AcceptTime", "Deadline", "WorkerId"} <= assignment.keys()
    assert "ApprovalTime" not in assignment and "RejectionTime" not in assignment


def test_get_assignment_unknown_or_unsubmitted_is_refused(factory, connect, runtime):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    working = assignments.accept(runtime, worker.actor, hit_id)

    unknown = fails(client.get_assignment, AssignmentId="3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    unsubmitted = fails(client.get_assignment, AssignmentId=working.public_id)

    assert unknown.turk_code == "AWS.MechanicalTurk.AssignmentDoesNotExist"
    assert "does not exist" in unknown.message  # what Dallinger greps for
    assert unsubmitted.turk_code == "AWS.MechanicalTurk.InvalidAssignmentState"


def test_question_form_selection_answers_come_back_as_selection_identifiers(factory, connect, runtime):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params(Question=QUESTION_FORM))["HIT"]["HITId"]
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    taken = assignments.accept(runtime, worker.actor, hit_id)
    assignments.submit(runtime, worker.actor, taken.public_id,
                       {"colour": ["red", "blue"], "why": "<because>"})

    answer = client.get_assignment(AssignmentId=taken.public_id)["Assignment"]["Answer"]

    assert "<SelectionIdentifier>red</SelectionIdentifier><SelectionIdentifier>blue</SelectionIdentifier>" \
        in answer
    assert parse_answers(answer) == {"colour": ["red", "blue"], "why": ["<because>"]}


def test_approve_twice_is_invalid_assignment_state_with_mturks_text(submitted):
    client, _, (first, _) = submitted
    client.approve_assignment(AssignmentId=first.public_id, RequesterFeedback="Good")

    failed = fails(client.approve_assignment, AssignmentId=first.public_id)
    approved = client.get_assignment(AssignmentId=first.public_id)["Assignment"]

    assert failed.turk_code == "AWS.MechanicalTurk.InvalidAssignmentState"
    assert failed.message.startswith("This operation can be called with a status of: Submitted (")
    assert (approved["AssignmentStatus"], approved["RequesterFeedback"]) == ("Approved", "Good")
    assert "ApprovalTime" in approved


def test_reject_then_override_rejection_approves(submitted):
    client, _, (_, second) = submitted
    client.reject_assignment(AssignmentId=second.public_id, RequesterFeedback="Too short")

    rejected = client.get_assignment(AssignmentId=second.public_id)["Assignment"]
    plain_approve = fails(client.approve_assignment, AssignmentId=second.public_id)
    client.approve_assignment(AssignmentId=second.public_id, OverrideRejection=True)

    assert (rejected["AssignmentStatus"], rejected["RequesterFeedback"]) == ("Rejected", "Too short")
    assert "RejectionTime" in rejected
    assert plain_approve.turk_code == "AWS.MechanicalTurk.InvalidAssignmentState"
    overridden = client.get_assignment(AssignmentId=second.public_id)["Assignment"]
    assert overridden["AssignmentStatus"] == "Approved"


def test_reject_an_approved_assignment_is_refused(submitted):
    client, _, (first, _) = submitted
    client.approve_assignment(AssignmentId=first.public_id)

    failed = fails(client.reject_assignment, AssignmentId=first.public_id, RequesterFeedback="no")

    assert failed.message.startswith("This operation can be called with a status of: Submitted (")


def test_send_bonus_retried_with_the_same_token_pays_one_bonus(submitted):
    client, hit_id, (first, second) = submitted
    worker_id = client.get_assignment(AssignmentId=first.public_id)["Assignment"]["WorkerId"]
    before = client.get_account_balance()["AvailableBalance"]

    client.send_bonus(WorkerId=worker_id, AssignmentId=first.public_id, BonusAmount="2", Reason="Thanks",
                      UniqueRequestToken="once")
    retried = fails(client.send_bonus, WorkerId=worker_id, AssignmentId=first.public_id, BonusAmount="2",
                    Reason="Thanks", UniqueRequestToken="once")
    by_hit = client.list_bonus_payments(HITId=hit_id)
    by_assignment = client.list_bonus_payments(AssignmentId=second.public_id)

    assert "once" in retried.message
    assert by_hit["NumResults"] == 1
    assert {k: v for k, v in by_hit["BonusPayments"][0].items() if k != "GrantTime"} == {
        "WorkerId": worker_id, "BonusAmount": "2.00", "AssignmentId": first.public_id, "Reason": "Thanks"}
    assert (by_assignment["NumResults"], by_assignment["BonusPayments"]) == (0, [])
    assert Decimal(before) - Decimal(client.get_account_balance()["AvailableBalance"]) == Decimal("2.40")


def test_send_bonus_to_the_wrong_worker_or_too_much_is_refused(submitted):
    client, _, (first, second) = submitted
    other_worker = client.get_assignment(AssignmentId=second.public_id)["Assignment"]["WorkerId"]

    wrong_worker = fails(client.send_bonus, WorkerId=other_worker, AssignmentId=first.public_id,
                         BonusAmount="1.00", Reason="r")
    too_much = fails(client.send_bonus, WorkerId=other_worker, AssignmentId=second.public_id,
                     BonusAmount="20000", Reason="r")
    bad_amount = fails(client.send_bonus, WorkerId=other_worker, AssignmentId=second.public_id,
                       BonusAmount="1.001", Reason="r")
    huge_amount = fails(client.send_bonus, WorkerId=other_worker, AssignmentId=second.public_id,
                        BonusAmount="99999999999", Reason="r")

    assert "WorkerId:" in wrong_worker.message
    assert too_much.turk_code == "AWS.MechanicalTurk.InsufficientFunds"
    assert too_much.message.startswith("This Requester has insufficient funds")
    assert "BonusAmount: '1.001' is not an amount like 0.50" in bad_amount.message
    assert (huge_amount.status, huge_amount.turk_code) == (400, "AWS.ParameterOutOfRange")
    assert "BonusAmount: '99999999999' is more than the largest amount" in huge_amount.message
    assert client.list_bonus_payments(AssignmentId=second.public_id)["NumResults"] == 0


def test_list_bonus_payments_needs_a_hit_or_an_assignment(factory, connect):
    failed = fails(connect(factory.requester()).list_bonus_payments)

    assert failed.turk_code == "AWS.ParameterOutOfRange"
    assert "HITId:" in failed.message


def test_get_file_upload_url_is_the_documented_deprecation_error(submitted):
    client, _, (first, _) = submitted

    failed = fails(client.get_file_upload_url, AssignmentId=first.public_id, QuestionIdentifier="upload")

    assert failed.turk_code == "AWS.MechanicalTurk.OperationDeprecated"
    assert "deprecated" in failed.message
