"""Notifications: a HIT type's settings (MTurk's UpdateNotificationSettings), test events, and the webhook
outbox that delivers events to HTTP(S) destinations.

Every event recorded by the other use cases (``record_event``) that a HIT type's active settings ask
for becomes a NotificationDelivery row in the same transaction, so no committed change loses its
notification. A job sends each row after the commit; a failed send is retried with back-off by the
periodic sweep (which also finds rows whose job was lost) until MAX_ATTEMPTS, then recorded as Failed.
Delivery is at least once: receivers de-duplicate on EventDocId, which never changes across retries.

Wire format (mturk_api.md §5.2). The destination, given with Transport SNS, is either an http:// or
https:// URL, for which LabelHub acts as the SNS topic, or the ARN of one of the requester's topics made
through LabelHub's SNS-compatible endpoint (labelhub.services.sns_topics): each event then becomes one
delivery to every confirmed subscriber of the topic, and a new subscriber first gets a
SubscriptionConfirmation (``Token``, ``TopicArn``, ``SubscribeURL``) through this same outbox. Either way
LabelHub POSTs what SNS posts to an HTTP subscriber, so SNS listeners such as Dallinger's work unchanged.
The JSON body is ``{"Type": "Notification", "MessageId": <EventDocId>, "TopicArn": <the topic's ARN, or
the URL>, "Timestamp": ..., "Message": <MTurk's message as a JSON string>}``, where the
message is ``{"Events": [{"EventType", "EventTimestamp", "HITTypeId", "HITId", "AssignmentId"?}],
"EventDocId", "SourceAccount", "CustomerId", "EventDocVersion"}``. These PascalCase names are the wire
format the service itself sends; no adapter stands between the outbox and the receiver.

Verifying a delivery: ``X-LabelHub-Signature: sha256=<hex>`` carries HMAC-SHA256 over the raw request
body, keyed with the requester's webhook secret (``webhook_secret``). A receiver recomputes
``hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()``, compares it with
``hmac.compare_digest`` before parsing the body, and may refuse a Timestamp that is too old.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import http.client
import ipaddress
import json
import re
import secrets
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labelhub.errors import InvalidInputError
from labelhub.models import (
    HIT,
    DeliveryStatus,
    Event,
    Marketplace,
    NotificationDelivery,
    NotificationSetting,
    Requester,
    SnsSubscription,
    SnsTopic,
    WebhookSecret,
)
from labelhub.models.sns import TopicArn
from labelhub.runtime import Runtime
from labelhub.services import hits, job_queue
from labelhub.services.actors import Actor, require_requester
from labelhub.services.common import Page, paginate

EVENT_TYPES = ("AssignmentAccepted", "AssignmentAbandoned", "AssignmentReturned", "AssignmentSubmitted",
               "AssignmentRejected", "AssignmentApproved", "HITCreated", "HITExpired", "HITReviewable",
               "HITExtended", "HITDisposed")
TEST_EVENT_TYPES = (*EVENT_TYPES, "Ping")
TRANSPORTS = ("Email", "SQS", "SNS")
MAX_DESTINATION_LENGTH, MAX_VERSION_LENGTH = 1024, 64
# Waits after the 1st, 2nd... failed attempt; one more attempt than waits, then the delivery is Failed.
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30),
                timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A claimed delivery is not claimed again while its POST may still be running.
LEASE = timedelta(minutes=2)
SEND_TIMEOUT_SECONDS = 5
SIGNATURE_HEADER = "X-LabelHub-Signature"
DELIVERY_JOB = "labelhub.jobs.deliver_notification"
SWEEP_BATCH = 500
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
SNS_API_VERSION = "2010-03-31"
TEST_IDS = {"HITTypeId": "TESTHITTYPE" + "0" * 19, "HITId": "TESTHIT" + "0" * 23,
            "AssignmentId": "TESTASSIGNMENT" + "0" * 16}


@dataclass(frozen=True)
class NotificationSpec:
    """Where a HIT type's events go. LabelHub delivers to http(s) URLs with Transport SNS only."""

    destination: str
    transport: str
    version: str
    event_types: tuple[str, ...]

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        _check_destination(problems, self.transport, self.destination)
        if not self.version or len(self.version) > MAX_VERSION_LENGTH:
            problems["version"] = f"must be 1-{MAX_VERSION_LENGTH} characters, such as 2014-08-15"
        if not self.event_types:
            problems["event_types"] = "name at least one event type"
        elif "Ping" in self.event_types:
            problems["event_types"] = "Ping can only be sent with SendTestEventNotification"
        elif any(t not in EVENT_TYPES for t in self.event_types):
            problems["event_types"] = f"must be among {', '.join(EVENT_TYPES)}"
        if problems:
            raise InvalidInputError(problems, entity="notification")


