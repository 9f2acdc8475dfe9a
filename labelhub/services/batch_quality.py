"""A batch's consensus and quality settings: the command that validates them, the checks that need
the database, and the use case that changes them.

The settings are stored as JSON on the batch (``Batch.quality``) in the form ``to_json`` writes:

    {"method": "auto", "gold_share": 0.05, "qualification_type_id": "3ZL...",
     "rules": {"accuracy": {"threshold": 60, "min_gold_answers": 10, "action": "revoke"},
               "spam": {"action": "block", "max_separation": 0.2, "max_run": 20, "min_seconds": 2}},
     "overlap": {"min_assignments": 3, "max_assignments": 7, "confidence_target": 0.95}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import annotators
from aggregation import methods
from aggregation.consensus import CATEGORICAL_SHAPES, SHAPES
from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import Batch, QualificationType, QualificationTypeStatus
from labelhub.runtime import Runtime
from labelhub.services import job_queue
from labelhub.services.actors import Actor, require_requester
from labelhub.services.common import record_event
from labelhub.settings import MoneySettings
from quality import OverlapPolicy, PolicyError, QualityPolicy

KNOWN_FIELDS = ("method", "gold_share", "qualification_type_id", "rules", "overlap", "llm")
LLM_ACTIONS = ("none", "review", "exclude", "downweight")
MAX_GOLD_SHARE = 0.5
AGGREGATE_JOB = "labelhub.jobs.aggregate_batch"


@dataclass(frozen=True)
class LLMSettings:
    """What an LLM flag (band high) does in this batch: ``none``; ``review`` (auto-approval waits
    30 days, for the requester to decide); ``exclude`` (left out of the consensus); ``downweight``
    (every text answer counts 1 - its probability in the consensus). ``auto_reject`` rejects
    flagged answers and is off unless the requester turns it on. ``reference_field`` is the
    batch data column holding reference LLM answers for an item (a text or a JSON list of texts)."""

    action: str = "none"
    auto_reject: bool = False
    reference_field: str = "llm_reference"

    @classmethod
    def parse(cls, raw: Any, where: str, problems: dict[str, str]) -> LLMSettings:
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            problems[where] = "must be an object with action, auto_reject and reference_field"
            return cls()
        problems.update({f"{where}.{key}": "is not an LLM-flag setting" for key in raw
                         if key not in ("action", "auto_reject", "reference_field")})
        action, reject = raw.get("action", "none"), raw.get("auto_reject", False)
        field_name = raw.get("reference_field", "llm_reference")
        if action not in LLM_ACTIONS:
            problems[f"{where}.action"] = f"must be one of: {', '.join(LLM_ACTIONS)}"
        if not isinstance(reject, bool):
            problems[f"{where}.auto_reject"] = "must be true or false"
        if not isinstance(field_name, str) or not 1 <= len(field_name) <= 100:
            problems[f"{where}.reference_field"] = "must be a column name of 1-100 characters"
        return cls(action, reject, field_name)


DEFAULT_CONFIDENCE_TARGET = 0.95  # without dynamic overlap


@dataclass(frozen=True)
class QualitySettings:
    """How a batch's answers become consensus labels and worker scores.

    ``gold_share`` None means the installation's default (``[quality] gold_share``);
    ``qualification_type_id`` is the requester's type that receives each worker's score (0-100).
    """

    method: str = "auto"
    gold_share: float | None = None
    qualification_type_id: str | None = None
    policy: QualityPolicy = field(default_factory=QualityPolicy)
    overlap: OverlapPolicy | None = None
    llm: LLMSettings = field(default_factory=LLMSettings)

    @property
    def confidence_target(self) -> float:
        """The consensus confidence a HIT needs to count as confident: dynamic overlap's target, else
        DEFAULT_CONFIDENCE_TARGET."""
        return self.overlap.confidence_target if self.overlap else DEFAULT_CONFIDENCE_TARGET

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None, *, where: str = "quality") -> QualitySettings:
        """Validate JSON settings; InvalidInputError names each bad field as ``<where>.<path>``."""
        raw = raw or {}
        if not isinstance(raw, Mapping):
            raise InvalidInputError({where: "must be an object"})
        problems = {f"{where}.{key}": "is not a quality setting" for key in raw if key not in KNOWN_FIELDS}
        method = raw.get("method", "auto")
        if method != "auto":
            try:
                methods.get(method)
            except ValueError as exc:
                problems[f"{where}.method"] = str(exc).removeprefix("method: ")
        share = raw.get("gold_share")
        if share is not None and (isinstance(share, bool) or not isinstance(share, int | float)
                                  or not 0 <= share <= MAX_GOLD_SHARE):
            problems[f"{where}.gold_share"] = f"must be a number from 0 to {MAX_GOLD_SHARE}"
        type_id = raw.get("qualification_type_id")
        if type_id is not None and (not isinstance(type_id, str) or not 1 <= len(type_id) <= 64):
            problems[f"{where}.qualification_type_id"] = "must be a qualification type id"
        policy = _parse_policy(raw.get("rules"), f"{where}.rules", problems)
        overlap = _parse_overlap(raw.get("overlap"), f"{where}.overlap", problems)
        llm = LLMSettings.parse(raw.get("llm"), f"{where}.llm", problems)
        if problems:
            raise InvalidInputError(problems, entity="batch")
        return cls(method=method, gold_share=share, qualification_type_id=type_id, policy=policy,
                   overlap=overlap, llm=llm)

    @classmethod
    def stored(cls, raw: dict[str, Any] | None) -> QualitySettings:
        """The settings as stored on a batch (validated when they were set)."""
        return cls.parse(raw)

    def to_json(self) -> dict[str, Any]:
        overlap = None if self.overlap is None else {
            "min_assignments": self.overlap.min_assignments, "max_assignments": self.overlap.max_assignments,
            "confidence_target": self.overlap.confidence_target}
        return {"method": self.method, "gold_share": self.gold_share,
                "qualification_type_id": self.qualification_type_id, "rules": self.policy.to_dict(),
                "overlap": overlap, "llm": {"action": self.llm.action, "auto_reject": self.llm.auto_reject,
                                            "reference_field": self.llm.reference_field}}

    def effective_gold_share(self, rt: Runtime) -> float:
        return float(rt.settings.quality.gold_share) if self.gold_share is None else float(self.gold_share)


def _parse_policy(raw: Any, where: str, problems: dict[str, str]) -> QualityPolicy:
    if raw is not None and not isinstance(raw, Mapping):
        problems[where] = "must be an object with the rules accuracy and spam"
        return QualityPolicy()
    unknown = [key for key in (raw or {}) if key not in ("accuracy", "spam")]
    problems.update({f"{where}.{key}": "is not a rule (rules: accuracy, spam)" for key in unknown})
    try:
        return QualityPolicy.from_dict({k: v for k, v in (raw or {}).items() if k not in unknown})
    except PolicyError as exc:
        problems.update({f"{where}.{key}": value for key, value in exc.problems.items()})
        return QualityPolicy()


def _parse_overlap(raw: Any, where: str, problems: dict[str, str]) -> OverlapPolicy | None:
    if raw is None:
        return None
    needed = ("min_assignments", "max_assignments", "confidence_target")
    if not isinstance(raw, Mapping) or set(raw) != set(needed):
        problems[where] = f"must be an object with exactly {', '.join(needed)}"
        return None
    try:
        return OverlapPolicy(**raw)
    except ValueError as exc:
        for part in str(exc).split("; "):
            name, _, message = part.partition(": ")
            problems[f"{where}.{name.split(' and ')[0]}"] = message
        return None


def batch_shape(batch: Batch) -> str | None:
    """The aggregation shape of a batch's answers, or None when there is no consensus to compute
    (surveys, HTML batches without a registered task type)."""
    if batch.template_kind not in annotators.REGISTRY:
        return None
    shape = annotators.get(batch.template_kind).shape_for((batch.template or {}).get("config", {}))
    return shape.value if shape.value in SHAPES else None


def check_for_batch(db: Session, actor: Actor, settings: QualitySettings, *, shape: str | None,
                    money: MoneySettings) -> None:
    """The rules that need the batch or the database. Raises InvalidInputError naming the field."""
    problems: dict[str, str] = {}
    consensus_needed = settings.overlap is not None or settings.qualification_type_id is not None \
        or settings.policy.accuracy is not None or settings.policy.spam is not None
    if shape is None and consensus_needed:
        problems["quality"] = "this batch's task type has no consensus (surveys and untyped HTML batches): " \
                              "scores, rules and dynamic overlap need one"
    if shape not in CATEGORICAL_SHAPES and (settings.policy.accuracy or settings.policy.spam):
        problems["quality.rules"] = "quality rules need single-label answers (classification, ordinal " \
                                    "scales, pairwise)"
    if settings.qualification_type_id is not None:
        _check_feed_type(db, actor, settings.qualification_type_id, problems)
    revokes = [r for r in (settings.policy.accuracy, settings.policy.spam) if r and r.action == "revoke"]
    if revokes and settings.qualification_type_id is None:
        problems["quality.qualification_type_id"] = "is required by a rule whose action is revoke"
    overlap, tier = settings.overlap, money.large_hit_min_assignments
    if overlap is not None and overlap.min_assignments < tier <= overlap.max_assignments:
        problems["quality.overlap.max_assignments"] = (
            f"cannot go from under {tier} to {tier} or more assignments: the fee tier is fixed when a "
            "HIT is created")
    if problems:
        raise InvalidInputError(problems, entity="batch")


def _check_feed_type(db: Session, actor: Actor, public_id: str, problems: dict[str, str]) -> None:
    qtype = db.scalars(select(QualificationType).where(
        QualificationType.public_id == public_id, QualificationType.marketplace == actor.marketplace,
        QualificationType.deleted_at.is_(None))).one_or_none()
    if qtype is None or qtype.requester_id != actor.id:
        problems["quality.qualification_type_id"] = f"{public_id} is not one of your qualification types"
    elif qtype.status is not QualificationTypeStatus.ACTIVE:
        problems["quality.qualification_type_id"] = f"{public_id} is inactive"


def owned_batch(db: Session, actor: Actor, batch_public_id: str, *, lock: bool = False) -> Batch:
    """The requester's batch in the actor's marketplace (the system actor may read any). Another
    requester's batch is NotFoundError too, so its id tells nothing."""
    stmt = select(Batch).where(Batch.public_id == batch_public_id, Batch.marketplace == actor.marketplace)
    batch = db.scalars(stmt.with_for_update(key_share=True) if lock else stmt).one_or_none()
    if batch is None or (actor.kind != "system" and batch.requester_id != actor.id):
        raise NotFoundError(f"Batch {batch_public_id} does not exist", entity="batch")
    return batch


