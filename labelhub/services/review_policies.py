"""Review policies, as MTurk defines them: ScoreMyKnownAnswers/2011-09-01 scores each submitted
assignment against known answers, SimplePlurality/2011-09-01 measures agreement when the HIT becomes
reviewable; either approves, rejects or extends as configured.

A policy is validated and stored with its HIT (``ReviewPolicies.attach`` inside create_hit). Jobs run
it: one transaction records what it found (results) and what it means to do (Intended actions),
then each action is carried out through the marketplace's own use cases (approve, reject,
create_additional_assignments, update_expiration) as the HIT's requester, so no rule of theirs is
written twice. Re-running is harmless: an assignment is scored once, a HIT again only when it has
new submissions, an approval already made counts as done, and an extension is made once per action
(its id is the UniqueRequestToken).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from labelhub import ids
from labelhub.errors import DomainError, InvalidInputError
from labelhub.models import (
    HIT,
    Assignment,
    AssignmentStatus,
    HITStatus,
    Requester,
    ReviewAction,
    ReviewActionStatus,
    ReviewPolicy,
    ReviewPolicyLevel,
    ReviewResult,
)
from labelhub.runtime import Runtime, enqueue_after_commit
from labelhub.services import assignments, hits
from labelhub.services.actors import Actor, require_requester
from labelhub.services.commands import MAX_ASSIGNMENTS, MAX_DURATION_SECONDS
from labelhub.services.common import check_page_size, decode_cursor, encode_cursor

KNOWN_ANSWERS, PLURALITY = "ScoreMyKnownAnswers/2011-09-01", "SimplePlurality/2011-09-01"
ASSIGNMENT, HIT_LEVEL = ReviewPolicyLevel.ASSIGNMENT, ReviewPolicyLevel.HIT
POLICY_OF_LEVEL = {ASSIGNMENT: KNOWN_ANSWERS, HIT_LEVEL: PLURALITY}
REVIEWED = (AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED)
MAX_ANSWER_LENGTH = 256  # longer answers take no part in agreement (as on MTurk)
MAX_QUESTIONS, MAX_REASON_LENGTH = 100, 1024
SWEEP_BATCH = 200
# Intended actions older than this were left by a run that stopped; the sweep carries them out.
STALE_ACTIONS = timedelta(minutes=5)


@dataclass(frozen=True)
class _Param:
    kind: str  # "int", "bool", "text", "ids" or "map"
    low: int = 0
    high: int = 0


# Each policy's parameters, by MTurk's names (they are the policy's vocabulary), and their defaults.
PARAMETERS: dict[str, dict[str, _Param]] = {
    KNOWN_ANSWERS: {
        "AnswerKey": _Param("map"), "ApproveIfKnownAnswerScoreIsAtLeast": _Param("int", 0, 101),
        "ApproveReason": _Param("text"), "RejectIfKnownAnswerScoreIsLessThan": _Param("int", 0, 101),
        "RejectReason": _Param("text"), "ExtendIfKnownAnswerScoreIsLessThan": _Param("int", 0, 101),
        "ExtendMaximumAssignments": _Param("int", 2, 25),
        "ExtendMinimumTimeInSeconds": _Param("int", 3600, MAX_DURATION_SECONDS)},
    PLURALITY: {
        "QuestionIds": _Param("ids"), "QuestionAgreementThreshold": _Param("int", 0, 100),
        "DisregardAssignmentIfRejected": _Param("bool"),
        "DisregardAssignmentIfKnownAnswerScoreIsLessThan": _Param("int", 0, 101),
        "ExtendIfHITAgreementScoreIsLessThan": _Param("int", 1, 100),
        "ExtendMaximumAssignments": _Param("int", 2, MAX_ASSIGNMENTS),
        "ExtendMinimumTimeInSeconds": _Param("int", 3600, MAX_DURATION_SECONDS),
        "ApproveIfWorkerAgreementScoreIsAtLeast": _Param("int", 0, 101),
        "RejectIfWorkerAgreementScoreIsLessThan": _Param("int", 0, 101), "RejectReason": _Param("text")},
}
REQUIRED = {KNOWN_ANSWERS: ("AnswerKey",), PLURALITY: ("QuestionIds", "QuestionAgreementThreshold")}
DEFAULTS = {KNOWN_ANSWERS: {"ExtendMaximumAssignments": 5},
            PLURALITY: {"DisregardAssignmentIfRejected": False}}
# (reject threshold, approve threshold): a score may not be both below one and at least the other.
THRESHOLD_PAIRS = {
    KNOWN_ANSWERS: ("RejectIfKnownAnswerScoreIsLessThan", "ApproveIfKnownAnswerScoreIsAtLeast"),
    PLURALITY: ("RejectIfWorkerAgreementScoreIsLessThan", "ApproveIfWorkerAgreementScoreIsAtLeast")}

RawParameters = Mapping[str, Sequence[str] | Mapping[str, Sequence[str]]]


@dataclass(frozen=True)
class ReviewPolicySpec:
    """A policy for one level: ``parameters`` maps each parameter name to its values (strings), or for
    AnswerKey to {question id: values}. ``settings`` holds them validated, with the defaults."""

    level: ReviewPolicyLevel
    name: str
    parameters: RawParameters
    settings: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        if self.name != POLICY_OF_LEVEL[self.level]:
            expected = POLICY_OF_LEVEL[self.level]
            problems["policy_name"] = f"must be {expected}, the {self.level.value}-level policy"
            raise InvalidInputError(problems, entity="review_policy")
        settings = dict(DEFAULTS[self.name])
        definitions = PARAMETERS[self.name]
        for key, raw in self.parameters.items():
            if key not in definitions:
                problems[key] = f"is not a parameter of {self.name}"
                continue
            value = _parse(problems, key, definitions[key], raw)
            if value is not None:
                settings[key] = value
        problems |= {key: "is required" for key in REQUIRED[self.name]
                     if key not in settings and key not in problems}
        _check_combinations(problems, self.name, settings)
        if problems:
            raise InvalidInputError(problems, entity="review_policy")
        object.__setattr__(self, "settings", settings)


def _parse(problems: dict[str, str], key: str, param: _Param, raw: Any) -> Any:
    if param.kind == "map":
        return _answer_key(problems, key, raw)
    if not _strings(raw):
        problems[key] = "takes a list of string values"
        return None
    if param.kind == "ids":
        found = list(dict.fromkeys(q.strip() for value in raw for q in value.split(",") if q.strip()))
        if not 1 <= len(found) <= MAX_QUESTIONS or any(len(q) > MAX_ANSWER_LENGTH for q in found):
            problems[key] = f"must name 1-{MAX_QUESTIONS} question ids (comma-separated or one per value)"
        return found
    if len(raw) != 1:
        problems[key] = "takes exactly one value"
        return None
    return _scalar(problems, key, param, raw[0].strip())


def _scalar(problems: dict[str, str], key: str, param: _Param, value: str) -> Any:
    if param.kind == "bool":
        if value.lower() not in ("true", "false", "t", "f", "1", "0"):
            problems[key] = "must be true or false"
        return value.lower() in ("true", "t", "1")
    if param.kind == "text":
        if len(value) > MAX_REASON_LENGTH:
            problems[key] = f"must be at most {MAX_REASON_LENGTH} characters"
        return value
    if not value.lstrip("-").isdigit() or not param.low <= int(value) <= param.high:
        problems[key] = f"must be an integer from {param.low} to {param.high}"
        return None
    return int(value)


def _answer_key(problems: dict[str, str], key: str, raw: Any) -> dict[str, list[str]] | None:
    if not isinstance(raw, Mapping) or not 1 <= len(raw) <= MAX_QUESTIONS:
        problems[key] = f"takes map entries: 1-{MAX_QUESTIONS} question ids, each with its correct value(s)"
        return None
    answers: dict[str, list[str]] = {}
    for question, values in raw.items():
        cleaned = [v.strip() for v in values if v.strip()] if _strings(values) else []
        if not str(question).strip() or not cleaned or len(cleaned) != len(values):
            problems[key] = f"question {question!r} needs its correct value(s), none of them empty"
            return None
        answers[str(question).strip()] = cleaned
    return answers


def _strings(raw: Any) -> bool:
    return isinstance(raw, list | tuple) and all(isinstance(v, str) for v in raw)


def _check_combinations(problems: dict[str, str], name: str, settings: dict[str, Any]) -> None:
    reject, approve = THRESHOLD_PAIRS[name]
    if reject in settings and approve in settings and settings[reject] > settings[approve]:
        problems[reject] = f"must not be more than {approve}, or a score would be both approved and rejected"
    if name == PLURALITY and "ExtendIfHITAgreementScoreIsLessThan" in settings:
        for needed in ("ExtendMaximumAssignments", "ExtendMinimumTimeInSeconds"):
            if needed not in settings:
                problems[needed] = "is required with ExtendIfHITAgreementScoreIsLessThan"


@dataclass(frozen=True)
class ReviewPolicies:
    """The policies of a new HIT: at most one per level."""

    assignment: ReviewPolicySpec | None = None
    hit: ReviewPolicySpec | None = None

    def __post_init__(self) -> None:
        if self.assignment is not None and self.assignment.level is not ASSIGNMENT:
            raise InvalidInputError({"assignment_review_policy": "must be an Assignment-level policy"})
        if self.hit is not None and self.hit.level is not HIT_LEVEL:
            raise InvalidInputError({"hit_review_policy": "must be a HIT-level policy"})

    def attach(self, db: Session, hit: HIT, *, now: datetime) -> None:
        """Store the policies with ``hit`` in the caller's transaction (create_hit calls this)."""
        for spec in (self.assignment, self.hit):
            if spec is not None:
                db.add(ReviewPolicy(hit_id=hit.id, level=spec.level, name=spec.name, parameters=spec.settings,
                                    reviewed_submissions=0, created_at=now))


