"""Notification settings and the webhook outbox through the services: deliveries written with the state
change, sent after commit, retried with back-off, failed for good after the last attempt; jobs run
inline and through a real rq worker on Redis."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import select, update

from labelhub import jobs
from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.models import HIT, DeliveryStatus, Job, NotificationDelivery, NotificationSetting
from labelhub.queueing import RqBackend
from labelhub.runtime import Runtime
from labelhub.services import assignments, hits, notifications, outbox, sns_topics
from labelhub.services.common import record_event
from labelhub.services.notifications import MAX_ATTEMPTS, RETRY_DELAYS, NotificationSpec
from labelhub.settings import NotificationsSettings
from tests.mturk.test_notifications import Receiver


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def spec(url: str, *events: str) -> NotificationSpec:
    return NotificationSpec(destination=url, transport="SNS", version="2006-05-05",
                            event_types=events or ("AssignmentAccepted",))


def deliveries(rt: Runtime) -> list[NotificationDelivery]:
    with rt.sessions() as db:
        return list(db.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)))


@pytest.fixture
def watched(factory, runtime, receiver):
    """A requester, one of their HITs (two slots) whose type notifies ``receiver``, and a worker."""
    requester = factory.requester()
    hit = factory.hit(requester.actor, max_assignments=2)
    notifications.update_settings(runtime, requester.actor, hit.hit_type.public_id,
                                  spec=spec(receiver.url, "AssignmentAccepted", "AssignmentSubmitted",
                                            "HITReviewable", "HITExpired"))
    return requester, hit, factory.worker()


def test_update_settings_replaces_the_specification_and_keeps_one_per_hit_type(factory, runtime):
    requester = factory.requester()
    hit_type = hits.create_hit_type(runtime, requester.actor, factory.hit_type_spec())

    notifications.update_settings(runtime, requester.actor, hit_type.public_id,
                                  spec=spec("https://a.example/hook", "HITCreated"))
    stored = notifications.update_settings(runtime, requester.actor, hit_type.public_id,
                                           spec=spec("https://b.example/hook", "HITExpired", "HITExpired"))
    paused = notifications.update_settings(runtime, requester.actor, hit_type.public_id, active=False)

    assert (stored.destination, stored.event_types, stored.active) == \
        ("https://b.example/hook", ["HITExpired"], True)
    assert (paused.id, paused.destination, paused.active) == (stored.id, "https://b.example/hook", False)


@pytest.mark.parametrize(("changes", "field"), [
    ({"transport": "SQS"}, "transport"), ({"transport": "Email"}, "transport"),
    ({"transport": "SMS"}, "transport"), ({"destination": "arn:aws:sqs:us-east-1:1:q"}, "destination"),
    ({"destination": "file:///etc/passwd"}, "destination"), ({"destination": "https://a b/"}, "destination"),
    ({"destination": "https://example.org/" + "x" * 1024}, "destination"), ({"version": ""}, "version"),
    ({"event_types": ()}, "event_types"), ({"event_types": ("Ping",)}, "event_types"),
    ({"event_types": ("HITEaten",)}, "event_types"),
])
def test_notification_spec_refuses_bad_input_naming_the_field(changes, field):
    values = {"destination": "https://example.org/hook", "transport": "SNS", "version": "2014-08-15",
              "event_types": ("HITCreated",)} | changes
    with pytest.raises(InvalidInputError) as caught:
        NotificationSpec(**values)
    assert list(caught.value.fields) == [field]


def test_update_settings_of_another_requesters_hit_type_is_not_found_and_writes_nothing(factory, runtime):
    owner, intruder = factory.requester(), factory.requester()
    hit_type = hits.create_hit_type(runtime, owner.actor, factory.hit_type_spec())

    with pytest.raises(NotFoundError, match=f"^HITType {hit_type.public_id} does not exist$"):
        notifications.update_settings(runtime, intruder.actor, hit_type.public_id,
                                      spec=spec("https://x.example/"))
    with pytest.raises(InvalidInputError) as caught:
        notifications.update_settings(runtime, owner.actor, hit_type.public_id, active=True)

    assert list(caught.value.fields) == ["notification"]
    assert notifications.list_deliveries(runtime, owner.actor, hit_type.public_id).items == []


def test_event_is_sent_after_commit_signed_and_recorded_delivered(watched, runtime, receiver):
    requester, hit, worker = watched

    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    [delivery] = deliveries(runtime)
    [sent] = receiver.requests
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.DELIVERED, 1, None)
    assert sent.signed_with(notifications.webhook_secret(runtime, requester.actor))
    assert not sent.signed_with("another secret")
    assert sent.message()["EventDocId"] == delivery.event_doc_id
    assert sent.message()["Events"] == [{
        "EventType": "AssignmentAccepted", "EventTimestamp": runtime.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "HITTypeId": hit.hit_type.public_id, "HITId": hit.public_id, "AssignmentId": taken.public_id}]
    assert sent.headers["x-labelhub-delivery-attempt"] == "1"


def test_hit_events_carry_no_assignment_id_and_unasked_events_are_not_sent(watched, runtime, receiver):
    requester, hit, worker = watched
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.return_assignment(runtime, worker.actor, taken.public_id)  # AssignmentReturned: not asked for

    hits.update_expiration(runtime, requester.actor, hit.public_id, runtime.clock())

    events = [r.message()["Events"][0] for r in receiver.requests]
    assert [e["EventType"] for e in events] == ["AssignmentAccepted", "HITReviewable", "HITExpired"]
    assert ["AssignmentId" in e for e in events] == [True, False, False]


def test_failed_delivery_is_retried_with_backoff_until_the_receiver_accepts(watched, runtime, receiver,
                                                                            clock):
    _, hit, worker = watched
    receiver.statuses = [500, 503]
    assignments.accept(runtime, worker.actor, hit.public_id)
    [first] = deliveries(runtime)

    early = notifications.deliver_due(runtime)  # not due again before the first back-off has passed
    clock.advance(seconds=RETRY_DELAYS[0].total_seconds())
    second = notifications.deliver_due(runtime)
    [after_second] = deliveries(runtime)
    clock.advance(seconds=RETRY_DELAYS[1].total_seconds())
    third = notifications.deliver_due(runtime)

    assert (first.status, first.attempts, first.last_error) == \
        (DeliveryStatus.PENDING, 1, "HTTP 500 Internal Server Error")
    assert first.next_attempt_at == first.last_attempt_at + RETRY_DELAYS[0]
    assert (early, second, third) == (0, 0, 1)
    assert (after_second.attempts, after_second.last_error) == (2, "HTTP 503 Service Unavailable")
    [delivered] = deliveries(runtime)
    assert (delivered.status, delivered.attempts, delivered.last_error) == (DeliveryStatus.DELIVERED, 3, None)
    assert [r.headers["x-labelhub-delivery-attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert len({r.body for r in receiver.requests}) == 1  # the same document (and EventDocId) every time


def test_topic_subscribers_get_their_confirmation_and_events_through_the_outbox_each_retried_alone(
        factory, runtime, receiver, clock):
    requester = factory.requester()
    hit = factory.hit(requester.actor, max_assignments=2)
    topic = sns_topics.create_topic(runtime, requester.actor, "exp-1", region="us-east-1")
    with Receiver() as failing:
        failing.statuses = [500]
        for endpoint in (receiver.url, failing.url):
            sns_topics.subscribe(runtime, requester.actor, topic.arn, protocol="http", endpoint=endpoint,
                                 subscribe_url="http://labelhub.example/mturk/sns")
        confirmations = [r.requests[0].envelope() for r in (receiver, failing)]
        clock.advance(seconds=RETRY_DELAYS[0].total_seconds())
        retried = notifications.deliver_due(runtime)
        for confirmation in confirmations:
            sns_topics.confirm_subscription(runtime, requester.actor, topic.arn, confirmation["Token"])
        notifications.update_settings(runtime, requester.actor, hit.hit_type.public_id,
                                      spec=spec(topic.arn, "AssignmentAccepted"))
        assignments.accept(runtime, factory.worker().actor, hit.public_id)

    assert retried == 1
    assert [r.envelope()["Type"] for r in receiver.requests] == ["SubscriptionConfirmation", "Notification"]
    assert [r.envelope()["Type"] for r in failing.requests] == ["SubscriptionConfirmation"] * 2 + ["Notification"]
    sent = deliveries(runtime)
    assert [(d.hit_type_id, d.status) for d in sent[:2]] == [(None, DeliveryStatus.DELIVERED)] * 2
    assert [(d.destination, d.event["topic_arn"]) for d in sent[2:]] == \
        [(receiver.url, topic.arn), (failing.url, topic.arn)]


def test_delivery_fails_for_good_after_the_last_attempt_and_keeps_the_error(watched, runtime, receiver,
                                                                            clock):
    _, hit, worker = watched
    receiver.statuses = [500] * (MAX_ATTEMPTS + 1)
    assignments.accept(runtime, worker.actor, hit.public_id)

    for delay in RETRY_DELAYS:
        clock.advance(seconds=delay.total_seconds())
        notifications.deliver_due(runtime)
    last_attempt = clock.now
    clock.advance(days=1)
    leftover = notifications.deliver_due(runtime)

    [failed] = deliveries(runtime)
    assert (failed.status, failed.attempts, failed.finished_at) == \
        (DeliveryStatus.FAILED, MAX_ATTEMPTS, last_attempt)
    assert failed.last_error == "HTTP 500 Internal Server Error"
    assert (leftover, len(receiver.requests)) == (0, MAX_ATTEMPTS)
    assert notifications.deliver(runtime, failed.event_doc_id) is None


def test_unreachable_destination_is_recorded_as_a_connection_error(factory, runtime, clock):
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    with Receiver() as gone:
        url = gone.url
    notifications.update_settings(runtime, requester.actor, hit.hit_type.public_id, spec=spec(url))

    assignments.accept(runtime, factory.worker().actor, hit.public_id)

    [delivery] = deliveries(runtime)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.last_error.startswith("could not connect")


def test_delivering_twice_sends_once(watched, runtime, receiver):
    _, hit, worker = watched
    assignments.accept(runtime, worker.actor, hit.public_id)
    [delivery] = deliveries(runtime)

    again = notifications.deliver(runtime, delivery.event_doc_id)
    swept = notifications.deliver_due(runtime)

    assert (again, swept, len(receiver.requests)) == (None, 0, 1)


def test_rolled_back_change_leaves_no_delivery_and_sends_nothing(watched, runtime, receiver):
    requester, hit, _ = watched

    with pytest.raises(RuntimeError), runtime.sessions.begin() as db:
        record_event(db, requester.actor, "HITReviewable", entity="hit", entity_id=hit.public_id,
                     now=runtime.clock(), hit=db.get_one(HIT, hit.id))
        raise RuntimeError("the use case failed after logging its event")

    assert deliveries(runtime) == []
    assert receiver.requests == []


def test_jobs_wait_for_the_whole_transaction_not_a_savepoint_inside_it(watched, runtime, receiver):
    requester, hit, _ = watched

    with runtime.sessions.begin() as db:
        record_event(db, requester.actor, "HITReviewable", entity="hit", entity_id=hit.public_id,
                     now=runtime.clock(), hit=db.get_one(HIT, hit.id))
        with db.begin_nested():  # releasing a savepoint commits nothing yet
            pass
        sent_before_commit = len(receiver.requests)

    assert (sent_before_commit, len(receiver.requests)) == (0, 1)
    assert [d.status for d in deliveries(runtime)] == [DeliveryStatus.DELIVERED]


def test_lost_enqueue_is_recovered_by_the_sweep(watched, runtime, receiver, settings, engine, clock):
    _, hit, worker = watched
    no_redis = Runtime(settings=settings, engine=engine, clock=clock,
                       backend=RqBackend(Redis.from_url("redis://127.0.0.1:1/0"), queue="nowhere"))

    taken = assignments.accept(no_redis, worker.actor, hit.public_id)  # commits; its event waits in the outbox
    undispatched = deliveries(runtime)
    outbox.dispatch_pending(no_redis)  # the reaction adds the delivery; handing its job to Redis fails
    pending = deliveries(runtime)
    jobs.deliver_notifications()

    assert taken.status.value == "Accepted"
    assert undispatched == []
    assert [(d.status, d.attempts) for d in pending] == [(DeliveryStatus.PENDING, 0)]
    assert [(d.status, d.attempts) for d in deliveries(runtime)] == [(DeliveryStatus.DELIVERED, 1)]
    assert [r.message()["Events"][0]["EventType"] for r in receiver.requests] == ["AssignmentAccepted"]


def test_rotated_webhook_secret_signs_later_deliveries(watched, runtime, receiver):
    requester, hit, worker = watched
    old = notifications.webhook_secret(runtime, requester.actor)

    new = notifications.rotate_webhook_secret(runtime, requester.actor)
    assignments.accept(runtime, worker.actor, hit.public_id)

    assert new != old and len(new) == 64
    assert notifications.webhook_secret(runtime, requester.actor) == new
    assert receiver.requests[0].signed_with(new) and not receiver.requests[0].signed_with(old)


def test_list_deliveries_pages_through_one_hit_types_outbox(watched, runtime, factory):
    requester, hit, _ = watched
    for worker in (factory.worker(), factory.worker()):
        assignments.accept(runtime, worker.actor, hit.public_id)

    first = notifications.list_deliveries(runtime, requester.actor, hit.hit_type.public_id, limit=1)
    rest = notifications.list_deliveries(runtime, requester.actor, hit.hit_type.public_id,
                                         cursor=first.next_cursor)

    assert [d.event["type"] for d in (*first.items, *rest.items)] == ["AssignmentAccepted"] * 2
    assert rest.next_cursor is None
    with pytest.raises(NotFoundError, match=f"^HITType {hit.hit_type.public_id} does not exist$"):
        notifications.list_deliveries(runtime, factory.requester().actor, hit.hit_type.public_id)


class InProcessWorker(SimpleWorker):
    """rq's SimpleWorker, with job timeouts on a timer thread (pytest-timeout owns SIGALRM)."""

    death_penalty_class = TimerDeathPenalty


