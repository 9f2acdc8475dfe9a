"""The requester's batches: create from rows, progress, quality settings, consensus labels, worker scores,
and gold HITs."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from labelhub.api import inputs, schemas, serializers
from labelhub.api.requester_hits import hit_document
from labelhub.api.responses import page_of, ref
from labelhub.api.routing import Routes, runtime
from labelhub.errors import InvalidInputError
from labelhub.models import BatchState
from labelhub.services import (
    batch_builds,
    batch_files,
    batch_quality,
    batch_results,
    batches,
    gold,
    llm_flags,
    requester_pages,
)
from labelhub.services.actors import Actor

routes = Routes(tag="Requester: batches and quality", prefix="/requester", role="requester")


@routes.post("/batches", summary="Create a batch: one HIT per row (rows with _gold become gold HITs). Up to "
             f"{batches.CHUNK_ROWS:,} rows: 201 with the batch; more: 202 with the job that writes its HITs (its "
             "Location; the batch is listed, without HITs, until the job succeeds, and removed if it fails)",
             body=schemas.CREATE_BATCH, response=ref("Batch"), status=201, accepted=ref("Job"))
def create_batch(actor: Actor, body: dict[str, Any]) -> Any:
    return _created(batches.batch_from_settings(body, body["rows"]), actor)


UPLOAD = {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "settings"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "the rows: CSV with a header row (MTurk's batch input file; a _gold column holds a "
                                "gold row's answer as JSON) or JSON Lines, UTF-8 (a byte-order mark and CRLF are "
                                "fine)"},
        "settings": schemas.BATCH_SETTINGS | {"description": "the batch as JSON: the fields of POST "
                                                             "/requester/batches without rows"},
        "format": {"type": "string", "enum": ["csv", "jsonl"],
                   "description": "the file's format; default: from its name (.csv, .jsonl, .ndjson)"}}},
    "encoding": {"settings": {"contentType": "application/json"}}}}


@routes.post("/batch-files", summary="Create a batch from a CSV or JSON Lines file (multipart: file and "
             "settings); answers as POST /requester/batches", upload=UPLOAD, response=ref("Batch"), status=201,
             accepted=ref("Job"))
def create_batch_from_file(actor: Actor) -> Any:
    if request.mimetype != "multipart/form-data":
        raise InvalidInputError({"content_type": f"must be multipart/form-data (got {request.mimetype or 'none'})"})
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInputError({"file": "send the rows in a multipart field named file"})
    if "settings" not in request.form:
        raise InvalidInputError({"settings": "send the batch's settings as JSON in a multipart field named settings"})
    settings = inputs.checked_json(schemas.BATCH_SETTINGS, request.form["settings"], field="settings")
    rows = batch_files.read_rows(upload.read(),
                                 batch_files.file_format(upload.filename, request.form.get("format") or None))
    return _created(batches.batch_from_settings(settings, rows), actor)


def _created(command: batches.CreateBatch, actor: Actor) -> Any:
    """201 with the batch, or 202 with the job that writes a large batch's HITs."""
    rt = runtime()
    created = batches.create_batch(rt, actor, command)
    if created.state is BatchState.BUILDING:
        job = batch_builds.build_job(rt, actor, created.public_id)
        return serializers.job(job), 202, {"Location": url_for("api.get_job", job_id=job.public_id)}
    return serializers.batch(batch_results.batch_summary(rt, actor, created.public_id))


@routes.get("/batches", summary="The requester's batches, oldest first", query=schemas.PAGE,
            response=page_of("Batch"))
