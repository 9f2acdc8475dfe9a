"""Review policies through the services: validation naming the parameter, ScoreMyKnownAnswers approving,
rejecting and extending on submit, SimplePlurality measuring agreement and acting when the HIT becomes
reviewable, re-runs changing nothing, and the sweep finishing what a lost job left undone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import func, select

from labelhub import ids, jobs
from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.models import (
    HIT,
    AssignmentStatus,
    HITStatus,
    ReviewAction,
    ReviewActionStatus,
    ReviewPolicyLevel,
    ReviewResult,
)
from labelhub.queueing import RqBackend
from labelhub.runtime import Runtime
from labelhub.services import assignments, hits, review_policies
from labelhub.services.commands import CreateHIT
from labelhub.services.review_policy_specs import KNOWN_ANSWERS, PLURALITY, ReviewPolicies, ReviewPolicySpec
from quality.review import known_answer_score, plurality

ASSIGNMENT, HIT_LEVEL = ReviewPolicyLevel.ASSIGNMENT, ReviewPolicyLevel.HIT
KEY = {"q1": ["B"], "q2": ["A"]}
# MTurk's worked example for SimplePlurality: four questions, three workers.
EXAMPLE = ({"A": "coat", "B": "blue", "C": "large", "D": "Furry"},
           {"A": "sweater", "B": "blue", "C": "large", "D": "fur"},
           {"A": "coat", "B": "green", "C": "large", "D": "furr"})


def known(**parameters: object) -> ReviewPolicySpec:
    return ReviewPolicySpec(ASSIGNMENT, KNOWN_ANSWERS, {"AnswerKey": KEY} | parameters)


def agreement(**parameters: object) -> ReviewPolicySpec:
    base = {"QuestionIds": ["A,B", "C", "D"], "QuestionAgreementThreshold": ["50"]}
    return ReviewPolicySpec(HIT_LEVEL, PLURALITY, base | parameters)


def create(factory, runtime: Runtime, requester, *, assignment: ReviewPolicySpec | None = None,
           hit: ReviewPolicySpec | None = None, max_assignments: int = 3, auto_approval: int = 86_400) -> HIT:
    cmd = CreateHIT(question="<p>Which is it?</p>", lifetime_seconds=3600, max_assignments=max_assignments,
                    hit_type=factory.hit_type_spec(auto_approval_delay_seconds=auto_approval))
    policies = ReviewPolicies(assignment=assignment, hit=hit)
    return hits.create_hit(runtime, requester, cmd, review_policies=policies).value


def work(factory, runtime: Runtime, hit: HIT, answer: dict) -> str:
    """A new worker accepts and submits ``answer``; returns the AssignmentId."""
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, answer)
    return taken.public_id


def status(runtime: Runtime, requester, assignment_id: str) -> AssignmentStatus:
    return assignments.get_assignment(runtime, requester, assignment_id).status


def results(runtime: Runtime, requester, hit: HIT, **options) -> list[tuple]:
    report = review_policies.policy_report(runtime, requester, hit.public_id, **options)
    return [(r.subject_id, r.question_id, r.key, r.value) for r in report.results]


def actions(runtime: Runtime, requester, hit: HIT) -> list[tuple]:
    report = review_policies.policy_report(runtime, requester, hit.public_id)
    return [(a.name, a.target_id, a.status, a.result) for a in report.actions]


@pytest.mark.parametrize(("level", "name", "parameters", "field"), [
    (ASSIGNMENT, PLURALITY, {"QuestionIds": ["A"]}, "policy_name"),
    (HIT_LEVEL, KNOWN_ANSWERS, {"AnswerKey": KEY}, "policy_name"),
    (ASSIGNMENT, KNOWN_ANSWERS, {}, "AnswerKey"),
    (ASSIGNMENT, KNOWN_ANSWERS, {"AnswerKey": ["B"]}, "AnswerKey"),
    (ASSIGNMENT, KNOWN_ANSWERS, {"AnswerKey": {"q1": [" "]}}, "AnswerKey"),
    (ASSIGNMENT, KNOWN_ANSWERS, {"AnswerKey": KEY, "ApproveIfKnownAnswerScoreIsAtLeast": ["102"]},
     "ApproveIfKnownAnswerScoreIsAtLeast"),
    (ASSIGNMENT, KNOWN_ANSWERS, {"AnswerKey": KEY, "RejectIfKnownAnswerScoreIsLessThan": ["half"]},
     "RejectIfKnownAnswerScoreIsLessThan"),
    (ASSIGNMENT, KNOWN_ANSWERS, {"AnswerKey": KEY, "ExtendMaximumAssignments": ["3", "4"]},
     "ExtendMaximumAssignments"),
    (ASSIGNMENT, KNOWN_ANSWERS, {"AnswerKey": KEY, "ExtendMinimumTimeInSeconds": ["60"]},
     "ExtendMinimumTimeInSeconds"),
    (ASSIGNMENT, KNOWN_ANSWERS, {"AnswerKey": KEY, "ApproveReason": ["x" * 1025]}, "ApproveReason"),
    (ASSIGNMENT, KNOWN_ANSWERS, {"AnswerKey": KEY, "QuestionAgreementThreshold": ["50"]},
     "QuestionAgreementThreshold"),
    (ASSIGNMENT, KNOWN_ANSWERS, {"AnswerKey": KEY, "RejectIfKnownAnswerScoreIsLessThan": ["80"],
                                 "ApproveIfKnownAnswerScoreIsAtLeast": ["60"]},
     "RejectIfKnownAnswerScoreIsLessThan"),
    (HIT_LEVEL, PLURALITY, {"QuestionIds": ["A"]}, "QuestionAgreementThreshold"),
    (HIT_LEVEL, PLURALITY, {"QuestionIds": [" , "], "QuestionAgreementThreshold": ["50"]}, "QuestionIds"),
    (HIT_LEVEL, PLURALITY, {"QuestionIds": ["A"], "QuestionAgreementThreshold": ["50"],
                            "DisregardAssignmentIfRejected": ["maybe"]}, "DisregardAssignmentIfRejected"),
    (HIT_LEVEL, PLURALITY, {"QuestionIds": ["A"], "QuestionAgreementThreshold": ["50"],
                            "ExtendIfHITAgreementScoreIsLessThan": ["80"],
                            "ExtendMinimumTimeInSeconds": ["3600"]},
     "ExtendMaximumAssignments"),
])
def test_review_policy_spec_refuses_bad_parameters_naming_them(level, name, parameters, field):
    with pytest.raises(InvalidInputError) as caught:
        ReviewPolicySpec(level, name, parameters)
    assert list(caught.value.fields) == [field]


def test_review_policies_refuse_a_policy_in_the_wrong_slot_and_create_nothing(factory, runtime):
    requester = factory.requester()
    with pytest.raises(InvalidInputError) as caught:
        create(factory, runtime, requester.actor, assignment=agreement())
    assert list(caught.value.fields) == ["assignment_review_policy"]
    assert hits.list_hits(runtime, requester.actor).items == []


def test_known_answer_score_trims_and_compares_whole_sets():
    key = {"one": ["B"], "many": ["A", "B"], "other": ["C"]}

    assert known_answer_score(key, {"one": " B ", "many": ["B", "A"], "other": "C"}) == \
        ({"one": True, "many": True, "other": True}, 100)
    assert known_answer_score(key, {"one": "b", "many": ["A"], "other": ["C", "D"]}) == \
        ({"one": False, "many": False, "other": False}, 0)
    assert known_answer_score(key, {"one": "B", "many": "", "other": None})[1] == 33


def test_known_answers_approve_reject_or_leave_each_submission_by_its_score(factory, runtime):
    requester = factory.requester()
    hit = create(factory, runtime, requester.actor, assignment=known(
        ApproveIfKnownAnswerScoreIsAtLeast=["100"], ApproveReason=["All known answers right"],
        RejectIfKnownAnswerScoreIsLessThan=["50"], RejectReason=["Known answers wrong"]))

    right = work(factory, runtime, hit, {"q1": "B", "q2": "A", "free": "text"})
    half = work(factory, runtime, hit, {"q1": "B", "q2": "C"})
    wrong = work(factory, runtime, hit, {"q1": "C"})

    assert [status(runtime, requester.actor, a) for a in (right, half, wrong)] == \
        [AssignmentStatus.APPROVED, AssignmentStatus.SUBMITTED, AssignmentStatus.REJECTED]
    feedback = {a: assignments.get_assignment(runtime, requester.actor, a).requester_feedback
                for a in (right, wrong)}
    assert feedback == {right: "All known answers right", wrong: "Known answers wrong"}
    assert results(runtime, requester.actor, hit) == [
        (right, "q1", "KnownAnswerCorrect", "1"), (right, "q2", "KnownAnswerCorrect", "1"),
        (right, None, "KnownAnswerScore", "100"),
        (half, "q1", "KnownAnswerCorrect", "1"), (half, "q2", "KnownAnswerCorrect", "0"),
        (half, None, "KnownAnswerScore", "50"),
        (wrong, "q1", "KnownAnswerCorrect", "0"), (wrong, "q2", "KnownAnswerCorrect", "0"),
        (wrong, None, "KnownAnswerScore", "0")]
    assert [(name, target, state) for name, target, state, _ in actions(runtime, requester.actor, hit)] == [
        ("review", right, ReviewActionStatus.SUCCEEDED), ("approve", right, ReviewActionStatus.SUCCEEDED),
        ("review", half, ReviewActionStatus.SUCCEEDED),
        ("review", wrong, ReviewActionStatus.SUCCEEDED), ("reject", wrong, ReviewActionStatus.SUCCEEDED)]


def test_known_answers_extend_the_hit_up_to_the_maximum(factory, runtime, clock):
    requester = factory.requester()
    hit = create(factory, runtime, requester.actor, max_assignments=1, assignment=known(
        ExtendIfKnownAnswerScoreIsLessThan=["100"], ExtendMaximumAssignments=["2"],
        ExtendMinimumTimeInSeconds=["7200"]))

    work(factory, runtime, hit, {"q1": "A", "q2": "A"})
    extended = hits.get_hit(runtime, requester.actor, hit.public_id)
    work(factory, runtime, hit, {"q1": "A", "q2": "A"})
    final = hits.get_hit(runtime, requester.actor, hit.public_id)

    assert (extended.max_assignments, extended.status, extended.expires_at) == \
        (2, HITStatus.ASSIGNABLE, clock.now + timedelta(seconds=7200))
    assert (final.max_assignments, final.status) == (2, HITStatus.REVIEWABLE)
    extends = [(state, result) for name, _, state, result in actions(runtime, requester.actor, hit)
               if name == "extend"]
    assert extends == [(ReviewActionStatus.SUCCEEDED, "Extended the HIT to 2 assignments"),
                       (ReviewActionStatus.SUCCEEDED,
                        "Not extended: the HIT has 2 assignments, the policy's maximum is 2")]


def test_policies_act_before_a_zero_auto_approval_delay_and_refused_actions_are_recorded_as_failed(factory,
                                                                                                     runtime):
    """With AutoApprovalDelayInSeconds=0 the assignment stays Submitted until the auto-approval sweep, as on
    MTurk, so the review policy's approve and reject both succeed; an extension past 10 is refused."""
    requester = factory.requester()
    approving = create(factory, runtime, requester.actor, auto_approval=0,
                       assignment=known(ApproveIfKnownAnswerScoreIsAtLeast=["0"]))
    rejecting = create(factory, runtime, requester.actor, auto_approval=0,
                       assignment=known(RejectIfKnownAnswerScoreIsLessThan=["101"]))
    nine = create(factory, runtime, requester.actor, max_assignments=9, assignment=known(
        ExtendIfKnownAnswerScoreIsLessThan=["101"], ExtendMaximumAssignments=["25"]))

    approved = work(factory, runtime, approving, {"q1": "B"})
    rejected = work(factory, runtime, rejecting, {"q1": "B"})
    work(factory, runtime, nine, {"q1": "B"})

    assert actions(runtime, requester.actor, approving)[1][2] == ReviewActionStatus.SUCCEEDED
    assert actions(runtime, requester.actor, rejecting)[1][2] == ReviewActionStatus.SUCCEEDED
    assert (status(runtime, requester.actor, approved), status(runtime, requester.actor, rejected)) == \
        (AssignmentStatus.APPROVED, AssignmentStatus.REJECTED)
    report = review_policies.policy_report(runtime, requester.actor, nine.public_id)
    [extend] = [a for a in report.actions if a.name == "extend"]
    assert (extend.status, extend.error_code) == (ReviewActionStatus.FAILED, "invalid_state")
    assert "cannot be extended to 10 or more" in extend.result
    assert hits.get_hit(runtime, requester.actor, nine.public_id).max_assignments == 9


