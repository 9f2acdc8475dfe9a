"""Scoring text answers for LLM authorship (quality.llm) and applying the batch's choice of what a
flag does. Runs as the job ``labelhub.jobs.score_answers``, enqueued after each submission of a
batch HIT whose task type takes free text (free-text tasks, surveys with free-text questions).

A submission re-scores every answer of its HIT: "similar to another worker's answer" can only be
seen once the other answer exists. Scores are deterministic, so a second run writes the same rows,
and a flag's action (hold for review, reject) is taken once, when the answer is first flagged.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import annotators
from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.models import ANSWERED_STATUSES, HIT, AnswerFlag, Assignment, AssignmentStatus, Batch, Event, Worker
from labelhub.runtime import Runtime
from labelhub.services import job_queue
from labelhub.services.actors import Actor, require_requester, system_actor
from labelhub.services.assignments import reject_locked
from labelhub.services.batch_quality import QualitySettings, owned_batch, request_aggregation
from labelhub.services.common import Page, paginate, record_event
from quality.llm import AnswerContext, Flag, TextModel, default_model, flag_many

SCORE_JOB = "labelhub.jobs.score_answers"
REVIEW_WINDOW = timedelta(days=30)  # MTurk's longest auto-approval delay
EARLIER_ANSWERS = 20
BANDS = ("low", "medium", "high")
TEXT_KINDS = ("free_text", "survey")  # the task types whose answers can hold free text


def answer_text(batch: Batch, answer: dict[str, Any] | None) -> str | None:
    """The free text of an answer of this batch's task type (survey free-text answers joined by
    blank lines), or None when the task type takes no free text."""
    if answer is None or batch.template_kind not in annotators.REGISTRY:
        return None
    if batch.template_kind == "free_text":
        return str(answer.get("text", ""))
    if batch.template_kind == "survey":
        questions = (batch.template or {}).get("config", {}).get("questions", [])
        ids = [q["id"] for q in questions if q.get("kind") == "free_text"]
        texts = [str(answer.get("answers", {}).get(i, "")) for i in ids]
        return "\n\n".join(t for t in texts if t.strip()) if ids else None
    return None


def takes_text(batch: Batch) -> bool:
    if batch.template_kind == "free_text":
        return True
    questions = (batch.template or {}).get("config", {}).get("questions", [])
    return batch.template_kind == "survey" and any(q.get("kind") == "free_text" for q in questions)


@cache
def text_model(path: str) -> TextModel:
    """The configured text model (``[quality] llm_model``; empty: the shipped one), read once."""
    return TextModel.load(path) if path else default_model()


TRIGGERS = frozenset({"AssignmentSubmitted"})


def queue_scoring(db: Session, event: Event, hit: HIT) -> None:
    """Reaction: after a submission to a text batch, score the HIT's answers (one run per HIT waits)."""
    if hit.batch_id is None:
        return
    if takes_text(db.get_one(Batch, hit.batch_id)):
        job_queue.submit(db, SCORE_JOB, hit.public_id, key=f"llm:{hit.public_id}", target=f"hit:{hit.public_id}",
                         owner=(hit.requester_id, hit.marketplace), now=event.at)


def _references(hit: HIT, field: str) -> list[str]:
    value = (hit.data or {}).get(field)
    if isinstance(value, str) and value.strip().startswith("["):
        with contextlib.suppress(ValueError):  # not JSON after all: one reference text
            value = json.loads(value)
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [value] if isinstance(value, str) and value.strip() else []


@dataclass(frozen=True)
class _Answer:
    assignment_id: int
    worker_id: int
    text: str
    signals: dict | None
    submitted_at: datetime


