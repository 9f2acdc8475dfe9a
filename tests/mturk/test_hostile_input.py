"""Hostile MTurk API requests found by fuzzing: each is a RequestError (400) naming the parameter, never a
ServiceFault (500), which boto3 would retry.

Lone surrogates (valid JSON escapes that no UTF-8 database column can store), JSON nested thousands of
levels deep, integers of thousands of digits and amounts over the largest amount.
"""

from __future__ import annotations

import json

import pytest

from labelhub.services import hits
from tests.mturk.conftest import hit_params


def refused(response) -> str:
    """The message of a RequestError for a bad parameter."""
    assert response.status == 400, response.body
    assert (response.body["__type"].rpartition("#")[2], response.body.get("TurkErrorCode")) == \
        ("RequestError", "AWS.ParameterOutOfRange"), response.body
    return response.body["Message"]


# lone surrogates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    ({"Title": "Cats \ud800"}, "Title:"),
    ({"Keywords": "\udfff"}, "Keywords:"),
    ({"RequesterAnnotation": "batch \udc00 7"}, "RequesterAnnotation:"),
    ({"QualificationRequirements": [{"QualificationTypeId": "\ud800", "Comparator": "Exists"}]},
     "QualificationRequirements[0].QualificationTypeId:"),
])
def test_lone_surrogate_in_a_parameter_is_a_request_error_naming_it(factory, runtime, raw_post, change, field):
    requester = factory.requester(deposit="100.00")

    message = refused(raw_post(requester, "CreateHIT", hit_params(**change)))

    assert field in message
    assert "surrogate" in message
    assert hits.list_hits(runtime, requester.actor).items == []


def test_lone_surrogate_in_a_member_name_is_a_request_error(factory, raw_post):
    message = refused(raw_post(factory.requester(), "CreateHIT", hit_params() | {"\ud800": "x"}))

    assert "surrogate" in message


def test_lone_surrogate_in_a_worker_block_reason_is_a_request_error(factory, raw_post):
    body = {"WorkerId": "A1234567890123", "Reason": "spam \ud800"}

    assert "Reason:" in refused(raw_post(factory.requester(), "CreateWorkerBlock", body))


def test_a_surrogate_pair_is_ordinary_text(factory, raw_post):
    response = raw_post(factory.requester(deposit="100.00"), "CreateHIT", hit_params(Title="Cats \U0001F431"))

    assert response.status == 200, response.body
    assert response.body["HIT"]["Title"] == "Cats \U0001F431"


# deep nesting and long integers ------------------------------------------------------------------------

def test_body_nested_thousands_of_levels_is_a_request_error(factory, raw_post):
    body = b'{"Title": ' + b"[" * 5000 + b"]" * 5000 + b"}"

    assert "nested" in refused(raw_post(factory.requester(), "CreateHIT", body))


def test_body_nested_deeper_than_the_limit_but_parseable_is_a_request_error(factory, raw_post):
    body = json.dumps(hit_params())[:-1].encode() + b', "Extra": ' + b"[" * 200 + b"]" * 200 + b"}"

    assert "nested" in refused(raw_post(factory.requester(), "CreateHIT", body))


def test_integer_of_thousands_of_digits_is_a_request_error(factory, raw_post):
    body = json.dumps(hit_params())[:-1].encode() + b', "MaxAssignments": ' + b"9" * 5000 + b"}"

    assert "digits" in refused(raw_post(factory.requester(), "CreateHIT", body))


# amounts -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reward", ["1000000000.01", "9" * 1_000_000])
def test_reward_over_the_largest_amount_is_a_request_error_naming_it(factory, raw_post, reward):
    message = refused(raw_post(factory.requester(), "CreateHIT", hit_params(Reward=reward)))

    assert "Reward:" in message
    assert "1000000000.00" in message
    assert len(message) < 500  # a huge amount is not echoed back whole
