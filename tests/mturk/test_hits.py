"""HIT operations through boto3: create (three ways), get, list, expire/extend, review status, delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from labelhub.models import Marketplace
from labelhub.services import assignments
from tests.mturk.conftest import EXTERNAL_QUESTION, QUESTION_FORM, fails, hit_params, hit_type_params, masked

LOCALE_REQUIREMENT = {"QualificationTypeId": "00000000000000000071", "Comparator": "In",
                      "LocaleValues": [{"Country": "US"}, {"Country": "CA", "Subdivision": "QC"}],
                      "ActionsGuarded": "DiscoverPreviewAndAccept"}


def test_create_hit_returns_the_whole_hit(factory, connect, clock):
    client = connect(factory.requester())

    hit = client.create_hit(**hit_params(RequesterAnnotation="batch 7",
                                         QualificationRequirements=[LOCALE_REQUIREMENT]))["HIT"]

    assert hit["HITStatus"] == "Assignable" and hit["HITReviewStatus"] == "NotReviewed"
    assert (hit["MaxAssignments"], hit["NumberOfAssignmentsAvailable"], hit["NumberOfAssignmentsPending"],
            hit["NumberOfAssignmentsCompleted"]) == (3, 3, 0, 0)
    assert (hit["Reward"], hit["Title"], hit["Keywords"], hit["RequesterAnnotation"]) == \
        ("0.50", "Describe the picture", "image, text", "batch 7")
    assert hit["HITGroupId"] == hit["HITTypeId"]
    assert len(hit["HITId"]) == 30 and hit["HITId"].isupper()
    assert hit["CreationTime"] == clock.now and hit["Expiration"] == clock.now + timedelta(hours=1)
    assert hit["QualificationRequirements"] == [LOCALE_REQUIREMENT]
    assert "<HTMLContent>" in hit["Question"]


def test_create_hit_from_a_layout_fills_its_parameters_escaped(factory, connect):
    client = connect(factory.requester())
    params = hit_params()
    params.pop("Question")

    hit = client.create_hit(**params, HITLayoutId="LABELHUBTEXTCLASSIFICATION0001", HITLayoutParameters=[
        {"Name": "text", "Value": "Fish & <b>chips</b>"}, {"Name": "question", "Value": "Tone?"},
        {"Name": "categories", "Value": "positive|negative"}])["HIT"]

    assert "<blockquote>Fish &amp; &lt;b&gt;chips&lt;/b&gt;</blockquote>" in hit["Question"]
    failed = fails(client.create_hit, **params, HITLayoutId="LABELHUBTEXTCLASSIFICATION0001",
                   HITLayoutParameters=[{"Name": "text", "Value": "x"}])
    assert failed.code == "RequestError" and "question" in failed.message


def test_create_hit_with_the_deprecated_required_to_preview_guards_preview(factory, connect):
    client = connect(factory.requester())
    requirement = {"QualificationTypeId": "000000000000000000L0", "Comparator": "GreaterThanOrEqualTo",
                   "IntegerValues": [95], "RequiredToPreview": True}

    hit = client.create_hit(**hit_params(QualificationRequirements=[requirement]))["HIT"]

    assert hit["QualificationRequirements"][0]["ActionsGuarded"] == "PreviewAndAccept"


def test_create_hit_with_bad_values_names_the_parameter(factory, connect):
    client = connect(factory.requester())

    too_long = fails(client.create_hit, **hit_params(Title="x" * 129))
    bad_reward = fails(client.create_hit, **hit_params(Reward="0.505"))
    bad_requirement = fails(client.create_hit, **hit_params(QualificationRequirements=[
        {"QualificationTypeId": "00000000000000000071", "Comparator": "EqualTo", "IntegerValues": [1]}]))

    assert too_long.turk_code == "AWS.ParameterOutOfRange"
    assert "Title: must be at most 128 characters" in too_long.message
    assert "Reward:" in bad_reward.message
    assert "QualificationRequirements[0].IntegerValues: cannot be used with the Worker_Locale" in \
        bad_requirement.message
    assert client.list_hits()["NumResults"] == 0


def test_create_hit_retried_with_the_same_token_creates_one_hit(factory, connect):
    client = connect(factory.requester())

    first = client.create_hit(**hit_params(UniqueRequestToken="retry-me"))["HIT"]
    retried = fails(client.create_hit, **hit_params(UniqueRequestToken="retry-me"))

    assert retried.turk_code == "AWS.MechanicalTurk.HitAlreadyExists"
    assert first["HITId"] in retried.message
    assert [h["HITId"] for h in client.list_hits()["HITs"]] == [first["HITId"]]
    assert client.get_account_balance()["OnHoldBalance"] == "1.80"


def test_create_hit_type_returns_the_same_id_for_the_same_properties(factory, connect):
    client = connect(factory.requester())

    first = client.create_hit_type(**hit_type_params())["HITTypeId"]
    again = client.create_hit_type(**hit_type_params())["HITTypeId"]
    other = client.create_hit_type(**hit_type_params(Reward="0.75"))["HITTypeId"]

    assert first == again != other


def test_create_hit_type_refuses_an_out_of_range_duration(factory, connect):
    client = connect(factory.requester())

    failed = fails(client.create_hit_type, **hit_type_params(AssignmentDurationInSeconds=10))

    assert "AssignmentDurationInSeconds: must be an integer between 30" in failed.message


def test_create_hit_with_hit_type_takes_the_types_properties(factory, connect):
    client = connect(factory.requester())
    hit_type_id = client.create_hit_type(**hit_type_params(Reward="1.25", Keywords="survey"))["HITTypeId"]

    hit = client.create_hit_with_hit_type(HITTypeId=hit_type_id, MaxAssignments=2, LifetimeInSeconds=600,
                                          Question=EXTERNAL_QUESTION)["HIT"]

    assert (hit["HITTypeId"], hit["Reward"], hit["Keywords"], hit["MaxAssignments"]) == \
        (hit_type_id, "1.25", "survey", 2)
    assert hit["QualificationRequirements"] == []


def test_create_hit_with_hit_type_of_another_requester_fails_as_an_unknown_type_does(factory, connect):
    other_type = connect(factory.requester()).create_hit_type(**hit_type_params())["HITTypeId"]
    client = connect(factory.requester())
    unknown_type = "3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

    unknown = fails(client.create_hit_with_hit_type, HITTypeId=unknown_type,
                    LifetimeInSeconds=600, Question=QUESTION_FORM)
    foreign = fails(client.create_hit_with_hit_type, HITTypeId=other_type, LifetimeInSeconds=600,
                    Question=QUESTION_FORM)

    assert masked(foreign, other_type) == masked(unknown, unknown_type) == (
        400, "RequestError", "AWS.MechanicalTurk.HITTypeDoesNotExist", "HITType <id> does not exist")
    assert client.list_hits()["NumResults"] == 0


def test_get_hit_of_another_requester_fails_as_an_unknown_hit_does(factory, connect):
    hit_id = connect(factory.requester()).create_hit(**hit_params())["HIT"]["HITId"]
    outsider = connect(factory.requester())
    unknown_hit = "3" * 30

    foreign = fails(outsider.get_hit, HITId=hit_id)
    unknown = fails(outsider.get_hit, HITId=unknown_hit)

    assert masked(foreign, hit_id) == masked(unknown, unknown_hit) == (
        400, "RequestError", "AWS.MechanicalTurk.HITDoesNotExist", "Hit <id> does not exist.")


def test_list_hits_pages_over_more_than_100_hits_without_repeating_a_token(factory, connect):
    requester = factory.requester(deposit="500.00")
    created = [factory.hit(requester.actor, max_assignments=1).public_id for _ in range(130)]
    client = connect(requester, "production")

    seen = [hit["HITId"] for page in client.get_paginator("list_hits").paginate() for hit in page["HITs"]]
    first = client.list_hits(MaxResults=100)
    second = client.list_hits(NextToken=first["NextToken"])
    last = client.list_hits(NextToken=second["NextToken"])

    assert seen == created
    assert (first["NumResults"], second["NumResults"], last["NumResults"]) == (100, 30, 0)
    assert "NextToken" in second and "NextToken" not in last  # Mephisto reads NextToken of every page
    assert client.list_hits(MaxResults=100)["NextToken"] != first["NextToken"]


def test_list_reviewable_hits_filters_on_status_and_type(factory, connect):
    client = connect(factory.requester())
    expired = client.create_hit(**hit_params())["HIT"]
    client.create_hit(**hit_params(Title="still open"))
    client.update_expiration_for_hit(HITId=expired["HITId"], ExpireAt=datetime(2015, 1, 1))

    reviewable = client.list_reviewable_hits(HITTypeId=expired["HITTypeId"])
    client.update_hit_review_status(HITId=expired["HITId"])
    reviewing = client.list_reviewable_hits(Status="Reviewing")

    assert [h["HITId"] for h in reviewable["HITs"]] == [expired["HITId"]]
    assert [h["HITId"] for h in reviewing["HITs"]] == [expired["HITId"]]
    assert client.list_reviewable_hits()["HITs"] == []


def test_list_hits_for_qualification_type_lists_hits_requiring_it(factory, connect):
    client = connect(factory.requester())
    qtype = client.create_qualification_type(Name="Trusted", Description="d",
                                             QualificationTypeStatus="Active")["QualificationType"]
    requirement = {"QualificationTypeId": qtype["QualificationTypeId"], "Comparator": "Exists"}
    wanted = client.create_hit(**hit_params(QualificationRequirements=[requirement]))["HIT"]["HITId"]
    client.create_hit(**hit_params())

    listed = client.list_hits_for_qualification_type(QualificationTypeId=qtype["QualificationTypeId"])

    assert [h["HITId"] for h in listed["HITs"]] == [wanted]
    assert "QualificationTypeId:" in fails(client.list_hits_for_qualification_type,
                                           QualificationTypeId="lower").message


def test_update_expiration_in_the_past_expires_and_in_the_future_extends(factory, connect, clock):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]

    client.update_expiration_for_hit(HITId=hit_id, ExpireAt=0)  # Dallinger's way to expire
    expired = client.get_hit(HITId=hit_id)["HIT"]
    later = clock.now + timedelta(days=2)
    client.update_expiration_for_hit(HITId=hit_id, ExpireAt=later)
    extended = client.get_hit(HITId=hit_id)["HIT"]

    assert (expired["HITStatus"], expired["NumberOfAssignmentsAvailable"]) == ("Reviewable", 3)
    assert client.get_account_balance()["OnHoldBalance"] == "1.80"
    assert (extended["HITStatus"], extended["Expiration"]) == ("Assignable", later)


def test_update_expiration_extending_a_deleted_hit_is_refused(factory, connect):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]
    client.update_expiration_for_hit(HITId=hit_id, ExpireAt=datetime(2015, 1, 1, tzinfo=UTC))
    client.delete_hit(HITId=hit_id)

    failed = fails(client.update_expiration_for_hit, HITId=hit_id, ExpireAt=datetime(2030, 1, 1))

    assert failed.turk_code == "AWS.MechanicalTurk.InvalidHITState"


def test_expiring_a_deleted_hit_succeeds_so_dallingers_disable_reaches_its_already_deleted_branch(
        factory, connect):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]
    client.update_expiration_for_hit(HITId=hit_id, ExpireAt=0)
    client.delete_hit(HITId=hit_id)

    expired_again = client.update_expiration_for_hit(HITId=hit_id, ExpireAt=0)  # Dallinger's expire_hit
    deleted_again = fails(client.delete_hit, HITId=hit_id)

    assert expired_again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Disposed"
    assert "currently in the state 'Disposed'" in deleted_again.message


def test_update_hit_review_status_moves_between_reviewable_and_reviewing(factory, connect):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]

    assignable = fails(client.update_hit_review_status, HITId=hit_id)
    client.update_expiration_for_hit(HITId=hit_id, ExpireAt=0)
    client.update_hit_review_status(HITId=hit_id, Revert=False)
    reviewing = client.get_hit(HITId=hit_id)["HIT"]["HITStatus"]
    client.update_hit_review_status(HITId=hit_id, Revert=True)

    assert "currently in the state 'Assignable'" in assignable.message
    assert reviewing == "Reviewing"
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"


def test_update_hit_type_of_hit_replaces_title_and_reward(factory, connect):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]
    new_type = client.create_hit_type(**hit_type_params(Title="Better title", Reward="1.00"))["HITTypeId"]

    client.update_hit_type_of_hit(HITId=hit_id, HITTypeId=new_type)
    hit = client.get_hit(HITId=hit_id)["HIT"]

    assert (hit["HITTypeId"], hit["Title"], hit["Reward"]) == (new_type, "Better title", "1.00")
    assert client.get_account_balance()["OnHoldBalance"] == "3.60"
    unknown_type = fails(client.update_hit_type_of_hit, HITId=hit_id,
                         HITTypeId="3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert unknown_type.turk_code == "AWS.MechanicalTurk.HITTypeDoesNotExist"


def test_delete_hit_only_when_reviewable_and_reports_disposed_after(factory, connect):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]

    assignable = fails(client.delete_hit, HITId=hit_id)
    client.update_expiration_for_hit(HITId=hit_id, ExpireAt=0)
    client.delete_hit(HITId=hit_id)
    disposed = client.get_hit(HITId=hit_id)["HIT"]
    again = fails(client.delete_hit, HITId=hit_id)

    assert assignable.message.startswith("This HIT is currently in the state 'Assignable'.  This operation "
                                         "can be called with a status of: Reviewing, Reviewable (")
    assert disposed["HITStatus"] == "Disposed"
    assert "currently in the state 'Disposed'" in again.message  # what Dallinger greps for
    assert client.list_hits()["HITs"] == []
    assert client.get_account_balance()["OnHoldBalance"] == "0.00"


def test_create_additional_assignments_adds_slots_once_per_token(factory, connect):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params(MaxAssignments=2))["HIT"]["HITId"]

    client.create_additional_assignments_for_hit(HITId=hit_id, NumberOfAdditionalAssignments=3,
                                                 UniqueRequestToken="more")
    retried = fails(client.create_additional_assignments_for_hit, HITId=hit_id,
                    NumberOfAdditionalAssignments=3, UniqueRequestToken="more")
    hit = client.get_hit(HITId=hit_id)["HIT"]

    assert (hit["MaxAssignments"], hit["NumberOfAssignmentsAvailable"]) == (5, 5)
    assert "more" in retried.message
    assert client.get_account_balance()["OnHoldBalance"] == "3.00"


def test_create_additional_assignments_refuses_crossing_ten(factory, connect):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params(MaxAssignments=9))["HIT"]["HITId"]

    failed = fails(client.create_additional_assignments_for_hit, HITId=hit_id,
                   NumberOfAdditionalAssignments=1)

    assert failed.turk_code == "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease"
    assert client.get_hit(HITId=hit_id)["HIT"]["MaxAssignments"] == 9


def test_get_hit_counts_pending_work(factory, connect, runtime):
    requester = factory.requester()
    client = connect(requester)
    hit_id = client.create_hit(**hit_params(MaxAssignments=1))["HIT"]["HITId"]
    worker = factory.worker(marketplace=Marketplace.SANDBOX)

    assignments.accept(runtime, worker.actor, hit_id)
    hit = client.get_hit(HITId=hit_id)["HIT"]

    assert (hit["HITStatus"], hit["NumberOfAssignmentsPending"], hit["NumberOfAssignmentsAvailable"]) == \
        ("Unassignable", 1, 0)