def _read(db: Session, hit: HIT, batch: Batch) -> tuple[list[_Answer], dict[int, list[str]]]:
    """The HIT's answers, and each of their workers' earlier answers in the batch (newest last)."""
    rows = db.execute(select(Assignment.id, Assignment.worker_id, Assignment.answer, Assignment.signals,
                             Assignment.submitted_at)
                      .where(Assignment.hit_id == hit.id, Assignment.status.in_(ANSWERED_STATUSES))
                      .order_by(Assignment.id)).tuples().all()
    answers = [_Answer(i, w, text, s, at) for i, w, a, s, at in rows
               if (text := answer_text(batch, a)) is not None and text.strip()]
    earlier: dict[int, list[str]] = {}
    for answer in answers:
        past = db.execute(select(Assignment.answer).join(HIT, HIT.id == Assignment.hit_id)
                          .where(HIT.batch_id == batch.id, Assignment.worker_id == answer.worker_id,
                                 Assignment.status.in_(ANSWERED_STATUSES),
                                 Assignment.submitted_at < answer.submitted_at)
                          .order_by(Assignment.submitted_at.desc()).limit(EARLIER_ANSWERS)).scalars().all()
        earlier[answer.assignment_id] = [t for a in reversed(past) if (t := answer_text(batch, a))]
    return answers, earlier


@dataclass(frozen=True)
class ScoreOutcome:
    hit_id: str
    scored: int
    flagged: int
    newly_flagged: int


def score_hit(rt: Runtime, hit_public_id: str) -> ScoreOutcome:
    """Score every text answer of a HIT and apply the batch's LLM setting to newly flagged ones.
    Raises NotFoundError for an unknown HIT."""
    with rt.sessions() as db:
        hit = db.scalars(select(HIT).where(HIT.public_id == hit_public_id)).one_or_none()
        if hit is None:
            raise NotFoundError(f"Hit {hit_public_id} does not exist.", entity="hit")
        batch = db.get(Batch, hit.batch_id) if hit.batch_id is not None else None
        if batch is None or not takes_text(batch):
            return ScoreOutcome(hit_public_id, 0, 0, 0)
        settings = QualitySettings.stored(batch.quality)
        answers, earlier = _read(db, hit, batch)
        references = _references(hit, settings.llm.reference_field)
    contexts = [AnswerContext(a.text, a.signals, [o.text for o in answers if o is not a], references,
                              earlier[a.assignment_id]) for a in answers]
    flags = flag_many(contexts, text_model(rt.settings.quality.llm_model))
    return _store(rt, hit_public_id, batch.id, settings, answers, flags)


def _store(rt: Runtime, hit_public_id: str, batch_id: int, settings: QualitySettings, answers: list[_Answer],
           flags: list[Flag]) -> ScoreOutcome:
    now = rt.clock()
    newly, bands_changed = 0, False
    with rt.sessions.begin() as db:
        batch = db.get_one(Batch, batch_id)
        actor = system_actor(batch.marketplace)
        existing = {f.assignment_id: f for f in db.scalars(select(AnswerFlag).where(
            AnswerFlag.assignment_id.in_([a.assignment_id for a in answers])))}
        for answer, flag in zip(answers, flags, strict=True):
            row = existing.get(answer.assignment_id)
            if row is None:
                row = AnswerFlag(assignment_id=answer.assignment_id, batch_id=batch_id)
                db.add(row)
            bands_changed |= row.band != flag.band
            row.probability, row.band, row.reasons, row.scored_at = flag.probability, flag.band, flag.reasons, now
            row.evidence = [{"family": e.family, "log_odds": round(e.log_odds, 4), "reason": e.reason}
                            for e in flag.evidence]
            if flag.band == "high" and row.action is None:
                row.action = _act(db, rt, actor, settings, answer.assignment_id, flag, now)
                newly += 1
        if bands_changed and settings.llm.action in ("exclude", "downweight"):
            request_aggregation(db, batch, now=now)
    return ScoreOutcome(hit_public_id, len(flags), sum(f.band == "high" for f in flags), newly)