def list_batches(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = batch_results.list_batch_summaries(runtime(), actor, cursor=query.get("cursor"), limit=query["limit"])
    return serializers.page(found, serializers.batch)


@routes.get("/batches/<batch_id>", summary="A batch's progress, quality settings and last aggregation",
            response=ref("Batch"))
def get_batch(actor: Actor, batch_id: str) -> dict[str, Any]:
    return serializers.batch(batch_results.batch_summary(runtime(), actor, batch_id))


@routes.put("/batches/<batch_id>/quality", summary="Replace the batch's consensus and quality settings "
            "(the batch is aggregated again)", body=schemas.QUALITY, response=ref("Batch"))
def set_quality(actor: Actor, batch_id: str, body: dict[str, Any]) -> dict[str, Any]:
    rt = runtime()
    batch_quality.update_quality(rt, actor, batch_id, batch_quality.QualitySettings.parse(body))
    return serializers.batch(batch_results.batch_summary(rt, actor, batch_id))


@routes.post("/batches/<batch_id>/aggregate", summary="Aggregate the batch again now (in the background)",
             response=ref("Batch"), status=202)
def aggregate(actor: Actor, batch_id: str) -> dict[str, Any]:
    rt = runtime()
    batch_quality.request_run(rt, actor, batch_id)
    return serializers.batch(batch_results.batch_summary(rt, actor, batch_id))


@routes.get("/batches/<batch_id>/consensus", summary="The consensus label and confidence of each HIT",
            query=schemas.CONSENSUS_QUERY, response=page_of("ConsensusLabel"))
def list_consensus(actor: Actor, batch_id: str, query: dict[str, Any]) -> dict[str, Any]:
    found = batch_results.consensus_labels(runtime(), actor, batch_id, below=query.get("below"),
                                           cursor=query.get("cursor"), limit=query["limit"])
    return serializers.page(found, serializers.consensus_label)


@routes.get("/batches/<batch_id>/workers", summary="Each worker's accuracy, gold record and spammer signs "
            "in this batch", query=schemas.PAGE, response=page_of("WorkerScore"))
def list_batch_workers(actor: Actor, batch_id: str, query: dict[str, Any]) -> dict[str, Any]:
    found = batch_results.batch_worker_scores(runtime(), actor, batch_id, cursor=query.get("cursor"),
                                              limit=query["limit"])
    return serializers.page(found, serializers.worker_score)


@routes.get("/batches/<batch_id>/flags", summary="Text answers scored for LLM authorship, with their "
            "reasons; filter by band and probability", query=schemas.FLAGS_QUERY, response=page_of("AnswerFlag"))
def list_flags(actor: Actor, batch_id: str, query: dict[str, Any]) -> dict[str, Any]:
    found = llm_flags.list_flags(runtime(), actor, batch_id, bands=tuple(query.get("band", ())),
                                 min_probability=query.get("min_probability"), cursor=query.get("cursor"),
                                 limit=query["limit"])
    return serializers.page(found, serializers.answer_flag)


@routes.get("/worker-scores", summary="Each worker's accuracy over all of the requester's batches",
            query=schemas.PAGE, response=page_of("WorkerScore"))
def list_worker_scores(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = batch_results.requester_worker_scores(runtime(), actor, cursor=query.get("cursor"),
                                                  limit=query["limit"])
    return serializers.page(found, serializers.worker_score)


@routes.put("/hits/<hit_id>/gold", summary="Make a batch HIT gold with its known answer", body=schemas.GOLD,
            response=ref("HIT"))
def mark_gold(actor: Actor, hit_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return hit_document(gold.mark_gold(runtime(), actor, hit_id, body["answer"]))


@routes.delete("/hits/<hit_id>/gold", summary="Make a gold HIT an ordinary one again", response=ref("HIT"))
def clear_gold(actor: Actor, hit_id: str) -> dict[str, Any]:
    return hit_document(gold.clear_gold(runtime(), actor, hit_id))


SVG = {"type": "string", "description": "an SVG document"}


@routes.get("/batches/<batch_id>/plots/workers.svg", summary="Plot: each worker's accuracy with its 95% interval "
            "(one page of workers)", query=schemas.PAGE, response=SVG, media_type="image/svg+xml")
def plot_workers(actor: Actor, batch_id: str, query: dict[str, Any]) -> str:
    return requester_pages.batch_plot(runtime(), actor, batch_id, "workers", cursor=query.get("cursor"),
                                      limit=query["limit"])


@routes.get("/batches/<batch_id>/plots/confusion.svg", summary="Plot: a worker's confusion matrix, or the crowd's",
            query=schemas.CONFUSION_QUERY, response=SVG, media_type="image/svg+xml")
def plot_confusion(actor: Actor, batch_id: str, query: dict[str, Any]) -> str:
    return requester_pages.batch_plot(runtime(), actor, batch_id, "confusion", worker_id=query.get("worker_id"))


@routes.get("/batches/<batch_id>/plots/progress.svg", summary="Plot: assignments by state and HITs by consensus "
            "confidence", response=SVG, media_type="image/svg+xml")
def plot_progress(actor: Actor, batch_id: str) -> str:
    return requester_pages.batch_plot(runtime(), actor, batch_id, "progress")
