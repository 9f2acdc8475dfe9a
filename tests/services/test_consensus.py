"""Batch aggregation through the services: gold HITs in workers' streams, consensus labels, worker
scores, the qualification feed, quality rules and dynamic overlap (jobs run inline here; tests/jobs
runs them through a real rq worker)."""

import random

import pandas as pd
import pytest

from aggregation.ordinal import krippendorff_alpha
from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError, PermissionDeniedError
from labelhub.models import Comparator, QualificationStatus
from labelhub.services import (
    assignments,
    batch_quality,
    batch_results,
    batches,
    consensus,
    gold,
    hits,
    payments,
    qualifications,
    workers,
)
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.commands import QualificationTypeSpec, RequirementSpec
from tests.crowd import hit_type, make_crowd


def _settings(**raw) -> QualitySettings:
    return QualitySettings.parse(raw)


def _feed_type(runtime, requester, name="Accuracy: tone"):
    return qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name=name, description="Accuracy on tone batches, 0-100"))


def _scores_by_worker(runtime, requester, batch_id):
    page = batch_results.batch_worker_scores(runtime, requester.actor, batch_id, limit=100)
    return {view.worker_id: view for view in page.items}


def test_gold_hits_are_never_listed_and_come_unannounced_at_most_once(runtime, factory):
    runtime.random = lambda: 0.0  # every accept draws gold while the worker has gold left
    crowd = make_crowd(runtime, factory, items=6, gold=2, quality=_settings(gold_share=0.5))
    worker = factory.worker()

    listed = workers.available_hits(runtime, worker.actor, limit=100).items
    crowd.work(worker, accuracy=1.0)

    assert {h.hit.data["text"] for h in listed} == set(crowd.truth) - crowd.gold_items
    taken = assignments.list_for_worker(runtime, worker.actor, limit=100).items
    texts = [a.hit.data["text"] for a in taken]
    assert set(texts[:2]) == crowd.gold_items  # the two draws gave gold first, one of each
    assert sorted(texts) == sorted(crowd.truth)  # then every other HIT, and nothing twice


def test_without_gold_share_a_worker_never_gets_gold(runtime, factory):
    runtime.random = lambda: 0.0
    crowd = make_crowd(runtime, factory, items=5, gold=2, quality=_settings(gold_share=0))
    worker = factory.worker()
    crowd.work(worker, accuracy=1.0)
    texts = {a.hit.data["text"] for a in assignments.list_for_worker(runtime, worker.actor, limit=100).items}
    assert texts == set(crowd.truth) - crowd.gold_items


def test_aggregation_ranks_workers_feeds_scores_and_revokes_the_spammer(runtime, factory):
    runtime.random = random.Random(11).random
    requester = factory.requester(deposit="500.00")
    qtype = _feed_type(runtime, requester)
    quality = _settings(method="ds", gold_share=0.2, qualification_type_id=qtype.public_id,
                        rules={"spam": {"action": "revoke", "max_separation": 0.15, "min_answers": 20,
                                        "max_run": None}})
    crowd = make_crowd(runtime, factory, items=40, gold=10, max_assignments=5, quality=quality,
                       requester=requester, gold_assignments=9)
    team = {"expert": 0.95, "good": 0.8, "fair": 0.7, "weak": 0.6}
    handles = {name: factory.worker(name) for name in [*team, "spammer"]}
    crowd.work(handles["spammer"], None, constant="positive")
    for name, accuracy in team.items():
        crowd.work(handles[name], accuracy)

    scores = _scores_by_worker(runtime, requester, crowd.batch_id)
    by_name = {name: scores[handle.actor.public_id] for name, handle in handles.items()}
    ordered = sorted(team, key=lambda name: -by_name[name].scores["accuracy"])
    assert ordered == list(team)
    assert by_name["spammer"].scores["accuracy"] < by_name["weak"].scores["accuracy"]
    assert by_name["spammer"].separation < 0.15 < by_name["weak"].separation
    assert by_name["spammer"].decision["action"] == "revoke"
    assert {name: by_name[name].decision for name in team} == dict.fromkeys(team)
    for name in team:
        held = qualifications.get_score(runtime, requester.actor, qtype.public_id, handles[name].actor.public_id)
        assert held.integer_value == by_name[name].scores["score"]
    with pytest.raises(InvalidStateError):  # revoked
        qualifications.get_score(runtime, requester.actor, qtype.public_id, handles["spammer"].actor.public_id)

    summary = batch_results.batch_summary(runtime, requester.actor, crowd.batch_id)
    assert summary.gold_hits == 10 and summary.hits_with_consensus == 40
    assert summary.batch.aggregation_method == "ds" and summary.batch.aggregation_error is None
    labels = batch_results.consensus_labels(runtime, requester.actor, crowd.batch_id, limit=100).items
    assert len(labels) == 40 and all(row.answers == 5 for row in labels)
    right = sum(row.value == crowd.truth[hits.get_hit(runtime, requester.actor, row.hit_id).data["text"]]
                for row in labels)
    assert right >= 36  # 90%: five answers per item, one of them from a constant spammer