def _act(db: Session, rt: Runtime, actor: Actor, settings: QualitySettings, assignment_id: int, flag: Flag,
         now: datetime) -> str:
    """Take the batch's action on a newly flagged answer; returns what was done, for the record."""
    assignment = db.get_one(Assignment, assignment_id)
    if assignment.status is not AssignmentStatus.SUBMITTED:
        return "none: already decided"
    if settings.llm.auto_reject:
        db.scalars(select(HIT).where(HIT.id == assignment.hit_id).with_for_update(of=HIT, key_share=True)).one()
        feedback = "Rejected automatically: the answer looks LLM-written (" + "; ".join(flag.reasons[:3]) + ")"
        reject_locked(db, actor, assignment, feedback[:1024], now=now)
        return "rejected"
    if settings.llm.action == "review":
        assert assignment.submitted_at is not None
        assignment.auto_approval_at = max(assignment.auto_approval_at or now, assignment.submitted_at + REVIEW_WINDOW)
        record_event(db, actor, "AssignmentHeldForReview", entity="assignment", entity_id=assignment.public_id,
                     now=now, reason="; ".join(flag.reasons[:3]))
        return "held for review"
    return "none"


def score_due(rt: Runtime, *, limit: int = 500) -> int:
    """Score the HITs of text batches with an answer that has no flag yet (a lost job). Returns how
    many HITs were scored."""
    with rt.sessions() as db:
        batches = [b for b in db.scalars(select(Batch).where(Batch.template_kind.in_(TEXT_KINDS))) if takes_text(b)]
        if not batches:
            return 0
        due = db.scalars(select(HIT.public_id).join(Assignment, Assignment.hit_id == HIT.id)
                         .outerjoin(AnswerFlag, AnswerFlag.assignment_id == Assignment.id)
                         .where(HIT.batch_id.in_([b.id for b in batches]), Assignment.status.in_(ANSWERED_STATUSES),
                                AnswerFlag.id.is_(None)).distinct().limit(limit)).all()
    return sum(1 for hit_id in due if score_hit(rt, hit_id).scored)


@dataclass(frozen=True)
class FlagView:
    flag: AnswerFlag
    assignment_id: str
    hit_id: str
    worker_id: str


def list_flags(rt: Runtime, actor: Actor, batch_public_id: str, *, bands: tuple[str, ...] = (),
               min_probability: float | None = None, cursor: str | None = None, limit: int = 50) -> Page[FlagView]:
    """The batch's scored answers with their reasons, filtered by band and probability."""
    require_requester(actor)
    if any(band not in BANDS for band in bands):
        raise InvalidInputError({"band": f"must be one of: {', '.join(BANDS)}"})
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        stmt = select(AnswerFlag).where(AnswerFlag.batch_id == batch.id)
        if bands:
            stmt = stmt.where(AnswerFlag.band.in_(bands))
        if min_probability is not None:
            stmt = stmt.where(AnswerFlag.probability >= min_probability)
        found = paginate(db, stmt, AnswerFlag.id, cursor, limit)
        names = {row[0]: row[1:] for row in db.execute(
            select(Assignment.id, Assignment.public_id, HIT.public_id, Worker.public_id)
            .join(HIT, HIT.id == Assignment.hit_id).join(Worker, Worker.id == Assignment.worker_id)
            .where(Assignment.id.in_([f.assignment_id for f in found.items]))).tuples()}
    return Page([FlagView(f, *names[f.assignment_id]) for f in found.items], found.next_cursor)


@dataclass(frozen=True)
class LLMSummary:
    scored: int
    flagged: int
    medium: int
    estimated_share: float | None  # the mean probability: the expected share of LLM-written answers


def llm_summary(db: Session, batch: Batch) -> LLMSummary:
    scored, flagged, medium, mean = db.execute(select(
        func.count(AnswerFlag.id), func.count(AnswerFlag.id).filter(AnswerFlag.band == "high"),
        func.count(AnswerFlag.id).filter(AnswerFlag.band == "medium"), func.avg(AnswerFlag.probability))
        .where(AnswerFlag.batch_id == batch.id)).one()
    return LLMSummary(int(scored), int(flagged), int(medium), None if mean is None else float(mean))
