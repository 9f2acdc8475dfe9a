"""A requester's background jobs over REST: the aggregation a submission queued, its state, attempts,
progress and result; filters and pages; another requester's jobs, workers and bad filters refused."""

from __future__ import annotations

import pytest

from labelhub.queueing import EmbeddedBackend
from labelhub.runtime import Runtime
from labelhub.services import job_queue
from tests.api.conftest import token
from tests.api.test_requester_batches import _answer_all, _body


def test_the_aggregation_a_submission_queued_is_listed_with_its_outcome(api, runtime, factory, requester,
                                                                          other_requester):
    created = api.post("/requester/batches", token=token(requester), json=_body(), expect=201)
    _answer_all(runtime, factory.worker(), "positive")

    listed = api.get("/requester/jobs", token=token(requester), query={"kind": "aggregate_batch"})
    [job] = [j for j in listed["items"] if j["target"] == f"batch:{created['batch_id']}"][-1:]
    one = api.get(f"/requester/jobs/{job['job_id']}", token=token(requester))
    theirs = api.get("/requester/jobs", token=token(other_requester))

    assert one == job
    assert (job["kind"], job["state"], job["attempts"], job["error"]) == ("aggregate_batch", "succeeded", 1, None)
    assert job["result"]["ran"] is True and job["result"]["answers"] == 4
    assert job["finished_at"] is not None
    assert theirs == {"items": [], "next_cursor": None}
    api.get(f"/requester/jobs/{job['job_id']}", token=token(other_requester), expect=404)


def test_jobs_page_by_cursor_and_filter_by_state(api, runtime, requester):
    quiet = Runtime(settings=runtime.settings, engine=runtime.engine, backend=EmbeddedBackend(),
                    clock=runtime.clock)
    with quiet.sessions.begin() as db:
        for number in range(3):
            job_queue.submit(db, "labelhub.jobs.aggregate_due", f"{number}", now=quiet.clock(),
                             owner=(requester.actor.id, requester.actor.marketplace))

    first = api.get("/requester/jobs", token=token(requester), query={"limit": 2, "state": "queued"})
    rest = api.get("/requester/jobs", token=token(requester), query={"limit": 2, "state": "queued",
                                                                     "cursor": first["next_cursor"]})
    done = api.get("/requester/jobs", token=token(requester), query={"state": "succeeded"})

    assert [len(first["items"]), len(rest["items"]), rest["next_cursor"]] == [2, 1, None]
    assert {j["state"] for j in first["items"] + rest["items"]} == {"queued"}
    assert done["items"] == []


@pytest.mark.parametrize(("query", "field"), [({"state": "sleeping"}, "state"), ({"limit": 0}, "limit"),
                                              ({"cursor": "not-a-cursor"}, "cursor")])
def test_bad_job_filters_name_the_field(api, requester, query, field):
    body = api.get("/requester/jobs", token=token(requester), query=query, expect=400)
    assert field in body["error"]["fields"]


def test_workers_cannot_read_jobs(api, worker):
    api.get("/requester/jobs", token=token(worker), expect=403)