def test_plurality_reproduces_mturks_worked_example():
    found = plurality(dict(zip(("w1", "w2", "w3"), EXAMPLE, strict=True)), ["A", "B", "C", "D"], 50)

    assert found.answers == {"A": {"coat"}, "B": {"blue"}, "C": {"large"}, "D": None}
    assert (found.question_scores, found.hit_score) == ({"A": 66, "B": 66, "C": 100}, 75)
    assert found.worker_scores == {"w1": (100, 3, 0), "w2": (66, 2, 1), "w3": (66, 2, 1)}


def test_plurality_needs_a_single_most_common_answer_above_the_threshold():
    tie = plurality({"a": {"q": "x"}, "b": {"q": "y"}}, ["q"], 0)
    at_threshold = plurality({"a": {"q": "x"}, "b": {"q": "x"}, "c": {"q": "y"}, "d": {"q": "z"}}, ["q"], 50)
    sets = plurality({"a": {"q": ["x", "y"]}, "b": {"q": ["y", " x"]}, "c": {"q": "x" * 257}}, ["q"], 50)

    assert (tie.answers, tie.worker_scores["a"]) == ({"q": None}, (None, 0, 0))
    assert at_threshold.answers == {"q": None}  # 50% is not more than 50
    assert (sets.answers, sets.question_scores) == ({"q": {"x", "y"}}, {"q": 66})


