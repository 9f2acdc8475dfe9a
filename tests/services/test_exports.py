"""Exports through the services on the real database: the records of a batch (consensus and answers)
with each filter and the splits, authorization and bad input, export files written straight to a path
or by the job for download, and the retention sweep. Jobs run inline (tests.conftest's InlineBackend)."""

from __future__ import annotations

import os
import random
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from exports import write as write_records
from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError, PermissionDeniedError
from labelhub.models import HIT, AnswerFlag, Assignment, Batch, BatchState, Export, Job
from labelhub.runtime import Runtime
from labelhub.services import assignments, batch_results, exports
from labelhub.services.actors import system_actor
from labelhub.services.export_commands import ExportFilters, ExportRequest
from labelhub.services.export_reading import reading
from labelhub.settings import ExportsSettings
from tests.crowd import LABELS, Crowd, make_crowd
from tests.factories import Factory

ITEMS, GOLD_ITEMS, PER_HIT = 8, 2, 3


@pytest.fixture
def crowd(runtime: Runtime, factory: Factory) -> Crowd:
    """A tone batch of 8 HITs and 2 gold HITs, every ordinary HIT answered by the same three workers of
    known accuracy (and some gold HITs), aggregated."""
    runtime.random = random.Random(5).random
    crowd = make_crowd(runtime, factory, items=ITEMS, gold=GOLD_ITEMS, max_assignments=PER_HIT,
                       gold_assignments=PER_HIT)
    for accuracy in (0.95, 0.8, 0.65):
        crowd.work(factory.worker(), accuracy)
    return crowd


def records(rt: Runtime, crowd: Crowd, fmt: str = "jsonl", *, answers: bool = False, **filters) -> list:
    request = ExportRequest(fmt, answers=answers, filters=ExportFilters(**filters))
    with reading(rt, crowd.requester.actor, crowd.batch_id, request) as stream:
        return list(stream.records())


def _assignments(rt: Runtime, crowd: Crowd) -> list[Assignment]:
    """The batch's submitted assignments."""
    with rt.sessions() as db:
        batch_id = db.scalar(select(Batch.id).where(Batch.public_id == crowd.batch_id))
        return list(db.scalars(select(Assignment).join(HIT, HIT.id == Assignment.hit_id)
                               .where(HIT.batch_id == batch_id).order_by(Assignment.id)))


# --- records ----------------------------------------------------------------------------------------------


def test_consensus_records_hold_the_row_the_consensus_and_the_answers_figures(runtime, crowd):
    found = records(runtime, crowd)

    method = batch_results.batch_summary(runtime, crowd.requester.actor, crowd.batch_id).batch.aggregation_method
    assert len(found) == ITEMS + GOLD_ITEMS
    plain = [r for r in found if not r.is_gold]
    assert {r.item["text"] for r in plain} == set(crowd.truth) - crowd.gold_items
    assert all(r.value in LABELS and 0 < r.confidence <= 1 and r.answers == PER_HIT for r in plain)
    assert method and all(r.method == method for r in plain)
    stored = batch_results.consensus_labels(runtime, crowd.requester.actor, crowd.batch_id, limit=100).items
    assert {r.hit_id: (r.value, r.confidence) for r in plain} == {c.hit_id: (c.value, c.confidence) for c in stored}
    for r in plain:  # agreement: the share of the HIT's answers equal to its consensus
        assert r.agreement in {0, 1 / 3, 2 / 3, 1} or abs(r.agreement * 3 - round(r.agreement * 3)) < 1e-9
    gold = [r for r in found if r.is_gold]
    assert {r.item["text"] for r in gold} == crowd.gold_items
    assert all(r.value == r.gold == crowd.truth[r.item["text"]] and r.method == "gold" and r.confidence is None
               for r in gold)
    assert all(r.llm_share is None and r.split is None and r.reviewed_value is None for r in found)


def test_answer_records_hold_each_assignment_its_worker_scores_and_the_hit_facts(runtime, crowd):
    found = records(runtime, crowd, answers=True)

    submitted = _assignments(runtime, crowd)
    assert [r.assignment_id for r in found] == [a.public_id for a in sorted(submitted, key=lambda a: (a.hit_id, a.id))]
    first = found[0]
    assert first.status == "Submitted" and first.value in LABELS and first.answer == {"label": first.value}
    assert first.work_seconds == (first.submitted_at - first.accepted_at).total_seconds()
    assert first.worker_accuracy_low <= first.worker_accuracy <= first.worker_accuracy_high
    assert first.approval_rate is None  # nothing decided yet
    assert first.hit.title == "Tone of a sentence" and first.hit.reward == Decimal("0.02")
    assert first.hit.max_assignments == PER_HIT and first.hit.lifetime_seconds == 86_400
    assert {r.worker_id for r in found} == set(crowd.answered)


