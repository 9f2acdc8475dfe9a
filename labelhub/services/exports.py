"""Exports of a batch into ML-pipeline files. ``labelhub.services.export_reading`` reads the records
(a page at a time); the pure package ``exports`` writes them.

- ``export_to_file``: straight to a path, with progress (``labelhub export``);
- ``request_export``: an ``exports`` row and the job ``labelhub.jobs.build_export`` (``run_export``),
  which writes the file in the instance folder, ``exports/<export id>/``; ``get_export`` and
  ``list_exports`` show it with its job's progress, ``export_file`` hands the finished file over;
- ``prune_expired``: the sweep that deletes files (and their rows) ``[exports] retention_days`` after
  they were written.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

import exports
from labelhub import ids
from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import Batch, Export, Job, JobState
from labelhub.runtime import Runtime
from labelhub.services import export_reading, job_queue
from labelhub.services.actors import Actor, require_requester, system_actor
from labelhub.services.common import Page, paginate
from labelhub.services.export_commands import ExportFilters, ExportRequest
from labelhub.settings import Settings

log = logging.getLogger(__name__)

EXPORT_JOB = "labelhub.jobs.build_export"
PRUNE_BATCH = 500
ZIP = "application/zip"
# What a requested export's download is: the end of its file name and its media type. Zips: YOLO and VOC
# always, Parquet as a Hugging Face dataset repository (the card and data/<split>.parquet), and any
# format written one file per split.
DOWNLOADS = {"csv": (".csv", "text/csv"), "jsonl": (".jsonl", "application/x-ndjson"),
             "parquet": ("-parquet.zip", ZIP), "coco": ("-coco.json", "application/json"),
             "yolo": ("-yolo.zip", ZIP), "voc": ("-voc.zip", ZIP), "conll": (".conll", "text/plain"),
             "spans-jsonl": ("-spans.jsonl", "application/x-ndjson"), "mturk-csv": ("-mturk.csv", "text/csv")}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def exports_path(settings: Settings) -> Path:
    """Where export files are kept: ``<instance>/exports/<export id>/``."""
    return (Path(settings.storage.instance_path) / "exports").resolve()


# --- straight to a file ---------------------------------------------------------------------------------


def _write(rt: Runtime, stream: export_reading.RecordStream, request: ExportRequest, target: Path,
           progress: Callable[[int, int], None] | None) -> Any:
    def report(done: int, total: int) -> None:
        job_queue.report_progress(rt, done, total)  # a no-op unless a job is running this export
        if progress is not None:
            progress(done, total)

    split_files = request.filters.split_files
    try:
        if request.format in exports.formats.TABULAR:
            return exports.write_tables(stream.tables(report), request.format, target, layout=stream.layout,
                                        meta=stream.meta, split_files=split_files)
        return exports.write(stream.records(report), request.format, target, meta=stream.meta,
                             split_files=split_files, answers=request.answers,
                             include_images=request.filters.include_images)
    except exports.ExportFormatError as exc:
        raise InvalidInputError({"format": str(exc)}, entity="export") from None
    except exports.ExportError as exc:
        raise InvalidStateError(f"The batch's records cannot be written as {request.format}: {exc}",
                                entity="export") from None


def export_to_file(rt: Runtime, actor: Actor, batch_public_id: str, request: ExportRequest, path: str | Path, *,
                   progress: Callable[[int, int], None] | None = None) -> Any:
    """Write the batch's records to ``path`` (one file per split beside it with ``split_files``),
    calling ``progress(rows read, rows in all)`` as pages are read. Every check comes before the first
    byte, and a failed export leaves no file. Returns the writer's summary.

    Raises NotFoundError (unknown batch, another requester's), InvalidStateError (a batch being built,
    records the format cannot hold), InvalidInputError (the format does not fit, no such folder)."""
    target = Path(path)
    if not target.parent.is_dir():
        raise InvalidInputError({"output": f"{target.parent} is not a folder"}, entity="export")
    if target.is_dir():
        raise InvalidInputError({"output": f"{target} is a folder; give a file name"}, entity="export")
    with export_reading.reading(rt, actor, batch_public_id, request) as stream:
        return _write(rt, stream, request, target, progress)


# --- export files kept for download ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportView:
    """An export, its batch's public id and its job (None once the job row has been pruned)."""

    export: Export
    batch_id: str
    job: Job | None

    @property
    def state(self) -> str:
        """succeeded (the file is there), or the job's state; failed if the job is gone unfinished."""
        if self.export.finished_at is not None:
            return JobState.SUCCEEDED.value
        return JobState.FAILED.value if self.job is None else str(self.job.state)

    @property
    def error(self) -> str | None:
        if self.state != JobState.FAILED.value:
            return None
        if self.job is None or not self.job.error:
            return "the export's job is gone without writing the file"
        return self.job.error_message


