"""Worker operations: blocks and messages."""

from __future__ import annotations

from typing import Any

from labelhub.mturk import pages, shapes
from labelhub.mturk.params import Params
from labelhub.runtime import Runtime
from labelhub.services import workers
from labelhub.services.actors import Actor
from labelhub.services.commands import NotifyWorkers


def create_worker_block(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    workers.block(rt, actor, p.worker_id(), p.required_string("Reason"))
    return {}


def delete_worker_block(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    workers.unblock(rt, actor, p.worker_id(), p.string("Reason", allow_empty=True))
    return {}


def list_worker_blocks(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    return pages.paged(p, "ListWorkerBlocks", "WorkerBlocks",
                       lambda cursor, limit: workers.list_blocks(rt, actor, cursor=cursor, limit=limit),
                       shapes.worker_block)


def notify_workers(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    cmd = NotifyWorkers(subject=p.required_string("Subject"), message=p.required_string("MessageText"),
                        worker_ids=p.worker_ids("WorkerIds"))
    failures = workers.notify(rt, actor, cmd)
    return {"NotifyWorkersFailureStatuses": [shapes.notify_failure(f) for f in failures]}