def test_status_approved_keeps_approved_answers_and_fully_approved_hits(runtime, crowd):
    answers = records(runtime, crowd, answers=True)
    first_hit = answers[0].hit_id
    on_first = [r.assignment_id for r in answers if r.hit_id == first_hit]
    lone = next(r.assignment_id for r in answers if r.hit_id != first_hit)
    for assignment_id in [*on_first, lone]:
        assignments.approve(runtime, crowd.requester.actor, assignment_id)

    approved = records(runtime, crowd, "mturk-csv", answers=True, status="approved")
    consensus = records(runtime, crowd, status="approved")

    assert sorted(r.assignment_id for r in approved) == sorted([*on_first, lone])
    assert all(r.status == "Approved" and r.approval_rate == 1.0 for r in approved)  # shown by mturk-csv
    assert {r.approval_rate for r in records(runtime, crowd, answers=True)} == {None}  # read for it alone
    assert [r.hit_id for r in consensus] == [first_hit]  # the other HIT still has answers to review


def test_submitted_answers_include_rejected_ones_with_their_status(runtime, crowd):
    victim = records(runtime, crowd, answers=True)[0]
    assignments.reject(runtime, crowd.requester.actor, victim.assignment_id, feedback="Off topic")

    found = {r.assignment_id: r for r in records(runtime, crowd, answers=True)}
    assert found[victim.assignment_id].status == "Rejected"
    assert found[victim.assignment_id].requester_feedback == "Off topic"
    assert victim.assignment_id not in {r.assignment_id for r in records(runtime, crowd, answers=True,
                                                                          status="approved")}


def test_min_confidence_keeps_confident_hits_and_gold(runtime, crowd):
    every = records(runtime, crowd)

    for threshold in (0.0, 0.7, 1.0):
        kept = records(runtime, crowd, min_confidence=threshold)
        answers = records(runtime, crowd, answers=True, min_confidence=threshold)
        expected = {r.hit_id for r in every if r.is_gold or r.confidence >= threshold}
        assert {r.hit_id for r in kept} == {r.hit_id for r in answers} == expected
    assert {r.is_gold for r in records(runtime, crowd, min_confidence=1.0)} == {True}


def test_gold_in_out_or_only(runtime, crowd):
    assert {r.is_gold for r in records(runtime, crowd, gold="exclude")} == {False}
    only = records(runtime, crowd, gold="only")
    assert {r.item["text"] for r in only} == crowd.gold_items
    assert {r.is_gold for r in records(runtime, crowd, answers=True, gold="only")} == {True}
    assert len(records(runtime, crowd, answers=True, gold="exclude")) == ITEMS * PER_HIT


def _flag(rt: Runtime, assignment_ids: list[str], band: str = "high") -> None:
    with rt.sessions.begin() as db:
        for public_id in assignment_ids:
            assignment = db.scalars(select(Assignment).where(Assignment.public_id == public_id)).one()
            db.add(AnswerFlag(assignment_id=assignment.id, batch_id=assignment.hit.batch_id, probability=0.97,
                              band=band, reasons=["reads like a model"], evidence=[], scored_at=rt.clock()))


def test_exclude_llm_flagged_drops_flagged_answers_and_the_hits_whose_consensus_counted_them(runtime, crowd):
    answers = records(runtime, crowd, answers=True)
    flagged, medium = answers[0], answers[1]
    _flag(runtime, [flagged.assignment_id])
    _flag(runtime, [medium.assignment_id], band="medium")

    all_answers = {r.assignment_id: r for r in records(runtime, crowd, answers=True)}
    kept = records(runtime, crowd, answers=True, exclude_llm_flagged=True)
    consensus = {r.hit_id: r for r in records(runtime, crowd)}
    kept_consensus = {r.hit_id for r in records(runtime, crowd, exclude_llm_flagged=True)}

    assert (all_answers[flagged.assignment_id].llm_probability, all_answers[flagged.assignment_id].llm_band) \
        == (0.97, "high")
    assert {r.assignment_id for r in kept} == set(all_answers) - {flagged.assignment_id}
    assert consensus[flagged.hit_id].llm_share == (1.0 if flagged.hit_id != medium.hit_id else 0.5)
    assert kept_consensus == set(consensus) - {flagged.hit_id}