@pytest.fixture
def rq_runtime(runtime: Runtime, redis_url: str) -> Iterator[tuple[Runtime, Queue]]:
    """The test's Runtime enqueuing on a private rq queue, installed for jobs; the queue's keys go after."""
    redis = Redis.from_url(redis_url)
    queue = Queue(f"labelhub-test-{uuid.uuid4().hex[:12]}", connection=redis, serializer=JSONSerializer)
    queued = replace(runtime, backend=RqBackend(redis, queue=queue.name))
    jobs.install_runtime(queued)
    yield queued, queue
    jobs.install_runtime(runtime)
    for key in redis.scan_iter(match=f"*{queue.name}*"):
        redis.delete(key)
    redis.srem("rq:queues", f"rq:queue:{queue.name}")
    redis.close()


@pytest.mark.redis
def test_delivery_job_goes_through_rq_with_a_deterministic_id(watched, runtime, receiver, rq_runtime):
    _, hit, worker = watched
    queued, queue = rq_runtime

    assignments.accept(queued, worker.actor, hit.public_id)
    outbox.dispatch_pending(queued)  # what the jobs worker's forwarder does; the commit hands the job to rq
    [delivery] = deliveries(runtime)
    with runtime.sessions() as db:
        [job] = db.scalars(select(Job).where(Job.kind == notifications.DELIVERY_JOB))
    queued.backend.send([job.public_id])  # a duplicate hand-over is dropped
    waiting = (queue.get_job_ids(), len(receiver.requests))
    InProcessWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(burst=True)

    assert job.args == [delivery.event_doc_id]
    assert waiting == ([f"labelhub-job-{job.public_id}"], 0)
    assert queue.failed_job_registry.get_job_ids() == []
    assert queue.is_empty()
    assert [d.status for d in deliveries(runtime)] == [DeliveryStatus.DELIVERED]
    assert len(receiver.requests) == 1


