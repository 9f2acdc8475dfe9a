"""Who may discover, preview and accept a HIT: qualification requirements, system qualifications
derived from the worker's record, and requester blocks.

The system qualification types keep MTurk's ids, because scripts hard-code them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelhub.models import (
    HIT,
    Assignment,
    AssignmentStatus,
    Comparator,
    GuardedAction,
    HITType,
    Marketplace,
    Qualification,
    QualificationRequirement,
    QualificationStatus,
    QualificationType,
    Worker,
    WorkerBlock,
)
from labelhub.services.commands import Locale
from labelhub.settings import MarketplaceSettings

MASTERS_ID = {Marketplace.PRODUCTION: "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH",
              Marketplace.SANDBOX: "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"}
# Scripts hard-code one of MTurk's two Masters ids (Mephisto takes any custom endpoint for production),
# so both name the Masters qualification in both marketplaces.
MASTERS_IDS = frozenset(MASTERS_ID.values())
NUMBER_HITS_APPROVED = "00000000000000000040"
LOCALE = "00000000000000000071"
PERCENT_APPROVED = "000000000000000000L0"
ADULT = "00000000000000000060"
PERCENT_SUBMITTED = "00000000000000000000"
PERCENT_ABANDONED = "00000000000000000070"
PERCENT_RETURNED = "000000000000000000E0"
PERCENT_REJECTED = "000000000000000000S0"


@dataclass(frozen=True)
class SystemQualificationType:
    public_id: str
    name: str
    description: str


SYSTEM_TYPES = (
    SystemQualificationType(NUMBER_HITS_APPROVED, "Worker_NumberHITsApproved",
                            "The number of assignments the worker has had approved in this marketplace."),
    SystemQualificationType(LOCALE, "Worker_Locale", "The worker's country and subdivision."),
    SystemQualificationType(PERCENT_APPROVED, "Worker_PercentAssignmentsApproved",
                            "Approved assignments as a percentage of approved plus rejected ones "
                            "(100 until the worker has enough decided assignments)."),
    SystemQualificationType(ADULT, "Worker_Adult", "1 if the worker agreed to see adult content."),
    SystemQualificationType(PERCENT_SUBMITTED, "Worker_PercentAssignmentsSubmitted",
                            "Submitted assignments as a percentage of accepted ones."),
    SystemQualificationType(PERCENT_ABANDONED, "Worker_PercentAssignmentsAbandoned",
                            "Abandoned assignments as a percentage of accepted ones."),
    SystemQualificationType(PERCENT_RETURNED, "Worker_PercentAssignmentsReturned",
                            "Returned assignments as a percentage of accepted ones."),
    SystemQualificationType(PERCENT_REJECTED, "Worker_PercentAssignmentsRejected",
                            "Rejected assignments as a percentage of submitted ones."),
)


def system_types(marketplace: Marketplace) -> tuple[SystemQualificationType, ...]:
    masters = SystemQualificationType(
        MASTERS_ID[marketplace], "Masters",
        "Held by workers with a long record of approved work (see README: the Masters rule).")
    return (masters, *SYSTEM_TYPES)


def system_type(marketplace: Marketplace, public_id: str) -> SystemQualificationType | None:
    """The system type with this id in the marketplace (either Masters id in either marketplace)."""
    if public_id in MASTERS_IDS:
        return replace(system_types(marketplace)[0], public_id=public_id)
    return next((t for t in system_types(marketplace) if t.public_id == public_id), None)


def _percent(part: int, whole: int, default: int) -> int:
    return default if whole == 0 else (100 * part) // whole


def system_values(db: Session, marketplace: Marketplace, worker: Worker,
                  rules: MarketplaceSettings) -> dict[str, Any]:
    """The worker's values of every system qualification (absent key = does not have it)."""
    counts: Counter[AssignmentStatus] = Counter(dict(db.execute(
        select(Assignment.status, func.count()).join(HIT, HIT.id == Assignment.hit_id)
        .where(Assignment.worker_id == worker.id, HIT.marketplace == marketplace)
        .group_by(Assignment.status)).tuples().all()))
    approved, rejected = counts[AssignmentStatus.APPROVED], counts[AssignmentStatus.REJECTED]
    submitted = approved + rejected + counts[AssignmentStatus.SUBMITTED]
    accepted = sum(counts.values())
    decided = approved + rejected
    percent_approved = 100 if decided < rules.percent_approved_min_assignments else (100 * approved) // decided
    values: dict[str, Any] = {
        NUMBER_HITS_APPROVED: approved,
        PERCENT_APPROVED: percent_approved,
        ADULT: 1 if worker.adult else 0,
        PERCENT_SUBMITTED: _percent(submitted, accepted, 100),
        PERCENT_ABANDONED: _percent(counts[AssignmentStatus.ABANDONED], accepted, 0),
        PERCENT_RETURNED: _percent(counts[AssignmentStatus.RETURNED], accepted, 0),
        PERCENT_REJECTED: _percent(rejected, submitted, 0),
    }
    if worker.country:
        values[LOCALE] = (worker.country, worker.subdivision)
    if approved >= rules.masters_min_approved and _percent(approved, decided, 0) >= rules.masters_min_percent_approved:
        values.update(dict.fromkeys(MASTERS_IDS, 1))
    return values


