"""Bonuses and the balance: success, bad input naming the field, and another requester's work refused."""

from __future__ import annotations

import pytest

from labelhub.money import parse_amount
from labelhub.services import payments
from tests.api.conftest import token


def bonus_body(work, worker, **change):
    return {"worker_id": worker.actor.public_id, "assignment_id": work.assignment_id, "amount": "1.00",
            "reason": "Great boxes"} | change


def available(runtime, handle):
    return payments.balance(runtime, handle.actor).available_micros


# POST /requester/bonuses -----------------------------------------------------------------------------------

def test_send_bonus_pays_bonus_and_fee(api, runtime, submitted, requester, worker):
    before = available(runtime, requester)
    body = api.post("/requester/bonuses", token=token(requester), json=bonus_body(submitted, worker),
                    expect=201)
    assert (body["amount"], body["fee"], body["worker_id"], body["assignment_id"], body["reason"]) == (
        "1.00", "0.20", worker.actor.public_id, submitted.assignment_id, "Great boxes")
    assert before - available(runtime, requester) == parse_amount("1.20")
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("1.00")


def test_send_bonus_replayed_token_pays_once(api, runtime, submitted, requester, worker):
    payload = bonus_body(submitted, worker, unique_request_token="bonus-1")
    first = api.post("/requester/bonuses", token=token(requester), json=payload, expect=201)
    again = api.post("/requester/bonuses", token=token(requester), json=payload, expect=200)
    assert again["bonus_id"] == first["bonus_id"]
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("1.00")
    listed = payments.list_bonuses(runtime, requester.actor, assignment_id=submitted.assignment_id).items
    assert len(listed) == 1


@pytest.mark.parametrize(("change", "fields"), [
    ({"amount": "-1.00"}, {"amount": "must be a positive amount such as 0.50 (at most two decimals)"}),
    ({"amount": "1.234"}, {"amount": "must be a positive amount such as 0.50 (at most two decimals)"}),
    ({"reason": ""}, {"reason": "is required"}),
    ({"worker_id": 7}, {"worker_id": "must be a string"}),
])
def test_send_bonus_bad_input_is_400_and_pays_nothing(api, runtime, submitted, requester, worker, change,
                                                      fields):
    before = available(runtime, requester)
    body = api.post("/requester/bonuses", token=token(requester),
                    json=bonus_body(submitted, worker, **change), expect=400)
    assert body["error"]["fields"] == fields
    assert available(runtime, requester) == before


def test_send_bonus_of_zero_is_400_naming_the_amount(api, runtime, submitted, requester, worker):
    body = api.post("/requester/bonuses", token=token(requester),
                    json=bonus_body(submitted, worker, amount="0.00"), expect=400)
    assert list(body["error"]["fields"]) == ["amount"]
    assert body["error"]["fields"]["amount"].startswith("must be a positive amount")


def test_send_bonus_missing_fields_are_named(api, requester):
    body = api.post("/requester/bonuses", token=token(requester), json={"amount": "1.00"}, expect=400)
    assert body["error"]["fields"] == dict.fromkeys(["worker_id", "assignment_id", "reason"], "is required")


def test_send_bonus_to_a_worker_who_did_not_do_the_assignment_is_400(api, runtime, submitted, requester,
                                                                     other_worker):
    body = api.post("/requester/bonuses", token=token(requester), json=bonus_body(submitted, other_worker),
                    expect=400)
    assert set(body["error"]["fields"]) == {"worker_id"}
    assert payments.worker_earnings(runtime, other_worker.actor).approved_micros == 0


def test_send_bonus_for_another_requesters_assignment_is_404_and_pays_nothing(api, runtime, submitted, worker,
                                                                              other_requester):
    api.post("/requester/bonuses", token=token(other_requester), json=bonus_body(submitted, worker),
             expect=404)
    assert available(runtime, other_requester) == parse_amount("100.00")
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == 0


def test_send_bonus_beyond_the_balance_is_402(api, runtime, submitted, requester, worker):
    before = available(runtime, requester)
    body = api.post("/requester/bonuses", token=token(requester),
                    json=bonus_body(submitted, worker, amount="500"), expect=402)
    assert body["error"]["code"] == "insufficient_funds"
    assert available(runtime, requester) == before


# GET /requester/bonuses ------------------------------------------------------------------------------------

def test_list_bonuses_by_hit_and_by_assignment(api, runtime, submitted, requester, worker):
    sent = api.post("/requester/bonuses", token=token(requester), json=bonus_body(submitted, worker),
                    expect=201)
    for query in ({"hit_id": submitted.hit_id}, {"assignment_id": submitted.assignment_id}):
        body = api.get("/requester/bonuses", token=token(requester), query=query)
        assert [b["bonus_id"] for b in body["items"]] == [sent["bonus_id"]]
        assert body["items"][0]["worker_id"] == worker.actor.public_id


@pytest.mark.parametrize("query", [{}, {"hit_id": "H", "assignment_id": "A"}])
def test_list_bonuses_needs_exactly_one_filter(api, requester, query):
    fields = api.get("/requester/bonuses", token=token(requester), query=query, expect=400)["error"]["fields"]
    assert list(fields) == ["hit_id"]
    assert fields["hit_id"].startswith("give either")


def test_list_bonuses_bad_limit_is_400(api, requester):
    body = api.get("/requester/bonuses", token=token(requester), query={"hit_id": "H", "limit": "0"},
                   expect=400)
    assert body["error"]["fields"] == {"limit": "must be at least 1"}


def test_list_bonuses_never_shows_another_requesters(api, submitted, requester, other_requester, worker):
    api.post("/requester/bonuses", token=token(requester), json=bonus_body(submitted, worker), expect=201)
    body = api.get("/requester/bonuses", token=token(other_requester), query={"hit_id": submitted.hit_id})
    assert body["items"] == []


# GET /requester/balance ------------------------------------------------------------------------------------

def test_balance_shows_available_and_held_funds(api, factory, requester):
    factory.hit(requester.actor, max_assignments=3)
    assert api.get("/requester/balance", token=token(requester)) == {"available": "98.20", "on_hold": "1.80",
                                                                      "currency": "USD"}


def test_balance_in_the_sandbox_is_play_money(api, requester):
    body = api.get("/requester/balance", token=token(requester), query={"marketplace": "sandbox"})
    assert body == {"available": "10000.00", "on_hold": "0.00", "currency": "USD"}


def test_balance_bad_query_is_400(api, requester):
    body = api.get("/requester/balance", token=token(requester), query={"currency": "EUR"}, expect=400)
    assert body["error"]["fields"] == {"currency": "is not a known field"}


def test_balance_is_not_touched_by_another_requesters_work(api, factory, requester, other_requester):
    factory.hit(other_requester.actor, max_assignments=3)
    assert api.get("/requester/balance", token=token(requester))["available"] == "100.00"
