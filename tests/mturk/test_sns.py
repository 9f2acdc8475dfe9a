"""The SNS-compatible endpoint (/mturk/sns) through boto3's own ``sns`` client: topics, subscriptions and
their confirmation, a topic as an MTurk HIT type's notification destination, tenancy, and the SNS-shaped
XML errors boto3 parses for bad signatures, unknown actions and malformed input."""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from labelhub.models import Marketplace
from labelhub.services import assignments, notifications
from tests.mturk.conftest import hit_params, hit_type_params
from tests.mturk.test_notifications import Receiver, spec

SNS = "{http://sns.amazonaws.com/doc/2010-03-31/}"


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def error_of(exc: ClientError) -> tuple[int, str, str]:
    return (exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"]["Code"],
            exc.response["Error"]["Message"])


def refused(call, **kwargs) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return error_of(caught.value)


def subscribed(sns, topic_arn: str, receiver: Receiver) -> str:
    """Subscribe ``receiver`` and confirm with the token it was sent, as Dallinger's listener does."""
    arn = sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=receiver.url,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    confirmation = receiver.requests[-1].envelope()
    sns.confirm_subscription(Token=confirmation["Token"], TopicArn=confirmation["TopicArn"])
    return arn


def test_create_topic_is_idempotent_per_name_and_lists_only_the_requesters_topics(factory, connect_sns):
    owner, other = factory.requester(), factory.requester()
    sns = connect_sns(owner)

    first = sns.create_topic(Name="exp-7f3a")["TopicArn"]
    again = sns.create_topic(Name="exp-7f3a")["TopicArn"]
    second = sns.create_topic(Name="exp_2")["TopicArn"]
    connect_sns(other).create_topic(Name="exp-7f3a")

    assert first == again == f"arn:aws:sns:us-east-1:{owner.actor.public_id}:exp-7f3a"
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [first, second]


def test_subscribe_sends_a_subscription_confirmation_and_the_token_confirms_it(factory, connect_sns, runtime,
                                                                              receiver):
    requester = factory.requester()
    sns = connect_sns(requester)
    topic_arn = sns.create_topic(Name="exp-1")["TopicArn"]

    pending = sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=receiver.url)["SubscriptionArn"]
    arn = sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=receiver.url,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    before = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    sent = receiver.requests[-1]
    confirmed = sns.confirm_subscription(Token=sent.envelope()["Token"], TopicArn=topic_arn)["SubscriptionArn"]
    after = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    listed = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]

    assert pending == "pending confirmation" and arn.startswith(topic_arn + ":") and confirmed == arn
    envelope = sent.envelope()
    assert (envelope["Type"], envelope["TopicArn"], sent.headers["x-amz-sns-message-type"]) == \
        ("SubscriptionConfirmation", topic_arn, "SubscriptionConfirmation")
    assert "Action=ConfirmSubscription" in envelope["SubscribeURL"]
    assert sent.signed_with(notifications.webhook_secret(runtime, requester.actor))
    assert (before["PendingConfirmation"], after["PendingConfirmation"]) == ("true", "false")
    assert (after["TopicArn"], after["Endpoint"], after["Protocol"]) == (topic_arn, receiver.url, "http")
    assert listed == [{"SubscriptionArn": arn, "Owner": requester.actor.public_id, "Protocol": "http",
                       "Endpoint": receiver.url, "TopicArn": topic_arn}]


def test_a_get_of_the_subscribe_url_confirms_without_a_signature(factory, connect_sns, receiver):
    sns = connect_sns(factory.requester())
    topic_arn = sns.create_topic(Name="t" * 256)["TopicArn"]  # the longest name
    arn = sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=receiver.url,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]

    with urllib.request.urlopen(receiver.requests[-1].envelope()["SubscribeURL"], timeout=10) as answer:
        document = ET.fromstring(answer.read())

    assert document.findtext(f"{SNS}ConfirmSubscriptionResult/{SNS}SubscriptionArn") == arn
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"