def _check_destination(problems: dict[str, str], transport: str, destination: str) -> None:
    native = "LabelHub delivers notifications as HTTP(S) webhooks: give Transport SNS and, as Destination, " \
             "an http:// or https:// URL or the ARN of a topic made through LabelHub's SNS endpoint " \
             "(/mturk/sns), and LabelHub POSTs SNS-style messages there"
    if transport == "SQS":
        problems["transport"] = f"SQS queues are not supported. {native}"
    elif transport == "Email":
        problems["transport"] = f"Email notifications are deprecated by MTurk and not supported. {native}"
    elif transport != "SNS":
        problems["transport"] = f"must be one of {', '.join(TRANSPORTS)}"
    elif is_topic(destination):
        if TopicArn.parse(destination) is None:
            problems["destination"] = f"{destination} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME). " \
                                      f"{native}"
    else:
        problem = webhook_url_problem(destination)
        if problem is not None:
            problems["destination"] = problem


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook destination (its shape only), or None."""
    if len(url) > MAX_DESTINATION_LENGTH or not _is_http_url(url):
        return f"must be an http:// or https:// URL of at most {MAX_DESTINATION_LENGTH} characters, without a " \
               "user name or password"
    return BAD_HOST if _host(url) is None else None


def is_topic(destination: str) -> bool:
    return destination.startswith("arn:")


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.username \
        and url.isprintable() and " " not in url


BAD_HOST = "must name its host plainly: a DNS name (letters, digits, hyphens) or an IP address, without " \
           "percent-encoding or other characters a host name cannot have"
# One DNS label in its ASCII (IDNA) form; "_" is tolerated, as resolvers accept it.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def _host(url: str) -> str | None:
    """``url``'s host as it is resolved and sent: lower case, an internationalised name in its IDNA
    (xn--) form. None when it is neither an IP address nor a DNS name: percent-encoding above all, which
    a check would resolve still encoded while urllib decodes it and connects to what it spells."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host or "%" in host:
        return None
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = name.removesuffix(".").split(".")
    return name if len(name) <= 253 and all(_LABEL.fullmatch(label) for label in labels) else None


def update_settings(rt: Runtime, actor: Actor, hit_type_id: str, *, spec: NotificationSpec | None = None,
                    active: bool | None = None) -> NotificationSetting:
    """Set a HIT type's notification specification (replacing any earlier one), or with ``active``
    alone switch the existing one on or off. A new specification is active unless ``active`` is False.

    Raises NotFoundError/PermissionDeniedError for a HIT type that is not the requester's, and
    InvalidInputError when neither is given, there is no specification to switch, or the destination is
    a topic ARN that is not one of the requester's topics.
    """
    require_requester(actor)
    if spec is None and active is None:
        raise InvalidInputError({"notification": "give a notification specification, active, or both"})
    if spec is not None and not is_topic(spec.destination):
        check_public_destination(spec.destination,
                                 allow_private=rt.settings.notifications.allow_private_destinations)
    for attempt in range(2):
        try:
            with rt.sessions.begin() as db:
                return _store_settings(db, actor, hit_type_id, spec, active, now=rt.clock())
        except IntegrityError:
            if attempt:  # the first settings of this type were stored concurrently; now they exist
                raise
    raise AssertionError("unreachable")