def queue_review(db: Session, action: str, *, hit: HIT, entity_id: str) -> None:
    """After a submit (assignment level) or the HIT becoming reviewable (HIT level), run the HIT's
    policy for that level, if it has one, once the caller's transaction commits."""
    level = {"AssignmentSubmitted": ASSIGNMENT, "HITReviewable": HIT_LEVEL}.get(action)
    if level is None or db.scalar(select(ReviewPolicy.id).where(
            ReviewPolicy.hit_id == hit.id, ReviewPolicy.level == level)) is None:
        return
    if level is ASSIGNMENT:
        enqueue_after_commit(db, "labelhub.jobs.review_assignment", entity_id,
                             job_id=f"labelhub-review-assignment-{entity_id}")
    else:
        enqueue_after_commit(db, "labelhub.jobs.review_hit", hit.public_id,
                             job_id=f"labelhub-review-hit-{hit.public_id}")


# --- scoring (pure) ---------------------------------------------------------------------------------

def _values(answer: Any) -> frozenset[str] | None:
    """A stored answer as the set of its trimmed values; None when there is none."""
    raw = answer if isinstance(answer, list) else [answer]
    values = frozenset(str(v).strip() for v in raw if v is not None and str(v).strip())
    return values or None


def known_answer_score(answer_key: Mapping[str, Sequence[str]],
                       answer: Mapping[str, Any]) -> tuple[dict[str, bool], int]:
    """Which known answers the worker got right, and the percentage right (rounded down)."""
    correct = {q: _values(answer.get(q)) == frozenset(expected) for q, expected in answer_key.items()}
    return correct, 100 * sum(correct.values()) // len(correct)