def test_plurality_policy_acts_when_the_hit_becomes_reviewable_and_again_after_extending(factory, runtime,
                                                                                         clock):
    requester = factory.requester()
    hit = create(factory, runtime, requester.actor, hit=agreement(
        ApproveIfWorkerAgreementScoreIsAtLeast=["100"], RejectIfWorkerAgreementScoreIsLessThan=["70"],
        RejectReason=["Disagrees with the others"], ExtendIfHITAgreementScoreIsLessThan=["80"],
        ExtendMaximumAssignments=["4"], ExtendMinimumTimeInSeconds=["3600"]))

    first, second, third = (work(factory, runtime, hit, answer) for answer in EXAMPLE)
    after_first_run = hits.get_hit(runtime, requester.actor, hit.public_id)
    fourth = work(factory, runtime, hit, {"A": "coat", "B": "blue", "C": "large", "D": "fur"})

    approved, rejected = AssignmentStatus.APPROVED, AssignmentStatus.REJECTED
    assert [status(runtime, requester.actor, a) for a in (first, second, third, fourth)] == \
        [approved, rejected, rejected, approved]
    assert assignments.get_assignment(runtime, requester.actor, second).requester_feedback == \
        "Disagrees with the others"
    assert (after_first_run.max_assignments, after_first_run.status) == (4, HITStatus.ASSIGNABLE)
    assert after_first_run.expires_at == clock.now + timedelta(seconds=3600)
    found = results(runtime, requester.actor, hit)
    assert found[:9] == [
        (hit.public_id, "A", "AgreedAnswerFound", "true"), (hit.public_id, "A", "AgreedAnswer", "coat"),
        (hit.public_id, "A", "AnswerAgreementScore", "66"),
        (hit.public_id, "B", "AgreedAnswerFound", "true"), (hit.public_id, "B", "AgreedAnswer", "blue"),
        (hit.public_id, "B", "AnswerAgreementScore", "66"),
        (hit.public_id, "C", "AgreedAnswerFound", "true"), (hit.public_id, "C", "AgreedAnswer", "large"),
        (hit.public_id, "C", "AnswerAgreementScore", "100")]
    assert (hit.public_id, "D", "AgreedAnswerFound", "false") in found
    worker_scores = [(subject, value) for subject, _, key, value in found if key == "WorkerAgreementScore"]
    assert worker_scores == [(first, "100"), (second, "66"), (third, "66"),  # the first run
                             (first, "100"), (second, "66"), (third, "66"), (fourth, "100")]  # the second
    assert [v for _, _, key, v in found if key == "HitAgreementScore"] == ["75", "75"]
    extends = [result for name, _, _, result in actions(runtime, requester.actor, hit) if name == "extend"]
    assert extends == ["Extended the HIT to 4 assignments",
                       "Not extended: the HIT has 4 assignments, the policy's maximum is 4"]