def request_aggregation(db: Session, batch: Batch, *, now: datetime) -> None:
    """Queue the batch's aggregation in the caller's transaction; one run per batch waits at a time,
    and a run that finds what the last one read (its fingerprint) stops at once. No batch row is
    written, so concurrent submissions to one batch do not queue behind each other on it."""
    job_queue.submit(db, AGGREGATE_JOB, batch.public_id, key=aggregation_key(batch.public_id),
                     target=f"batch:{batch.public_id}", owner=(batch.requester_id, batch.marketplace), now=now)


def aggregation_key(batch_public_id: str) -> str:
    return f"aggregate:{batch_public_id}"


def update_quality(rt: Runtime, actor: Actor, batch_public_id: str, settings: QualitySettings) -> Batch:
    """Replace a batch's quality settings; the batch is aggregated again with them.
    Raises NotFoundError, PermissionDeniedError, InvalidInputError."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        batch = owned_batch(db, actor, batch_public_id, lock=True)
        check_for_batch(db, actor, settings, shape=batch_shape(batch), money=rt.settings.money)
        batch.quality = settings.to_json()
        record_event(db, actor, "BatchQualityChanged", entity="batch", entity_id=batch.public_id, now=now)
        request_aggregation(db, batch, now=now)
    return batch


def request_run(rt: Runtime, actor: Actor, batch_public_id: str) -> None:
    """Aggregate the batch again even without new answers (after changing gold answers by hand, say).
    Raises NotFoundError, PermissionDeniedError, InvalidStateError (no consensus for this task type)."""
    require_requester(actor)
    with rt.sessions.begin() as db:
        batch = owned_batch(db, actor, batch_public_id, lock=True)
        if batch_shape(batch) is None:
            raise InvalidStateError("This batch's task type has no consensus to compute", entity="batch")
        batch.aggregated_fingerprint = None  # run even if nothing it reads has changed
        request_aggregation(db, batch, now=rt.clock())