def test_splits_are_seeded_stratified_by_label_and_shared_by_a_hits_answers(runtime, crowd):
    split = (0.6, 0.2, 0.2)
    first = records(runtime, crowd, split=split, seed=7)
    again = records(runtime, crowd, split=split, seed=7)
    answers = records(runtime, crowd, answers=True, split=split, seed=7)
    filtered = records(runtime, crowd, gold="exclude", split=split, seed=7)

    by_hit = {r.hit_id: r.split for r in first}
    assert by_hit == {r.hit_id: r.split for r in again}
    assert set(by_hit.values()) <= {"train", "validation", "test"} and "train" in by_hit.values()
    assert all(r.split == by_hit[r.hit_id] for r in answers)
    assert all(r.split == by_hit[r.hit_id] for r in filtered)  # a HIT keeps its split whatever the filters


def test_small_pages_read_the_same_records(runtime, crowd):
    whole = records(runtime, crowd, answers=True)
    runtime.settings = replace(runtime.settings, exports=ExportsSettings(page_size=2))

    paged = records(runtime, crowd, answers=True)

    assert [r.assignment_id for r in paged] == [r.assignment_id for r in whole]
    assert [r.hit_id for r in records(runtime, crowd)] == list(dict.fromkeys(r.hit_id for r in whole))


@pytest.mark.parametrize("answers", [False, True])
def test_progress_counts_rows_read_up_to_the_total(runtime, crowd, answers):
    """Consensus records are read a page of HITs at a time; answers a page of HITs at a time on SQLite
    and in blocks of one COPY on PostgreSQL: either way progress climbs to the total."""
    runtime.settings = replace(runtime.settings, exports=ExportsSettings(page_size=4))
    seen: list[tuple[int, int]] = []
    request = ExportRequest("jsonl", answers=answers)
    with reading(runtime, crowd.requester.actor, crowd.batch_id, request) as stream:
        list(stream.tables(lambda done, total: seen.append((done, total))))

    total = len(_assignments(runtime, crowd)) if answers else ITEMS + GOLD_ITEMS
    assert stream.total == total and seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    if not answers or runtime.engine.dialect.name == "sqlite":
        assert len(seen) == -(-(ITEMS + GOLD_ITEMS) // 4)


def test_meta_names_the_batch_its_shape_labels_and_columns(runtime, crowd):
    with reading(runtime, crowd.requester.actor, crowd.batch_id, ExportRequest("csv")) as stream:
        meta = stream.meta
    assert (meta.batch_id, meta.annotator, meta.shape.value) == (crowd.batch_id, "text_classification",
                                                                 "categorical")
    assert meta.labels == LABELS and meta.input_columns == ("text",) and meta.text_column == "text"


# --- who may export, and bad input ---------------------------------------------------------------------------


def test_another_requesters_or_an_unknown_batch_is_not_found(runtime, factory, crowd):
    other = factory.requester()
    for actor, batch_id in ((other.actor, crowd.batch_id), (crowd.requester.actor, "NOSUCHBATCH")):
        with pytest.raises(NotFoundError, match="does not exist"), \
                reading(runtime, actor, batch_id, ExportRequest("jsonl")):
            pass
        with pytest.raises(NotFoundError):
            exports.request_export(runtime, actor, batch_id, ExportRequest("jsonl"))
    with pytest.raises(NotFoundError):  # the other marketplace's credentials
        exports.request_export(runtime, crowd.requester.sandbox(), crowd.batch_id, ExportRequest("jsonl"))


def test_workers_may_not_export(runtime, factory, crowd):
    with pytest.raises(PermissionDeniedError):
        exports.request_export(runtime, factory.worker().actor, crowd.batch_id, ExportRequest("jsonl"))


def test_a_batch_still_being_built_is_refused(runtime, crowd):
    with runtime.sessions.begin() as db:
        db.execute(update(Batch).where(Batch.public_id == crowd.batch_id).values(state=BatchState.BUILDING))
    with pytest.raises(InvalidStateError, match="building"):
        exports.request_export(runtime, crowd.requester.actor, crowd.batch_id, ExportRequest("jsonl"))


@pytest.mark.parametrize(("make", "field"), [
    (lambda: ExportRequest("xlsx"), "format"),
    (lambda: ExportFilters(status="reviewed"), "status"),
    (lambda: ExportFilters(min_confidence=1.5), "min_confidence"),
    (lambda: ExportFilters(min_confidence=float("nan")), "min_confidence"),
    (lambda: ExportFilters(gold="maybe"), "gold"),
    (lambda: ExportFilters(split=(0, 0, 0)), "split"),
    (lambda: ExportFilters(split=(0.8, -0.1, 0.3)), "split"),
    (lambda: ExportFilters(seed=-1), "seed"),
    (lambda: ExportFilters(split_files=True), "split_files"),
    (lambda: ExportFilters(include_images="yes"), "include_images"),
    (lambda: ExportRequest("jsonl", filters=ExportFilters(include_images=True)), "include_images"),
])
def test_bad_requests_name_the_field(make, field):
    with pytest.raises(InvalidInputError) as raised:
        make()
    assert field in raised.value.fields


@pytest.mark.parametrize("fmt", ["coco", "yolo", "voc", "conll", "spans-jsonl"])
def test_a_format_that_does_not_fit_the_batch_is_refused_naming_those_that_do(runtime, crowd, fmt, tmp_path):
    with pytest.raises(InvalidInputError) as raised:
        exports.export_to_file(runtime, crowd.requester.actor, crowd.batch_id, ExportRequest(fmt),
                               tmp_path / "out.json")
    assert "jsonl" in raised.value.fields["format"]
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidInputError):
        exports.request_export(runtime, crowd.requester.actor, crowd.batch_id, ExportRequest(fmt))
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Export)) == 0


