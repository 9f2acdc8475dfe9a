"""Review policies through boto3: AssignmentReviewPolicy and HITReviewPolicy on CreateHIT and
CreateHITWithHITType, and ListReviewPolicyResultsForHIT with its filters and pages."""

from __future__ import annotations

import pytest

from labelhub.models import Marketplace
from labelhub.services import assignments
from tests.mturk.conftest import fails, hit_params, hit_type_params, masked

ANSWER_KEY = {"Key": "AnswerKey",
              "MapEntries": [{"Key": "colour", "Values": ["red"]}, {"Key": "size", "Values": ["L"]}]}
KNOWN_ANSWERS = {"PolicyName": "ScoreMyKnownAnswers/2011-09-01", "Parameters": [
    ANSWER_KEY,
    {"Key": "ApproveIfKnownAnswerScoreIsAtLeast", "Values": ["100"]},
    {"Key": "RejectIfKnownAnswerScoreIsLessThan", "Values": ["50"]},
    {"Key": "RejectReason", "Values": ["Known answers wrong"]}]}
PLURALITY = {"PolicyName": "SimplePlurality/2011-09-01", "Parameters": [
    {"Key": "QuestionIds", "Values": ["colour,comment"]},
    {"Key": "QuestionAgreementThreshold", "Values": ["49"]},
    {"Key": "DisregardAssignmentIfRejected", "Values": ["true"]}]}


def submit(factory, runtime, hit_id: str, answer: dict) -> str:
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    taken = assignments.accept(runtime, worker.actor, hit_id)
    assignments.submit(runtime, worker.actor, taken.public_id, answer)
    return taken.public_id


def test_create_hit_with_both_policies_reports_results_and_actions(factory, connect, runtime):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params(MaxAssignments=2), AssignmentReviewPolicy=KNOWN_ANSWERS,
                               HITReviewPolicy=PLURALITY)["HIT"]["HITId"]

    right = submit(factory, runtime, hit_id, {"colour": "red", "size": "L", "comment": "a cat"})
    wrong = submit(factory, runtime, hit_id, {"colour": "blue", "size": "S", "comment": "a cat"})
    report = client.list_review_policy_results_for_hit(HITId=hit_id)

    assert report["HITId"] == hit_id
    assert report["AssignmentReviewPolicy"]["PolicyName"] == "ScoreMyKnownAnswers/2011-09-01"
    parameters = report["AssignmentReviewPolicy"]["Parameters"]
    assert {"Key": "ExtendMaximumAssignments", "Values": ["5"]} in parameters and ANSWER_KEY in parameters
    assert report["HITReviewPolicy"]["PolicyName"] == "SimplePlurality/2011-09-01"
    scores = {(r["SubjectId"], r["Key"]): r["Value"]
              for r in report["AssignmentReviewReport"]["ReviewResults"] if "QuestionId" not in r}
    assert scores == {(right, "KnownAnswerScore"): "100", (wrong, "KnownAnswerScore"): "0"}
    decided = [(a["ActionName"], a["TargetId"], a["TargetType"], a["Status"], a.get("Result"))
               for a in report["AssignmentReviewReport"]["ReviewActions"] if a["ActionName"] != "review"]
    assert decided == [("approve", right, "Assignment", "Succeeded", "Approved"),
                       ("reject", wrong, "Assignment", "Succeeded", "Rejected")]
    assert all("CompleteTime" in a for a in report["AssignmentReviewReport"]["ReviewActions"])
    hit_results = {(r.get("QuestionId"), r["Key"]): r["Value"]
                   for r in report["HITReviewReport"]["ReviewResults"] if r["SubjectId"] == hit_id}
    # the rejected assignment is disregarded: one assignment agrees with itself on both questions
    assert hit_results == {
        ("colour", "AgreedAnswerFound"): "true", ("colour", "AgreedAnswer"): "red",
        ("colour", "AnswerAgreementScore"): "100", ("comment", "AgreedAnswerFound"): "true",
        ("comment", "AgreedAnswer"): "a cat", ("comment", "AnswerAgreementScore"): "100",
        (None, "HitAgreementScore"): "100"}
    assert client.get_assignment(AssignmentId=wrong)["Assignment"]["RequesterFeedback"] == \
        "Known answers wrong"