def _store_settings(db: Session, actor: Actor, hit_type_id: str, spec: NotificationSpec | None,
                    active: bool | None, *, now: datetime) -> NotificationSetting:
    hit_type = hits.owned_hit_type(db, actor, hit_type_id)
    if spec is not None and is_topic(spec.destination):
        _own_topic(db, actor, spec.destination)
    setting = db.scalars(select(NotificationSetting).where(NotificationSetting.hit_type_id == hit_type.id)
                         .with_for_update()).one_or_none()
    if setting is None:
        if spec is None:
            raise InvalidInputError({"notification": f"is required: HIT type {hit_type_id} has no "
                                                     "notification specification to switch on or off yet"})
        setting = NotificationSetting(hit_type_id=hit_type.id)
        db.add(setting)
    if spec is not None:
        setting.transport, setting.destination = spec.transport, spec.destination
        setting.version, setting.event_types = spec.version, list(dict.fromkeys(spec.event_types))
    setting.active = active if active is not None else (spec is not None or setting.active)
    setting.updated_at = now
    db.flush()
    return setting


def _own_topic(db: Session, actor: Actor, arn: str) -> SnsTopic:
    """The requester's topic with this ARN; InvalidInputError naming the destination otherwise."""
    parsed = TopicArn.parse(arn)
    if parsed is None or parsed.account != actor.public_id:
        raise InvalidInputError({"destination": f"{arn} is not one of your SNS topics"}, entity="notification")
    topic = db.scalars(select(SnsTopic).where(SnsTopic.arn == arn, SnsTopic.requester_id == actor.id)).one_or_none()
    if topic is None:
        raise InvalidInputError({"destination": f"Topic {arn} does not exist"}, entity="notification")
    return topic


@dataclass(frozen=True)
class _Target:
    """Where one delivery goes: a URL destination, or one confirmed subscriber of a topic."""

    url: str
    topic_arn: str | None = None
    subscription_arn: str | None = None


def _targets(db: Session, destination: str, requester_id: int) -> list[_Target]:
    if not is_topic(destination):
        return [_Target(destination)]
    confirmed = db.scalars(select(SnsSubscription).join(SnsTopic, SnsTopic.id == SnsSubscription.topic_id).where(
        SnsTopic.arn == destination, SnsTopic.requester_id == requester_id,
        SnsSubscription.confirmed_at.is_not(None)).order_by(SnsSubscription.id))
    return [_Target(s.endpoint, destination, s.arn) for s in confirmed]


def send_test_event(rt: Runtime, actor: Actor, spec: NotificationSpec, event_type: str) -> None:
    """Deliver one test event to ``spec``'s destination now (every confirmed subscriber of a topic),
    whatever its event types say.

    Raises InvalidInputError for an unknown event type, a topic that is not the requester's, or naming
    the destination when it does not accept the event (unreachable, or an answer other than 2xx).
    """
    require_requester(actor)
    if event_type not in TEST_EVENT_TYPES:
        raise InvalidInputError({"event_type": f"must be one of {', '.join(TEST_EVENT_TYPES)}"})
    allow_private = rt.settings.notifications.allow_private_destinations
    if not is_topic(spec.destination):
        check_public_destination(spec.destination, allow_private=allow_private)
    now = rt.clock()
    with rt.sessions.begin() as db:
        if is_topic(spec.destination):
            _own_topic(db, actor, spec.destination)
        targets = _targets(db, spec.destination, actor.id)
        secret = _secret(db, actor.id, now=now)
    event = {"EventType": event_type, "EventTimestamp": _iso(now)}
    if event_type != "Ping":
        event |= {name: value for name, value in TEST_IDS.items()
                  if name != "AssignmentId" or event_type.startswith("Assignment")}
    for target in targets:
        doc_id = secrets.token_hex(20)
        body = _notification(doc_id, target.topic_arn or target.url, spec.version, actor.public_id, event, now)
        error = _post(target.url, body, secret, _SnsHeaders("Notification", doc_id, target.topic_arn,
                                                            target.subscription_arn),
                      attempt=1, allow_private=allow_private)
        if error is not None:
            raise InvalidInputError({"destination": f"{target.url} did not accept the test event: {error}"},
                                    entity="notification")