@dataclass(frozen=True)
class ExportFile:
    path: Path
    name: str
    media_type: str


def request_export(rt: Runtime, actor: Actor, batch_public_id: str, request: ExportRequest) -> ExportView:
    """Queue the export of one of the requester's batches; the job writes the file, kept for
    ``[exports] retention_days``. Raises NotFoundError (unknown batch, or another requester's),
    InvalidStateError (being built), InvalidInputError (a format that does not fit the batch)."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        batch = export_reading.export_batch(db, actor, batch_public_id)
        export_reading.check_fits(request, export_reading.build_meta(db, rt.settings, batch, columns=False))
        export = Export(public_id=ids.new_id(), requester_id=actor.id, marketplace=actor.marketplace,
                        batch_id=batch.id, format=request.format, records=request.records,
                        filters=request.filters.to_json(), job_id="", created_at=now,
                        expires_at=now + timedelta(days=rt.settings.exports.retention_days))
        key = f"export:{export.public_id}"
        job_queue.submit(db, EXPORT_JOB, export.public_id, key=key, target=f"batch:{batch.public_id}",
                         owner=(actor.id, actor.marketplace), now=now)
        job = db.scalars(select(Job).where(Job.dedup_key == key)).one()
        export.job_id = job.public_id
        db.add(export)
    return ExportView(export, batch.public_id, job)


def _views(db: Session, found: list[Export]) -> list[ExportView]:
    batches = dict(db.execute(select(Batch.id, Batch.public_id).where(
        Batch.id.in_({e.batch_id for e in found}))).tuples().all())
    jobs = {job.public_id: job for job in db.scalars(select(Job).where(Job.public_id.in_([e.job_id for e in found])))}
    return [ExportView(e, batches[e.batch_id], jobs.get(e.job_id)) for e in found]


def get_export(rt: Runtime, actor: Actor, export_public_id: str) -> ExportView:
    """One of the requester's exports with its job. Raises NotFoundError (also for another requester's
    and for one whose file has been deleted)."""
    require_requester(actor)
    with rt.sessions() as db:
        export = db.scalars(select(Export).where(
            Export.public_id == export_public_id, Export.requester_id == actor.id,
            Export.marketplace == actor.marketplace)).one_or_none()
        if export is None:
            raise NotFoundError(f"Export {export_public_id} does not exist", entity="export")
        return _views(db, [export])[0]


def list_exports(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 50) -> Page[ExportView]:
    """The requester's exports in this marketplace, oldest first (keyset-paged)."""
    require_requester(actor)
    stmt = select(Export).where(Export.requester_id == actor.id, Export.marketplace == actor.marketplace)
    with rt.sessions() as db:
        found = paginate(db, stmt, Export.id, cursor, limit)
        return Page(_views(db, list(found.items)), found.next_cursor)


def export_file(rt: Runtime, actor: Actor, export_public_id: str) -> ExportFile:
    """The written file of one of the requester's exports. Raises NotFoundError (no such export, or its
    file is gone), InvalidStateError (not written yet: its job is queued, running or failed)."""
    view = get_export(rt, actor, export_public_id)
    export = view.export
    if export.finished_at is None or export.file_name is None:
        raise InvalidStateError(f"Export {export_public_id} has no file yet: its job is {view.state}"
                                + (f" ({view.error})" if view.error else ""), entity="export")
    path = exports_path(rt.settings) / export.public_id / export.file_name
    if not path.is_file():
        raise NotFoundError(f"Export {export_public_id}'s file has been deleted", entity="export")
    return ExportFile(path, export.file_name, export.media_type or "application/octet-stream")