@dataclass(frozen=True)
class Agreement:
    """SimplePlurality's scores: per question the agreed answer (None when there is none) and its
    score, the HIT's score, and per assignment (score or None, answers agreeing, answers disagreeing)."""

    answers: dict[str, frozenset[str] | None]
    question_scores: dict[str, int]
    hit_score: int
    worker_scores: dict[str, tuple[int | None, int, int]]


def plurality(answers: Mapping[str, Mapping[str, Any]], question_ids: Sequence[str],
              threshold: int) -> Agreement:
    """Agreement among ``answers`` (assignment id -> answer): a question's plurality answer is agreed
    when it is the only most common one and more than ``threshold`` percent of the assignments gave it."""
    comparable = {a: {q: _comparable(answer.get(q)) for q in question_ids} for a, answer in answers.items()}
    agreed: dict[str, frozenset[str] | None] = {}
    scores: dict[str, int] = {}
    for question in question_ids:
        counts = Counter(v[question] for v in comparable.values() if v[question] is not None).most_common(2)
        unique = bool(counts) and (len(counts) == 1 or counts[0][1] > counts[1][1])
        score = 100 * counts[0][1] // len(answers) if unique else 0
        agreed[question] = counts[0][0] if unique and score > threshold else None
        if agreed[question] is not None:
            scores[question] = score
    settled = [q for q in question_ids if agreed[q] is not None]
    workers = {}
    for assignment, given in comparable.items():
        right = sum(given[q] == agreed[q] for q in settled)
        workers[assignment] = (100 * right // len(settled) if settled else None, right, len(settled) - right)
    return Agreement(agreed, scores, 100 * len(settled) // len(question_ids), workers)


def _comparable(answer: Any) -> frozenset[str] | None:
    values = _values(answer)
    return None if values is None or any(len(v) > MAX_ANSWER_LENGTH for v in values) else values


# --- runs -----------------------------------------------------------------------------------------

def review_assignment(rt: Runtime, assignment_public_id: str) -> None:
    """Score a submitted assignment against its HIT's known answers (once), then carry out the actions."""
    with rt.sessions.begin() as db:
        hit_id = db.scalar(select(Assignment.hit_id).where(Assignment.public_id == assignment_public_id))
        if hit_id is None:
            return
        hit = _lock_hit(db, hit_id)
        policy = _policy(db, hit_id, ASSIGNMENT)
        assignment = db.scalars(select(Assignment).where(Assignment.public_id == assignment_public_id)).one()
        if policy is not None and assignment.status in REVIEWED and not _scored(db, assignment_public_id):
            _score_known_answers(db, policy.parameters, hit, assignment, now=rt.clock())
    _carry_out(rt, hit_id)


def review_hit(rt: Runtime, hit_public_id: str) -> None:
    """Measure agreement on a Reviewable (or Reviewing) HIT that has new submissions since the last
    run, then carry out the actions."""
    with rt.sessions.begin() as db:
        hit_id = db.scalar(select(HIT.id).where(HIT.public_id == hit_public_id))
        if hit_id is None:
            return
        hit = _lock_hit(db, hit_id)
        policy = _policy(db, hit_id, HIT_LEVEL)
        submissions = hit.submitted_count + hit.approved_count + hit.rejected_count
        if policy is not None and hit.status in (HITStatus.REVIEWABLE, HITStatus.REVIEWING) \
                and submissions != policy.reviewed_submissions:
            _measure_agreement(db, policy.parameters, hit, now=rt.clock())
            policy.reviewed_submissions = submissions
    _carry_out(rt, hit_id)


def review_due(rt: Runtime) -> int:
    """What the jobs left undone: submitted assignments never scored, reviewable HITs with new work, and
    actions still Intended long after their run. Returns how many runs it made."""
    scored = exists().where(ReviewAction.target_id == Assignment.public_id, ReviewAction.name == "review",
                            ReviewAction.level == ASSIGNMENT)
    submissions = HIT.submitted_count + HIT.approved_count + HIT.rejected_count
    with rt.sessions() as db:
        unscored = list(db.scalars(select(Assignment.public_id).join(ReviewPolicy, and_(
            ReviewPolicy.hit_id == Assignment.hit_id, ReviewPolicy.level == ASSIGNMENT)).where(
            Assignment.status.in_(REVIEWED), ~scored).order_by(Assignment.id).limit(SWEEP_BATCH)))
        unreviewed = list(db.scalars(select(HIT.public_id).join(ReviewPolicy, and_(
            ReviewPolicy.hit_id == HIT.id, ReviewPolicy.level == HIT_LEVEL)).where(
            HIT.status.in_((HITStatus.REVIEWABLE, HITStatus.REVIEWING)),
            ReviewPolicy.reviewed_submissions != submissions).order_by(HIT.id).limit(SWEEP_BATCH)))
        stalled = list(db.scalars(select(ReviewAction.hit_id).where(
            ReviewAction.status == ReviewActionStatus.INTENDED,
            ReviewAction.created_at <= rt.clock() - STALE_ACTIONS).distinct().limit(SWEEP_BATCH)))
    for assignment_id in unscored:
        review_assignment(rt, assignment_id)
    for hit_public_id in unreviewed:
        review_hit(rt, hit_public_id)
    for hit_id in stalled:
        _carry_out(rt, hit_id)
    return len(unscored) + len(unreviewed) + len(stalled)


def _lock_hit(db: Session, hit_id: int) -> HIT:
    return db.scalars(select(HIT).where(HIT.id == hit_id).with_for_update(of=HIT)
                      .execution_options(populate_existing=True)).one()


def _policy(db: Session, hit_id: int, level: ReviewPolicyLevel) -> ReviewPolicy | None:
    return db.scalars(select(ReviewPolicy).where(ReviewPolicy.hit_id == hit_id, ReviewPolicy.level == level)
                      ).one_or_none()


def _scored(db: Session, assignment_public_id: str) -> bool:
    return db.scalar(select(ReviewAction.id).where(ReviewAction.target_id == assignment_public_id,
                                                   ReviewAction.name == "review",
                                                   ReviewAction.level == ASSIGNMENT).limit(1)) is not None


def _action(db: Session, hit: HIT, level: ReviewPolicyLevel, name: str, target: Assignment | HIT, *,
            now: datetime, result: str | None = None) -> ReviewAction:
    """An action of a run: the run's own review is done (``result`` given), the others are Intended."""
    action = ReviewAction(
        public_id=ids.new_id(), hit_id=hit.id, level=level, name=name, target_id=target.public_id,
        target_type="HIT" if isinstance(target, HIT) else "Assignment", created_at=now,
        status=ReviewActionStatus.INTENDED if result is None else ReviewActionStatus.SUCCEEDED,
        result=result or "", completed_at=None if result is None else now)
    db.add(action)
    db.flush()
    return action


def _result(db: Session, review: ReviewAction, subject: Assignment | HIT, question: str | None, key: str,
            value: object) -> None:
    db.add(ReviewResult(
        hit_id=review.hit_id, action_id=review.id, level=review.level, subject_id=subject.public_id,
        subject_type="HIT" if isinstance(subject, HIT) else "Assignment", question_id=question, key=key,
        value=str(value).lower() if isinstance(value, bool) else str(value), created_at=review.created_at))


def _judge(db: Session, hit: HIT, level: ReviewPolicyLevel, assignment: Assignment, score: int,
           settings: Mapping[str, Any], *, name: str, now: datetime) -> None:
    """Intend to approve or reject the assignment by its score and the policy's thresholds."""
    reject, approve = THRESHOLD_PAIRS[name]
    if approve in settings and score >= settings[approve]:
        _action(db, hit, level, "approve", assignment, now=now)
    elif reject in settings and score < settings[reject]:
        _action(db, hit, level, "reject", assignment, now=now)


def _score_known_answers(db: Session, settings: Mapping[str, Any], hit: HIT, assignment: Assignment, *,
                         now: datetime) -> None:
    correct, score = known_answer_score(settings["AnswerKey"], assignment.answer or {})
    summary = f"Reviewed {len(correct)} known answer(s); {sum(correct.values())}/{len(correct)} correct"
    review = _action(db, hit, ASSIGNMENT, "review", assignment, now=now, result=summary)
    for question, right in correct.items():
        _result(db, review, assignment, question, "KnownAnswerCorrect", int(right))
    _result(db, review, assignment, None, "KnownAnswerScore", score)
    _judge(db, hit, ASSIGNMENT, assignment, score, settings, name=KNOWN_ANSWERS, now=now)
    if score < settings.get("ExtendIfKnownAnswerScoreIsLessThan", 0):
        _action(db, hit, ASSIGNMENT, "extend", hit, now=now)


def _counted(assignment: Assignment, settings: Mapping[str, Any],
             answer_key: Mapping[str, Any] | None) -> bool:
    """Whether the assignment takes part in agreement (the Disregard... parameters)."""
    if settings["DisregardAssignmentIfRejected"] and assignment.status is AssignmentStatus.REJECTED:
        return False
    floor = settings.get("DisregardAssignmentIfKnownAnswerScoreIsLessThan")
    if floor is None or answer_key is None:
        return True
    return known_answer_score(answer_key, assignment.answer or {})[1] >= floor


def _measure_agreement(db: Session, settings: Mapping[str, Any], hit: HIT, *, now: datetime) -> None:
    known = _policy(db, hit.id, ASSIGNMENT)
    answer_key = known.parameters["AnswerKey"] if known is not None else None
    work = db.scalars(select(Assignment).where(Assignment.hit_id == hit.id, Assignment.status.in_(REVIEWED))
                      .order_by(Assignment.id))
    counted = [a for a in work if _counted(a, settings, answer_key)]
    questions = settings["QuestionIds"]
    review = _action(db, hit, HIT_LEVEL, "review", hit, now=now,
                     result=f"Compared {len(questions)} question(s) over {len(counted)} assignment(s)")
    if not counted:
        return
    agreement = plurality({a.public_id: a.answer or {} for a in counted}, questions,
                          settings["QuestionAgreementThreshold"])
    for question in questions:
        found = agreement.answers[question]
        _result(db, review, hit, question, "AgreedAnswerFound", found is not None)
        if found is not None:
            _result(db, review, hit, question, "AgreedAnswer", "|".join(sorted(found)))
            _result(db, review, hit, question, "AnswerAgreementScore", agreement.question_scores[question])
    _result(db, review, hit, None, "HitAgreementScore", agreement.hit_score)
    for assignment in counted:
        score, right, wrong = agreement.worker_scores[assignment.public_id]
        if score is not None:
            _result(db, review, assignment, None, "WorkerAgreementScore", score)
        if score is not None and assignment.status is AssignmentStatus.SUBMITTED:  # decided stays decided
            _judge(db, hit, HIT_LEVEL, assignment, score, settings, name=PLURALITY, now=now)
        _result(db, review, assignment, None, "PluralityAnswersCorrect", right)
        _result(db, review, assignment, None, "PluralityAnswersIncorrect", wrong)
    if agreement.hit_score < settings.get("ExtendIfHITAgreementScoreIsLessThan", 0):
        _action(db, hit, HIT_LEVEL, "extend", hit, now=now)


def _carry_out(rt: Runtime, hit_id: int) -> None:
    """Carry out the HIT's Intended actions one by one, each through its own use case."""
    with rt.sessions() as db:
        hit = db.get_one(HIT, hit_id)
        actor = Actor("requester", hit.requester_id, db.get_one(Requester, hit.requester_id).public_id,
                      hit.marketplace)
        policies = db.scalars(select(ReviewPolicy).where(ReviewPolicy.hit_id == hit_id))
        settings = {policy.level: policy.parameters for policy in policies}
        intended = list(db.scalars(select(ReviewAction).where(
            ReviewAction.hit_id == hit_id, ReviewAction.status == ReviewActionStatus.INTENDED)
            .order_by(ReviewAction.id)))
    for action in intended:
        status, result, code = _execute(rt, actor, hit.public_id, action, settings[action.level])
        with rt.sessions.begin() as db:
            row = db.scalars(select(ReviewAction).where(ReviewAction.id == action.id).with_for_update()).one()
            if row.status is ReviewActionStatus.INTENDED:
                row.status, row.result, row.error_code = status, result[:1024], code
                row.completed_at = rt.clock()


def _execute(rt: Runtime, actor: Actor, hit_public_id: str, action: ReviewAction,
             settings: Mapping[str, Any]) -> tuple[ReviewActionStatus, str, str | None]:
    outcome = {"approve": AssignmentStatus.APPROVED, "reject": AssignmentStatus.REJECTED}.get(action.name)
    try:
        if action.name == "approve":
            assignments.approve(rt, actor, action.target_id, feedback=settings.get("ApproveReason"))
        elif action.name == "reject":
            assignments.reject(rt, actor, action.target_id, feedback=settings.get("RejectReason", ""))
        else:
            return ReviewActionStatus.SUCCEEDED, _extend(rt, actor, hit_public_id, action, settings), None
    except DomainError as exc:
        # Approving what is already approved succeeds, as on MTurk (a second run, or the requester first).
        if outcome is not None and assignments.get_assignment(rt, actor, action.target_id).status is outcome:
            return ReviewActionStatus.SUCCEEDED, f"The assignment was already {outcome.value.lower()}", None
        return ReviewActionStatus.FAILED, exc.message, exc.code
    return ReviewActionStatus.SUCCEEDED, outcome.value if outcome else "", None


def _extend(rt: Runtime, actor: Actor, hit_public_id: str, action: ReviewAction,
            settings: Mapping[str, Any]) -> str:
    """One more assignment, up to the policy's maximum, open for at least ExtendMinimumTimeInSeconds."""
    hit = hits.get_hit(rt, actor, hit_public_id)
    maximum = settings["ExtendMaximumAssignments"]
    if hit.max_assignments >= maximum:
        return f"Not extended: the HIT has {hit.max_assignments} assignments, " \
               f"the policy's maximum is {maximum}"
    # The action's id as UniqueRequestToken: carrying the same action out twice extends once.
    extended = hits.create_additional_assignments(rt, actor, hit_public_id, 1,
                                                  unique_request_token=action.public_id).value
    minimum = settings.get("ExtendMinimumTimeInSeconds", 0)
    until = rt.clock() + timedelta(seconds=minimum)
    if minimum and extended.expires_at < until:
        hits.update_expiration(rt, actor, hit_public_id, until)
    return f"Extended the HIT to {extended.max_assignments} assignments"


# --- report ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PolicyReport:
    """One page of a HIT's review results and actions (of the asked levels), oldest first; each list
    holds up to the page size, and ``next_cursor`` is None once both are exhausted."""

    hit_id: str
    policies: dict[ReviewPolicyLevel, ReviewPolicy]
    results: list[ReviewResult]
    actions: list[ReviewAction]
    next_cursor: str | None


def policy_report(rt: Runtime, actor: Actor, hit_public_id: str, *,
                  levels: Iterable[ReviewPolicyLevel] = (ASSIGNMENT, HIT_LEVEL), with_results: bool = True,
                  with_actions: bool = True, cursor: str | None = None, limit: int = 100) -> PolicyReport:
    """What the HIT's review policies found and did. Raises NotFoundError/PermissionDeniedError for a
    HIT that is not the requester's, InvalidInputError for an empty level list or a bad cursor."""
    require_requester(actor)
    levels = tuple(dict.fromkeys(levels))
    if not levels:
        raise InvalidInputError({"policy_levels": "name at least one of Assignment, HIT"})
    check_page_size(limit)
    after_result, after_action = _decode_cursor(cursor)
    with rt.sessions() as db:
        hit = hits.owned_hit(db, actor, hit_public_id)
        policies = {p.level: p for p in db.scalars(select(ReviewPolicy).where(
            ReviewPolicy.hit_id == hit.id, ReviewPolicy.level.in_(levels)))}
        results = _page(db, ReviewResult, hit.id, levels, after_result, limit) if with_results else []
        actions = _page(db, ReviewAction, hit.id, levels, after_action, limit) if with_actions else []
    more = len(results) > limit or len(actions) > limit
    results, actions = results[:limit], actions[:limit]
    next_cursor = _encode_cursor(results[-1].id if results else after_result,
                                 actions[-1].id if actions else after_action) if more else None
    return PolicyReport(hit.public_id, policies, results, actions, next_cursor)


def _page(db: Session, model: type[ReviewResult] | type[ReviewAction], hit_id: int,
          levels: Sequence[ReviewPolicyLevel], after: int, limit: int) -> list[Any]:
    stmt = select(model).where(model.hit_id == hit_id, model.level.in_(levels), model.id > after)
    return list(db.scalars(stmt.order_by(model.id).limit(limit + 1)))


def _encode_cursor(after_result: int, after_action: int) -> str:
    """Where each list stopped; '.' is not in the base64 alphabet of the two halves."""
    return f"{encode_cursor(after_result)}.{encode_cursor(after_action)}"


def _decode_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return 0, 0
    results, dot, actions = cursor.partition(".")
    if not dot or not results or not actions:
        raise InvalidInputError({"cursor": "is not a cursor this server issued"})
    return decode_cursor(results), decode_cursor(actions)