def test_a_revoked_worker_can_no_longer_accept_hits_gated_on_the_feed(runtime, factory):
    runtime.random = lambda: 0.99  # no gold for this one
    requester = factory.requester(deposit="500.00")
    qtype = _feed_type(runtime, requester)
    crowd = make_crowd(runtime, factory, items=30, gold=0, max_assignments=3, requester=requester,
                       quality=_settings(qualification_type_id=qtype.public_id, method="ds",
                                         rules={"spam": {"action": "revoke", "min_answers": 20, "max_run": 15}}))
    good = [factory.worker() for _ in range(2)]
    spammer = factory.worker()
    for worker in good:
        crowd.work(worker, 0.95)
    crowd.work(spammer, None, constant="neutral")
    gate = RequirementSpec(qualification_type_id=qtype.public_id, comparator=Comparator.GREATER_THAN_OR_EQUAL_TO,
                           integer_values=(50,))
    gated = factory.hit(requester.actor, hit_type=hit_type(requirements=(gate,)))

    with pytest.raises(PermissionDeniedError):
        assignments.accept(runtime, spammer.actor, gated.public_id)
    assert assignments.accept(runtime, good[0].actor, gated.public_id).hit.public_id == gated.public_id
    reason = qualifications.list_workers(runtime, requester.actor, qtype.public_id,
                                         status=QualificationStatus.REVOKED).items[0].reason
    assert "in a row" in reason


def test_block_rule_blocks_the_worker_from_all_of_the_requesters_hits(runtime, factory):
    runtime.random = lambda: 0.0
    requester = factory.requester(deposit="500.00")
    crowd = make_crowd(runtime, factory, items=20, gold=10, max_assignments=2, requester=requester,
                       gold_assignments=3, quality=_settings(
                           method="ds", gold_share=0.5,
                           rules={"accuracy": {"threshold": 60, "min_gold_answers": 5, "action": "block"}}))
    careless, careful = factory.worker(), factory.worker()
    crowd.work(careful, 1.0)
    crowd.work(careless, 0.0)

    blocked = {b.worker_id for b in workers.list_blocks(runtime, requester.actor).items}
    assert blocked == {careless.actor.public_id}
    other = factory.hit(requester.actor)
    with pytest.raises(NotFoundError):  # a blocked worker does not even see the requester's HITs
        assignments.accept(runtime, careless.actor, other.public_id)
    decision = _scores_by_worker(runtime, requester, crowd.batch_id)[careless.actor.public_id].decision
    assert decision["action"] == "block" and "gold accuracy" in decision["reason"]


def test_dynamic_overlap_adds_assignments_only_where_the_consensus_is_unsure(runtime, factory):
    runtime.random = lambda: 0.99
    requester = factory.requester(deposit="500.00")
    make_crowd(runtime, factory, items=2, gold=0, requester=requester, quality=_settings(
        method="MajorityVote", overlap={"min_assignments": 2, "max_assignments": 4, "confidence_target": 0.9}))
    first, second = [h for h in hits.list_hits(runtime, requester.actor, limit=10).items]
    agree = {first.public_id: ("positive", "positive"), second.public_id: ("positive", "negative")}
    for round_ in range(2):
        for hit_id, answers in agree.items():
            worker = factory.worker()
            taken = assignments.accept(runtime, worker.actor, hit_id)
            assignments.submit(runtime, worker.actor, taken.public_id, {"label": answers[round_]})

    after = {h.public_id: h for h in hits.list_hits(runtime, requester.actor, limit=10).items}
    assert after[first.public_id].max_assignments == 2  # unanimous: confidence 1.0
    assert after[second.public_id].max_assignments == 3  # split 1-1: one more
    assert after[second.public_id].available_count == 1
    balance = payments.balance(runtime, requester.actor)
    assert balance.on_hold_micros == 5 * (20_000 + 10_000)  # 5 slots x (reward + minimum fee)


