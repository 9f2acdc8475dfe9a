"""A batch over CHUNK_ROWS rows over REST: 202 with the job that writes it (documented, with its
Location), whose progress counts the rows; the batch is complete once the job has succeeded."""

from __future__ import annotations

from labelhub.services.batch_builds import CHUNK_ROWS
from tests.api.conftest import PREFIX, token


def _body(rows: int) -> dict:
    return {"name": "Tone", "task_type": "text_classification", "config": {"labels": ["positive", "negative"],
                                                                          "text_field": "text"},
            "rows": [{"text": f"sentence {i}"} for i in range(rows)], "lifetime_seconds": 86_400,
            "max_assignments": 1, "title": "Tone of a sentence", "description": "Positive or negative?",
            "reward": "0.01", "assignment_duration_seconds": 600}


def test_a_batch_over_a_chunk_answers_202_with_its_job_then_is_complete(api, requester):
    rows = CHUNK_ROWS + 1
    response = api.client.post(f"{PREFIX}/requester/batches", json=_body(rows),
                               headers={"Authorization": f"Bearer {token(requester)}"})
    assert response.status_code == 202
    api.check_documented("POST", "/requester/batches", 202, response)  # the Job schema
    job = response.get_json()
    assert response.headers["Location"] == f"{PREFIX}/requester/jobs/{job['job_id']}"
    assert (job["kind"], job["target"].split(":")[0]) == ("build_batch", "batch")

    done = api.get(f"/requester/jobs/{job['job_id']}", token=token(requester))  # the tests' backend ran it
    batch_id = job["target"].removeprefix("batch:")
    assert done["state"] == "succeeded" and done["progress"] == {"done": rows, "total": rows}
    assert done["result"] == {"batch_id": batch_id, "hits": rows, "gold_hits": 0}
    assert api.get(f"/requester/batches/{batch_id}", token=token(requester))["hits"] == rows


def test_up_to_a_chunk_the_batch_is_created_at_once(api, requester):
    created = api.post("/requester/batches", token=token(requester), json=_body(CHUNK_ROWS), expect=201)
    assert created["hits"] == CHUNK_ROWS
