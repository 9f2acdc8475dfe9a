"""The SNS-compatible endpoint: ``POST /mturk/sns`` in the AWS Query protocol (API 2010-03-31), so that an
MTurk client which subscribes its HIT types to an SNS topic works against LabelHub unchanged.

boto3's ``sns`` client reaches it with ``endpoint_url=BASE + "/mturk/sns"`` or the environment variable
``AWS_ENDPOINT_URL_SNS``, signed (SigV4, service ``sns``) with the same access keys as the MTurk endpoint.
Operations: CreateTopic, ListTopics, DeleteTopic, Subscribe, ConfirmSubscription,
GetSubscriptionAttributes, ListSubscriptionsByTopic, Unsubscribe (labelhub.services.sns_topics has the
rules). ``GET /mturk/sns?Action=ConfirmSubscription&TopicArn=...&Token=...`` is the SubscribeURL of a
SubscriptionConfirmation: the token alone confirms, as on SNS. Answers are SNS's XML documents; errors are
``<ErrorResponse>`` documents whose Code botocore turns into the client's modeled exceptions
(InvalidParameterException, NotFoundException, AuthorizationErrorException...).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import parse_qsl
from xml.etree.ElementTree import Element, SubElement, tostring

from flask import Response, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from labelhub.errors import (
    DomainError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from labelhub.models import Marketplace, SnsSubscription
from labelhub.mturk import sigv4
from labelhub.mturk.errors import ProtocolError
from labelhub.mturk.protocol import signed_request
from labelhub.runtime import Runtime
from labelhub.services import sns_topics
from labelhub.services.actors import Actor

NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/"
SERVICE = "sns"
SIGNED_HEADERS = ("host", "x-amz-date")  # the operation is named in the signed body
FORM = "application/x-www-form-urlencoded"
PAGE_SIZE = 100
PENDING = "pending confirmation"
WIRE_NAMES = {"name": "Name", "topic_arn": "TopicArn", "subscription_arn": "SubscriptionArn",
              "protocol": "Protocol", "endpoint": "Endpoint", "token": "Token", "cursor": "NextToken",
              "region": "the credential scope's region"}
# ProtocolError type (labelhub.mturk.sigv4) -> the Query protocol's code and HTTP status.
AUTH_ERRORS = {"MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
               "IncompleteSignatureException": ("IncompleteSignature", 400),
               "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
               "UnrecognizedClientException": ("InvalidClientTokenId", 403)}
# Parameters SNS has that LabelHub does not act on: refused rather than silently ignored.
UNSUPPORTED = ("Attributes", "Tags", "DataProtectionPolicy")


class SnsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class QueryParams:
    """One call's form parameters; each operation reads the ones it declares."""

    def __init__(self, pairs: dict[str, str]) -> None:
        self._pairs = pairs

    def required(self, name: str) -> str:
        value = self._pairs.get(name)
        if not value:
            raise SnsError("InvalidParameter", f"Invalid parameter: {name} Reason: is required")
        return value

    def optional(self, name: str) -> str | None:
        return self._pairs.get(name)

    def boolean(self, name: str) -> bool:
        value = (self._pairs.get(name) or "false").lower()
        if value not in ("true", "false"):
            raise SnsError("InvalidParameter", f"Invalid parameter: {name} Reason: must be true or false")
        return value == "true"


def _element(parent: Element, name: str, text: str | None = None) -> Element:
    child = SubElement(parent, name)
    child.text = text
    return child


def _xml(root: Element, status: int) -> Response:
    return Response(b'<?xml version="1.0"?>\n' + tostring(root, encoding="utf-8", xml_declaration=False),
                    status, {"Content-Type": "text/xml", "x-amzn-RequestId": root.findtext(".//RequestId") or ""})


def _answer(action: str, result: Element | None) -> Response:
    root = Element(f"{action}Response", xmlns=NAMESPACE)
    if result is not None:
        root.append(result)
    _element(_element(root, "ResponseMetadata"), "RequestId", str(uuid.uuid4()))
    return _xml(root, 200)


def _error(exc: SnsError) -> Response:
    root = Element("ErrorResponse", xmlns=NAMESPACE)
    error = _element(root, "Error")
    _element(error, "Type", "Receiver" if exc.status >= 500 else "Sender")
    _element(error, "Code", exc.code)
    _element(error, "Message", exc.message)
    _element(root, "RequestId", str(uuid.uuid4()))
    return _xml(root, exc.status)