def test_loopback_destination_is_refused_unless_the_installation_allows_it():
    with pytest.raises(InvalidInputError) as caught:
        notifications.check_public_destination("http://127.0.0.1:9/hook", allow_private=False)
    assert "127.0.0.1" in caught.value.fields["destination"]
    with pytest.raises(InvalidInputError):
        notifications.check_public_destination("http://[::1]:9/hook", allow_private=False)
    notifications.check_public_destination("http://127.0.0.1:9/hook", allow_private=True)


def test_update_settings_refuses_a_private_destination_by_default(runtime, factory):
    strict = replace(runtime, settings=replace(runtime.settings, notifications=NotificationsSettings()))
    requester = factory.requester()
    hit_type = hits.create_hit_type(runtime, requester.actor, factory.hit_type_spec())
    spec = notifications.NotificationSpec(destination="http://10.0.0.7/hook", transport="SNS",
                                          version="2014-08-15", event_types=("AssignmentSubmitted",))
    with pytest.raises(InvalidInputError) as caught:
        notifications.update_settings(strict, requester.actor, hit_type.public_id, spec=spec)
    assert "10.0.0.7" in caught.value.fields["destination"]


# SSRF: hosts that are not plain host names, hosts that resolve to the server's own network, and DNS
# answers that change between the check and the connection (rebinding).