def test_plurality_disregards_rejected_work_and_failed_known_answers(factory, runtime):
    requester = factory.requester()
    hit = create(factory, runtime, requester.actor, max_assignments=4,
                 assignment=known(), hit=agreement(QuestionIds=["A"], DisregardAssignmentIfRejected=["true"],
                                                   DisregardAssignmentIfKnownAnswerScoreIsLessThan=["100"]))
    good = [work(factory, runtime, hit, {"q1": "B", "q2": "A", "A": "cat"}) for _ in range(2)]
    careless = work(factory, runtime, hit, {"q1": "C", "q2": "A", "A": "dog"})
    assignments.reject(runtime, requester.actor, good[1], feedback="Spotted copying")

    work(factory, runtime, hit, {"q1": "B", "q2": "A", "A": "dog"})  # the HIT becomes reviewable

    counted = {subject for subject, _, key, _ in results(runtime, requester.actor, hit, levels=[HIT_LEVEL])
               if key == "PluralityAnswersCorrect"}
    assert careless not in counted and good[1] not in counted
    assert len(counted) == 2
    assert (hit.public_id, None, "HitAgreementScore", "0") in results(runtime, requester.actor, hit)


def test_running_a_policy_again_changes_nothing(factory, runtime):
    requester = factory.requester()
    hit = create(factory, runtime, requester.actor, max_assignments=1,
                 assignment=known(RejectIfKnownAnswerScoreIsLessThan=["100"]),
                 hit=agreement(QuestionIds=["q1"]))
    taken = work(factory, runtime, hit, {"q1": "C"})
    before = (results(runtime, requester.actor, hit), actions(runtime, requester.actor, hit))

    jobs.review_assignment(taken)
    jobs.review_hit(hit.public_id)
    swept = review_policies.review_due(runtime)

    assert (results(runtime, requester.actor, hit), actions(runtime, requester.actor, hit)) == before
    assert swept == 0
    assert status(runtime, requester.actor, taken) is AssignmentStatus.REJECTED