def _result(action: str, **members: str) -> Element:
    result = Element(f"{action}Result")
    for name, value in members.items():
        _element(result, name, value)
    return result


def _subscription_arn(subscription: SnsSubscription) -> str:
    return PENDING if subscription.pending_confirmation else subscription.arn


def create_topic(rt: Runtime, actor: Actor, p: QueryParams, region: str) -> Element:
    topic = sns_topics.create_topic(rt, actor, p.required("Name"), region=region)
    return _result("CreateTopic", TopicArn=topic.arn)


def delete_topic(rt: Runtime, actor: Actor, p: QueryParams, region: str) -> None:
    sns_topics.delete_topic(rt, actor, p.required("TopicArn"))


def list_topics(rt: Runtime, actor: Actor, p: QueryParams, region: str) -> Element:
    page = sns_topics.list_topics(rt, actor, cursor=p.optional("NextToken"), limit=PAGE_SIZE)
    result = Element("ListTopicsResult")
    topics = _element(result, "Topics")
    for topic in page.items:
        _element(_element(topics, "member"), "TopicArn", topic.arn)
    if page.next_cursor:
        _element(result, "NextToken", page.next_cursor)
    return result


def subscribe(rt: Runtime, actor: Actor, p: QueryParams, region: str) -> Element:
    subscription = sns_topics.subscribe(
        rt, actor, p.required("TopicArn"), protocol=p.required("Protocol"), endpoint=p.required("Endpoint"),
        subscribe_url=url_for("mturk.sns_endpoint", _external=True))
    arn = subscription.arn if p.boolean("ReturnSubscriptionArn") else _subscription_arn(subscription)
    return _result("Subscribe", SubscriptionArn=arn)


def confirm_subscription(rt: Runtime, actor: Actor | None, p: QueryParams, region: str) -> Element:
    p.boolean("AuthenticateOnUnsubscribe")  # checked; LabelHub's Unsubscribe is always authenticated
    subscription = sns_topics.confirm_subscription(rt, actor, p.required("TopicArn"), p.required("Token"))
    return _result("ConfirmSubscription", SubscriptionArn=subscription.arn)


def get_subscription_attributes(rt: Runtime, actor: Actor, p: QueryParams, region: str) -> Element:
    subscription = sns_topics.get_subscription(rt, actor, p.required("SubscriptionArn"))
    attributes = {"SubscriptionArn": subscription.arn, "TopicArn": subscription.topic.arn,
                  "Owner": actor.public_id, "Protocol": subscription.protocol, "Endpoint": subscription.endpoint,
                  "PendingConfirmation": str(subscription.pending_confirmation).lower(),
                  "RawMessageDelivery": "false"}
    result = Element("GetSubscriptionAttributesResult")
    entries = _element(result, "Attributes")
    for key, value in attributes.items():
        entry = _element(entries, "entry")
        _element(entry, "key", key)
        _element(entry, "value", value)
    return result


def list_subscriptions_by_topic(rt: Runtime, actor: Actor, p: QueryParams, region: str) -> Element:
    page = sns_topics.list_subscriptions(rt, actor, p.required("TopicArn"), cursor=p.optional("NextToken"),
                                         limit=PAGE_SIZE)
    result = Element("ListSubscriptionsByTopicResult")
    members = _element(result, "Subscriptions")
    for subscription in page.items:
        member = _element(members, "member")
        for name, value in (("SubscriptionArn", _subscription_arn(subscription)), ("Owner", actor.public_id),
                            ("Protocol", subscription.protocol), ("Endpoint", subscription.endpoint),
                            ("TopicArn", subscription.topic.arn)):
            _element(member, name, value)
    if page.next_cursor:
        _element(result, "NextToken", page.next_cursor)
    return result


def unsubscribe(rt: Runtime, actor: Actor, p: QueryParams, region: str) -> None:
    sns_topics.unsubscribe(rt, actor, p.required("SubscriptionArn"))


Operation = Callable[[Runtime, Actor, QueryParams, str], Element | None]

