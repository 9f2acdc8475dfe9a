"""Builders for test data that go through the real services (so the ledger and events stay true)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from labelhub.models import Marketplace
from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import accounts, hits, payments
from labelhub.services.actors import Actor
from labelhub.services.commands import CreateHIT, HITTypeSpec, Locale

_counter = itertools.count(1)


@dataclass(frozen=True)
class RequesterHandle:
    actor: Actor
    credentials: accounts.RequesterCredentials

    def sandbox(self) -> Actor:
        return self.actor.in_marketplace(Marketplace.SANDBOX)


@dataclass(frozen=True)
class WorkerHandle:
    actor: Actor
    credentials: accounts.WorkerCredentials


class Factory:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def requester(self, name: str | None = None, *, deposit: str | None = "100.00") -> RequesterHandle:
        creds = accounts.create_requester(self.rt, name or f"requester{next(_counter)}")
        if deposit:
            payments.deposit(self.rt, creds.requester_id, parse_amount(deposit))
        actor = accounts.requester_actor(self.rt, creds.requester_id, Marketplace.PRODUCTION)
        return RequesterHandle(actor, creds)

    def worker(self, name: str | None = None, *, country: str | None = "US", subdivision: str | None = None,
               adult: bool = False, marketplace: Marketplace = Marketplace.PRODUCTION) -> WorkerHandle:
        creds = accounts.create_worker(self.rt, name or f"worker{next(_counter)}", password="correct-horse-1",
                                       locale=Locale(country, subdivision) if country else None, adult=adult)
        actor = accounts.authenticate_token(self.rt, creds.api_token, marketplace)
        return WorkerHandle(actor, creds)

    @staticmethod
    def hit_type_spec(**overrides: Any) -> HITTypeSpec:
        values: dict[str, Any] = {"title": "Is there a cat?", "description": "Look at the photo and answer.",
                                  "reward_micros": parse_amount("0.50"), "assignment_duration_seconds": 600,
                                  "auto_approval_delay_seconds": 86_400, "keywords": "image, cats"}
        return HITTypeSpec(**(values | overrides))

    def hit(self, requester: Actor, *, max_assignments: int = 3, lifetime_seconds: int = 3600,
            hit_type: HITTypeSpec | None = None, **overrides: Any):
        cmd = CreateHIT(question="<p>Is there a cat in ${image}?</p>", lifetime_seconds=lifetime_seconds,
                        max_assignments=max_assignments, hit_type=hit_type or self.hit_type_spec(), **overrides)
        return hits.create_hit(self.rt, requester, cmd).value
