"""UpdateNotificationSettings and SendTestEventNotification through boto3, with the webhooks received by
a real HTTP server on a loopback port. ``Receiver`` is also used by the service tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from labelhub.models import Marketplace
from labelhub.services import assignments, notifications
from tests.mturk.conftest import fails, hit_params, hit_type_params, masked


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # lower-case names
    body: bytes

    def envelope(self) -> dict:
        return json.loads(self.body)

    def message(self) -> dict:
        return json.loads(self.envelope()["Message"])

    def signed_with(self, secret: str) -> bool:
        expected = hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers["x-labelhub-signature"], f"sha256={expected}")


class Receiver:
    """A webhook endpoint on 127.0.0.1: records every POST and answers with the next status of
    ``statuses`` (200 once they run out)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/mturk-sns-listener"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody-listens"


def spec(url: str, **overrides: object) -> dict:
    return {"Destination": url, "Transport": "SNS", "Version": "2014-08-15",
            "EventTypes": ["AssignmentAccepted", "AssignmentSubmitted"]} | overrides


def test_update_notification_settings_delivers_signed_events_in_mturks_shape(factory, connect, runtime,
                                                                             receiver):
    requester = factory.requester()
    client = connect(requester)
    hit_type_id = client.create_hit_type(**hit_type_params())["HITTypeId"]
    client.update_notification_settings(HITTypeId=hit_type_id, Notification=spec(receiver.url))
    hit_id = client.create_hit_with_hit_type(HITTypeId=hit_type_id, LifetimeInSeconds=3600,
                                             Question=hit_params()["Question"])["HIT"]["HITId"]
    worker = factory.worker(marketplace=Marketplace.SANDBOX)

    taken = assignments.accept(runtime, worker.actor, hit_id)

    assert len(receiver.requests) == 1  # HITCreated was not asked for
    sent = receiver.requests[0]
    assert sent.signed_with(notifications.webhook_secret(runtime, requester.sandbox()))
    envelope, message = sent.envelope(), sent.message()
    assert (envelope["Type"], envelope["TopicArn"], envelope["MessageId"]) == \
        ("Notification", receiver.url, message["EventDocId"])
    assert message["Events"] == [{"EventType": "AssignmentAccepted", "EventTimestamp": message["Events"][0][
        "EventTimestamp"], "HITTypeId": hit_type_id, "HITId": hit_id, "AssignmentId": taken.public_id}]
    assert (message["EventDocVersion"], message["CustomerId"]) == ("2014-08-15", requester.actor.public_id)
    assert sent.headers["x-amz-sns-message-type"] == "Notification"


def test_update_notification_settings_active_alone_switches_delivery_off_and_on(factory, connect, runtime,
                                                                               receiver):
    client = connect(factory.requester())
    hit_type_id = client.create_hit_type(**hit_type_params())["HITTypeId"]
    client.update_notification_settings(HITTypeId=hit_type_id, Notification=spec(receiver.url),
                                        Active=False)
    hit_id = client.create_hit_with_hit_type(HITTypeId=hit_type_id, LifetimeInSeconds=3600, MaxAssignments=2,
                                             Question=hit_params()["Question"])["HIT"]["HITId"]
    first, second = (factory.worker(marketplace=Marketplace.SANDBOX) for _ in range(2))

    assignments.accept(runtime, first.actor, hit_id)
    client.update_notification_settings(HITTypeId=hit_type_id, Active=True)
    announced = assignments.accept(runtime, second.actor, hit_id)

    assert [r.message()["Events"][0]["AssignmentId"] for r in receiver.requests] == [announced.public_id]


@pytest.mark.parametrize(("notification", "parameter", "says"), [
    (spec("https://sqs.us-east-1.amazonaws.com/123456789012/q", Transport="SQS"), "Notification.Transport",
     "SQS queues are not supported"),
    (spec("arn:aws:sns:us-east-1:123456789012:topic"), "Notification.Destination",
     "arn:aws:sns:us-east-1:123456789012:topic is not one of your SNS topics"),
    (spec("arn:aws:sqs:us-east-1:123456789012:queue"), "Notification.Destination",
     "is not an SNS topic ARN"),
    (spec("someone@example.org", Transport="Email"), "Notification.Transport",
     "Email notifications are deprecated"),
    (spec("ftp://example.org/hook"), "Notification.Destination", "must be an http:// or https:// URL"),
    (spec("https://user:pw@example.org/hook"), "Notification.Destination", "without a user name or password"),
    (spec("https://example.org/hook", EventTypes=["Ping"]), "Notification.EventTypes",
     "Ping can only be sent with SendTestEventNotification"),
    (spec("https://example.org/hook", EventTypes=[]), "Notification.EventTypes",
     "name at least one event type"),
])
def test_update_notification_settings_refuses_what_labelhub_cannot_deliver(factory, connect, notification,
                                                                          parameter, says):
    client = connect(factory.requester())
    hit_type_id = client.create_hit_type(**hit_type_params())["HITTypeId"]

    failed = fails(client.update_notification_settings, HITTypeId=hit_type_id, Notification=notification)

    assert (failed.status, failed.code, failed.turk_code) == (400, "RequestError", "AWS.ParameterOutOfRange")
    assert f"{parameter}: " in failed.message and says in failed.message