# Action -> (function, the parameters it reads besides Action and Version).
OPERATIONS: dict[str, tuple[Operation, frozenset[str]]] = {
    "CreateTopic": (create_topic, frozenset({"Name"})),
    "DeleteTopic": (delete_topic, frozenset({"TopicArn"})),
    "ListTopics": (list_topics, frozenset({"NextToken"})),
    "Subscribe": (subscribe, frozenset({"TopicArn", "Protocol", "Endpoint", "ReturnSubscriptionArn"})),
    "ConfirmSubscription": (confirm_subscription, frozenset({"TopicArn", "Token", "AuthenticateOnUnsubscribe"})),
    "GetSubscriptionAttributes": (get_subscription_attributes, frozenset({"SubscriptionArn"})),
    "ListSubscriptionsByTopic": (list_subscriptions_by_topic, frozenset({"TopicArn", "NextToken"})),
    "Unsubscribe": (unsubscribe, frozenset({"SubscriptionArn"})),
}


def _pairs(raw: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise SnsError("MalformedQueryString", "The request must be a UTF-8 form (application/x-www-form-"
                                               "urlencoded) of Action, Version and parameters") from None
    found: dict[str, str] = {}
    for key, value in pairs:
        if key in found:
            raise SnsError("InvalidParameter", f"Invalid parameter: {key} Reason: is given more than once")
        if "\x00" in value:
            raise SnsError("InvalidParameter", f"Invalid parameter: {key} Reason: must not contain NUL")
        found[key] = value
    return found


def _operation(pairs: dict[str, str]) -> Operation:
    action = pairs.get("Action", "")
    if action not in OPERATIONS:
        raise SnsError("InvalidAction", f"The action {action or '(none)'} is not valid for this web service.")
    operation, accepted = OPERATIONS[action]
    for key in pairs:
        name = key.split(".", 1)[0]
        if name in UNSUPPORTED:
            raise SnsError("InvalidParameter", f"Invalid parameter: {name} Reason: LabelHub topics and "
                                               "subscriptions take no attributes, tags or policies")
        if name not in accepted | {"Action", "Version"}:
            raise SnsError("InvalidParameter", f"Invalid parameter: {key} Reason: {action} has no such parameter")
    return operation


def _from_domain(exc: DomainError) -> SnsError:
    if isinstance(exc, InvalidInputError):
        field, problem = next(iter(exc.fields.items()))
        return SnsError("InvalidParameter", f"Invalid parameter: {WIRE_NAMES.get(field, field)} Reason: {problem}")
    if isinstance(exc, NotFoundError):
        return SnsError("NotFound", exc.message, 404)
    if isinstance(exc, PermissionDeniedError):
        return SnsError("AuthorizationError", exc.message, 403)
    if isinstance(exc, InvalidStateError) and exc.context.get("reason"):
        return SnsError(exc.context["reason"], exc.message, 403)
    return SnsError("InvalidState" if isinstance(exc, InvalidStateError) else "InvalidParameter", exc.message)


def _call(rt: Runtime) -> Response:
    if request.method == "GET":  # a SubscribeURL
        pairs = _pairs(request.query_string)
        if pairs.get("Action") != "ConfirmSubscription":
            raise SnsError("InvalidAction", "Only ConfirmSubscription (a SubscribeURL) is answered to GET")
        return _answer("ConfirmSubscription", confirm_subscription(rt, None, QueryParams(pairs), ""))
    req = signed_request()
    try:
        actor = sigv4.verify(rt, Marketplace.PRODUCTION, req, service=SERVICE, required_headers=SIGNED_HEADERS)
    except ProtocolError as exc:
        code, status = AUTH_ERRORS.get(exc.error_type, ("InvalidClientTokenId", 403))
        raise SnsError(code, exc.message, status) from None
    if request.mimetype != FORM:
        raise SnsError("MalformedQueryString", f"The request body must be {FORM}")
    pairs = _pairs(req.body)
    operation = _operation(pairs)
    return _answer(pairs["Action"], operation(rt, actor, QueryParams(pairs), sigv4.credential_region(req)))


def handle(rt: Runtime) -> Response:
    """One SNS API call."""
    try:
        return _call(rt)
    except SnsError as exc:
        return _error(exc)
    except DomainError as exc:
        return _error(_from_domain(exc))
    except HTTPException as exc:  # e.g. a body over the configured size limit
        return _error(SnsError("InvalidParameter", exc.description or exc.name, exc.code or 400))
    except Exception:
        current_app.logger.exception("SNS API call failed")
        return _error(SnsError("InternalError", "Internal Error", 500))
