"""Reading a batch for an export: the checks (whose batch, its state, the format's fit), the facts
every record shares (``exports.ExportMeta``) and the records, read a page of HITs at a time, never all
at once (``labelhub.services.export_records`` turns each page into records).

- PostgreSQL: one REPEATABLE READ transaction, so the whole export sees one snapshot of the batch;
  its HITs come through a server-side cursor (``yield_per``), each page's answers read beside it.
- SQLite: every transaction takes the database's single write lock (``BEGIN IMMEDIATE``,
  labelhub.db), so the pages are read by HIT id (keyset), each in its own short transaction, and
  workers' submissions go on between them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, text
from sqlalchemy.orm import Session

import annotators
import exports
from annotators.base import AnswerShape
from exports.records import ExportMeta
from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import HIT, Batch, BatchState
from labelhub.runtime import Runtime
from labelhub.services import export_records
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.export_commands import ExportRequest
from labelhub.services.export_records import H, Record, RecordBuilder
from labelhub.services.media import STORED_NAME, media_path
from labelhub.settings import Settings

LABELLED = (AnswerShape.CATEGORICAL, AnswerShape.MULTI_LABEL, AnswerShape.ORDINAL, AnswerShape.BOXES,
            AnswerShape.SPANS)


# --- the batch and its meta ---------------------------------------------------------------------------


def export_batch(db: Session, actor: Actor, batch_public_id: str) -> Batch:
    """The batch to export: the requester's own, in the actor's marketplace (the system actor's: any).
    Another requester's batch is reported as missing (NotFoundError), so its id is not confirmed;
    PermissionDeniedError for a worker; InvalidStateError while the batch is still being built."""
    stmt = select(Batch).where(Batch.public_id == batch_public_id)
    if actor.kind != "system":
        require_requester(actor)
        stmt = stmt.where(Batch.requester_id == actor.id, Batch.marketplace == actor.marketplace)
    batch = db.scalars(stmt).one_or_none()
    if batch is None:
        raise NotFoundError(f"Batch {batch_public_id} does not exist", entity="batch")
    if batch.state is not BatchState.READY:
        raise InvalidStateError(f"Batch {batch_public_id} is {batch.state.value}: it can be exported once "
                                "all its HITs are there", entity="batch")
    return batch


def _config(batch: Batch) -> dict[str, Any]:
    return (batch.template or {}).get("config", {})


def _shape(batch: Batch) -> AnswerShape:
    """The answers' shape; HTML batches without a registered task type have forms of fields."""
    if batch.template_kind not in annotators.REGISTRY:
        return AnswerShape.FORM
    return annotators.get(batch.template_kind).shape_for(_config(batch))


def _labels(batch: Batch, shape: AnswerShape) -> tuple[str, ...]:
    config = _config(batch)
    if shape is AnswerShape.PAIRWISE:
        return ("a", "b", "tie") if config.get("allow_tie") else ("a", "b")
    return tuple(str(label) for label in config.get("labels", ())) if shape in LABELLED else ()


def _input_columns(db: Session, batch: Batch) -> tuple[str, ...]:
    """The batch rows' columns: the first row's in its order, then any other row's (sorted)."""
    first = db.scalar(select(HIT.data).where(HIT.batch_id == batch.id).order_by(HIT.id).limit(1))
    columns = list(first) if isinstance(first, dict) else []
    if db.get_bind().dialect.name == "postgresql":
        keys = text("SELECT DISTINCT json_object_keys(data) FROM hits WHERE batch_id = :batch "
                    "AND json_typeof(data) = 'object'")
    else:
        keys = text("SELECT DISTINCT j.key FROM hits, json_each(hits.data) AS j WHERE hits.batch_id = :batch "
                    "AND json_type(hits.data) = 'object'")
    others = set(db.scalars(keys, {"batch": batch.id})) - set(columns)
    return tuple(columns + sorted(others))


def image_resolver(settings: Settings) -> Callable[[str], Path | None]:
    """An image URL of a batch row -> the file LabelHub stores for it (uploads under /media/, the
    instance's images under /images/), or None when it is stored elsewhere."""
    images = (Path(settings.storage.instance_path) / "images").resolve()

    def resolve(url: str) -> Path | None:
        path = urlsplit(str(url)).path
        if "/media/" in path:
            name = path.rsplit("/media/", 1)[1]
            found = media_path(settings) / name[:2] / name
            return found if STORED_NAME.match(name) and found.is_file() else None
        if path.startswith("/images/"):
            found = (images / path.removeprefix("/images/")).resolve()
            return found if found.is_relative_to(images) and found.is_file() else None
        return None

    return resolve


def build_meta(db: Session, settings: Settings, batch: Batch, *, columns: bool = True) -> ExportMeta:
    """The batch's ExportMeta; ``columns=False`` skips reading the rows' columns (enough for check_fits)."""
    shape, config = _shape(batch), _config(batch)
    return ExportMeta(batch_id=batch.public_id, batch_name=batch.name, annotator=batch.template_kind, shape=shape,
                      labels=_labels(batch, shape), input_columns=_input_columns(db, batch) if columns else (),
                      image_column=config.get("image_field"), text_column=config.get("text_field"),
                      image_file=image_resolver(settings), image_size=_image_size(config),
                      size_columns=(config.get("width_field", "image_width"),
                                    config.get("height_field", "image_height")))


def _image_size(config: dict[str, Any]) -> tuple[int, int] | None:
    """Bounding boxes' fixed image size, when the configuration gives one."""
    width, height = config.get("image_width"), config.get("image_height")
    return (int(width), int(height)) if width and height else None


def check_fits(request: ExportRequest, meta: ExportMeta) -> None:
    """The format must suit the batch's answer shape; InvalidInputError names the formats that do."""
    try:
        exports.check_fits(request.format, meta, answers=request.answers)
    except exports.ExportFormatError as exc:
        raise InvalidInputError({"format": str(exc)}, entity="export") from None


def _prepare(db: Session, settings: Settings, actor: Actor, batch_public_id: str, request: ExportRequest,
             *, postgres: bool) -> tuple[RecordBuilder, int]:
    batch = export_batch(db, actor, batch_public_id)
    meta = build_meta(db, settings, batch)
    check_fits(request, meta)
    builder = RecordBuilder(batch, meta, request, postgres=postgres,
                            llm_excluded=QualitySettings.stored(batch.quality).llm.action == "exclude")
    builder.splits = export_records.splits(db, batch, request.filters, meta.shape)
    if request.answers:
        builder.accuracy = export_records.worker_accuracy(db, batch)
        builder.workers = export_records.worker_figures(
            db, batch, approval=request.format in export_records.APPROVAL_RATE_FORMATS)
    return builder, builder.count(db)


# --- streaming ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordStream:
    """An export's meta, how many rows it reads (HITs, or answers for answer records) and its records."""

    meta: ExportMeta
    total: int
    pages: Callable[[], Iterator[tuple[int, list[Record]]]]

    def records(self, progress: Callable[[int, int], None] | None = None) -> Iterator[Record]:
        """The records in HIT order; ``progress(rows read, total)`` after each page."""
        done = 0
        for read, page in self.pages():
            yield from page
            done += read
            if progress is not None:
                progress(done, self.total)


@contextmanager
def reading(rt: Runtime, actor: Actor, batch_public_id: str, request: ExportRequest) -> Iterator[RecordStream]:
    """Check the request against the batch (authorization, state, the format's fit) and stream its
    records while the block runs. Raises NotFoundError (unknown batch, or another requester's),
    InvalidStateError (a batch still being built), InvalidInputError (a format that does not fit)."""
    page_size = rt.settings.exports.page_size
    postgres = rt.engine.dialect.name == "postgresql"
    with rt.sessions() as db:
        if postgres:
            db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            db.execute(text("SET LOCAL TIME ZONE 'UTC'"))
        builder, total = _prepare(db, rt.settings, actor, batch_public_id, request, postgres=postgres)
        if postgres:
            yield RecordStream(builder.meta, total, lambda: _cursor_pages(db, builder, page_size))
            return
    yield RecordStream(builder.meta, total, lambda: _keyset_pages(rt, builder, page_size))


def _cursor_pages(db: Session, builder: RecordBuilder, page_size: int) -> Iterator[tuple[int, list[Record]]]:
    """PostgreSQL: the HITs through a server-side cursor, in the snapshot the export started with."""
    result = db.execute(builder.hit_statement(), execution_options={"yield_per": page_size})
    for hits in result.partitions():
        yield builder.read(db, hits)


def _keyset_pages(rt: Runtime, builder: RecordBuilder, page_size: int) -> Iterator[tuple[int, list[Record]]]:
    """SQLite: pages of HITs by id, each read (with its answers) in a transaction of its own."""
    after = 0
    while True:
        with rt.sessions() as db:
            hits = db.execute(builder.hit_statement().where(H.id > after).limit(page_size)).all()
            if not hits:
                return
            page = builder.read(db, hits)
        after = hits[-1][0]
        yield page
