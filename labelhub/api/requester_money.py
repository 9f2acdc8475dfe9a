"""The requester's money: bonuses and the account balance."""

from __future__ import annotations

from typing import Any

from labelhub.api import parsing, schemas, serializers
from labelhub.api.responses import page_of, ref
from labelhub.api.routing import Routes, runtime
from labelhub.services import payments
from labelhub.services.actors import Actor
from labelhub.services.payments import BonusView

routes = Routes(tag="Requester: money", prefix="/requester", role="requester")


@routes.post("/bonuses", summary="Pay a worker a bonus for an assignment (201), or get the first one "
             "back for a repeated unique_request_token (200)", body=schemas.SEND_BONUS, response=ref("Bonus"),
             status=201, replay_status=200)
def send_bonus(actor: Actor, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    cmd = parsing.send_bonus(body)
    sent = payments.send_bonus(runtime(), actor, cmd)
    paid = BonusView(sent.value, sent.value.worker.public_id, sent.value.assignment.public_id)
    return serializers.bonus(paid), 200 if sent.replayed else 201


@routes.get("/bonuses", summary="Bonuses paid for one HIT or one assignment (give hit_id or assignment_id)",
            query=schemas.BONUSES_QUERY, response=page_of("Bonus"))
def list_bonuses(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = payments.list_bonuses(runtime(), actor, hit_id=query.get("hit_id"),
                                  assignment_id=query.get("assignment_id"), cursor=query.get("cursor"),
                                  limit=query["limit"])
    return serializers.page(found, serializers.bonus)


@routes.get("/balance", summary="Available funds and funds held for live HITs", response=ref("Balance"))
def get_balance(actor: Actor) -> dict[str, Any]:
    rt = runtime()
    return serializers.balance(payments.balance(rt, actor), rt.settings.money.currency)