def test_sweep_runs_what_lost_jobs_left_undone(factory, runtime, settings, engine, clock):
    requester = factory.requester()
    hit = create(factory, runtime, requester.actor, max_assignments=1,
                 assignment=known(ApproveIfKnownAnswerScoreIsAtLeast=["100"]),
                 hit=agreement(QuestionIds=["q1"]))
    no_redis = Runtime(settings=settings, engine=engine, clock=clock,
                       backend=RqBackend(Redis.from_url("redis://127.0.0.1:1/0"), queue="nowhere"))
    worker = factory.worker()
    taken = assignments.accept(no_redis, worker.actor, hit.public_id)
    assignments.submit(no_redis, worker.actor, taken.public_id, {"q1": "B", "q2": "A"})
    unreviewed = results(runtime, requester.actor, hit)

    swept = review_policies.review_due(runtime)

    assert (unreviewed, swept) == ([], 2)  # the assignment's run and the HIT's run
    assert status(runtime, requester.actor, taken.public_id) is AssignmentStatus.APPROVED
    assert {key for _, _, key, _ in results(runtime, requester.actor, hit)} >= \
        {"KnownAnswerScore", "HitAgreementScore"}


def test_sweep_carries_out_actions_a_stopped_run_left_intended(factory, runtime, clock):
    requester = factory.requester()
    hit = create(factory, runtime, requester.actor, assignment=known())
    taken = work(factory, runtime, hit, {"q1": "B", "q2": "A"})
    with runtime.sessions.begin() as db:  # what a run that stopped after recording its intentions leaves
        db.add(ReviewAction(public_id=ids.new_id(), hit_id=hit.id, level=ASSIGNMENT, name="approve",
                            target_id=taken, target_type="Assignment", status=ReviewActionStatus.INTENDED,
                            created_at=clock.now))

    too_early = review_policies.review_due(runtime)
    clock.advance(minutes=10)
    later = review_policies.review_due(runtime)

    assert (too_early, later) == (0, 1)
    assert status(runtime, requester.actor, taken) is AssignmentStatus.APPROVED
    assert actions(runtime, requester.actor, hit)[-1][2:] == (ReviewActionStatus.SUCCEEDED, "Approved")