def webhook_secret(rt: Runtime, actor: Actor) -> str:
    """The key the requester's deliveries are signed with, created on first use."""
    require_requester(actor)
    with rt.sessions.begin() as db:
        return _secret(db, actor.id, now=rt.clock())


def rotate_webhook_secret(rt: Runtime, actor: Actor) -> str:
    """Replace the requester's webhook secret; deliveries sent from now on are signed with the new one."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        row = db.scalars(select(WebhookSecret).where(WebhookSecret.requester_id == actor.id)
                         .with_for_update()).one_or_none()
        if row is None:
            return _secret(db, actor.id, now=now)
        row.secret, row.created_at = secrets.token_hex(32), now
        return row.secret


def _secret(db: Session, requester_id: int, *, now: datetime) -> str:
    stmt = select(WebhookSecret.secret).where(WebhookSecret.requester_id == requester_id)
    found = db.scalar(stmt)
    if found is not None:
        return found
    try:
        with db.begin_nested():
            db.add(WebhookSecret(requester_id=requester_id, secret=secrets.token_hex(32), created_at=now))
    except IntegrityError:  # created concurrently: use that one
        pass
    return db.scalars(stmt).one()


def queue_event(db: Session, event: Event, hit: HIT) -> None:
    """Reaction: if the HIT's type has active settings asking for this event, add its deliveries (one,
    or one per confirmed subscriber of a topic) and the jobs that send them."""
    action, entity_id, now = event.action, event.entity_id, event.at
    if action not in EVENT_TYPES:
        return
    setting = db.scalars(select(NotificationSetting).where(
        NotificationSetting.hit_type_id == hit.hit_type_id)).one_or_none()
    if setting is None or not setting.active or action not in setting.event_types:
        return
    message = {"type": action, "at": _iso(now), "hit_type_id": hit.hit_type.public_id, "hit_id": hit.public_id,
               "assignment_id": entity_id if action.startswith("Assignment") else None}
    for target in _targets(db, setting.destination, hit.requester_id):
        topic = {"topic_arn": target.topic_arn, "subscription_arn": target.subscription_arn} \
            if target.topic_arn else {}
        _add_delivery(db, hit.requester_id, hit.marketplace, target.url, setting.version, message | topic,
                      hit_type_id=hit.hit_type_id, job_target=f"hit:{hit.public_id}", now=now)


def queue_subscription_confirmation(db: Session, subscription: SnsSubscription, marketplace: Marketplace, *,
                                    subscribe_url: str, now: datetime) -> None:
    """Send a new subscriber of a topic its SubscriptionConfirmation through the outbox, as SNS does."""
    topic = subscription.topic
    event = {"type": SUBSCRIPTION_CONFIRMATION, "at": _iso(now), "topic_arn": topic.arn,
             "subscription_arn": subscription.arn, "token": subscription.token, "subscribe_url": subscribe_url}
    _add_delivery(db, topic.requester_id, marketplace, subscription.endpoint, SNS_API_VERSION, event,
                  hit_type_id=None, job_target=f"sns:{subscription.arn.rsplit(':', 1)[1]}", now=now)


def _add_delivery(db: Session, requester_id: int, marketplace: Marketplace, destination: str, version: str,
                  event: dict[str, Any], *, hit_type_id: int | None, job_target: str, now: datetime) -> None:
    doc_id = secrets.token_hex(20)
    db.add(NotificationDelivery(
        event_doc_id=doc_id, requester_id=requester_id, marketplace=marketplace, hit_type_id=hit_type_id,
        destination=destination, version=version, event=event, status=DeliveryStatus.PENDING, attempts=0,
        next_attempt_at=now, created_at=now))
    job_queue.submit(db, DELIVERY_JOB, doc_id, target=job_target, owner=(requester_id, marketplace), now=now)


def deliver(rt: Runtime, event_doc_id: str) -> DeliveryStatus | None:
    """Send one delivery if it is pending and due: Delivered on a 2xx answer; otherwise the next
    attempt is scheduled, or after MAX_ATTEMPTS it is Failed with the last error. Returns the status
    afterwards, None when nothing was due (already delivered, failed, or claimed by another run)."""
    with rt.sessions.begin() as db:
        claimed = _claim(db, event_doc_id, now=rt.clock())
    if claimed is None:
        return None
    error = _post(claimed.destination, claimed.body, claimed.secret, claimed.headers, attempt=claimed.attempt,
                  allow_private=rt.settings.notifications.allow_private_destinations)
    with rt.sessions.begin() as db:
        delivery = _locked_delivery(db, event_doc_id)
        assert delivery is not None  # deliveries are never deleted
        _record_outcome(delivery, error, now=rt.clock())
        return delivery.status


@dataclass(frozen=True)
class _SnsHeaders:
    """What SNS tells an HTTP subscriber in headers: the message's type and id, its topic, and for a
    topic's subscriber the subscription."""

    message_type: str
    message_id: str
    topic_arn: str | None = None
    subscription_arn: str | None = None


