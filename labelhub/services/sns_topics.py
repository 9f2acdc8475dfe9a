"""SNS topic use cases behind LabelHub's SNS-compatible endpoint: a requester's topics and their HTTP(S)
subscribers, so that an MTurk client which subscribes its HIT types to an SNS topic (Dallinger) works
unchanged.

A topic is a list of webhook destinations. Subscribing an endpoint sends it a SubscriptionConfirmation
through the notification outbox (labelhub.services.notifications); the subscriber confirms with the token
(ConfirmSubscription, or a GET of the message's SubscribeURL) and from then on receives the notifications
of every HIT type whose destination is the topic's ARN. A requester sees and uses only their own topics:
the ARN's account part is the requester's public id, and any other account's ARN is refused as
PermissionDeniedError whether or not it exists.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError, PermissionDeniedError
from labelhub.models import SnsSubscription, SnsTopic
from labelhub.models.sns import TopicArn
from labelhub.runtime import Runtime
from labelhub.services import notifications
from labelhub.services.actors import Actor, require_requester
from labelhub.services.common import Page, paginate

PROTOCOLS = ("http", "https")
MAX_TOPICS_PER_REQUESTER = 1_000
MAX_SUBSCRIPTIONS_PER_TOPIC = 100
# As SNS: a confirmation token is good for three days; subscribing again sends a fresh one.
CONFIRMATION_WINDOW = timedelta(days=3)


def _check_name(name: str) -> None:
    if not name or len(name) > 256 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name):
        raise InvalidInputError({"name": "Topic names must be made up of only uppercase and lowercase ASCII "
                                          "letters, numbers, underscores, and hyphens, and must be between 1 "
                                          "and 256 characters long."}, entity="sns_topic")


def _arn(text: str, field: str) -> TopicArn:
    parsed = TopicArn.parse(text)
    if parsed is None:
        raise InvalidInputError({field: "is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"},
                                entity="sns_topic")
    return parsed


def _owned_topic(db: Session, actor: Actor, arn: str, action: str, *, field: str = "topic_arn") -> SnsTopic:
    if _arn(arn, field).account != actor.public_id:
        raise PermissionDeniedError(f"User: {actor.public_id} is not authorized to perform: SNS:{action} on "
                                    f"resource: {arn}", entity="sns_topic")
    topic = db.scalars(select(SnsTopic).where(SnsTopic.arn == arn, SnsTopic.requester_id == actor.id)).one_or_none()
    if topic is None:
        raise NotFoundError("Topic does not exist", entity="sns_topic")
    return topic


def _owned_subscription(db: Session, actor: Actor, arn: str, action: str) -> SnsSubscription:
    topic_arn, _, suffix = arn.rpartition(":")
    _arn(topic_arn, "subscription_arn")
    try:
        uuid.UUID(suffix)
    except ValueError:
        raise InvalidInputError({"subscription_arn": "is not a subscription ARN (a topic ARN, a colon and the "
                                                    "subscription's id)"}, entity="sns_subscription") from None
    topic = _owned_topic(db, actor, topic_arn, action, field="subscription_arn")
    found = db.scalars(select(SnsSubscription).where(SnsSubscription.arn == arn,
                                                     SnsSubscription.topic_id == topic.id)).one_or_none()
    if found is None:
        raise NotFoundError("Subscription does not exist", entity="sns_subscription")
    return found


def create_topic(rt: Runtime, actor: Actor, name: str, *, region: str) -> SnsTopic:
    """The requester's topic of this name in ``region``, created if there is none (as SNS: CreateTopic
    with an existing name returns that topic)."""
    require_requester(actor)
    _check_name(name)
    arn = str(TopicArn("aws", region, actor.public_id, name))
    if TopicArn.parse(arn) is None:
        raise InvalidInputError({"region": f"{region!r} (the signature's scope) is not a region such as us-east-1"},
                                entity="sns_topic")
    stmt = select(SnsTopic).where(SnsTopic.arn == arn)
    with rt.sessions.begin() as db:
        existing = db.scalars(stmt).one_or_none()
        if existing is not None:
            return existing
        count = db.scalar(select(func.count()).select_from(SnsTopic).where(SnsTopic.requester_id == actor.id))
        if (count or 0) >= MAX_TOPICS_PER_REQUESTER:
            raise InvalidStateError(f"You have reached the limit of {MAX_TOPICS_PER_REQUESTER} topics",
                                    entity="sns_topic", reason="TopicLimitExceeded")
        topic = SnsTopic(arn=arn, requester_id=actor.id, name=name, created_at=rt.clock())
        try:
            with db.begin_nested():
                db.add(topic)
        except IntegrityError:  # created concurrently: that one
            return db.scalars(stmt).one()
        return topic


def delete_topic(rt: Runtime, actor: Actor, arn: str) -> None:
    """Delete the topic and its subscriptions; deleting a topic that does not exist succeeds (as SNS).
    HIT types that name it as their destination send nothing from then on."""
    require_requester(actor)
    with rt.sessions.begin() as db:
        try:
            topic = _owned_topic(db, actor, arn, "DeleteTopic")
        except NotFoundError:
            return
        db.delete(topic)


def list_topics(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 100) -> Page[SnsTopic]:
    require_requester(actor)
    with rt.sessions() as db:
        return paginate(db, select(SnsTopic).where(SnsTopic.requester_id == actor.id), SnsTopic.id, cursor, limit)


def _check_endpoint(rt: Runtime, protocol: str, endpoint: str) -> None:
    if protocol not in PROTOCOLS:
        raise InvalidInputError({"protocol": f"LabelHub delivers to http and https subscribers only, not "
                                             f"{protocol!r}"}, entity="sns_subscription")
    if urlsplit(endpoint).scheme != protocol:
        raise InvalidInputError({"endpoint": f"must be an {protocol}:// URL for Protocol {protocol}"},
                                entity="sns_subscription")
    problem = notifications.webhook_url_problem(endpoint)
    if problem is not None:
        raise InvalidInputError({"endpoint": problem}, entity="sns_subscription")
    try:
        notifications.check_public_destination(endpoint,
                                               allow_private=rt.settings.notifications.allow_private_destinations)
    except InvalidInputError as exc:
        raise InvalidInputError({"endpoint": exc.fields["destination"]}, entity="sns_subscription") from None


def subscribe(rt: Runtime, actor: Actor, topic_arn: str, *, protocol: str, endpoint: str,
              subscribe_url: str) -> SnsSubscription:
    """Subscribe an HTTP(S) endpoint to one of the requester's topics, pending until it confirms, and
    send it the SubscriptionConfirmation. Subscribing an endpoint again returns its subscription (and
    sends the confirmation again, its token good for three more days, while it is still pending).
    ``subscribe_url`` is the SNS endpoint's URL, where a GET with the token confirms."""
    require_requester(actor)
    _check_endpoint(rt, protocol, endpoint)
    for attempt in range(2):
        try:
            with rt.sessions.begin() as db:
                return _subscribe(db, actor, topic_arn, protocol, endpoint, subscribe_url, now=rt.clock())
        except IntegrityError:
            if attempt:  # the same endpoint was subscribed concurrently; now it exists
                raise
    raise AssertionError("unreachable")


