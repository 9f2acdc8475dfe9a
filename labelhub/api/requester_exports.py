"""The requester's exports: POST /requester/batches/<id>/exports answers 202 with the export and its
job; poll the export (or the job) until it has succeeded, then download its file (streamed, with
Content-Disposition). Files are kept for ``[exports] retention_days``."""

from __future__ import annotations

from typing import Any

from flask import Response, send_file, url_for
from flask.typing import ResponseReturnValue

from labelhub.api import auth, inputs, serializers
from labelhub.api.responses import INTEGER, STRING, TIMESTAMP, nullable, record, ref
from labelhub.api.routing import Endpoint, Routes, runtime
from labelhub.api.schemas import BOOLEAN, PAGE, between, obj
from labelhub.models import JobState, Marketplace
from labelhub.services import exports
from labelhub.services.actors import Actor
from labelhub.services.export_commands import (
    FORMATS,
    GOLD,
    MAX_SEED,
    MAX_SPLIT_SIZE,
    RECORDS,
    SPLITS,
    STATUSES,
    ExportFilters,
    ExportRequest,
)
from labelhub.services.exports import ExportView

routes = Routes(tag="Requester: exports", prefix="/requester", role="requester")

SPLIT_SIZE = between(0, MAX_SPLIT_SIZE, "number")
CREATE_EXPORT = obj({
    "format": {"type": "string", "enum": list(FORMATS),
               "description": "the file format; it must suit the batch's task type (boxes: coco, yolo, voc; "
                              "spans: conll, spans-jsonl; answers: mturk-csv; any: csv, jsonl, parquet)"},
    "answers": BOOLEAN | {"default": False, "description": "one record per assignment instead of one per HIT"},
    "status": {"type": "string", "enum": list(STATUSES), "default": STATUSES[0],
               "description": "submitted: every submitted answer (with its status); approved: approved answers "
                              "only (consensus records: HITs whose counted answers are all approved)"},
    "min_confidence": between(0, 1, "number") | {"description": "only HITs whose consensus confidence is at "
                                                                "least this (gold HITs always pass)"},
    "exclude_llm_flagged": BOOLEAN | {"default": False, "description": "leave out answers flagged as LLM-written "
                                      "(consensus records: HITs whose consensus counted one)"},
    "gold": {"type": "string", "enum": list(GOLD), "default": GOLD[0], "description": "gold HITs in, out, or only"},
    "split": obj({name: SPLIT_SIZE for name in SPLITS}, *SPLITS, anyOf=[
        {"properties": {name: {"exclusiveMinimum": 0}}} for name in SPLITS]) | {
        "description": "relative sizes of seeded train/validation/test splits, stratified by label (e.g. 0.8, "
                       "0.1, 0.1); at least one above 0"},
    "seed": between(0, MAX_SEED, default=0, description="the splits' seed: the same seed, the same splits"),
    "split_files": BOOLEAN | {"default": False, "description": "one file per split (downloaded as one zip) "
                                                               "instead of a split column; needs split"},
    "include_images": BOOLEAN | {"default": False, "description": "copy the stored images into the zip "
                                                                  "(yolo and voc only)"},
}, "format")

EXPORT = record({
    "export_id": STRING,
    "batch_id": STRING,
    "format": STRING,
    "records": {"type": "string", "enum": list(RECORDS)},
    "filters": {"type": "object", "description": "the filters and splits asked for"},
    "state": {"type": "string", "enum": [state.value for state in JobState],
              "description": "succeeded once the file is written"},
    "job": {"anyOf": [ref("Job"), {"type": "null"}], "description": "the job writing the file (its progress); "
                                                                    "null once the job record has been pruned"},
    "file_name": nullable(STRING),
    "media_type": nullable(STRING),
    "size_bytes": nullable(INTEGER),
    "record_count": nullable(INTEGER),
    "download_url": nullable(STRING) | {"description": "where to download the file, once it is written"},
    "created_at": TIMESTAMP,
    "finished_at": nullable(TIMESTAMP),
    "expires_at": TIMESTAMP | {"description": "when the file and this record are deleted"},
    "error": nullable(STRING),
})
EXPORT_PAGE = record({"items": {"type": "array", "items": EXPORT},
                      "next_cursor": {"type": ["string", "null"],
                                      "description": "pass as cursor for the next page; null on the last page"}})
FILE = {"type": "string", "format": "binary", "description": "the export file, as an attachment"}


def parse_request(body: dict[str, Any]) -> ExportRequest:
    split = body.get("split")
    filters = ExportFilters(status=body["status"], min_confidence=body.get("min_confidence"),
                            exclude_llm_flagged=body["exclude_llm_flagged"], gold=body["gold"],
                            split=None if split is None else tuple(split[name] for name in SPLITS),
                            seed=body["seed"], split_files=body["split_files"],
                            include_images=body["include_images"])
    return ExportRequest(body["format"], answers=body["answers"], filters=filters)


def export_json(view: ExportView) -> dict[str, Any]:
    export = view.export
    query = {} if export.marketplace is Marketplace.PRODUCTION else {"marketplace": export.marketplace.value}
    written = view.state == JobState.SUCCEEDED.value
    return {"export_id": export.public_id, "batch_id": view.batch_id, "format": export.format,
            "records": export.records, "filters": export.filters, "state": view.state,
            "job": None if view.job is None else serializers.job(view.job), "file_name": export.file_name,
            "media_type": export.media_type, "size_bytes": export.size_bytes, "record_count": export.record_count,
            "download_url": url_for("api.download_export", export_id=export.public_id, **query) if written else None,
            "created_at": serializers.timestamp(export.created_at),
            "finished_at": serializers.timestamp(export.finished_at),
            "expires_at": serializers.timestamp(export.expires_at), "error": view.error}


@routes.post("/batches/<batch_id>/exports", summary="Export a batch's consensus labels or answers to a file "
             "(in the background): poll the export or its job, then download the file", body=CREATE_EXPORT,
             response=EXPORT, status=202)
def create_export(actor: Actor, batch_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return export_json(exports.request_export(runtime(), actor, batch_id, parse_request(body)))


@routes.get("/exports", summary="The requester's exports, oldest first", query=PAGE, response=EXPORT_PAGE)
def list_exports(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = exports.list_exports(runtime(), actor, cursor=query.get("cursor"), limit=query["limit"])
    return serializers.page(found, export_json)


@routes.get("/exports/<export_id>", summary="An export: its state, its job's progress and, once written, "
            "where to download it", response=EXPORT)
def get_export(actor: Actor, export_id: str) -> dict[str, Any]:
    return export_json(exports.get_export(runtime(), actor, export_id))


class FileEndpoint(Endpoint):
    """An endpoint whose view answers with a response of its own (a file), which the table's JSON
    handling would wrap."""

    def handle(self, **path: str) -> ResponseReturnValue:
        actor = auth.authenticate(runtime(), inputs.marketplace(), self.role or "requester")
        inputs.parse_query(self.query_schema)
        return self.view(actor=actor, **path)


def download_export(actor: Actor, export_id: str) -> Response:
    found = exports.export_file(runtime(), actor, export_id)
    return send_file(found.path, mimetype=found.media_type, as_attachment=True, download_name=found.name,
                     max_age=0)


routes.endpoints.append(FileEndpoint(
    method="GET", rule=routes.prefix + "/exports/<export_id>/file", view=download_export, tag=routes.tag,
    role=routes.role, summary="Download an export's file (streamed, as an attachment); 409 until it is written",
    response=FILE, media_type="*/*"))