def test_a_topic_destination_delivers_each_event_to_its_confirmed_subscribers(factory, connect, connect_sns,
                                                                               runtime, receiver):
    requester = factory.requester()
    client, sns = connect(requester), connect_sns(requester)
    topic_arn = sns.create_topic(Name="exp-1")["TopicArn"]
    subscription_arn = subscribed(sns, topic_arn, receiver)
    with Receiver() as unconfirmed:
        sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=unconfirmed.url)
        hit_type_id = client.create_hit_type(**hit_type_params())["HITTypeId"]
        client.update_notification_settings(HITTypeId=hit_type_id, Notification=spec(topic_arn), Active=True)
        hit_id = client.create_hit_with_hit_type(HITTypeId=hit_type_id, LifetimeInSeconds=3600,
                                                 Question=hit_params()["Question"])["HIT"]["HITId"]
        taken = assignments.accept(runtime, factory.worker(marketplace=Marketplace.SANDBOX).actor, hit_id)
        client.send_test_event_notification(Notification=spec(topic_arn), TestEventType="Ping")

    notified = [r for r in receiver.requests if r.envelope()["Type"] == "Notification"]
    assert [r.envelope()["Type"] for r in unconfirmed.requests] == ["SubscriptionConfirmation"]
    assert [r.message()["Events"][0]["EventType"] for r in notified] == ["AssignmentAccepted", "Ping"]
    accepted = notified[0]
    assert accepted.envelope()["TopicArn"] == topic_arn
    assert accepted.message()["Events"][0]["AssignmentId"] == taken.public_id
    assert (accepted.headers["x-amz-sns-topic-arn"], accepted.headers["x-amz-sns-subscription-arn"]) == \
        (topic_arn, subscription_arn)
    assert accepted.signed_with(notifications.webhook_secret(runtime, requester.actor))


def test_deleting_a_topic_stops_its_deliveries_and_a_missing_topic_deletes_quietly(factory, connect,
                                                                                  connect_sns, runtime, receiver):
    requester = factory.requester()
    client, sns = connect(requester), connect_sns(requester)
    topic_arn = sns.create_topic(Name="exp-1")["TopicArn"]
    subscribed(sns, topic_arn, receiver)
    hit_type_id = client.create_hit_type(**hit_type_params())["HITTypeId"]
    client.update_notification_settings(HITTypeId=hit_type_id, Notification=spec(topic_arn))
    hit_id = client.create_hit_with_hit_type(HITTypeId=hit_type_id, LifetimeInSeconds=3600, MaxAssignments=2,
                                             Question=hit_params()["Question"])["HIT"]["HITId"]
    first, second = (factory.worker(marketplace=Marketplace.SANDBOX) for _ in range(2))

    assignments.accept(runtime, first.actor, hit_id)
    sns.delete_topic(TopicArn=topic_arn)
    sns.delete_topic(TopicArn=topic_arn)
    assignments.accept(runtime, second.actor, hit_id)

    assert [r.envelope()["Type"] for r in receiver.requests] == ["SubscriptionConfirmation", "Notification"]
    assert sns.list_topics()["Topics"] == []


def test_unsubscribe_removes_the_subscriber(factory, connect_sns, receiver):
    sns = connect_sns(factory.requester())
    topic_arn = sns.create_topic(Name="exp-1")["TopicArn"]
    arn = subscribed(sns, topic_arn, receiver)

    sns.unsubscribe(SubscriptionArn=arn)

    assert sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"] == []
    assert refused(sns.get_subscription_attributes, SubscriptionArn=arn)[:2] == (404, "NotFound")