def _subscribe(db: Session, actor: Actor, topic_arn: str, protocol: str, endpoint: str, subscribe_url: str, *,
               now: datetime) -> SnsSubscription:
    topic = _owned_topic(db, actor, topic_arn, "Subscribe")
    subscription = db.scalars(select(SnsSubscription).where(
        SnsSubscription.topic_id == topic.id, SnsSubscription.endpoint == endpoint).with_for_update()).one_or_none()
    if subscription is None:
        subscription = _new_subscription(db, topic, protocol, endpoint, now=now)
    elif subscription.pending_confirmation:
        subscription.token_issued_at = now
    else:
        return subscription
    query = urlencode({"Action": "ConfirmSubscription", "TopicArn": topic.arn, "Token": subscription.token})
    notifications.queue_subscription_confirmation(db, subscription, actor.marketplace,
                                                  subscribe_url=f"{subscribe_url}?{query}", now=now)
    return subscription


def _new_subscription(db: Session, topic: SnsTopic, protocol: str, endpoint: str, *,
                      now: datetime) -> SnsSubscription:
    count = db.scalar(select(func.count()).select_from(SnsSubscription).where(SnsSubscription.topic_id == topic.id))
    if (count or 0) >= MAX_SUBSCRIPTIONS_PER_TOPIC:
        raise InvalidStateError(f"A topic has at most {MAX_SUBSCRIPTIONS_PER_TOPIC} subscriptions",
                                entity="sns_subscription", reason="SubscriptionLimitExceeded")
    subscription = SnsSubscription(arn=f"{topic.arn}:{uuid.uuid4()}", topic=topic, protocol=protocol,
                                   endpoint=endpoint, token=secrets.token_hex(32), token_issued_at=now,
                                   created_at=now)
    db.add(subscription)
    db.flush()
    return subscription


def confirm_subscription(rt: Runtime, actor: Actor | None, topic_arn: str, token: str) -> SnsSubscription:
    """Confirm the subscription that was sent ``token``. ``actor`` is None for the unsigned GET of a
    SubscribeURL, where the token alone is the proof (as on SNS); a signed call must own the topic."""
    now = rt.clock()
    with rt.sessions.begin() as db:
        if actor is not None:
            require_requester(actor)
            topic = _owned_topic(db, actor, topic_arn, "ConfirmSubscription")
        else:
            _arn(topic_arn, "topic_arn")
            topic = db.scalars(select(SnsTopic).where(SnsTopic.arn == topic_arn)).one_or_none()
            if topic is None:
                raise NotFoundError("Topic does not exist", entity="sns_topic")
        subscription = db.scalars(select(SnsSubscription).where(
            SnsSubscription.topic_id == topic.id, SnsSubscription.token == token)).one_or_none()
        if subscription is None or (subscription.pending_confirmation
                                    and now > subscription.token_issued_at + CONFIRMATION_WINDOW):
            raise InvalidInputError({"token": "is not a valid confirmation token for this topic"},
                                    entity="sns_subscription")
        if subscription.pending_confirmation:
            subscription.confirmed_at = now
        return subscription


def unsubscribe(rt: Runtime, actor: Actor, subscription_arn: str) -> None:
    require_requester(actor)
    with rt.sessions.begin() as db:
        db.delete(_owned_subscription(db, actor, subscription_arn, "Unsubscribe"))


def get_subscription(rt: Runtime, actor: Actor, subscription_arn: str) -> SnsSubscription:
    """One of the requester's subscriptions (for GetSubscriptionAttributes: PendingConfirmation...)."""
    require_requester(actor)
    with rt.sessions() as db:
        return _owned_subscription(db, actor, subscription_arn, "GetSubscriptionAttributes")


def list_subscriptions(rt: Runtime, actor: Actor, topic_arn: str, *, cursor: str | None = None,
                       limit: int = 100) -> Page[SnsSubscription]:
    require_requester(actor)
    with rt.sessions() as db:
        topic = _owned_topic(db, actor, topic_arn, "ListSubscriptionsByTopic")
        stmt = select(SnsSubscription).where(SnsSubscription.topic_id == topic.id)
        return paginate(db, stmt, SnsSubscription.id, cursor, limit)
