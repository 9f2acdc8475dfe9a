"""Review policy runs, as MTurk defines them: ScoreMyKnownAnswers/2011-09-01 scores each submitted
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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from labelhub import ids
from labelhub.errors import DomainError, InvalidInputError
from labelhub.models import (
    ANSWERED_STATUSES,
    HIT,
    Assignment,
    AssignmentStatus,
    Event,
    HITStatus,
    Requester,
    ReviewAction,
    ReviewActionStatus,
    ReviewPolicy,
    ReviewPolicyLevel,
    ReviewResult,
)
from labelhub.runtime import Runtime
from labelhub.services import assignments, hits, job_queue
from labelhub.services.actors import Actor, require_requester
from labelhub.services.common import check_page_size, decode_cursor, encode_cursor
from labelhub.services.review_policy_specs import (
    ASSIGNMENT,
    HIT_LEVEL,
    KNOWN_ANSWERS,
    PLURALITY,
    THRESHOLD_PAIRS,
)
from quality.review import known_answer_score, plurality

SWEEP_BATCH = 200
# Intended actions older than this were left by a run that stopped; the sweep carries them out.
STALE_ACTIONS = timedelta(minutes=5)


TRIGGERS = frozenset({"AssignmentSubmitted", "HITReviewable"})


def queue_review(db: Session, event: Event, hit: HIT) -> None:
    """Reaction: after a submit (assignment level) or the HIT becoming reviewable (HIT level), run the
    HIT's policy for that level, if it has one."""
    level = {"AssignmentSubmitted": ASSIGNMENT, "HITReviewable": HIT_LEVEL}.get(event.action)
    if level is None or db.scalar(select(ReviewPolicy.id).where(
            ReviewPolicy.hit_id == hit.id, ReviewPolicy.level == level)) is None:
        return
    if level is ASSIGNMENT:
        job_queue.submit(db, "labelhub.jobs.review_assignment", event.entity_id,
                         key=f"review-assignment:{event.entity_id}", target=f"hit:{hit.public_id}",
                         owner=(hit.requester_id, hit.marketplace), now=event.at)
    else:
        job_queue.submit(db, "labelhub.jobs.review_hit", hit.public_id, key=f"review-hit:{hit.public_id}",
                         target=f"hit:{hit.public_id}", owner=(hit.requester_id, hit.marketplace), now=event.at)


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
        if policy is not None and assignment.status in ANSWERED_STATUSES and not _scored(db, assignment_public_id):
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
            Assignment.status.in_(ANSWERED_STATUSES), ~scored).order_by(Assignment.id).limit(SWEEP_BATCH)))
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
    return db.scalars(select(HIT).where(HIT.id == hit_id).with_for_update(of=HIT, key_share=True)
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
    work = db.scalars(select(Assignment).where(Assignment.hit_id == hit.id, Assignment.status.in_(ANSWERED_STATUSES))
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