def test_another_requesters_topic_and_subscription_are_refused(factory, connect, connect_sns, receiver):
    owner, intruder = factory.requester(), factory.requester()
    owned = connect_sns(owner)
    topic_arn = owned.create_topic(Name="exp-1")["TopicArn"]
    subscription_arn = subscribed(owned, topic_arn, receiver)
    sns, client = connect_sns(intruder), connect(intruder)
    hit_type_id = client.create_hit_type(**hit_type_params())["HITTypeId"]

    calls = [(sns.subscribe, {"TopicArn": topic_arn, "Protocol": "http", "Endpoint": receiver.url}),
             (sns.delete_topic, {"TopicArn": topic_arn}),
             (sns.list_subscriptions_by_topic, {"TopicArn": topic_arn}),
             (sns.confirm_subscription, {"TopicArn": topic_arn,
                                         "Token": receiver.requests[0].envelope()["Token"]}),
             (sns.get_subscription_attributes, {"SubscriptionArn": subscription_arn}),
             (sns.unsubscribe, {"SubscriptionArn": subscription_arn})]
    answers = [refused(call, **kwargs) for call, kwargs in calls]
    as_destination = refused(client.update_notification_settings, HITTypeId=hit_type_id,
                             Notification=spec(topic_arn))

    assert {answer[:2] for answer in answers} == {(403, "AuthorizationError")}
    assert "is not authorized to perform: SNS:Subscribe" in answers[0][2]
    assert sns.list_topics()["Topics"] == []
    assert owned.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"][0]["SubscriptionArn"] == \
        subscription_arn
    assert as_destination[1] == "RequestError" and f"{topic_arn} is not one of your SNS topics" in as_destination[2]


def test_an_unknown_topic_is_not_found_and_an_unknown_topic_destination_is_refused(factory, connect,
                                                                                   connect_sns):
    requester = factory.requester()
    sns, client = connect_sns(requester), connect(requester)
    missing = f"arn:aws:sns:us-east-1:{requester.actor.public_id}:never-made"
    hit_type_id = client.create_hit_type(**hit_type_params())["HITTypeId"]

    assert refused(sns.subscribe, TopicArn=missing, Protocol="http", Endpoint="http://127.0.0.1:9/x")[:2] == \
        (404, "NotFound")
    failed = refused(client.update_notification_settings, HITTypeId=hit_type_id, Notification=spec(missing))
    assert failed[1] == "RequestError" and "Notification.Destination" in failed[2] and "does not exist" in failed[2]


@pytest.mark.parametrize(("operation", "kwargs", "parameter"), [
    ("delete_topic", {"TopicArn": "not-an-arn"}, "TopicArn"),
    ("subscribe", {"TopicArn": "arn:aws:sqs:us-east-1:123456789012:queue", "Protocol": "http",
                   "Endpoint": "http://127.0.0.1:9/x"}, "TopicArn"),
    ("get_subscription_attributes", {"SubscriptionArn": "arn:aws:sns:us-east-1:A1:t:not-a-uuid"},
     "SubscriptionArn"),
    ("create_topic", {"Name": "has spaces"}, "Name"),
    ("create_topic", {"Name": "x" * 257}, "Name"),
    ("create_topic", {"Name": "exp-1", "Attributes": {"DisplayName": "x"}}, "Attributes"),
])
def test_malformed_input_is_an_invalid_parameter_naming_it(factory, connect_sns, operation, kwargs, parameter):
    sns = connect_sns(factory.requester())

    status, code, message = refused(getattr(sns, operation), **kwargs)

    assert (status, code) == (400, "InvalidParameter") and message.startswith(f"Invalid parameter: {parameter}")


def test_a_topic_takes_its_region_from_the_signature_and_refuses_one_that_is_no_region(factory, connect_sns):
    requester = factory.requester()

    in_frankfurt = connect_sns(requester, region="eu-central-1").create_topic(Name="exp-1")["TopicArn"]
    status, code, message = refused(connect_sns(requester, region="us-" + "x" * 40 + "-1").create_topic,
                                    Name="exp-1")

    assert in_frankfurt == f"arn:aws:sns:eu-central-1:{requester.actor.public_id}:exp-1"
    assert (status, code) == (400, "InvalidParameter") and "region" in message