def test_export_to_file_refuses_a_missing_folder_and_writes_nothing(runtime, crowd, tmp_path):
    with pytest.raises(InvalidInputError, match="output"):
        exports.export_to_file(runtime, crowd.requester.actor, crowd.batch_id, ExportRequest("csv"),
                               tmp_path / "nope" / "out.csv")
    with pytest.raises(NotFoundError):
        exports.export_to_file(runtime, crowd.requester.actor, "NOSUCHBATCH", ExportRequest("csv"),
                               tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []


# --- files -------------------------------------------------------------------------------------------------


def _frame(path: Path, fmt: str):
    import pandas as pd

    if fmt == "parquet":
        return pd.read_parquet(path)
    frame = pd.read_csv(path, keep_default_na=False) if fmt == "csv" else pd.read_json(path, lines=True, dtype=False)
    for name in ("accepted_at", "submitted_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    return frame


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_answer_tables_read_from_the_database_match_the_records(runtime, crowd, tmp_path, fmt):
    """Answers are read as columns (one COPY on PostgreSQL) for the tabular formats; the same export
    made from the records (what notebooks and the MTurk CSV use) has the same rows and values."""
    import pandas as pd

    assignments.reject(runtime, crowd.requester.actor, _assignments(runtime, crowd)[0].public_id,
                       feedback="Off topic")
    request = ExportRequest(fmt, answers=True, filters=ExportFilters(split=(8, 1, 1), seed=3))
    actor = crowd.requester.actor
    exports.export_to_file(runtime, actor, crowd.batch_id, request, tmp_path / f"columns.{fmt}")
    with reading(runtime, actor, crowd.batch_id, request) as stream:
        write_records(stream.records(), fmt, tmp_path / f"records.{fmt}", meta=stream.meta, answers=True)

    from_columns, from_records = _frame(tmp_path / f"columns.{fmt}", fmt), _frame(tmp_path / f"records.{fmt}", fmt)
    assert len(from_columns) == len(_assignments(runtime, crowd)) and "Rejected" in set(from_columns["status"])
    pd.testing.assert_frame_equal(from_columns, from_records)


def test_export_to_file_writes_records_that_read_back_with_pandas(runtime, crowd, tmp_path):
    import pandas as pd

    seen: list[tuple[int, int]] = []
    target = tmp_path / "tone.jsonl"
    summary = exports.export_to_file(runtime, system_actor(crowd.requester.actor.marketplace), crowd.batch_id,
                                     ExportRequest("jsonl", answers=True), target,
                                     progress=lambda done, total: seen.append((done, total)))

    frame = pd.read_json(target, lines=True)
    assert summary.records == len(frame) == len(_assignments(runtime, crowd))
    assert seen[-1] == (len(frame), len(frame))
    assert [p.name for p in tmp_path.iterdir()] == ["tone.jsonl"]


def test_requested_export_is_written_by_its_job_and_kept_for_download(runtime, crowd):
    view = exports.request_export(runtime, crowd.requester.actor, crowd.batch_id,
                                  ExportRequest("csv", filters=ExportFilters(gold="exclude")))

    done = exports.get_export(runtime, crowd.requester.actor, view.export.public_id)
    found = exports.export_file(runtime, crowd.requester.actor, view.export.public_id)
    assert view.state == "queued" and done.state == "succeeded" and done.error is None
    assert done.job.result == {"export_id": view.export.public_id, "records": ITEMS,
                               "size_bytes": found.path.stat().st_size}
    assert (done.job.progress_done, done.job.progress_total) == (ITEMS, ITEMS)
    assert found.name == "tone-3-consensus.csv" and found.media_type.startswith("text/csv")
    assert done.export.record_count == ITEMS and done.export.size_bytes == found.path.stat().st_size
    assert found.path.parent.name == view.export.public_id
    assert exports.list_exports(runtime, crowd.requester.actor).items[0].export.public_id == view.export.public_id


def test_running_the_export_job_again_changes_nothing(runtime, crowd):
    view = exports.request_export(runtime, crowd.requester.actor, crowd.batch_id, ExportRequest("jsonl"))
    found = exports.export_file(runtime, crowd.requester.actor, view.export.public_id)
    written = found.path.stat().st_mtime_ns

    again = exports.run_export(runtime, view.export.public_id)

    assert again["records"] == ITEMS + GOLD_ITEMS and found.path.stat().st_mtime_ns == written


def test_split_files_are_downloaded_as_one_zip(runtime, crowd):
    from zipfile import ZipFile

    request = ExportRequest("jsonl", filters=ExportFilters(split=(0.6, 0.2, 0.2), split_files=True, seed=3))
    view = exports.request_export(runtime, crowd.requester.actor, crowd.batch_id, request)

    found = exports.export_file(runtime, crowd.requester.actor, view.export.public_id)
    assert found.name.endswith(".zip") and found.media_type == "application/zip"
    with ZipFile(found.path) as bundle:
        names = bundle.namelist()
    assert len(names) >= 2 and all(name.endswith(".jsonl") for name in names)


def test_an_export_whose_job_failed_has_no_file_to_download(runtime, crowd):
    instance = Path(runtime.settings.storage.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "exports").write_text("not a folder")  # the job cannot make its folder

    view = exports.request_export(runtime, crowd.requester.actor, crowd.batch_id, ExportRequest("jsonl"))

    shown = exports.get_export(runtime, crowd.requester.actor, view.export.public_id)
    assert shown.state == "queued" and shown.job.attempts == 1  # tried again later
    with pytest.raises(InvalidStateError, match="no file yet"):
        exports.export_file(runtime, crowd.requester.actor, view.export.public_id)
    with runtime.sessions.begin() as db:  # its last attempt failed too
        db.execute(update(Job).where(Job.public_id == view.export.job_id).values(state="failed"))
    failed = exports.get_export(runtime, crowd.requester.actor, view.export.public_id)
    assert failed.state == "failed" and failed.error


def test_other_requesters_cannot_see_or_download_an_export(runtime, factory, crowd):
    view = exports.request_export(runtime, crowd.requester.actor, crowd.batch_id, ExportRequest("jsonl"))
    other = factory.requester()
    for call in (exports.get_export, exports.export_file):
        with pytest.raises(NotFoundError):
            call(runtime, other.actor, view.export.public_id)
        with pytest.raises(NotFoundError):
            call(runtime, crowd.requester.sandbox(), view.export.public_id)
    assert exports.list_exports(runtime, other.actor).items == []


# --- retention ---------------------------------------------------------------------------------------------


def test_retention_sweep_deletes_old_files_and_their_records(runtime, clock, crowd):
    old = exports.request_export(runtime, crowd.requester.actor, crowd.batch_id, ExportRequest("jsonl"))
    old_file = exports.export_file(runtime, crowd.requester.actor, old.export.public_id).path
    clock.advance(days=runtime.settings.exports.retention_days - 1)
    recent = exports.request_export(runtime, crowd.requester.actor, crowd.batch_id, ExportRequest("csv"))
    orphan = old_file.parent.parent / "ORPHANFOLDER"
    orphan.mkdir()
    stale = (clock.now - timedelta(days=runtime.settings.exports.retention_days + 1)).timestamp()
    os.utime(orphan, (stale, stale))
    clock.advance(days=1, seconds=1)

    assert exports.prune_expired(runtime) == 1

    assert not old_file.parent.exists() and not orphan.exists()
    with pytest.raises(NotFoundError):
        exports.get_export(runtime, crowd.requester.actor, old.export.public_id)
    assert exports.export_file(runtime, crowd.requester.actor, recent.export.public_id).path.is_file()
    assert exports.prune_expired(runtime) == 0
