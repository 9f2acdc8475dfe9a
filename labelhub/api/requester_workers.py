"""The requester's relations with workers: blocks and messages."""

from __future__ import annotations

from typing import Any

from labelhub.api import parsing, schemas, serializers
from labelhub.api.responses import page_of, ref
from labelhub.api.routing import Routes, runtime
from labelhub.services import workers
from labelhub.services.actors import Actor
from labelhub.services.workers import BlockView

routes = Routes(tag="Requester: workers", prefix="/requester", role="requester")


@routes.put("/blocks/<worker_id>", summary="Block a worker from the requester's HITs (again: new reason)",
            body=schemas.BLOCK, response=ref("WorkerBlock"))
def block_worker(actor: Actor, worker_id: str, body: dict[str, Any]) -> dict[str, Any]:
    workers.block(runtime(), actor, worker_id, body["reason"])
    return serializers.block(BlockView(worker_id, body["reason"]))


@routes.delete("/blocks/<worker_id>", summary="Unblock a worker (a worker who is not blocked is fine too)",
               query=schemas.REASON_QUERY, status=204)
def unblock_worker(actor: Actor, worker_id: str, query: dict[str, Any]) -> tuple[str, int]:
    workers.unblock(runtime(), actor, worker_id, query.get("reason"))
    return "", 204


@routes.get("/blocks", summary="Workers the requester blocked", query=schemas.PAGE,
            response=page_of("WorkerBlock"))
def list_blocks(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = workers.list_blocks(runtime(), actor, cursor=query.get("cursor"), limit=query["limit"])
    return serializers.page(found, serializers.block)


@routes.post("/messages", summary="Message workers whose work the requester reviewed; failures are listed",
             body=schemas.NOTIFY, response=ref("NotifyResult"))
def notify_workers(actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    return serializers.notify_result(workers.notify(runtime(), actor, parsing.notify(body)))