ENCODED_LOOPBACKS = ("http://%31%32%37.0.0.1:{port}/hook", "http://127.0.0.%31:{port}/hook",
                     "http://%6c%6f%63%61%6c%68%6f%73%74:{port}/hook")
PUBLIC_ADDRESS = "93.184.216.34"  # never contacted: FakeNetwork refuses every connection off loopback


@pytest.fixture
def strict(runtime: Runtime) -> Iterator[Runtime]:
    """The test's Runtime with the production default (private destinations refused), for jobs too."""
    rt = replace(runtime, settings=replace(runtime.settings, notifications=NotificationsSettings()))
    jobs.install_runtime(rt)
    yield rt
    jobs.install_runtime(runtime)


class FakeNetwork:
    """Fakes the outside world: DNS answers for the names in ``answers`` (one list of addresses per
    lookup, the last repeated; an empty list fails like an unknown name), and every TCP connection to
    an address off loopback refused before any packet is sent. Other names resolve as usual."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> None:
        self.answers, self.lookups, self.connects = answers, [], []
        real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

        def getaddrinfo(host, port, *args, **kwargs):
            if host not in self.answers:
                return real_getaddrinfo(host, port, *args, **kwargs)
            self.lookups.append(host)
            queue = self.answers[host]
            addresses = queue.pop(0) if len(queue) > 1 else queue[0]
            if not addresses:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 0)))
                    for address in addresses]

        def connect(sock, address):
            self.connects.append(address)
            if not ipaddress.ip_address(address[0]).is_loopback:
                raise ConnectionRefusedError(111, "Connection refused (faked: not a loopback address)")
            return real_connect(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", connect)


def notify(runtime: Runtime, factory, url: str) -> HIT:
    """A HIT whose type notifies ``url`` of AssignmentAccepted, set with private destinations allowed."""
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    notifications.update_settings(runtime, requester.actor, hit.hit_type.public_id, spec=spec(url))
    return hit


@pytest.mark.parametrize("template", ENCODED_LOOPBACKS)
@pytest.mark.parametrize("allow_private", [False, True])
def test_percent_encoded_host_is_refused_naming_the_destination(template, allow_private, receiver):
    url = template.format(port=receiver.server.server_port)

    with pytest.raises(InvalidInputError) as in_spec:
        spec(url)
    with pytest.raises(InvalidInputError) as checked:
        notifications.check_public_destination(url, allow_private=allow_private)

    assert list(in_spec.value.fields) == list(checked.value.fields) == ["destination"]
    assert "percent-encoding" in in_spec.value.fields["destination"]
    assert receiver.requests == []


@pytest.mark.parametrize("template", ENCODED_LOOPBACKS)
def test_stored_percent_encoded_destination_is_never_delivered(template, strict, runtime, factory, receiver):
    hit = notify(runtime, factory, receiver.url)
    with runtime.sessions.begin() as db:  # a row written before the check existed
        db.execute(update(NotificationSetting).values(destination=template.format(port=receiver.server.server_port)))

    assignments.accept(strict, factory.worker().actor, hit.public_id)

    [delivery] = deliveries(runtime)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.last_error == "the destination's host is not a valid host name or IP address"
    assert receiver.requests == []


def test_name_resolving_to_loopback_is_refused_when_set_and_never_delivered(strict, runtime, factory,
                                                                             receiver):
    url = f"http://localhost:{receiver.server.server_port}/hook"
    hit = notify(runtime, factory, url)
    with pytest.raises(InvalidInputError) as caught:
        notifications.update_settings(strict, factory.requester().actor, hit.hit_type.public_id, spec=spec(url))

    assignments.accept(strict, factory.worker().actor, hit.public_id)

    assert "which is not a public address" in caught.value.fields["destination"]
    [delivery] = deliveries(runtime)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.last_error.startswith("the destination resolves to ")
    assert receiver.requests == []


def test_unresolvable_host_is_refused_when_set_and_its_delivery_fails_and_is_retried(monkeypatch, strict,
                                                                                     runtime, factory):
    network = FakeNetwork(monkeypatch, {"nowhere.test": [[]]})
    hit = notify(runtime, factory, "http://nowhere.test/hook")  # allowed installations keep accepting it

    with pytest.raises(InvalidInputError) as caught:
        notifications.check_public_destination("http://nowhere.test/hook", allow_private=False)
    assignments.accept(strict, factory.worker().actor, hit.public_id)

    assert list(caught.value.fields) == ["destination"]
    assert "could not be resolved" in caught.value.fields["destination"]
    [delivery] = deliveries(runtime)
    assert delivery.status is DeliveryStatus.PENDING and delivery.next_attempt_at > delivery.last_attempt_at
    assert delivery.last_error.startswith("could not connect")
    assert network.connects == []


def test_dns_rebinding_cannot_redirect_a_delivery_to_loopback(monkeypatch, strict, runtime, factory,
                                                               receiver):
    # The name answers with a public address first, then with 127.0.0.1 (where the receiver listens).
    network = FakeNetwork(monkeypatch, {"rebind.test": [[PUBLIC_ADDRESS], ["127.0.0.1"]]})
    port = receiver.server.server_port
    hit = notify(runtime, factory, f"http://rebind.test:{port}/hook")

    assignments.accept(strict, factory.worker().actor, hit.public_id)

    [delivery] = deliveries(runtime)
    assert network.lookups == ["rebind.test"]  # resolved once: the answer checked is the one connected to
    assert network.connects == [(PUBLIC_ADDRESS, port)]
    assert delivery.status is DeliveryStatus.PENDING and delivery.last_error.startswith("could not connect")
    assert receiver.requests == []


def test_delivery_connects_to_the_resolved_address_and_names_the_host(monkeypatch, runtime, factory, receiver):
    network = FakeNetwork(monkeypatch, {"hooks.test": [["127.0.0.1"]]})
    port = receiver.server.server_port
    hit = notify(runtime, factory, f"http://hooks.test:{port}/hook")

    assignments.accept(runtime, factory.worker().actor, hit.public_id)

    [sent] = receiver.requests
    assert sent.headers["host"] == f"hooks.test:{port}"
    assert (network.lookups, network.connects) == (["hooks.test"], [("127.0.0.1", port)])
    assert [d.status for d in deliveries(runtime)] == [DeliveryStatus.DELIVERED]


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch) -> Iterator[Receiver]:
    """A Receiver speaking HTTPS with a self-signed certificate for hooks.test, trusted by the client."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=hooks.test", "-addext", "subjectAltName=DNS:hooks.test", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    real_context = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *args, **kwargs: real_context(cafile=str(cert)))
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    running = Receiver()
    running.server.socket = server_side.wrap_socket(running.server.socket, server_side=True)
    with running:
        yield running


