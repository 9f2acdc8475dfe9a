"""Who is acting: adapters authenticate and build an Actor; services authorize on it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from labelhub.errors import PermissionDeniedError
from labelhub.models import Marketplace


@dataclass(frozen=True)
class Actor:
    kind: Literal["requester", "worker", "system"]
    id: int
    public_id: str
    marketplace: Marketplace = Marketplace.PRODUCTION

    @property
    def label(self) -> str:
        """How the event log names this actor."""
        return f"{self.kind}:{self.public_id}"

    def in_marketplace(self, marketplace: Marketplace) -> Actor:
        return replace(self, marketplace=marketplace)


def system_actor(marketplace: Marketplace) -> Actor:
    return Actor(kind="system", id=0, public_id="system", marketplace=marketplace)


def require_requester(actor: Actor) -> None:
    if actor.kind != "requester":
        raise PermissionDeniedError("Only a requester may do this", entity="requester")


def require_worker(actor: Actor) -> None:
    if actor.kind != "worker":
        raise PermissionDeniedError("Only a worker may do this", entity="worker")
