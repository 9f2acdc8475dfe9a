"""The quality dashboard's read models: the stored figures of the page and each plot's numbers,
against batches whose answers are known, and nothing for another requester."""

import re

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from aggregation import krippendorff_alpha
from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.services import hits, quality_dashboard
from labelhub.services.batch_quality import QualitySettings
from tests.quality_dashboard_data import answered_batch

ANSWERS = {  # six HITs; bob agrees with ann but on the last, cat says the opposite of ann on five
    "ann": ["positive", "negative", "positive", "negative", "positive", "negative"],
    "bob": ["positive", "negative", "positive", "negative", "positive", "positive"],
    "cat": ["negative", "positive", "negative", "positive", "negative", None],
}
SECONDS = {"ann": 10, "bob": 40, "cat": 100}


@pytest.fixture
def owner(factory):
    return factory.requester("quality-co")


@pytest.fixture
def made(runtime, clock, factory, owner):
    return answered_batch(runtime, clock, factory, owner, ANSWERS, seconds=SECONDS)


def tooltips(svg: str) -> list[str]:
    return re.findall(r"<title>([^<]*)</title>", svg)


def test_page_figures_are_the_stored_ones(runtime, owner, made):
    page = quality_dashboard.dashboard(runtime, owner.actor, made.batch_id)

    frame = pd.DataFrame([(t, w, label) for w, labels in ANSWERS.items() for t, label in enumerate(labels) if label],
                         columns=["task", "worker", "label"])
    assert page.agreement.value == pytest.approx(krippendorff_alpha(frame, metric="nominal"))
    assert page.agreement.measure == "Krippendorff's alpha, nominal"
    assert "low" in page.agreement.reading  # alpha is well under 0.667 with cat against the others
    assert (page.overlap.hits, page.overlap.answers, page.overlap.slots, page.overlap.fixed) == (6, 17, 18, None)
    assert page.scored_workers == 3 and len(page.workers.items) == 3
    assert page.summary.hits_with_consensus == 6 and page.categorical and not page.takes_text


def test_agreement_matrix_gives_each_pairs_kappa(runtime, owner, made):
    svg = quality_dashboard.quality_plot(runtime, owner.actor, made.batch_id, "agreement")

    ann, bob, cat = (made.workers[w].actor.public_id for w in ("ann", "bob", "cat"))
    kappa = cohen_kappa_score(ANSWERS["ann"], ANSWERS["bob"])
    assert f"{ann} and {bob}: kappa {kappa:.2f}, 83% agreed on 6 shared tasks" in tooltips(svg)
    opposite = cohen_kappa_score(ANSWERS["ann"][:5], ANSWERS["cat"][:5])  # -0.92: never the same
    assert f"{ann} and {cat}: kappa {opposite:.2f}, 0% agreed on 5 shared tasks" in tooltips(svg)


def test_work_time_bins_and_median(runtime, owner, made):
    svg = quality_dashboard.quality_plot(runtime, owner.actor, made.batch_id, "worktime")

    tips = tooltips(svg)
    assert "10 s to 20 s: 6 assignments" in tips and "30 s to 45 s: 6 assignments" in tips
    assert "1.5 min to 2 min: 5 assignments" in tips
    assert "median 40 s" in tips  # the 9th of 17: 6 at 10 s, 6 at 40 s, 5 at 100 s


def test_confidence_and_accuracy_histograms_count_every_hit_and_worker(runtime, owner, made):
    confidence = quality_dashboard.quality_plot(runtime, owner.actor, made.batch_id, "confidence")
    accuracy = quality_dashboard.quality_plot(runtime, owner.actor, made.batch_id, "accuracy")

    def total(svg: str, noun: str) -> int:
        return sum(int(n) for n in re.findall(rf": (\d+) {noun}</title>", svg))

    assert total(confidence, "HITs") == 6 and "default target 95%" in confidence
    assert total(accuracy, "workers") == 3


def test_overlap_counts_against_fixed_redundancy(runtime, clock, factory, owner):
    quality = QualitySettings.parse({"overlap": {"min_assignments": 2, "max_assignments": 4,
                                                 "confidence_target": 0.9}})
    made = answered_batch(runtime, clock, factory, owner, {"ann": ["positive"] * 3, "bob": ["positive"] * 3},
                          quality=quality)

    overlap = quality_dashboard.dashboard(runtime, owner.actor, made.batch_id).overlap
    svg = quality_dashboard.quality_plot(runtime, owner.actor, made.batch_id, "overlap")

    slots = sum(h.max_assignments for h in hits.list_hits(runtime, owner.actor, limit=100).items)
    assert (overlap.hits, overlap.answers, overlap.slots, overlap.fixed) == (3, 6, slots, 12)
    assert overlap.saved == 12 - slots
    assert "3 HITs x 4 assignments" in tooltips(svg)


def test_empty_states_before_any_answer(runtime, clock, factory, owner):
    made = answered_batch(runtime, clock, factory, owner, {"ann": [None, None]})

    for name, sentence in (("agreement", "No two workers"), ("confusion", "No confusion matrix for the crowd"),
                           ("accuracy", "No worker has a score"), ("confidence", "No HIT has a consensus"),
                           ("worktime", "No assignment has been submitted"), ("llm", "takes no free text"),
                           ("ranking", "Only pairwise batches")):
        assert sentence in quality_dashboard.quality_plot(runtime, owner.actor, made.batch_id, name), name
    page = quality_dashboard.dashboard(runtime, owner.actor, made.batch_id)
    assert page.agreement.value is None and page.agreement.reading.startswith("No agreement yet")


def test_another_requesters_batch_is_not_found(runtime, factory, owner, made):
    stranger = factory.requester("stranger-co")

    with pytest.raises(NotFoundError):
        quality_dashboard.dashboard(runtime, stranger.actor, made.batch_id)
    for name in quality_dashboard.PLOTS:
        with pytest.raises(NotFoundError):
            quality_dashboard.quality_plot(runtime, stranger.actor, made.batch_id, name)
    with pytest.raises(InvalidInputError):
        quality_dashboard.quality_plot(runtime, owner.actor, made.batch_id, "secrets")


def test_ordinal_scales_use_ordinal_alpha_and_weighted_kappa(runtime, clock, factory, owner):
    scale = ["bad", "poor", "fair", "good", "great"]
    ratings = {"ann": ["bad", "poor", "fair", "good", "great", "fair"],
               "bob": ["poor", "poor", "good", "good", "great", "poor"]}
    made = answered_batch(runtime, clock, factory, owner, ratings, config={"labels": scale, "ordinal": True})

    page = quality_dashboard.dashboard(runtime, owner.actor, made.batch_id)
    svg = quality_dashboard.quality_plot(runtime, owner.actor, made.batch_id, "agreement")

    ranks = pd.DataFrame([(t, w, scale.index(label) + 1) for w, labels in ratings.items()
                          for t, label in enumerate(labels)], columns=["task", "worker", "label"])
    assert page.agreement.measure.startswith("Krippendorff's alpha, ordinal")
    assert page.agreement.value == pytest.approx(krippendorff_alpha(ranks, metric="ordinal"))
    kappa = cohen_kappa_score([scale.index(x) for x in ratings["ann"]], [scale.index(x) for x in ratings["bob"]],
                              weights="linear", labels=range(5))
    assert f"weighted kappa {kappa:.2f}, 50% agreed on 6 shared tasks" in svg