def test_policy_report_filters_levels_and_pages_results_and_actions(factory, runtime):
    requester = factory.requester()
    hit = create(factory, runtime, requester.actor, max_assignments=1,
                 assignment=known(ApproveIfKnownAnswerScoreIsAtLeast=["0"]),
                 hit=agreement(QuestionIds=["q1"]))
    work(factory, runtime, hit, {"q1": "B", "q2": "A"})
    everything = review_policies.policy_report(runtime, requester.actor, hit.public_id)

    pages, cursor = [], None
    while True:
        page = review_policies.policy_report(runtime, requester.actor, hit.public_id, cursor=cursor, limit=2)
        pages.append(page)
        if (cursor := page.next_cursor) is None:
            break
    hit_level = review_policies.policy_report(runtime, requester.actor, hit.public_id, levels=[HIT_LEVEL],
                                              with_actions=False)

    assert [r.id for p in pages for r in p.results] == [r.id for r in everything.results]
    assert [a.id for p in pages for a in p.actions] == [a.id for a in everything.actions]
    assert all(len(p.results) <= 2 and len(p.actions) <= 2 for p in pages)
    assert {r.level for r in hit_level.results} == {HIT_LEVEL} and hit_level.actions == []
    assert set(hit_level.policies) == {HIT_LEVEL}
    assert set(everything.policies) == {ASSIGNMENT, HIT_LEVEL}
    assert everything.policies[ASSIGNMENT].parameters["ExtendMaximumAssignments"] == 5  # the default


def test_policy_report_of_other_requesters_hit_is_not_found_and_bad_input_is_refused(factory, runtime):
    requester = factory.requester()
    hit = create(factory, runtime, requester.actor, assignment=known())

    with pytest.raises(NotFoundError, match=f"^Hit {hit.public_id} does not exist.$"):
        review_policies.policy_report(runtime, factory.requester().actor, hit.public_id)
    for options, field in (({"levels": []}, "policy_levels"), ({"cursor": "bm9wZQ"}, "cursor"),
                           ({"limit": 101}, "limit")):
        with pytest.raises(InvalidInputError) as caught:
            review_policies.policy_report(runtime, requester.actor, hit.public_id, **options)
        assert list(caught.value.fields) == [field]


def test_hit_without_policies_queues_no_review(factory, runtime):
    requester = factory.requester()
    hit = factory.hit(requester.actor, max_assignments=1)

    work(factory, runtime, hit, {"q1": "B"})

    with runtime.sessions() as db:
        counts = (db.scalar(select(func.count()).select_from(ReviewResult)),
                  db.scalar(select(func.count()).select_from(ReviewAction)))
    assert counts == (0, 0)
    assert review_policies.review_due(runtime) == 0