# --- the job ----------------------------------------------------------------------------------------------


def _file_name(batch_name: str, request: ExportRequest, suffix: str) -> str:
    slug = _NOT_SLUG.sub("-", batch_name.lower()).strip("-")[:60].strip("-") or "batch"
    return f"{slug}-{request.records}{suffix}"


def _bundle(outputs: tuple[Path, ...], target: Path) -> Path:
    """Several outputs (one per split) become one zip to download; a single output stays as it is."""
    if len(outputs) == 1:
        return outputs[0]
    partial = target.with_name(f".{target.name}.partial")
    with ZipFile(partial, "w", ZIP_DEFLATED) as bundle:
        for output in outputs:
            bundle.write(output, output.name)
    partial.replace(target)
    for output in outputs:
        output.unlink()
    return target


def run_export(rt: Runtime, export_public_id: str) -> dict[str, Any]:
    """The job: write the export's file once (running it again changes nothing). An export deleted
    before its job ran (expired) is skipped."""
    with rt.sessions() as db:
        found = db.execute(select(Export, Batch.public_id, Batch.name).join(Batch, Batch.id == Export.batch_id)
                           .where(Export.public_id == export_public_id)).one_or_none()
    if found is None:
        return {"export_id": export_public_id, "skipped": "the export no longer exists"}
    export, batch_public_id, batch_name = found._tuple()
    if export.finished_at is not None:
        return {"export_id": export.public_id, "records": export.record_count, "size_bytes": export.size_bytes}
    request = ExportRequest(export.format, export.records == "answers", ExportFilters.from_json(export.filters))
    folder = exports_path(rt.settings) / export.public_id
    folder.mkdir(parents=True, exist_ok=True)
    suffix, media_type = DOWNLOADS[request.format]
    name = _file_name(batch_name, request, suffix)
    started = time.monotonic()
    with export_reading.reading(rt, system_actor(export.marketplace), batch_public_id, request) as stream:
        summary = _write(rt, stream, request, folder / name, None)
    written = _bundle(summary.paths, folder / f"{Path(name).stem}.zip")
    if len(summary.paths) > 1:
        media_type = ZIP
    now = rt.clock()
    size = written.stat().st_size
    with rt.sessions.begin() as db:
        db.execute(update(Export).where(Export.id == export.id).values(
            finished_at=now, file_name=written.name, media_type=media_type, size_bytes=size,
            record_count=summary.records, expires_at=now + timedelta(days=rt.settings.exports.retention_days)))
    log.info("export %s of batch %s: %d records as %s in %.1f s", export.public_id, batch_public_id,
             summary.records, written.name, time.monotonic() - started)
    return {"export_id": export.public_id, "records": summary.records, "size_bytes": size}


# --- retention --------------------------------------------------------------------------------------------


def prune_expired(rt: Runtime) -> int:
    """Delete the files of exports past their ``expires_at``, then their rows (files first: a crash in
    between leaves a row whose download answers "deleted", never a file nobody can reach); also any
    folder under exports/ without a row that is older than the retention. Returns how many exports."""
    now = rt.clock()
    root = exports_path(rt.settings)
    with rt.sessions() as db:
        due = list(db.scalars(select(Export.public_id).where(Export.expires_at <= now)
                              .order_by(Export.expires_at).limit(PRUNE_BATCH)))
    for public_id in due:
        shutil.rmtree(root / public_id, ignore_errors=True)
    if due:
        with rt.sessions.begin() as db:
            db.execute(delete(Export).where(Export.public_id.in_(due), Export.expires_at <= now))
    _prune_orphans(rt, root, cutoff=now - timedelta(days=rt.settings.exports.retention_days))
    return len(due)


def _prune_orphans(rt: Runtime, root: Path, *, cutoff: Any) -> None:
    if not root.is_dir():
        return
    folders = {entry.name: entry for entry in root.iterdir() if entry.is_dir()}
    if not folders:
        return
    with rt.sessions() as db:
        known = set(db.scalars(select(Export.public_id).where(Export.public_id.in_(list(folders)))))
    for name, folder in folders.items():
        if name not in known and folder.stat().st_mtime < cutoff.timestamp():
            shutil.rmtree(folder, ignore_errors=True)
