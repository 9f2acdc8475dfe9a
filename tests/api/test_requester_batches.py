"""Batches over REST: create with gold rows and quality settings, read consensus labels and worker
scores, change settings, mark gold; bad input names the field and writes nothing; other requesters'
batches stay theirs."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from labelhub.services import assignments, hits, workers
from tests.api.conftest import token

LABELS = ["positive", "negative"]


def _body(**overrides):
    rows = [{"text": f"sentence {i}"} for i in range(4)] + [{"text": "gold one", "_gold": {"label": "negative"}}]
    return {"name": "Tone", "task_type": "text_classification", "config": {"labels": LABELS, "text_field": "text"},
            "rows": rows, "lifetime_seconds": 86_400, "max_assignments": 2, "title": "Tone of a sentence",
            "description": "Positive or negative?", "reward": "0.05", "assignment_duration_seconds": 600,
            "quality": {"method": "MajorityVote", "gold_share": 0}} | overrides


def _answer_all(runtime, worker, label):
    for listing in workers.available_hits(runtime, worker.actor).items:
        taken = assignments.accept(runtime, worker.actor, listing.hit.public_id)
        assignments.submit(runtime, worker.actor, taken.public_id, {"label": label})


def test_create_batch_then_read_its_consensus_and_worker_scores(api, runtime, factory, requester):
    created = api.post("/requester/batches", token=token(requester), json=_body(), expect=201)
    assert (created["hits"], created["gold_hits"]) == (4, 1)
    assert created["quality"]["method"] == "MajorityVote"
    first, second = factory.worker(), factory.worker()
    _answer_all(runtime, first, "positive")
    _answer_all(runtime, second, "positive")

    batch = api.get(f"/requester/batches/{created['batch_id']}", token=token(requester))
    labels = api.get(f"/requester/batches/{created['batch_id']}/consensus", token=token(requester),
                     query={"limit": 2})
    rest = api.get(f"/requester/batches/{created['batch_id']}/consensus", token=token(requester),
                   query={"cursor": labels["next_cursor"]})
    scores = api.get(f"/requester/batches/{created['batch_id']}/workers", token=token(requester))

    assert batch["aggregation"]["hits_with_consensus"] == 4 and batch["aggregation"]["method"] == "MajorityVote"
    assert batch["aggregation"]["pending"] is False and batch["aggregation"]["error"] is None
    assert [row["value"] for row in labels["items"] + rest["items"]] == ["positive"] * 4
    assert rest["next_cursor"] is None
    assert {row["worker_id"] for row in scores["items"]} == {first.actor.public_id, second.actor.public_id}
    assert all(row["answers"] == 4 and 0 <= row["score"] <= 100 for row in scores["items"])


def test_gold_hits_are_shown_to_the_requester_with_their_answer(api, runtime, requester):
    created = api.post("/requester/batches", token=token(requester), json=_body(), expect=201)
    listed = api.get("/requester/hits", token=token(requester))["items"]
    gold = [h for h in listed if h["is_gold"]]
    assert [h["gold_answer"] for h in gold] == [{"label": "negative"}]
    assert created["batch_id"]


@pytest.mark.parametrize(("change", "field"), [
    ({"task_type": "poetry"}, "task_type"),
    ({"rows": [{"text": "a", "_gold": {"label": "maybe"}}, {"text": "b"}]}, "rows[1]._gold.label"),
    ({"rows": [{"text": "a", "_gold": {"label": "positive"}}]}, "rows"),
    ({"rows": [{"body": "no text column"}]}, "rows[1]"),
    ({"quality": {"method": "Guess"}}, "quality.method"),
    ({"quality": {"rules": {"spam": {"action": "revoke"}}}}, "quality.qualification_type_id"),
    ({"quality": {"overlap": {"min_assignments": 2, "max_assignments": 3, "confidence_target": 0.9}}},
     "max_assignments"),
    ({"config": {"labels": ["only"], "text_field": "text"}}, "template_config.labels"),
])
def test_create_batch_bad_input_names_the_field_and_creates_nothing(api, runtime, requester, change, field):
    body = api.post("/requester/batches", token=token(requester), json=_body(**change), expect=400)
    assert field in body["error"]["fields"], body
    assert hits.list_hits(runtime, requester.actor).items == []


OVERLAP = {"min_assignments": 2, "max_assignments": 4, "confidence_target": 0.9}


@pytest.mark.parametrize(("change", "per_hit"), [
    ({"quality": {"method": "MajorityVote", "gold_share": 0, "overlap": OVERLAP}}, 2),  # the README's example
    ({}, 3),  # a task type with a consensus: three answers a HIT unless told otherwise
    ({"max_assignments": 5}, 5),
    ({"task_type": "survey", "rows": [{"text": "one"}],
      "config": {"questions": [{"id": "comments", "kind": "free_text", "prompt": "Anything else?"}]}},
     1),  # a survey has no consensus: one answer a HIT
])
def test_answers_per_hit_come_from_overlap_the_request_or_the_task_type(api, runtime, requester, change, per_hit):
    body = {key: value for key, value in _body().items() if key != "max_assignments"} | change
    api.post("/requester/batches", token=token(requester), json=body, expect=201)
    listed = [h for h in hits.list_hits(runtime, requester.actor).items if not h.is_gold]
    assert listed and {h.max_assignments for h in listed} == {per_hit}


def test_a_batch_hit_shows_its_task_and_the_requester_lists_hits_by_batch(api, requester, other_requester, worker):
    created = api.post("/requester/batches", token=token(requester), json=_body(), expect=201)
    api.post("/requester/batches", token=token(requester), json=_body(name="Another"), expect=201)

    listed = api.get("/requester/hits", token=token(requester), query={"batch_id": created["batch_id"]})["items"]
    ordinary = [h for h in listed if not h["is_gold"]]
    preview = api.get(f"/worker/hits/{ordinary[0]['hit_id']}", token=token(worker))

    assert (len(listed), len(ordinary)) == (5, 4)  # of the two batches' 10 HITs
    assert {h["batch_id"] for h in listed} == {created["batch_id"]}
    one = api.get(f"/requester/hits/{ordinary[0]['hit_id']}", token=token(requester))
    assert one["batch_id"] == created["batch_id"]
    task = preview["task"]
    assert (task["batch_id"], task["task_type"], task["item"]) == (created["batch_id"], "text_classification",
                                                                   {"text": "sentence 0"})
    assert task["config"]["labels"] == LABELS
    schema = Draft202012Validator(preview["answer_schema"])
    assert schema.is_valid({"label": "negative"}) and not schema.is_valid({"label": "maybe"})
    for other_token in (token(other_requester), token(requester)):
        query = {"batch_id": created["batch_id"] if other_token != token(requester) else "NOSUCHBATCH"}
        refused = api.get("/requester/hits", token=other_token, query=query, expect=404)
        assert refused["error"]["code"] == "not_found"


def test_a_hit_made_on_its_own_has_no_task(api, requester, worker):
    made = api.post("/requester/hits", token=token(requester), expect=201, json={
        "title": "Cat?", "description": "Look", "reward": "0.05", "assignment_duration_seconds": 600,
        "lifetime_seconds": 3600, "question": "<p>Cat?</p>"})
    preview = api.get(f"/worker/hits/{made['hit_id']}", token=token(worker))
    assert preview["task"] is None and preview["answer_schema"] is None
    assert made["batch_id"] is None
    assert api.get(f"/requester/hits/{made['hit_id']}", token=token(requester))["batch_id"] is None


def test_quality_settings_can_be_replaced_and_are_checked(api, runtime, factory, requester):
    created = api.post("/requester/batches", token=token(requester), json=_body(), expect=201)
    qtype = api.post("/requester/qualification-types", token=token(requester),
                     json={"name": "Accuracy: tone", "description": "0-100"}, expect=201)
    path = f"/requester/batches/{created['batch_id']}/quality"
    bad = api.put(path, token=token(requester), json={"rules": {"accuracy": {"threshold": 0}}}, expect=400)
    assert bad["error"]["fields"] == {"rules.accuracy.threshold": "must be at least 1"}
    changed = api.put(path, token=token(requester), json={
        "qualification_type_id": qtype["qualification_type_id"],
        "rules": {"accuracy": {"threshold": 70, "min_gold_answers": 3, "action": "revoke"}}})
    assert changed["quality"]["rules"]["accuracy"] == {"threshold": 70, "min_gold_answers": 3, "action": "revoke"}
    _answer_all(runtime, factory.worker(), "positive")
    fed = api.get(f"/requester/qualification-types/{qtype['qualification_type_id']}/workers",
                  token=token(requester))
    assert len(fed["items"]) == 1 and 0 <= fed["items"][0]["integer_value"] <= 100


def test_mark_and_clear_gold_over_rest(api, runtime, requester):
    created = api.post("/requester/batches", token=token(requester), json=_body(), expect=201)
    hit_id = next(h["hit_id"] for h in api.get("/requester/hits", token=token(requester))["items"]
                  if not h["is_gold"])
    bad = api.put(f"/requester/hits/{hit_id}/gold", token=token(requester), json={"answer": {"label": "x"}},
                  expect=400)
    assert "answer.label" in bad["error"]["fields"]
    marked = api.put(f"/requester/hits/{hit_id}/gold", token=token(requester),
                     json={"answer": {"label": "positive"}})
    assert marked["is_gold"] and marked["gold_answer"] == {"label": "positive"}
    assert api.get(f"/requester/batches/{created['batch_id']}", token=token(requester))["gold_hits"] == 2
    cleared = api.delete(f"/requester/hits/{hit_id}/gold", token=token(requester))
    assert not cleared["is_gold"] and cleared["gold_answer"] is None


def test_other_requesters_batches_are_not_found(api, requester, other_requester):
    created = api.post("/requester/batches", token=token(requester), json=_body(), expect=201)
    for path in ("", "/consensus", "/workers"):
        api.get(f"/requester/batches/{created['batch_id']}{path}", token=token(other_requester), expect=404)
    api.put(f"/requester/batches/{created['batch_id']}/quality", token=token(other_requester), json={},
            expect=404)
    api.post(f"/requester/batches/{created['batch_id']}/aggregate", token=token(other_requester), expect=404)
    assert api.get("/requester/batches", token=token(other_requester))["items"] == []


def test_aggregate_now_and_requester_wide_scores(api, runtime, factory, requester):
    created = api.post("/requester/batches", token=token(requester), json=_body(), expect=201)
    worker = factory.worker()
    _answer_all(runtime, worker, "negative")
    again = api.post(f"/requester/batches/{created['batch_id']}/aggregate", token=token(requester), expect=202)
    assert again["aggregation"]["hits_with_consensus"] == 4
    scores = api.get("/requester/worker-scores", token=token(requester))["items"]
    assert [(s["worker_id"], s["batches"], s["answers"]) for s in scores] == [(worker.actor.public_id, 1, 4)]


def test_workers_cannot_use_batch_endpoints(api, worker):
    api.get("/requester/batches", token=token(worker), expect=403)


LLM_TEXT = ("Certainly! The council has approved the extension of the night bus network. Additionally, it is "
            "important to note that the new routes begin in March. I hope this helps!")


def test_llm_flags_and_the_batch_llm_setting_over_rest(api, runtime, factory, requester):
    body = _body(task_type="free_text", config={"mode": "summarise", "source_field": "text", "min_length": 5},
                 rows=[{"text": "Night buses will reach the northern suburbs in March."}],
                 quality={"llm": {"action": "review"}})
    created = api.post("/requester/batches", token=token(requester), json=body, expect=201)
    assert created["quality"]["llm"] == {"action": "review", "auto_reject": False, "reference_field": "llm_reference"}
    worker = factory.worker()
    (listing,) = workers.available_hits(runtime, worker.actor).items
    taken = assignments.accept(runtime, worker.actor, listing.hit.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"text": LLM_TEXT},
                       {"pastes": 1, "pasted_chars": len(LLM_TEXT)})

    flags = api.get(f"/requester/batches/{created['batch_id']}/flags", token=token(requester),
                    query={"band": ["high", "medium"]})["items"]
    batch = api.get(f"/requester/batches/{created['batch_id']}", token=token(requester))
    assert [(f["assignment_id"], f["band"], f["action"]) for f in flags] == \
        [(taken.public_id, "high", "held for review")]
    assert any("pasted from outside the page" in reason for reason in flags[0]["reasons"])
    assert batch["llm"]["scored"] == 1 and batch["llm"]["flagged"] == 1
    assert batch["llm"]["estimated_share"] == pytest.approx(flags[0]["probability"], abs=1e-3)
    bad = api.get(f"/requester/batches/{created['batch_id']}/flags", token=token(requester),
                  query={"band": "severe"}, expect=400)
    assert "band" in str(bad["error"]["fields"])
    refused = api.put(f"/requester/batches/{created['batch_id']}/quality", token=token(requester),
                      json={"llm": {"action": "delete"}}, expect=400)
    assert "quality.llm.action" in refused["error"]["fields"] or "llm.action" in str(refused["error"]["fields"])


def test_plots_are_svg_documents_of_the_batch(api, runtime, factory, requester):
    created = api.post("/requester/batches", token=token(requester), json=_body(quality={"method": "ds"}),
                       expect=201)
    first, second = factory.worker(), factory.worker()
    _answer_all(runtime, first, "positive")
    _answer_all(runtime, second, "negative")
    path = f"/requester/batches/{created['batch_id']}/plots"
    response = api.client.get(f"/api/v1{path}/workers.svg", headers={"Authorization": f"Bearer {token(requester)}"})
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and first.actor.public_id in svg and "4 answers" in svg
    crowd = api.client.get(f"/api/v1{path}/confusion.svg", headers={"Authorization": f"Bearer {token(requester)}"})
    assert crowd.status_code == 200 and "true label" in crowd.get_data(as_text=True)
    progress = api.client.get(f"/api/v1{path}/progress.svg", headers={"Authorization": f"Bearer {token(requester)}"})
    assert "submitted 8" in progress.get_data(as_text=True)
    missing = api.get(f"{path}/confusion.svg", token=token(requester), query={"worker_id": "NOBODY"}, expect=404)
    assert "no confusion matrix for worker NOBODY" in missing["error"]["message"]
    api.get(f"{path}/workers.svg", token=token(factory.requester()), expect=404)


def test_a_gold_hit_looks_like_any_other_to_the_worker_holding_it(api, runtime, factory, requester):
    runtime.random = lambda: 0.0  # the next accept in the batch hands out gold
    body = _body(quality={"method": "MajorityVote", "gold_share": 0.5}, gold_assignments=9)
    api.post("/requester/batches", token=token(requester), json=body, expect=201)
    worker = factory.worker()
    listed = api.get("/worker/hits", token=token(worker))["items"]
    assert len(listed) == 4  # the gold HIT is never listed
    taken = api.post(f"/worker/hits/{listed[0]['hit_id']}/accept", token=token(worker), expect=201)
    seen = api.get(f"/worker/hits/{taken['hit_id']}", token=token(worker))
    assert taken["hit_id"] not in {h["hit_id"] for h in listed}  # it was the gold one
    assert seen["assignments_available"] == 1 and set(seen) == set(listed[0]) - {"can_preview", "can_accept"} \
        | {"question", "answer_schema", "task"}
    assert set(seen["task"]["item"]) == {"text"}  # the row without its known answer