def test_https_delivery_checks_the_certificate_against_the_host_name(monkeypatch, runtime, factory,
                                                                     tls_receiver):
    FakeNetwork(monkeypatch, {"hooks.test": [["127.0.0.1"]], "elsewhere.test": [["127.0.0.1"]]})
    port = tls_receiver.server.server_port
    good = notify(runtime, factory, f"https://hooks.test:{port}/hook")
    bad = notify(runtime, factory, f"https://elsewhere.test:{port}/hook")

    assignments.accept(runtime, factory.worker().actor, good.public_id)
    assignments.accept(runtime, factory.worker().actor, bad.public_id)

    delivered, refused = deliveries(runtime)
    assert delivered.status is DeliveryStatus.DELIVERED
    assert refused.status is DeliveryStatus.PENDING and "CERTIFICATE_VERIFY_FAILED" in refused.last_error
    [sent] = tls_receiver.requests
    assert sent.headers["host"] == f"hooks.test:{port}"


def test_internationalised_host_is_resolved_and_sent_in_its_idna_form(monkeypatch, runtime, factory, receiver):
    network = FakeNetwork(monkeypatch, {"xn--bcher-kva.test": [["127.0.0.1"]]})
    port = receiver.server.server_port
    hit = notify(runtime, factory, f"http://Bücher.TEST:{port}/hook")

    assignments.accept(runtime, factory.worker().actor, hit.public_id)

    [sent] = receiver.requests
    assert network.lookups == ["xn--bcher-kva.test"]
    assert sent.headers["host"] == f"xn--bcher-kva.test:{port}"
    assert sent.envelope()["TopicArn"] == f"http://Bücher.TEST:{port}/hook"  # the destination as given
