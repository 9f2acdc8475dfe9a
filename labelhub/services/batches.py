"""Batches: many HITs made from one template and one data file, created in one transaction."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import annotators
from labelhub import ids
from labelhub.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from labelhub.models import HIT, Batch, HITStatus
from labelhub.runtime import Runtime
from labelhub.services.actors import Actor, require_requester
from labelhub.services.commands import (
    MAX_ASSIGNMENTS,
    MAX_DURATION_SECONDS,
    MIN_DURATION_SECONDS,
    CreateHIT,
    HITTypeSpec,
    check_answer_schema,
    check_range,
    check_text,
)
from labelhub.services.common import Page, paginate, record_event
from labelhub.services.hits import hit_type_for, insert_hit

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class CreateBatch:
    """``question_template`` holds ${column} placeholders (MTurk's batch syntax), one HIT per row."""

    name: str
    template_kind: str
    question_template: str
    hit_type: HITTypeSpec
    rows: tuple[dict[str, Any], ...]
    lifetime_seconds: int
    max_assignments: int = 1
    template_config: dict[str, Any] | None = None
    answer_schema: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        check_text(problems, "name", self.name, max_len=200)
        check_text(problems, "template_kind", self.template_kind, max_len=50)
        check_text(problems, "question_template", self.question_template, max_len=65_535)
        if not 1 <= len(self.rows) <= MAX_ROWS:
            problems["rows"] = f"give between 1 and {MAX_ROWS:,} rows"
        check_range(problems, "lifetime_seconds", self.lifetime_seconds, MIN_DURATION_SECONDS,
                    MAX_DURATION_SECONDS)
        check_range(problems, "max_assignments", self.max_assignments, 1, MAX_ASSIGNMENTS)
        check_answer_schema(problems, self.answer_schema)
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
        return PLACEHOLDER.sub(lambda m: html.escape(str(row[m.group(1)])), self.question_template)

    def hit_for(self, number: int, row: dict[str, Any], *, hit_type_id: str, batch_id: int) -> CreateHIT:
        """The HIT of one row; a rule the row breaks (a question too long once filled in) names the row."""
        try:
            return CreateHIT(question=self.question_for(row), lifetime_seconds=self.lifetime_seconds,
                             max_assignments=self.max_assignments, hit_type_id=hit_type_id, data=row,
                             answer_schema=self.answer_schema, batch_id=batch_id)
        except InvalidInputError as exc:
            named = {f"rows[{number}].{name}": problem for name, problem in exc.fields.items()}
            raise InvalidInputError(named, entity="batch") from None


def _task_type_config(cmd: CreateBatch) -> dict[str, Any]:
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
    needed = set(annotator.item_fields(config))
    for number, row in enumerate(cmd.rows, start=1):
        missing = sorted(needed - row.keys())
        if missing:
            raise InvalidInputError({f"rows[{number}]": f"has no value for {', '.join(missing)}"}, entity="batch")
    return config


def create_batch(rt: Runtime, actor: Actor, cmd: CreateBatch) -> Batch:
    """Create the batch and one HIT per row, holding the cost of all of them; all or nothing."""
    require_requester(actor)
    config = _task_type_config(cmd)
    now = rt.clock()
    with rt.sessions.begin() as db:
        hit_type = hit_type_for(db, actor, cmd.hit_type, now)
        batch = Batch(public_id=ids.new_id(), requester_id=actor.id, marketplace=actor.marketplace, name=cmd.name,
                      template_kind=cmd.template_kind,
                      template={"question": cmd.question_template, "config": config},
                      hit_type_id=hit_type.id, created_at=now)
        db.add(batch)
        db.flush()
        for number, row in enumerate(cmd.rows, start=1):
            hit = cmd.hit_for(number, row, hit_type_id=hit_type.public_id, batch_id=batch.id)
            insert_hit(db, rt, actor, hit, now=now)
        record_event(db, actor, "BatchCreated", entity="batch", entity_id=batch.public_id, now=now,
                     hits=len(cmd.rows))
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


def _owned_batch(db, actor: Actor, batch_public_id: str) -> Batch:
    batch = db.scalars(select(Batch).where(Batch.public_id == batch_public_id,
                                           Batch.marketplace == actor.marketplace)).one_or_none()
    if batch is None:
        raise NotFoundError(f"Batch {batch_public_id} does not exist", entity="batch")
    if batch.requester_id != actor.id:
        raise PermissionDeniedError(f"Batch {batch_public_id} belongs to another requester", entity="batch")
    return batch


def progress_of(db: Session, batch: Batch) -> BatchProgress:
    """Counts over the batch's HITs, read from the HITs' counters in one query."""
    row = db.execute(select(
        func.count(HIT.id), func.coalesce(func.sum(HIT.submitted_count), 0),
        func.coalesce(func.sum(HIT.approved_count), 0), func.coalesce(func.sum(HIT.rejected_count), 0),
        func.coalesce(func.sum(HIT.pending_count), 0),
        func.count(HIT.id).filter(HIT.status.in_((HITStatus.REVIEWABLE, HITStatus.REVIEWING))),
    ).where(HIT.batch_id == batch.id)).one()
    return BatchProgress(batch, *(int(v) for v in row))


def batch_progress(rt: Runtime, actor: Actor, batch_public_id: str) -> BatchProgress:
    require_requester(actor)
    with rt.sessions() as db:
        return progress_of(db, _owned_batch(db, actor, batch_public_id))


def list_batches(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 50) -> Page[Batch]:
    require_requester(actor)
    stmt = select(Batch).where(Batch.requester_id == actor.id, Batch.marketplace == actor.marketplace)
    with rt.sessions() as db:
        return paginate(db, stmt, Batch.id, cursor, limit)


def batch_id_for(rt: Runtime, actor: Actor, batch_public_id: str) -> int:
    with rt.sessions() as db:
        return _owned_batch(db, actor, batch_public_id).id
