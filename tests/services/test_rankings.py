"""A pairwise batch through the services: its consensus per HIT (the item Bradley-Terry prefers) and
its ranking (``rankings.batch_ranking``)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from labelhub import jobs
from labelhub.errors import NotFoundError, PermissionDeniedError
from labelhub.queueing import InlineBackend
from labelhub.runtime import Runtime
from labelhub.services import assignments, batch_results, batches, gold, hits, rankings
from labelhub.services.batches import CreateBatch
from quality import plots
from tests.conftest import Clock, empty_all_tables, make_settings
from tests.crowd import hit_type, make_crowd
from tests.factories import Factory

STRENGTH_ORDER = ("espresso", "latte", "tea", "water")  # best first
PAIRS = [("espresso", "latte"), ("latte", "tea"), ("tea", "water"), ("water", "espresso"), ("tea", "espresso")]


@pytest.fixture(scope="module")
def module_runtime(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    settings = make_settings(database_url, tmp_path_factory.mktemp("rankings") / "instance")
    rt = Runtime(settings=settings, engine=engine, backend=InlineBackend(), clock=Clock())
    jobs.install_runtime(rt)
    yield rt
    jobs.install_runtime(None)
    empty_all_tables(engine)


@pytest.fixture(scope="module")
def ranked(module_runtime):
    """Three workers who prefer the item earlier in STRENGTH_ORDER, and one who always answers "a"."""
    rt, factory = module_runtime, Factory(module_runtime)
    requester = factory.requester(deposit="500.00")
    batch = batches.create_batch(rt, requester.actor, CreateBatch(
        name="Drinks", template_kind="pairwise", question_template="<p>${a} or ${b}</p>", hit_type=hit_type(),
        rows=tuple({"a": a, "b": b} for a, b in PAIRS), lifetime_seconds=86_400, max_assignments=4,
        template_config={"allow_tie": True}, quality=None))
    listed = hits.list_hits(rt, requester.actor, batch_id=batches.batch_id_for(rt, requester.actor,
                                                                              batch.public_id), limit=100).items
    by_pair = {(h.data["a"], h.data["b"]): h.public_id for h in listed}
    crowd = {name: factory.worker(name) for name in ("ann", "bob", "cy", "always_a")}
    for name, worker in crowd.items():
        for (a, b), hit_id in by_pair.items():
            better = "a" if STRENGTH_ORDER.index(a) < STRENGTH_ORDER.index(b) else "b"
            taken = assignments.accept(rt, worker.actor, hit_id)
            assignments.submit(rt, worker.actor, taken.public_id, {"choice": "a" if name == "always_a" else better})
    return rt, factory, requester, batch.public_id, by_pair, crowd


def test_the_ranking_orders_the_items_with_intervals_and_counts(ranked):
    rt, _, requester, batch_id, *_ = ranked

    ranking = rankings.batch_ranking(rt, requester.actor, batch_id)

    assert [r.item for r in ranking] == list(STRENGTH_ORDER)
    assert [r.comparisons for r in ranking] == [12, 8, 12, 8]  # 4 answers on each of the item's HITs
    assert all(r.low is not None and r.high is not None and r.low < r.score < r.high for r in ranking)
    assert sum(r.score for r in ranking) == pytest.approx(0.0)


def test_each_hit_stores_the_preferred_item_and_the_always_a_worker_scores_lowest(ranked):
    rt, _, requester, batch_id, by_pair, crowd = ranked
    stored = {row.hit_id: row for row in batch_results.consensus_labels(rt, requester.actor, batch_id,
                                                                         limit=100).items}
    for (a, b), hit_id in by_pair.items():
        assert stored[hit_id].value == ("a" if STRENGTH_ORDER.index(a) < STRENGTH_ORDER.index(b) else "b")
        assert 0.5 < stored[hit_id].confidence <= 1
    summary = batch_results.batch_summary(rt, requester.actor, batch_id)
    assert summary.batch.aggregation_method == "BradleyTerry" and summary.batch.aggregation_error is None
    scores = {view.worker_id: view.scores["accuracy"] for view in batch_results.batch_worker_scores(
        rt, requester.actor, batch_id, limit=100).items}
    assert min(scores, key=scores.__getitem__) == crowd["always_a"].actor.public_id


def test_a_known_answer_clamps_its_hit_in_the_ranking(ranked):
    rt, _, requester, batch_id, by_pair, crowd = ranked
    before = {r.item: r.score for r in rankings.batch_ranking(rt, requester.actor, batch_id)}
    gold.mark_gold(rt, requester.actor, by_pair[("tea", "water")], {"choice": "b"})  # water beats tea
    try:
        after = {r.item: r.score for r in rankings.batch_ranking(rt, requester.actor, batch_id)}
        assert after["water"] > before["water"] and after["tea"] < before["tea"]
    finally:
        gold.clear_gold(rt, requester.actor, by_pair[("tea", "water")])


def test_another_requester_and_workers_cannot_read_the_ranking(ranked):
    rt, factory, _, batch_id, *_ = ranked
    with pytest.raises(NotFoundError, match="does not exist"):
        rankings.batch_ranking(rt, factory.requester().actor, batch_id)
    with pytest.raises(PermissionDeniedError):
        rankings.batch_ranking(rt, factory.worker().actor, batch_id)


def test_a_batch_that_compares_nothing_has_an_empty_ranking(ranked):
    rt, factory, *_ = ranked
    crowd = make_crowd(rt, factory, items=2, gold=0, max_assignments=1)
    crowd.work(factory.worker(), 1.0)
    assert rankings.batch_ranking(rt, crowd.requester.actor, crowd.batch_id) == []


def test_the_ranking_plot_draws_every_item_best_first_with_its_tooltip(ranked):
    rt, _, requester, batch_id, *_ = ranked
    svg = plots.ranking(rankings.batch_ranking(rt, requester.actor, batch_id), title="Drinks <ranked>")
    assert "Drinks &lt;ranked&gt;" in svg and svg.count("<circle") == len(STRENGTH_ORDER)
    positions = [svg.index(f">{item}</text>") for item in STRENGTH_ORDER]
    assert positions == sorted(positions)
    assert "1. espresso: score +" in svg and "12 comparisons" in svg
    assert "No comparisons yet." in plots.ranking([])