def test_list_review_policy_results_filters_levels_and_pages(factory, connect, runtime):
    client = connect(factory.requester())
    hit_type_id = client.create_hit_type(**hit_type_params())["HITTypeId"]
    hit_id = client.create_hit_with_hit_type(
        HITTypeId=hit_type_id, LifetimeInSeconds=3600, MaxAssignments=1, Question=hit_params()["Question"],
        AssignmentReviewPolicy=KNOWN_ANSWERS, HITReviewPolicy=PLURALITY)["HIT"]["HITId"]
    submit(factory, runtime, hit_id, {"colour": "red", "size": "M", "comment": "a dog"})
    whole = client.list_review_policy_results_for_hit(HITId=hit_id)

    hit_only = client.list_review_policy_results_for_hit(HITId=hit_id, PolicyLevels=["HIT"],
                                                         RetrieveActions=False)
    pages = [client.list_review_policy_results_for_hit(HITId=hit_id, MaxResults=2)]
    while "NextToken" in pages[-1]:
        pages.append(client.list_review_policy_results_for_hit(HITId=hit_id, MaxResults=2,
                                                               NextToken=pages[-1]["NextToken"]))

    assert "AssignmentReviewReport" not in hit_only and "AssignmentReviewPolicy" not in hit_only
    assert hit_only["HITReviewReport"]["ReviewActions"] == []
    assert hit_only["HITReviewReport"]["ReviewResults"] == whole["HITReviewReport"]["ReviewResults"]
    for report in ("AssignmentReviewReport", "HITReviewReport"):
        for part in ("ReviewResults", "ReviewActions"):
            paged = [item for page in pages for item in page[report][part]]
            assert paged == whole[report][part]
            assert all(len(page[report][part]) <= 2 for page in pages)
    assert len(pages) > 2


@pytest.mark.parametrize(("policies", "says"), [
    ({"AssignmentReviewPolicy": PLURALITY},
     "AssignmentReviewPolicy.PolicyName: must be ScoreMyKnownAnswers/2011-09-01, the Assignment-level"),
    ({"HITReviewPolicy": {"PolicyName": "SimplePlurality/2011-09-01", "Parameters": [
        {"Key": "QuestionIds", "Values": ["q"]}, {"Key": "QuestionAgreementThreshold", "Values": ["150"]}]}},
     "HITReviewPolicy.QuestionAgreementThreshold: must be an integer from 0 to 100"),
    ({"AssignmentReviewPolicy": {"PolicyName": "ScoreMyKnownAnswers/2011-09-01", "Parameters": [
        {"Key": "AnswerKey", "MapEntries": [{"Key": "q", "Values": ["a"]}]},
        {"Key": "ApproveIfKnownAnwserScoreIsAtLeast", "Values": ["80"]}]}},
     "AssignmentReviewPolicy.ApproveIfKnownAnwserScoreIsAtLeast: is not a parameter of ScoreMyKnownAnswers"),
    ({"AssignmentReviewPolicy": {"PolicyName": "ScoreMyKnownAnswers/2011-09-01"}},
     "AssignmentReviewPolicy.AnswerKey: is required"),
    ({"AssignmentReviewPolicy": {"PolicyName": "ScoreMyKnownAnswers/2011-09-01", "Parameters": [
        {"Key": "AnswerKey", "MapEntries": [{"Key": "q", "Values": ["a"]}], "Values": ["a"]}]}},
     "AssignmentReviewPolicy.Parameters[0].MapEntries: give Values or MapEntries, not both"),
])
def test_create_hit_refuses_bad_policies_naming_the_parameter_and_creates_nothing(factory, connect, policies,
                                                                                  says):
    client = connect(factory.requester())

    failed = fails(client.create_hit, **hit_params(), **policies)

    assert (failed.code, failed.turk_code) == ("RequestError", "AWS.ParameterOutOfRange")
    assert says in failed.message
    assert client.list_hits()["NumResults"] == 0


def test_list_review_policy_results_error_paths(factory, connect):
    owner = factory.requester()
    client = connect(owner)
    hit_id = client.create_hit(**hit_params(), AssignmentReviewPolicy=KNOWN_ANSWERS)["HIT"]["HITId"]

    unknown = fails(client.list_review_policy_results_for_hit, HITId="3" * 30)
    foreign = fails(connect(factory.requester()).list_review_policy_results_for_hit, HITId=hit_id)
    bad_token = fails(client.list_review_policy_results_for_hit, HITId=hit_id, NextToken="bm9wZQ")
    bad_level = fails(client.list_review_policy_results_for_hit, HITId=hit_id, PolicyLevels=["Worker"])
    too_many = fails(client.list_review_policy_results_for_hit, HITId=hit_id, MaxResults=101)

    assert unknown.turk_code == "AWS.MechanicalTurk.HITDoesNotExist"
    assert masked(foreign, hit_id) == masked(unknown, "3" * 30)
    assert "NextToken: is not a cursor this server issued" in bad_token.message
    assert "PolicyLevels[0]: 'Worker' is not one of Assignment, HIT" in bad_level.message
    assert "MaxResults: must be between 1 and 100" in too_many.message


def test_hit_without_policies_reports_empty_reports(factory, connect):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]

    report = client.list_review_policy_results_for_hit(HITId=hit_id)

    assert report["AssignmentReviewReport"] == {"ReviewResults": [], "ReviewActions": []}
    assert report["HITReviewReport"] == {"ReviewResults": [], "ReviewActions": []}
    assert "AssignmentReviewPolicy" not in report and "NextToken" not in report
