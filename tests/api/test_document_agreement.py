"""Requests the OpenAPI document allows are the ones the server takes (what Schemathesis found, issue 11):
cursors follow a documented pattern, number query parameters are read as numbers, 1.0 is an integer,
empty required texts and out-of-range integers are refused by the schema that documents them, the
image upload's body is documented, and a request without a token is 401 whatever else is wrong."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelhub.api import schemas
from labelhub.services import qualifications
from labelhub.services.commands import QualificationTypeSpec
from labelhub.services.common import decode_cursor, encode_cursor
from tests.api.conftest import token

CURSOR = re.compile(schemas.CURSOR_PATTERN)
INT4_MAX = 2**31 - 1
BATCH = {"name": "Tone", "task_type": "text_classification",
         "config": {"labels": ["positive", "negative"], "text_field": "text"},
         "rows": [{"text": "good"}, {"text": "bad"}], "lifetime_seconds": 86_400, "title": "Tone",
         "description": "Positive or negative?", "reward": "0.05", "assignment_duration_seconds": 600}


@pytest.mark.parametrize("last_id", [0, 1, 9, 10, 99, 100, 12_345, 999_999, 123_456_789, 999_999_999])
def test_cursor_pattern_admits_every_cursor_the_server_issues(last_id):
    assert CURSOR.match(encode_cursor(last_id))


def test_cursor_pattern_admits_an_empty_cursor_and_no_id_past_nine_digits():
    assert CURSOR.match("")
    assert not CURSOR.match(encode_cursor(1_000_000_000))
    assert not CURSOR.match(encode_cursor(1) + "=")


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.from_regex(schemas.CURSOR_PATTERN, fullmatch=True))
def test_cursor_pattern_admits_only_cursors_that_decode_within_the_id_columns(cursor):
    assert 0 <= decode_cursor(cursor) <= INT4_MAX


def test_cursor_with_an_id_past_the_id_columns_is_400_not_a_database_error(api, requester):
    body = api.get("/requester/hits", token=token(requester), query={"cursor": encode_cursor(99_453_487_917_655_300)},
                   expect=400)
    assert body["error"]["fields"] == {"cursor": "is not a cursor this server issued"}


@pytest.mark.parametrize(("path", "query"), [
    ("consensus", {"below": "0.5"}),
    ("flags", {"min_probability": "0.25"}),
    ("flags", {"min_probability": "1"}),
])
def test_number_query_parameters_are_read_as_numbers(api, requester, path, query):
    batch = api.post("/requester/batches", token=token(requester), json=BATCH, expect=201)
    body = api.get(f"/requester/batches/{batch['batch_id']}/{path}", token=token(requester), query=query)
    assert body["items"] == []


@pytest.mark.parametrize("text", ["nan", "inf", "1e999", "0x10", " 1"])
def test_number_query_parameter_that_is_not_a_finite_json_number_is_400(api, requester, text):
    batch = api.post("/requester/batches", token=token(requester), json=BATCH, expect=201)
    body = api.get(f"/requester/batches/{batch['batch_id']}/consensus", token=token(requester),
                   query={"below": text}, expect=400)
    assert body["error"]["fields"] == {"below": "must be a number"}


def test_a_whole_float_is_an_integer_in_a_body(api, runtime, requester, worker):
    qtype = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(name="Q", description="d"))
    granted = api.put(f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}",
                      token=token(requester), json={"value": -18235.0})
    created = api.post("/requester/hits", token=token(requester), expect=201, json={
        "title": "Cats", "description": "Find the cat", "reward": "0.50", "assignment_duration_seconds": 600.0,
        "question": "<p>cat?</p>", "lifetime_seconds": 3600.0, "max_assignments": 2.0,
        "qualification_requirements": [{"qualification_type_id": qtype.public_id, "comparator": "In",
                                        "integer_values": [1.0, 2]}]})
    assert granted["integer_value"] == -18235
    assert (created["max_assignments"], created["qualification_requirements"][0]["integer_values"]) == (2, [1, 2])


def test_a_fractional_float_is_not_an_integer(api, runtime, requester, worker):
    qtype = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(name="Q", description="d"))
    body = api.put(f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}",
                   token=token(requester), json={"value": 1.5}, expect=400)
    assert body["error"]["fields"] == {"value": "must be an integer"}


@pytest.mark.parametrize(("path", "payload", "fields"), [
    ("/requester/bonuses", {"worker_id": "A1", "assignment_id": "X", "amount": "0.00", "reason": "r"},
     {"amount": "must be a positive amount such as 0.50 (at most two decimals)"}),
    ("/requester/messages", {"subject": "Hi", "message": "", "worker_ids": ["A1"]}, {"message": "is required"}),
    ("/requester/messages", {"subject": "Hi\x00", "message": "m", "worker_ids": ["A1"]},
     {"subject": "must not contain NUL characters"}),
    ("/requester/qualification-types", {"name": "Q", "description": "d", "test": " \n "},
     {"test": "must not be blank or contain NUL characters",
      "test_duration_seconds": "is required when test is given"}),
    ("/requester/qualification-types", {"name": "Q", "description": "d", "test": "<p>q</p>",
                                        "test_duration_seconds": 60, "auto_granted": True},
     {"auto_granted": "a type with a test cannot also be auto-granted"}),
    ("/requester/batches", BATCH | {"task_type": "sentiment"},
     {"task_type": "must be one of: bounding_boxes, free_text, image_classification, pairwise, survey, "
                   "text_classification, text_spans"}),
])
def test_rules_the_document_states_are_the_ones_that_refuse(api, requester, path, payload, fields):
    body = api.post(path, token=token(requester), json=payload, expect=400)
    assert body["error"]["fields"] == fields


def test_requirement_value_rules_are_in_the_document(api, requester):
    rules = api.doc["paths"]["/requester/hits"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    requirement = rules["properties"]["qualification_requirements"]["items"]
    body = api.post("/requester/hits", token=token(requester), expect=400, json={
        "title": "Cats", "description": "Find the cat", "reward": "0.50", "assignment_duration_seconds": 600,
        "question": "<p>cat?</p>", "lifetime_seconds": 3600, "qualification_requirements": [
            {"qualification_type_id": "00000000000000000071", "comparator": "In", "integer_values": [1]}]})
    assert requirement["allOf"] == schemas.REQUIREMENT_RULES
    assert body["error"]["fields"] == {
        "qualification_requirements[0]": "takes locale_values, not integer_values (the Worker_Locale qualification)"}


def test_image_upload_body_is_documented(api):
    upload = api.doc["paths"]["/requester/images"]["post"]["requestBody"]
    assert upload["required"] is True
    assert set(upload["content"]) == {"image/gif", "image/jpeg", "image/png", "image/webp", "multipart/form-data"}


def test_a_request_without_a_token_is_401_before_its_marketplace_is_read(api):
    body = api.post("/requester/qualification-types", query={"marketplace": "AAA"}, json={}, expect=401)
    assert body["error"]["code"] == "unauthenticated"