def test_running_the_aggregation_again_changes_nothing(runtime, factory):
    runtime.random = lambda: 0.99
    crowd = make_crowd(runtime, factory, items=8, gold=0, max_assignments=2)
    for _ in range(2):
        crowd.work(factory.worker(), 0.9)
    before = batch_results.consensus_labels(runtime, crowd.requester.actor, crowd.batch_id).items

    again = consensus.aggregate_batch(runtime, crowd.batch_id)
    forced = consensus.aggregate_batch(runtime, crowd.batch_id, force=True)

    assert not again.ran and forced.ran and forced.hits == 8
    after = batch_results.consensus_labels(runtime, crowd.requester.actor, crowd.batch_id).items
    assert [(r.hit_id, r.value, r.confidence) for r in after] == [(r.hit_id, r.value, r.confidence) for r in before]


def test_a_method_the_answers_do_not_fit_is_recorded_on_the_batch(runtime, factory):
    runtime.random = lambda: 0.99
    crowd = make_crowd(runtime, factory, items=6, gold=0, max_assignments=2, quality=_settings(method="KOS"))
    crowd.work(factory.worker(), 0.5)
    summary = batch_results.batch_summary(runtime, crowd.requester.actor, crowd.batch_id)
    assert "KOS handles exactly two labels" in summary.batch.aggregation_error


def test_marking_gold_validates_the_answer_and_drops_the_hits_consensus(runtime, factory):
    runtime.random = lambda: 0.99
    crowd = make_crowd(runtime, factory, items=4, gold=0, max_assignments=1)
    crowd.work(factory.worker(), 1.0)
    target = batch_results.consensus_labels(runtime, crowd.requester.actor, crowd.batch_id).items[0].hit_id

    with pytest.raises(InvalidInputError) as caught:
        gold.mark_gold(runtime, crowd.requester.actor, target, {"label": "maybe"})
    assert list(caught.value.fields) == ["answer.label"]
    with pytest.raises(NotFoundError, match=f"^Hit {target} does not exist.$"):
        gold.mark_gold(runtime, factory.requester().actor, target, {"label": "positive"})
    gold.mark_gold(runtime, crowd.requester.actor, target, {"label": "positive"})

    left = {row.hit_id for row in batch_results.consensus_labels(runtime, crowd.requester.actor,
                                                                  crowd.batch_id).items}
    assert target not in left and len(left) == 3
    assert hits.get_hit(runtime, crowd.requester.actor, target).is_gold


@pytest.mark.parametrize(("raw", "field"), [
    ({"rules": {"spam": {"action": "revoke"}}}, "quality.qualification_type_id"),
    ({"qualification_type_id": "NOSUCHTYPE"}, "quality.qualification_type_id"),
    ({"overlap": {"min_assignments": 3, "max_assignments": 12, "confidence_target": 0.9}},
     "quality.overlap.max_assignments"),
])
def test_quality_settings_that_need_the_database_are_checked_naming_the_field(runtime, factory, raw, field):
    crowd = make_crowd(runtime, factory, items=2, gold=0)
    with pytest.raises(InvalidInputError) as caught:
        batch_quality.update_quality(runtime, crowd.requester.actor, crowd.batch_id, _settings(**raw))
    assert field in caught.value.fields


@pytest.mark.parametrize(("raw", "field"), [
    ({"method": "Nope"}, "quality.method"),
    ({"gold_share": 0.9}, "quality.gold_share"),
    ({"rules": {"accuracy": {"threshold": 101}}}, "quality.rules.accuracy.threshold"),
    ({"rules": {"accuracy": {}}}, "quality.rules.accuracy.threshold"),
    ({"rules": {"spam": {"max_run": 1}}}, "quality.rules.spam.max_run"),
    ({"rules": {"vibes": {}}}, "quality.rules.vibes"),
    ({"overlap": {"min_assignments": 4, "max_assignments": 2, "confidence_target": 0.9}},
     "quality.overlap.min_assignments"),
    ({"overlap": {"min_assignments": 1, "max_assignments": 2, "confidence_target": 1.5}},
     "quality.overlap.confidence_target"),
    ({"colour": "red"}, "quality.colour"),
])
def test_quality_settings_refuse_bad_values_naming_the_field(raw, field):
    with pytest.raises(InvalidInputError) as caught:
        QualitySettings.parse(raw)
    assert field in caught.value.fields