def worker_values(db: Session, marketplace: Marketplace, worker: Worker,
                  rules: MarketplaceSettings) -> dict[str, Any]:
    """System values plus the worker's granted custom qualifications in this marketplace."""
    values = system_values(db, marketplace, worker, rules)
    granted = db.execute(
        select(QualificationType.public_id, Qualification.integer_value)
        .join(Qualification, Qualification.qualification_type_id == QualificationType.id)
        .where(Qualification.worker_id == worker.id, Qualification.status == QualificationStatus.GRANTED,
               QualificationType.marketplace == marketplace, QualificationType.deleted_at.is_(None))).tuples().all()
    values.update(dict(granted))
    return values


def meets(requirement: QualificationRequirement, value: Any) -> bool:
    """Whether a worker's value (None: lacks the qualification) satisfies one requirement."""
    comparator = requirement.comparator
    if comparator is Comparator.DOES_NOT_EXIST:
        return value is None
    if value is None:
        return False
    if comparator is Comparator.EXISTS:
        return True
    if requirement.locale_values:
        country, subdivision = value if isinstance(value, tuple) else (None, None)
        locales = [Locale(v["country"], v.get("subdivision")) for v in requirement.locale_values]
        hit = any(loc.matches(country, subdivision) for loc in locales)
        return hit if comparator in (Comparator.EQUAL_TO, Comparator.IN) else not hit
    if isinstance(value, tuple):
        return False
    targets = requirement.integer_values or []
    compare = {
        Comparator.LESS_THAN: lambda: value < targets[0],
        Comparator.LESS_THAN_OR_EQUAL_TO: lambda: value <= targets[0],
        Comparator.GREATER_THAN: lambda: value > targets[0],
        Comparator.GREATER_THAN_OR_EQUAL_TO: lambda: value >= targets[0],
        Comparator.EQUAL_TO: lambda: value == targets[0],
        Comparator.NOT_EQUAL_TO: lambda: value != targets[0],
        Comparator.IN: lambda: value in targets,
        Comparator.NOT_IN: lambda: value not in targets,
    }
    return compare[comparator]()


@dataclass(frozen=True)
class Access:
    discover: bool
    preview: bool
    accept: bool
    unmet: tuple[str, ...] = ()

    @classmethod
    def none(cls, reason: str) -> Access:
        return cls(False, False, False, (reason,))


def access(hit_type: HITType, values: dict[str, Any]) -> Access:
    """Each unmet requirement forbids the action it guards and every action after it."""
    unmet = [r for r in hit_type.requirements if not meets(r, values.get(r.qualification_type_id))]
    guards = {r.actions_guarded for r in unmet}
    hidden = GuardedAction.DISCOVER_PREVIEW_AND_ACCEPT in guards
    no_preview = hidden or GuardedAction.PREVIEW_AND_ACCEPT in guards
    return Access(discover=not hidden, preview=not no_preview, accept=not unmet,
                  unmet=tuple(r.qualification_type_id for r in unmet))


def blocked_requester_ids(db: Session, marketplace: Marketplace, worker_id: int) -> set[int]:
    return set(db.scalars(select(WorkerBlock.requester_id).where(
        WorkerBlock.worker_id == worker_id, WorkerBlock.marketplace == marketplace)))


def worker_access(db: Session, hit: HIT, worker: Worker, rules: MarketplaceSettings, *, now: datetime,
                  values: dict[str, Any] | None = None) -> Access:
    if hit.requester_id in blocked_requester_ids(db, hit.marketplace, worker.id):
        return Access.none("blocked")
    if values is None:
        values = worker_values(db, hit.marketplace, worker, rules)
    return access(hit.hit_type, values)
