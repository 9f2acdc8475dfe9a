"""Drafts of the new-batch wizard: kept per requester in the instance folder, pruned, checked with the
batch command's rules, costed with the ledger's fee rule, published through create_batch, copied from
a batch."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError, PermissionDeniedError
from labelhub.models import BatchState, Marketplace
from labelhub.runtime import Runtime
from labelhub.services import batch_builds, batch_drafts, batches, payments
from labelhub.services.actors import Actor
from tests.conftest import Clock
from tests.factories import Factory

ROWS = b"text\nGreat battery\nBroke in a week\n"


def settings(**overrides: Any) -> dict[str, Any]:
    values = {"name": "Reviews", "task_type": "text_classification", "config": {"labels": ["pos", "neg"]},
              "title": "Tone", "description": "Pick the tone.", "reward": "0.25", "assignment_duration_seconds": 600,
              "lifetime_seconds": 86_400, "auto_approval_delay_seconds": 86_400, "expected_seconds": 90}
    return values | overrides


def new_draft(rt: Runtime, actor: Actor, data: bytes = ROWS, filename: str = "reviews.csv") -> batch_drafts.Draft:
    return batch_drafts.create_draft(rt, actor, filename=filename, data=data, image_url=lambda name: f"/media/{name}")


@pytest.fixture
def requester(factory: Factory) -> Actor:
    return factory.requester().actor


def test_a_draft_is_its_owners_only(runtime: Runtime, requester: Actor, factory: Factory) -> None:
    draft = new_draft(runtime, requester)
    assert batch_drafts.load_draft(runtime, requester, draft.id).rows == [{"text": "Great battery"},
                                                                          {"text": "Broke in a week"}]
    with pytest.raises(NotFoundError):
        batch_drafts.load_draft(runtime, factory.requester().actor, draft.id)
    with pytest.raises(NotFoundError):
        batch_drafts.load_draft(runtime, requester, "../../" + draft.id)


def test_workers_have_no_drafts(runtime: Runtime, factory: Factory) -> None:
    with pytest.raises(PermissionDeniedError):
        new_draft(runtime, factory.worker().actor)


def test_old_drafts_and_drafts_beyond_the_limit_are_pruned(runtime: Runtime, requester: Actor, clock: Clock,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    old = new_draft(runtime, requester)
    clock.advance(days=8)
    recent = new_draft(runtime, requester)
    with pytest.raises(NotFoundError):
        batch_drafts.load_draft(runtime, requester, old.id)
    monkeypatch.setattr(batch_drafts, "MAX_DRAFTS", 2)
    clock.advance(seconds=1)
    newer = new_draft(runtime, requester)
    clock.advance(seconds=1)
    newest = new_draft(runtime, requester)  # a requester keeps at most MAX_DRAFTS, the newest
    with pytest.raises(NotFoundError):
        batch_drafts.load_draft(runtime, requester, recent.id)
    assert [batch_drafts.load_draft(runtime, requester, d.id).id for d in (newer, newest)] == [newer.id, newest.id]


def test_save_settings_keeps_only_settings_that_make_a_batch(runtime: Runtime, requester: Actor) -> None:
    draft = new_draft(runtime, requester)
    with pytest.raises(InvalidInputError) as refused:
        batch_drafts.save_settings(runtime, requester, draft.id, settings(config={"labels": ["pos", "neg"],
                                                                                  "text_field": "review"}))
    assert refused.value.fields == {"rows[1]": "has no value for review"}
    with pytest.raises(InvalidStateError):
        batch_drafts.checked_draft(runtime, requester, draft.id)
    saved = batch_drafts.save_settings(runtime, requester, draft.id, settings())
    assert batch_drafts.checked_draft(runtime, requester, draft.id) == saved


def test_cost_uses_the_task_types_default_assignments_and_the_fee_rule(runtime: Runtime, requester: Actor) -> None:
    draft = new_draft(runtime, requester)
    batch_drafts.save_settings(runtime, requester, draft.id, settings())
    cost = batch_drafts.estimate_cost(runtime, requester, draft.id, Marketplace.PRODUCTION)
    # 2 HITs x 3 assignments (a consensus task type's default) x (0.25 + 20%: 0.05)
    assert (cost.assignments_per_hit, cost.rewards_micros, cost.fees_micros, cost.total_micros) == (
        3, 1_500_000, 300_000, 1_800_000)
    assert cost.hourly_wage_micros == 10_000_000  # 0.25 every 90 seconds
    assert cost.enough and cost.available_micros == 100_000_000


def test_cost_with_dynamic_overlap_gives_the_most_it_can_reach(runtime: Runtime, requester: Actor) -> None:
    draft = new_draft(runtime, requester)
    overlap = {"min_assignments": 2, "max_assignments": 5, "confidence_target": 0.9}
    batch_drafts.save_settings(runtime, requester, draft.id, settings(quality={"overlap": overlap}))
    cost = batch_drafts.estimate_cost(runtime, requester, draft.id, Marketplace.SANDBOX)
    assert (cost.total_micros, cost.most_micros) == (2 * 2 * 300_000, 2 * 5 * 300_000)


def test_publish_makes_the_batch_in_the_chosen_marketplace_and_discards_the_draft(runtime: Runtime,
                                                                                 requester: Actor) -> None:
    draft = new_draft(runtime, requester)
    batch_drafts.save_settings(runtime, requester, draft.id, settings(max_assignments=1))
    batch = batch_drafts.publish(runtime, requester, draft.id, Marketplace.SANDBOX)
    assert batch.marketplace is Marketplace.SANDBOX
    assert payments.balance(runtime, requester.in_marketplace(Marketplace.SANDBOX)).on_hold_micros == 600_000
    with pytest.raises(NotFoundError):
        batch_drafts.load_draft(runtime, requester, draft.id)


def test_publish_of_a_large_draft_goes_through_the_build_job(runtime: Runtime, requester: Actor,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches, "CHUNK_ROWS", 1)
    draft = new_draft(runtime, requester)
    batch_drafts.save_settings(runtime, requester, draft.id, settings(max_assignments=1))
    batch = batch_drafts.publish(runtime, requester, draft.id, Marketplace.PRODUCTION)
    assert batch.state is BatchState.BUILDING
    assert batch_builds.build_job(runtime, requester, batch.public_id).kind == batch_builds.BUILD_JOB


def test_a_zip_of_other_files_or_no_zip_at_all_is_refused(runtime: Runtime, requester: Actor) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", b"not an image")
    with pytest.raises(InvalidInputError) as refused:
        new_draft(runtime, requester, out.getvalue(), "photos.zip")
    assert refused.value.fields == {"rows[1].image_url": "notes.txt is not an image (.png, .jpg, .jpeg, .gif, .webp)"}
    with pytest.raises(InvalidInputError) as refused:
        new_draft(runtime, requester, b"PK not really", "photos.zip")
    assert refused.value.fields == {"file": "is not a readable zip archive"}


def test_copy_batch_keeps_rows_gold_answers_and_settings(runtime: Runtime, requester: Actor, factory: Factory) -> None:
    draft = new_draft(runtime, requester, b'text,_gold\nA,\nB,"{""label"": ""neg""}"\nC,\n')
    batch_drafts.save_settings(runtime, requester, draft.id, settings(max_assignments=2, gold_assignments=3))
    batch = batch_drafts.publish(runtime, requester, draft.id, Marketplace.PRODUCTION)
    copied = batch_drafts.copy_batch(runtime, requester, batch.public_id)
    assert copied.rows == [{"text": "A"}, {"text": "B", "_gold": {"label": "neg"}}, {"text": "C"}]
    assert copied.settings["max_assignments"] == 2 and copied.settings["lifetime_seconds"] == 86_400
    assert batch_drafts.save_settings(runtime, requester, copied.id, copied.settings).checked
    with pytest.raises(NotFoundError):
        batch_drafts.copy_batch(runtime, factory.requester().actor, batch.public_id)
    with pytest.raises(NotFoundError):
        batch_drafts.copy_batch(runtime, requester.in_marketplace(Marketplace.SANDBOX), batch.public_id)