@dataclass(frozen=True)
class _Claimed:
    destination: str
    body: bytes
    headers: _SnsHeaders
    secret: str
    attempt: int


def _locked_delivery(db: Session, event_doc_id: str) -> NotificationDelivery | None:
    return db.scalars(select(NotificationDelivery).where(NotificationDelivery.event_doc_id == event_doc_id)
                      .with_for_update()).one_or_none()


def _claim(db: Session, event_doc_id: str, *, now: datetime) -> _Claimed | None:
    delivery = _locked_delivery(db, event_doc_id)
    if delivery is None or delivery.status is not DeliveryStatus.PENDING or delivery.next_attempt_at > now:
        return None
    delivery.attempts += 1
    delivery.last_attempt_at, delivery.next_attempt_at = now, now + LEASE
    requester = db.get_one(Requester, delivery.requester_id)
    event, doc_id = delivery.event, delivery.event_doc_id
    if event["type"] == SUBSCRIPTION_CONFIRMATION:
        message_type, body = SUBSCRIPTION_CONFIRMATION, _confirmation(doc_id, event)
    else:
        message_type = "Notification"
        body = _notification(doc_id, event.get("topic_arn") or delivery.destination, delivery.version,
                             requester.public_id, _wire_event(event), delivery.created_at)
    headers = _SnsHeaders(message_type, doc_id, event.get("topic_arn"), event.get("subscription_arn"))
    return _Claimed(delivery.destination, body, headers, _secret(db, requester.id, now=now), delivery.attempts)


def _record_outcome(delivery: NotificationDelivery, error: str | None, *, now: datetime) -> None:
    if delivery.status is not DeliveryStatus.PENDING:
        return  # another run finished it while this one was sending
    if error is None:
        delivery.status, delivery.finished_at, delivery.last_error = DeliveryStatus.DELIVERED, now, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.finished_at, delivery.last_error = DeliveryStatus.FAILED, now, error
    else:
        delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
        delivery.last_error = error


def deliver_due(rt: Runtime) -> int:
    """Send every pending delivery whose time has come (retries, and any whose job was lost).
    Returns how many were delivered."""
    due_now = (NotificationDelivery.status == DeliveryStatus.PENDING,
               NotificationDelivery.next_attempt_at <= rt.clock())
    stmt = select(NotificationDelivery.event_doc_id).where(*due_now)
    with rt.sessions() as db:
        due = list(db.scalars(stmt.order_by(NotificationDelivery.id).limit(SWEEP_BATCH)))
    return sum(deliver(rt, doc_id) is DeliveryStatus.DELIVERED for doc_id in due)