def test_another_requester_cannot_read_or_change_the_batch(runtime, factory):
    crowd = make_crowd(runtime, factory, items=2, gold=0)
    stranger = factory.requester()
    with pytest.raises(NotFoundError, match="does not exist"):  # the same answer as an unknown id
        batch_results.batch_summary(runtime, stranger.actor, crowd.batch_id)
    with pytest.raises(NotFoundError, match="does not exist"):
        batch_quality.update_quality(runtime, stranger.actor, crowd.batch_id, _settings())


def test_requester_wide_scores_add_up_the_batches(runtime, factory):
    runtime.random = lambda: 0.99
    requester = factory.requester(deposit="500.00")
    worker = factory.worker()
    other = factory.worker()
    for seed in (1, 2):
        crowd = make_crowd(runtime, factory, items=5, gold=0, max_assignments=2, requester=requester, seed=seed)
        crowd.work(worker, 1.0)
        crowd.work(other, 1.0)
    page = batch_results.requester_worker_scores(runtime, requester.actor, limit=1)
    first = page.items[0]
    assert first.worker_id == worker.actor.public_id and first.batches == 2 and first.scores["answers"] == 10
    rest = batch_results.requester_worker_scores(runtime, requester.actor, cursor=page.next_cursor, limit=1)
    assert [v.worker_id for v in rest.items] == [other.actor.public_id] and rest.next_cursor is None


def test_an_ordinal_batch_gets_the_median_point_of_its_scale(runtime, factory):
    """The registry sends ordinal scales to OrdinalAggregator: the stored consensus is the median of
    the posterior (here ``auto``'s majority vote: on three different labels a vote would pick the
    first, "poor"), the agreement an ordinal alpha, and dynamic overlap uses its confidence."""
    scale = ["awful", "poor", "fair", "good", "great"]
    requester = factory.requester(deposit="500.00")
    batch = batches.create_batch(runtime, requester.actor, batches.CreateBatch(
        name="Ratings", template_kind="text_classification", question_template="<p>${text}</p>",
        hit_type=hit_type(), rows=({"text": "the soup"}, {"text": "the bread"}), lifetime_seconds=86_400,
        template_config={"labels": scale, "text_field": "text", "ordinal": True}, quality=_settings(
            overlap={"min_assignments": 3, "max_assignments": 4, "confidence_target": 0.9})))
    listed = {h.data["text"]: h.public_id for h in hits.list_hits(runtime, requester.actor, limit=10).items}
    given = {"the soup": ("poor", "fair", "great"), "the bread": ("good", "good", "good")}
    for round_ in range(3):
        worker = factory.worker()
        for text, labels in given.items():
            taken = assignments.accept(runtime, worker.actor, listed[text])
            assignments.submit(runtime, worker.actor, taken.public_id, {"label": labels[round_]})

    stored = {row.hit_id: row for row in batch_results.consensus_labels(runtime, requester.actor,
                                                                         batch.public_id).items}
    assert stored[listed["the soup"]].value == "fair" and stored[listed["the bread"]].value == "good"
    assert stored[listed["the soup"]].confidence < 0.9 < stored[listed["the bread"]].confidence
    summary = batch_results.batch_summary(runtime, requester.actor, batch.public_id)
    assert summary.batch.aggregation_method == "OrdinalAggregator(posterior median, MajorityVote)"
    ranks = pd.DataFrame({"task": [1, 1, 1, 2, 2, 2], "worker": [1, 2, 3] * 2, "label": [2, 3, 5, 4, 4, 4]})
    assert summary.batch.agreement == pytest.approx(krippendorff_alpha(ranks, metric="ordinal"))
    after = {h.public_id: h.max_assignments for h in hits.list_hits(runtime, requester.actor, limit=10).items}
    assert after == {listed["the soup"]: 4, listed["the bread"]: 3}  # one more answer where it is unsure

