"""Notification operations: UpdateNotificationSettings and SendTestEventNotification.

LabelHub delivers notifications as signed HTTP(S) webhooks (Transport SNS with an http(s):// URL);
labelhub.services.notifications describes the message format and how a receiver checks its signature.
"""

from __future__ import annotations

from typing import Any

from labelhub.errors import InvalidInputError
from labelhub.mturk.params import Params
from labelhub.runtime import Runtime
from labelhub.services import notifications
from labelhub.services.actors import Actor
from labelhub.services.notifications import TEST_EVENT_TYPES, TRANSPORTS, NotificationSpec

WIRE_NAMES = {"destination": "Notification.Destination", "transport": "Notification.Transport",
              "version": "Notification.Version", "event_types": "Notification.EventTypes",
              "notification": "Notification", "event_type": "TestEventType"}


def structure(p: Params, name: str, *, required: bool = False) -> Params | None:
    """A member that is one structure, as Params whose problems name ``Name.Member``.

    Params reads lists of structures only; this reads its body until it offers single ones too.
    """
    raw = p._body.get(name)  # noqa: SLF001
    if raw is None:
        if required:
            raise p.refuse(name, "is required")
        return None
    if not isinstance(raw, dict):
        raise p.refuse(name, "must be a structure")
    return Params(raw, prefix=f"{name}.")


def _spec(n: Params) -> NotificationSpec:
    return NotificationSpec(destination=n.required_string("Destination"),
                            transport=n.enum("Transport", TRANSPORTS, required=True) or "",
                            version=n.required_string("Version"),
                            event_types=n.enum_list("EventTypes", TEST_EVENT_TYPES))


def _renamed(exc: InvalidInputError) -> InvalidInputError:
    return InvalidInputError({WIRE_NAMES.get(k, k): v for k, v in exc.fields.items()}, entity=exc.entity)


def update_notification_settings(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    hit_type_id = p.entity_id("HITTypeId")
    notification, active = structure(p, "Notification"), p.boolean("Active")
    try:
        spec = _spec(notification) if notification is not None else None
        notifications.update_settings(rt, actor, hit_type_id, spec=spec, active=active)
    except InvalidInputError as exc:
        raise _renamed(exc) from None
    return {}


def send_test_event_notification(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    notification = structure(p, "Notification", required=True)
    event_type = p.enum("TestEventType", TEST_EVENT_TYPES, required=True) or ""
    assert notification is not None
    try:
        notifications.send_test_event(rt, actor, _spec(notification), event_type)
    except InvalidInputError as exc:
        raise _renamed(exc) from None
    return {}