def list_deliveries(rt: Runtime, actor: Actor, hit_type_id: str, *, cursor: str | None = None,
                    limit: int = 50) -> Page[NotificationDelivery]:
    """The deliveries of one of the requester's HIT types, oldest first: what was sent, what is still
    being retried, and what failed for good (with the last error)."""
    require_requester(actor)
    with rt.sessions() as db:
        hit_type = hits.owned_hit_type(db, actor, hit_type_id)
        stmt = select(NotificationDelivery).where(NotificationDelivery.hit_type_id == hit_type.id)
        return paginate(db, stmt, NotificationDelivery.id, cursor, limit)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _wire_event(event: dict) -> dict[str, str]:
    out = {"EventType": event["type"], "EventTimestamp": event["at"], "HITTypeId": event["hit_type_id"],
           "HITId": event["hit_id"]}
    if event.get("assignment_id"):
        out["AssignmentId"] = event["assignment_id"]
    return out


def _notification(doc_id: str, topic_arn: str, version: str, customer_id: str, event: dict[str, str],
                  at: datetime) -> bytes:
    message = {"Events": [event], "EventDocId": doc_id, "SourceAccount": customer_id,
               "CustomerId": customer_id, "EventDocVersion": version}
    envelope = {"Type": "Notification", "MessageId": doc_id, "TopicArn": topic_arn, "Timestamp": _iso(at),
                "Message": json.dumps(message, separators=(",", ":"))}
    return json.dumps(envelope, separators=(",", ":")).encode()


def _confirmation(doc_id: str, event: dict[str, str]) -> bytes:
    topic_arn = event["topic_arn"]
    envelope = {"Type": SUBSCRIPTION_CONFIRMATION, "MessageId": doc_id, "Token": event["token"],
                "TopicArn": topic_arn, "Timestamp": event["at"], "SubscribeURL": event["subscribe_url"],
                "Message": f"You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the "
                           "subscription, visit the SubscribeURL included in this message."}
    return json.dumps(envelope, separators=(",", ":")).encode()


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:
        return None  # a 3xx answer is a failed delivery: the body is never re-sent elsewhere


# (family, type, proto, sockaddr) of one resolved address, as socket.getaddrinfo gives them.
_Address = tuple[socket.AddressFamily, socket.SocketKind, int, Any]


def _resolve(host: str, port: int) -> list[_Address]:
    """Every address ``host`` resolves to, once. The check and the connection both use this one answer,
    so a DNS answer that changes in between (rebinding) cannot send the request elsewhere."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [(family, kind, proto, sockaddr) for family, kind, proto, _, sockaddr in infos]


def _first_private(addresses: list[_Address]) -> str | None:
    """The first non-public address of ``addresses`` (loopback, private, link-local...)."""
    for *_, sockaddr in addresses:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global:
            return str(address)
    return None


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def check_public_destination(url: str, *, allow_private: bool) -> None:
    """Refuse destinations inside the server's own network unless the installation allows them, and
    (unless allowed) hosts that do not resolve: nothing could be checked, so nothing would be sent."""
    host = _host(url)
    if host is None:
        raise InvalidInputError({"destination": f"{url} {BAD_HOST}"}, entity="notification")
    if allow_private:
        return
    try:
        private = _first_private(_resolve(host, _port(url)))
    except (OSError, UnicodeError) as exc:
        raise InvalidInputError({"destination": f"{url}: its host {host} could not be resolved ({exc}); give a "
                                 "host name that resolves to a public address"}, entity="notification") from None
    if private is not None:
        raise InvalidInputError({"destination": f"{url} resolves to {private}, which is not a public address "
                                 "(set notifications.allow_private_destinations to allow it)"},
                                entity="notification")


def _connect(addresses: list[_Address], timeout: float | None) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers; the host name is not resolved again."""
    error: OSError = OSError("the destination's host resolved to no address")
    for family, kind, proto, sockaddr in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
        else:
            return sock
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to addresses resolved (and checked) beforehand; the Host header still names the host."""

    def __init__(self, host: str, *, addresses: list[_Address], **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As _PinnedHTTPConnection, with TLS whose SNI and certificate check name the host, not the address."""

    def __init__(self, host: str, *, addresses: list[_Address], context: ssl.SSLContext, **kwargs: Any) -> None:
        super().__init__(host, context=context, **kwargs)
        self._addresses, self._tls = addresses, context

    def connect(self) -> None:
        sock = _connect(self._addresses, self.timeout)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, addresses: list[_Address]) -> None:
        super().__init__()
        self._addresses = addresses

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_PinnedHTTPConnection, addresses=self._addresses), req)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, addresses: list[_Address]) -> None:
        super().__init__()
        self._addresses = addresses

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        tls = ssl.create_default_context()  # certificate and host name checked
        tls.set_alpn_protocols(["http/1.1"])
        return self.do_open(functools.partial(_PinnedHTTPSConnection, addresses=self._addresses, context=tls),
                            req)