@pytest.mark.parametrize(("protocol", "endpoint", "parameter"), [
    ("email", "someone@example.org", "Protocol"), ("sqs", "arn:aws:sqs:us-east-1:1:q", "Protocol"),
    ("https", "http://127.0.0.1:9/x", "Endpoint"), ("http", "http://user:pw@127.0.0.1:9/x", "Endpoint"),
])
def test_subscribe_accepts_http_and_https_endpoints_only(factory, connect_sns, protocol, endpoint, parameter):
    sns = connect_sns(factory.requester())
    topic_arn = sns.create_topic(Name="exp-1")["TopicArn"]

    status, code, message = refused(sns.subscribe, TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint)

    assert (status, code) == (400, "InvalidParameter") and message.startswith(f"Invalid parameter: {parameter}")


def test_a_wrong_token_does_not_confirm(factory, connect_sns, receiver):
    sns = connect_sns(factory.requester())
    topic_arn = sns.create_topic(Name="exp-1")["TopicArn"]
    arn = sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=receiver.url,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]

    failed = refused(sns.confirm_subscription, TopicArn=topic_arn, Token="0" * 64)

    assert failed[:2] == (400, "InvalidParameter") and "Token" in failed[2]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"


def test_a_wrong_secret_or_unknown_key_is_refused_in_sns_shape(factory, connect_sns):
    requester = factory.requester()

    wrong_secret = refused(connect_sns(requester, secret="not-the-secret").list_topics)
    unknown_key = refused(connect_sns(requester, access_key_id="AKIA" + "X" * 16).list_topics)

    assert wrong_secret[:2] == (403, "SignatureDoesNotMatch")
    assert unknown_key[:2] == (403, "InvalidClientTokenId")


def raw_sns(live_server: str, requester, body: bytes, *, service: str = "sns", sign: bool = True,
            content_type: str = "application/x-www-form-urlencoded; charset=utf-8") -> tuple[int, ET.Element]:
    url = f"{live_server}/mturk/sns"
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": content_type})
    if sign:
        creds = Credentials(requester.credentials.access_key_id, requester.credentials.secret_access_key)
        SigV4Auth(creds, service, "us-east-1").add_auth(request)
    http_request = urllib.request.Request(url, data=body, headers=dict(request.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(http_request, timeout=30) as response:
            return response.status, ET.fromstring(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, ET.fromstring(exc.read())


def error_code(document: ET.Element) -> str | None:
    return document.findtext(f"{SNS}Error/{SNS}Code")


@pytest.mark.parametrize(("body", "options", "status", "code"), [
    ({"Action": "Publish", "TopicArn": "arn:aws:sns:us-east-1:A1:t", "Message": "hi"}, {}, 400, "InvalidAction"),
    ({"Version": "2010-03-31"}, {}, 400, "InvalidAction"),
    ({"Action": "ListTopics", "Extra": "1"}, {}, 400, "InvalidParameter"),
    ({"Action": "ListTopics"}, {"sign": False}, 403, "MissingAuthenticationToken"),
    ({"Action": "ListTopics"}, {"service": "mturk-requester"}, 403, "SignatureDoesNotMatch"),
    ({"Action": "ListTopics"}, {"content_type": "application/json"}, 400, "MalformedQueryString"),
    (b"Action=ListTopics&Action=ListTopics", {}, 400, "InvalidParameter"),
    (b"Action=CreateTopic&Name=%FF%FE", {}, 400, "MalformedQueryString"),
    (b"Action=CreateTopic&Name=a%00b", {}, 400, "InvalidParameter"),
])
def test_requests_boto3_never_sends_get_sns_shaped_errors(live_server, factory, body, options, status, code):
    data = body if isinstance(body, bytes) else urlencode(body).encode()

    got_status, document = raw_sns(live_server, factory.requester(), data, **options)

    assert (got_status, error_code(document)) == (status, code)
    assert document.tag == f"{SNS}ErrorResponse" and document.findtext(f"{SNS}RequestId")
