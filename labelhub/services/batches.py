"""Batches: many HITs made from one template and one data file, all or nothing. A batch of more than
CHUNK_ROWS rows is written by a job in short transactions (labelhub.services.batch_builds)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

import annotators
from labelhub import ids
from labelhub.errors import InvalidInputError
from labelhub.models import HIT, Batch, BatchState, HITStatus
from labelhub.runtime import Runtime
from labelhub.services import batch_builds
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_builds import CHUNK_ROWS, PLACEHOLDER, HITRows
from labelhub.services.batch_quality import QualitySettings, batch_shape, check_for_batch, owned_batch
from labelhub.services.commands import (
    MAX_ASSIGNMENTS,
    MAX_DURATION_SECONDS,
    MIN_DURATION_SECONDS,
    HITTypeSpec,
    check_answer_schema,
    check_range,
    check_text,
    hit_type_spec_from,
)
from labelhub.services.common import Page, paginate, record_event
from labelhub.services.hits import hit_type_for

MAX_ROWS = 100_000
CONSENSUS_ASSIGNMENTS = 3  # answers per HIT of an aggregated task type when the requester gives none
UNTYPED_HTML = "html"  # a batch of the question template alone, with no registered task type


@dataclass(frozen=True)
class CreateBatch:
    """``question_template`` holds ${column} placeholders (MTurk's batch syntax), one HIT per row.

    ``max_assignments`` (answers per HIT) is set by ``quality.overlap`` when there is one (its
    min_assignments; giving both is refused); otherwise None means CONSENSUS_ASSIGNMENTS for a task type
    whose answers are aggregated (one answer has no consensus to speak of) and 1 for surveys and
    untyped HTML batches."""

    name: str
    template_kind: str
    question_template: str
    hit_type: HITTypeSpec
    rows: tuple[dict[str, Any], ...]
    lifetime_seconds: int
    max_assignments: int | None = None
    template_config: dict[str, Any] | None = None
    answer_schema: dict[str, Any] | None = None
    quality: QualitySettings | None = None
    gold_assignments: int | None = None  # assignments of each gold HIT; None: [quality] gold_assignments

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        check_text(problems, "name", self.name, max_len=200)
        if self.template_kind != UNTYPED_HTML and self.template_kind not in annotators.REGISTRY:
            problems["template_kind"] = f"{str(self.template_kind)[:50]!r} is not a task type; task types: " \
                                        f"{', '.join(annotators.kinds())}, or {UNTYPED_HTML} (the template alone)"
        check_text(problems, "question_template", self.question_template, max_len=65_535)
        if not 1 <= len(self.rows) <= MAX_ROWS:
            problems["rows"] = f"give between 1 and {MAX_ROWS:,} rows"
        check_range(problems, "lifetime_seconds", self.lifetime_seconds, MIN_DURATION_SECONDS,
                    MAX_DURATION_SECONDS)
        if self.max_assignments is not None:
            check_range(problems, "max_assignments", self.max_assignments, 1, MAX_ASSIGNMENTS)
            if self.quality is not None and self.quality.overlap is not None:
                problems["max_assignments"] = "is set by quality.overlap (HITs start with its min_assignments)"
        check_answer_schema(problems, self.answer_schema)
        if self.gold_assignments is not None:
            check_range(problems, "gold_assignments", self.gold_assignments, 1, MAX_ASSIGNMENTS)
        needed = set(PLACEHOLDER.findall(self.question_template or ""))
        for number, row in enumerate(self.rows, start=1):
            if not isinstance(row, dict):
                problems[f"rows[{number}]"] = "must be an object of column values"
                break
            missing = sorted(needed - row.keys())
            if missing:
                problems[f"rows[{number}]"] = f"has no value for {', '.join(missing)}"
                break
        if problems:
            raise InvalidInputError(problems)

    def question_for(self, row: dict[str, Any]) -> str:
        return batch_builds.fill(self.question_template, row)

    def assignments_per_hit(self, config: dict[str, Any]) -> int:
        """How many answers each (non-gold) HIT starts with: the overlap's minimum, the given number, or
        the task type's default; ``config`` is its checked configuration (``checked_task_type_config``)."""
        if self.quality is not None and self.quality.overlap is not None:
            return self.quality.overlap.min_assignments
        if self.max_assignments is not None:
            return self.max_assignments
        kind = Batch(template_kind=self.template_kind, template={"config": config})
        return CONSENSUS_ASSIGNMENTS if batch_shape(kind) is not None else 1


def batch_from_settings(settings: Mapping[str, Any], rows: Sequence[dict[str, Any]]) -> CreateBatch:
    """The batch command of a settings document (the REST API's batch body without its rows, or the
    new-batch page's saved settings) and its rows. Raises InvalidInputError naming the document's fields."""
    hit_type = hit_type_spec_from(settings)
    quality = QualitySettings.parse(settings["quality"]) if settings.get("quality") else None
    template = settings.get("question_template") or f"<p>{html.escape(hit_type.title)}</p>"
    return CreateBatch(
        name=settings.get("name", ""), template_kind=settings.get("task_type", ""), question_template=template,
        hit_type=hit_type, rows=tuple(rows), lifetime_seconds=settings.get("lifetime_seconds", 0),
        max_assignments=settings.get("max_assignments"), template_config=settings.get("config") or {},
        quality=quality, gold_assignments=settings.get("gold_assignments"))


def checked_task_type_config(cmd: CreateBatch) -> dict[str, Any]:
    """A registered task type's canonical configuration, with every row holding the columns it reads."""
    raw = cmd.template_config or {}
    if cmd.template_kind not in annotators.REGISTRY:
        return raw
    annotator = annotators.get(cmd.template_kind)
    try:
        config = annotator.parse_config(raw)
    except annotators.AnswerError as exc:
        raise InvalidInputError({f"template_config.{k}": v for k, v in exc.problems.items()}, entity="batch") \
            from None
    needed = sorted(set(annotator.item_fields(config)))
    for number, row in enumerate(cmd.rows, start=1):
        missing = [column for column in needed if column not in row]
        if missing:
            raise InvalidInputError({f"rows[{number}]": f"has no value for {', '.join(missing)}"}, entity="batch")
        empty = [column for column in needed if row[column] is None or str(row[column]).strip() == ""]
        if empty:
            raise InvalidInputError({f"rows[{number}].{column}": f"is empty: every row needs its {column}"
                                     for column in empty}, entity="batch")
    return config


def create_batch(rt: Runtime, actor: Actor, cmd: CreateBatch) -> Batch:
    """Create the batch and one HIT per row, holding the cost of all of them; all or nothing.

    A row with a ``_gold`` member (an answer of the task type) becomes a gold HIT with that known
    answer and ``gold_assignments`` assignments. With dynamic overlap in ``quality`` the other HITs
    start with its ``min_assignments``. Every row is checked before anything is written.

    Up to CHUNK_ROWS rows, the batch is complete when this returns. A larger batch is returned
    ``building``: the job ``batch_builds.BUILD_JOB`` (target ``batch:<id>``, see ``build_job``)
    writes its HITs in chunks, and workers see them once all are written; if it fails, the batch is
    removed. Raises InvalidInputError naming the row or setting, InsufficientFundsError.
    """
    require_requester(actor)
    config = checked_task_type_config(cmd)
    settings = cmd.quality or QualitySettings(method=rt.settings.quality.method)
    now = rt.clock()
    building = len(cmd.rows) > CHUNK_ROWS
    batch = Batch(public_id=ids.new_id(), requester_id=actor.id, marketplace=actor.marketplace, name=cmd.name,
                  template_kind=cmd.template_kind, template={"question": cmd.question_template, "config": config},
                  created_at=now, quality=settings.to_json(),
                  state=BatchState.BUILDING if building else BatchState.READY)
    rows = HITRows(batch=batch, lifetime_seconds=cmd.lifetime_seconds, answer_schema=cmd.answer_schema,
                   max_assignments=cmd.assignments_per_hit(config),
                   gold_assignments=cmd.gold_assignments or rt.settings.quality.gold_assignments)
    planned = None if building else list(rows.plan(cmd.rows))  # a large batch's job plans its rows again
    golds = sum(hit.gold_answer is not None for hit in (rows.plan(cmd.rows) if planned is None else planned))
    if golds == len(cmd.rows):
        raise InvalidInputError({"rows": "every row is gold: a batch needs rows without a known answer"},
                                entity="batch")
    with rt.sessions.begin() as db:
        hit_type = hit_type_for(db, actor, cmd.hit_type, now)
        batch.hit_type_id = hit_type.id
        check_for_batch(db, actor, settings, shape=batch_shape(batch), money=rt.settings.money)
        db.add(batch)
        db.flush()
        if planned is None:
            batch_builds.stage(db, rt, batch, hit_type, rows, cmd.rows, gold_rows=golds, now=now)
        else:
            values = rows.hit_values(hit_type, planned, money=rt.settings.money, visible=True)
            batch_builds.write_hits(db, actor, batch, hit_type, values, now=now)
            record_event(db, actor, "BatchCreated", entity="batch", entity_id=batch.public_id, now=now,
                         hits=len(cmd.rows), gold_hits=golds)
    return batch


@dataclass(frozen=True)
class BatchProgress:
    batch: Batch
    hits: int
    assignments_submitted: int
    assignments_approved: int
    assignments_rejected: int
    assignments_pending: int
    hits_reviewable: int
    assignments_open: int  # slots nobody has taken (of HITs still open or long expired alike)


def progress_of(db: Session, batch: Batch, *, with_gold: bool = True) -> BatchProgress:
    """Counts over the batch's HITs, read from the HITs' counters in one query; ``with_gold=False``
    leaves the gold HITs out (what workers may see: gold HITs must not stand out). A batch still being
    built has no HITs yet for anyone."""
    if batch.state is not BatchState.READY:
        return BatchProgress(batch, 0, 0, 0, 0, 0, 0, 0)
    row = db.execute(select(
        func.count(HIT.id), func.coalesce(func.sum(HIT.submitted_count), 0),
        func.coalesce(func.sum(HIT.approved_count), 0), func.coalesce(func.sum(HIT.rejected_count), 0),
        func.coalesce(func.sum(HIT.pending_count), 0),
        func.count(HIT.id).filter(HIT.status.in_((HITStatus.REVIEWABLE, HITStatus.REVIEWING))),
        func.coalesce(func.sum(HIT.max_assignments - HIT.pending_count - HIT.submitted_count - HIT.approved_count
                               - HIT.rejected_count), 0),
    ).where(HIT.batch_id == batch.id, true() if with_gold else HIT.is_gold.is_(False))).one()
    return BatchProgress(batch, *(int(v) for v in row))


def batch_progress(rt: Runtime, actor: Actor, batch_public_id: str) -> BatchProgress:
    require_requester(actor)
    with rt.sessions() as db:
        return progress_of(db, owned_batch(db, actor, batch_public_id))


def list_batches(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 50) -> Page[Batch]:
    require_requester(actor)
    stmt = select(Batch).where(Batch.requester_id == actor.id, Batch.marketplace == actor.marketplace)
    with rt.sessions() as db:
        return paginate(db, stmt, Batch.id, cursor, limit)


def batch_id_for(rt: Runtime, actor: Actor, batch_public_id: str) -> int:
    with rt.sessions() as db:
        return owned_batch(db, actor, batch_public_id).id