def test_update_notification_settings_error_paths(factory, connect, raw_post):
    owner, other = factory.requester(), factory.requester()
    client = connect(owner)
    hit_type_id = client.create_hit_type(**hit_type_params())["HITTypeId"]
    foreign_type = connect(other).create_hit_type(**hit_type_params())["HITTypeId"]

    nothing = raw_post(owner, "UpdateNotificationSettings", {"HITTypeId": hit_type_id})
    no_spec_yet = fails(client.update_notification_settings, HITTypeId=hit_type_id, Active=True)
    unknown = fails(client.update_notification_settings, HITTypeId="3" * 30, Active=True)
    foreign = fails(client.update_notification_settings, HITTypeId=foreign_type,
                    Notification=spec("https://example.org/hook"))
    bad_event = raw_post(owner, "UpdateNotificationSettings", {
        "HITTypeId": hit_type_id, "Notification": spec("https://example.org/hook", EventTypes=["HITEaten"])})

    assert "Notification: give a notification specification, active, or both" in nothing.body["Message"]
    assert "Notification: is required" in no_spec_yet.message
    assert unknown.turk_code == "AWS.MechanicalTurk.HITTypeDoesNotExist"
    assert masked(foreign, foreign_type) == masked(unknown, "3" * 30)
    assert "Notification.EventTypes[0]: 'HITEaten' is not one of" in bad_event.body["Message"]


def test_send_test_event_notification_delivers_at_once(factory, connect, runtime, receiver):
    requester = factory.requester()
    client = connect(requester)

    client.send_test_event_notification(Notification=spec(receiver.url, EventTypes=["HITCreated"]),
                                        TestEventType="Ping")
    client.send_test_event_notification(Notification=spec(receiver.url), TestEventType="AssignmentSubmitted")

    ping, submitted = (r.message() for r in receiver.requests)
    secret = notifications.webhook_secret(runtime, requester.sandbox())
    assert all(r.signed_with(secret) for r in receiver.requests)
    assert set(ping["Events"][0]) == {"EventType", "EventTimestamp"}
    assert ping["Events"][0]["EventType"] == "Ping"
    assert submitted["Events"][0]["EventType"] == "AssignmentSubmitted"
    assert {"HITTypeId", "HITId", "AssignmentId"} <= set(submitted["Events"][0])


def test_send_test_event_notification_reports_a_destination_that_fails(factory, connect, receiver):
    client = connect(factory.requester())
    receiver.statuses = [500]

    refused = fails(client.send_test_event_notification, Notification=spec(receiver.url),
                    TestEventType="Ping")
    unreachable = fails(client.send_test_event_notification, Notification=spec(closed_port_url()),
                        TestEventType="Ping")
    bad_type = fails(client.send_test_event_notification, Notification=spec(receiver.url),
                     TestEventType="HITEaten")
    sqs = fails(client.send_test_event_notification, TestEventType="Ping",
                Notification=spec("https://sqs.us-east-1.amazonaws.com/1/q", Transport="SQS"))

    assert refused.code == "RequestError"
    assert f"Notification.Destination: {receiver.url} did not accept the test event: HTTP 500" \
        in refused.message
    assert "did not accept the test event: could not connect" in unreachable.message
    assert "TestEventType: 'HITEaten' is not one of" in bad_type.message
    assert "SQS queues are not supported" in sqs.message
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("template", ["http://%31%32%37.0.0.1:{port}/hook", "http://127.0.0.%31:{port}/hook",
                                      "http://%6c%6f%63%61%6c%68%6f%73%74:{port}/hook"])
def test_percent_encoded_loopback_destination_is_refused_and_sent_nothing(factory, connect, receiver, template):
    client = connect(factory.requester())
    hit_type_id = client.create_hit_type(**hit_type_params())["HITTypeId"]
    encoded = spec(template.format(port=receiver.server.server_port))

    tested = fails(client.send_test_event_notification, Notification=encoded, TestEventType="Ping")
    updated = fails(client.update_notification_settings, HITTypeId=hit_type_id, Notification=encoded)

    for failed in (tested, updated):
        assert (failed.status, failed.turk_code) == (400, "AWS.ParameterOutOfRange")
        assert "Notification.Destination: " in failed.message and "percent-encoding" in failed.message
    assert receiver.requests == []