def _wire_url(url: str, host: str) -> str:
    """``url`` with its host as sent (IDNA) when that differs from how it was written."""
    parts = urlsplit(url)
    if parts.hostname == host:
        return url
    return urlunsplit(parts._replace(netloc=host if parts.port is None else f"{host}:{parts.port}"))


def _checked_target(url: str, *, allow_private: bool) -> tuple[str, list[_Address]] | str:
    """``url``'s host and the addresses to connect to, or why there are none (not an http(s) URL, not a
    valid host, unresolvable, or not public)."""
    if not _is_http_url(url):
        return "the destination is not an http(s) URL"
    host = _host(url)
    if host is None:
        return "the destination's host is not a valid host name or IP address"
    try:
        addresses = _resolve(host, _port(url))
    except (OSError, UnicodeError) as exc:
        return f"could not connect: {exc}"[:1024]
    private = None if allow_private else _first_private(addresses)
    if private is not None:
        return f"the destination resolves to {private}, which is not a public address"
    return host, addresses


def _post(url: str, body: bytes, secret: str, sns: _SnsHeaders, *, attempt: int, allow_private: bool) -> str | None:
    """POST ``body`` to ``url`` directly (no proxy, no redirects, short timeout); None on a 2xx answer,
    otherwise what went wrong. The host is resolved once, here: non-public addresses are refused (unless
    allowed) and the connection goes to exactly the addresses checked, so a DNS change cannot redirect it.
    A host that does not resolve is a failed attempt (retried); nothing is sent."""
    target = _checked_target(url, allow_private=allow_private)
    if isinstance(target, str):
        return target
    host, addresses = target
    wire_url = _wire_url(url, host)
    request = urllib.request.Request(wire_url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "LabelHub-Notifications/1.0",
        "x-amz-sns-message-type": sns.message_type, "x-amz-sns-message-id": sns.message_id,
        "x-amz-sns-topic-arn": sns.topic_arn or wire_url, SIGNATURE_HEADER: sign(secret, body),
        "X-LabelHub-Delivery-Attempt": str(attempt),
        **({"x-amz-sns-subscription-arn": sns.subscription_arn} if sns.subscription_arn else {})})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects,
                                         _PinnedHTTPHandler(addresses), _PinnedHTTPSHandler(addresses))
    try:
        with opener.open(request, timeout=SEND_TIMEOUT_SECONDS):
            return None
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"[:1024]
    except urllib.error.URLError as exc:
        return f"could not connect: {exc.reason}"[:1024]
    except (OSError, ValueError) as exc:  # timeouts, resets, malformed answers
        return f"could not deliver: {exc or type(exc).__name__}"[:1024]
