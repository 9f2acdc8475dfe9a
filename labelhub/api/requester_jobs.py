"""The requester's background jobs (aggregations, LLM scoring, webhooks, exports): state and progress."""

from __future__ import annotations

from typing import Any

from labelhub.api import schemas, serializers
from labelhub.api.responses import page_of, ref
from labelhub.api.routing import Routes, runtime
from labelhub.services import job_queue
from labelhub.services.actors import Actor

routes = Routes(tag="Requester: jobs", prefix="/requester", role="requester")


@routes.get("/jobs", summary="The requester's background jobs, oldest first", query=schemas.JOBS_QUERY,
            response=page_of("Job"))
def list_jobs(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = job_queue.list_jobs(runtime(), actor, state=query.get("state"), kind=query.get("kind"),
                                cursor=query.get("cursor"), limit=query["limit"])
    return serializers.page(found, serializers.job)


@routes.get("/jobs/<job_id>", summary="One job's state, progress, result or error", response=ref("Job"))
def get_job(actor: Actor, job_id: str) -> dict[str, Any]:
    return serializers.job(job_queue.get_job(runtime(), actor, job_id))
