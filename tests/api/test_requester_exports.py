"""REST exports: POST /requester/batches/<id>/exports answers 202 with the export and its job, the job
(run inline after the commit) writes the file, the export and the job show its progress, and the file
downloads as an attachment that pandas reads back; other requesters and bad input are refused."""

from __future__ import annotations

import io
import random
from zipfile import ZipFile

import pandas as pd
import pytest

from labelhub.services import assignments
from tests.api.conftest import PREFIX, token
from tests.crowd import LABELS, Crowd, make_crowd

ITEMS, GOLD_ITEMS, PER_HIT = 6, 2, 2


@pytest.fixture
def crowd(runtime, factory, requester) -> Crowd:
    runtime.random = random.Random(5).random
    crowd = make_crowd(runtime, factory, items=ITEMS, gold=GOLD_ITEMS, max_assignments=PER_HIT,
                       gold_assignments=PER_HIT, requester=requester)
    for accuracy in (0.9, 0.7):
        crowd.work(factory.worker(), accuracy)
    return crowd


def export(api, crowd, requester, **body):
    return api.post(f"/requester/batches/{crowd.batch_id}/exports", token=token(requester), json=body, expect=202)


def download(client, requester, url: str):
    response = client.get(url, headers={"Authorization": f"Bearer {token(requester)}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_export_answers_202_then_the_job_writes_a_file_that_downloads_as_an_attachment(api, client, crowd,
                                                                                       requester):
    created = export(api, crowd, requester, format="jsonl")

    assert created["state"] == "queued" and created["job"]["kind"] == "build_export"
    assert created["download_url"] is None and created["records"] == "consensus"
    shown = api.get(f"/requester/exports/{created['export_id']}", token=token(requester))
    job = api.get(f"/requester/jobs/{created['job']['job_id']}", token=token(requester))
    assert shown["state"] == job["state"] == "succeeded"
    assert job["progress"]["done"] == job["progress"]["total"] == ITEMS + GOLD_ITEMS
    assert job["result"]["records"] == shown["record_count"] == ITEMS + GOLD_ITEMS
    response = download(client, requester, shown["download_url"])
    assert response.headers["Content-Disposition"] == "attachment; filename=tone-3-consensus.jsonl"
    assert response.mimetype == "application/x-ndjson"
    assert int(response.headers["Content-Length"]) == shown["size_bytes"]
    frame = pd.read_json(io.BytesIO(response.data), lines=True)
    assert len(frame) == ITEMS + GOLD_ITEMS
    assert set(frame["hit_id"]) == {item["hit_id"] for item in
                                    api.get(f"/requester/batches/{crowd.batch_id}/consensus",
                                            token=token(requester))["items"]} | set(frame[frame["is_gold"]]["hit_id"])


def test_answers_as_csv_with_filters(api, client, runtime, crowd, requester):
    first = api.get(f"/requester/batches/{crowd.batch_id}/consensus", token=token(requester))["items"][0]
    approved = api.get(f"/requester/hits/{first['hit_id']}/assignments", token=token(requester))["items"]
    for assignment in approved:
        assignments.approve(runtime, requester.actor, assignment["assignment_id"])

    created = export(api, crowd, requester, format="csv", answers=True, status="approved", gold="exclude")

    shown = api.get(f"/requester/exports/{created['export_id']}", token=token(requester))
    assert shown["filters"] | {"status": "approved", "gold": "exclude"} == shown["filters"]
    frame = pd.read_csv(io.BytesIO(download(client, requester, shown["download_url"]).data))
    assert sorted(frame["assignment_id"]) == sorted(a["assignment_id"] for a in approved)
    assert set(frame["status"]) == {"Approved"} and set(frame["value"]) <= set(LABELS)


def test_parquet_downloads_as_a_dataset_repository_that_pandas_reads(api, client, crowd, requester):
    created = export(api, crowd, requester, format="parquet", split={"train": 0.5, "validation": 0.25, "test": 0.25},
                     seed=11)

    shown = api.get(f"/requester/exports/{created['export_id']}", token=token(requester))
    response = download(client, requester, shown["download_url"])
    assert response.headers["Content-Disposition"] == "attachment; filename=tone-3-consensus-parquet.zip"
    with ZipFile(io.BytesIO(response.data)) as repository:
        (data,) = [name for name in repository.namelist() if name.endswith(".parquet")]
        assert "README.md" in repository.namelist() and data.startswith("data/")
        frame = pd.read_parquet(io.BytesIO(repository.read(data)))
    assert len(frame) == ITEMS + GOLD_ITEMS
    assert set(frame["split"]) <= {"train", "validation", "test"} and "train" in set(frame["split"])


def test_split_files_download_as_one_zip_of_one_file_per_split(api, client, crowd, requester):
    created = export(api, crowd, requester, format="jsonl", split={"train": 2, "validation": 1, "test": 1},
                     split_files=True)

    shown = api.get(f"/requester/exports/{created['export_id']}", token=token(requester))
    response = download(client, requester, shown["download_url"])
    assert response.mimetype == "application/zip"
    with ZipFile(io.BytesIO(response.data)) as bundle:
        counts = {name: len(pd.read_json(io.BytesIO(bundle.read(name)), lines=True)) for name in bundle.namelist()}
    assert set(counts) <= {f"tone-3-consensus.{split}.jsonl" for split in ("train", "validation", "test")}
    assert sum(counts.values()) == ITEMS + GOLD_ITEMS


def test_exports_are_listed_for_their_requester_only(api, crowd, requester, other_requester):
    first = export(api, crowd, requester, format="jsonl")
    second = export(api, crowd, requester, format="csv", answers=True)

    page = api.get("/requester/exports", token=token(requester), query={"limit": 1})
    rest = api.get("/requester/exports", token=token(requester), query={"cursor": page["next_cursor"]})
    assert [e["export_id"] for e in page["items"] + rest["items"]] == [first["export_id"], second["export_id"]]
    assert api.get("/requester/exports", token=token(other_requester))["items"] == []


def test_another_requester_the_sandbox_and_workers_are_refused(api, client, crowd, requester, other_requester,
                                                               worker):
    created = export(api, crowd, requester, format="jsonl")
    file_url = f"{PREFIX}/requester/exports/{created['export_id']}/file"

    api.post(f"/requester/batches/{crowd.batch_id}/exports", token=token(other_requester), json={"format": "jsonl"},
             expect=404)
    api.get(f"/requester/exports/{created['export_id']}", token=token(other_requester), expect=404)
    api.get(f"/requester/exports/{created['export_id']}", token=token(requester), query={"marketplace": "sandbox"},
            expect=404)
    api.post(f"/requester/batches/{crowd.batch_id}/exports", token=token(worker), json={"format": "jsonl"},
             expect=403)
    for who, status in ((other_requester, 404), (worker, 403)):
        response = client.get(file_url, headers={"Authorization": f"Bearer {token(who)}"})
        assert response.status_code == status and response.get_json()["error"]["code"]
    assert client.get(file_url).status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"format": "xlsx"}, "format"),
    ({"format": "coco"}, "format"),  # a format that does not fit a text classification
    ({"format": "mturk-csv"}, "format"),  # answers only
    ({"format": "jsonl", "min_confidence": 2}, "min_confidence"),
    ({"format": "jsonl", "status": "reviewed"}, "status"),
    ({"format": "jsonl", "gold": "maybe"}, "gold"),
    ({"format": "jsonl", "split": {"train": 0, "validation": 0, "test": 0}}, "split"),
    ({"format": "jsonl", "split": {"train": 1}}, "split.validation"),
    ({"format": "jsonl", "split_files": True}, "split_files"),
    ({"format": "jsonl", "seed": -1}, "seed"),
    ({"format": "jsonl", "colour": "red"}, "colour"),
    ({"format": "jsonl", "include_images": True}, "include_images"),
    ({"format": "yolo", "include_images": "yes"}, "include_images"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_queued(api, crowd, requester, body, field):
    refused = api.post(f"/requester/batches/{crowd.batch_id}/exports", token=token(requester), json=body, expect=400)

    assert field in refused["error"]["fields"], refused
    assert api.get("/requester/exports", token=token(requester))["items"] == []


def test_a_format_that_does_not_fit_names_those_that_do(api, crowd, requester):
    refused = api.post(f"/requester/batches/{crowd.batch_id}/exports", token=token(requester),
                       json={"format": "yolo"}, expect=400)
    assert "jsonl" in refused["error"]["fields"]["format"] and "parquet" in refused["error"]["fields"]["format"]


def test_unknown_batch_or_export_is_not_found(api, client, crowd, requester):
    api.post("/requester/batches/NOSUCHBATCH/exports", token=token(requester), json={"format": "jsonl"}, expect=404)
    api.get("/requester/exports/NOSUCHEXPORT", token=token(requester), expect=404)
    response = client.get(f"{PREFIX}/requester/exports/NOSUCHEXPORT/file",
                          headers={"Authorization": f"Bearer {token(requester)}"})
    assert response.status_code == 404 and response.mimetype == "application/json"


def test_an_export_without_its_file_yet_answers_409_on_download(api, client, runtime, crowd, requester):
    from pathlib import Path

    instance = Path(runtime.settings.storage.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "exports").write_text("not a folder")  # the job fails and waits to be tried again

    created = export(api, crowd, requester, format="jsonl")

    shown = api.get(f"/requester/exports/{created['export_id']}", token=token(requester))
    assert shown["state"] == "queued" and shown["job"]["attempts"] == 1 and shown["download_url"] is None
    response = client.get(f"{PREFIX}/requester/exports/{created['export_id']}/file",
                          headers={"Authorization": f"Bearer {token(requester)}"})
    assert response.status_code == 409 and "no file yet" in response.get_json()["error"]["message"]


def test_the_download_is_in_the_openapi_document(api):
    operation = api.doc["paths"]["/requester/exports/{export_id}/file"]["get"]
    assert operation["responses"]["200"]["content"] == {"*/*": {"schema": {
        "type": "string", "format": "binary", "description": "the export file, as an attachment"}}}
    assert api.doc["paths"]["/requester/batches/{batch_id}/exports"]["post"]["responses"]["202"]
