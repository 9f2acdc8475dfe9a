"""Hostile request bodies found by fuzzing /api/v1: each is a 400 naming what is wrong, never a 500.

Amounts over the largest amount, JSON nested thousands of levels deep, integers of thousands of digits,
lone surrogates (which no UTF-8 database column can store) and images whose EXIF block is damaged.
"""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from labelhub.services import hits, payments
from tests.api.conftest import token

CREATE_BODY = {"title": "Cats", "description": "Find the cat", "reward": "0.50",
               "assignment_duration_seconds": 600, "question": "<p>cat?</p>", "lifetime_seconds": 3600}
TOO_MUCH = "1000000000.01"  # one cent over the largest amount (labelhub.money.MAX_AMOUNT_MICROS)


def post_raw(api, path, requester, text, expect=400):
    return api.post(path, token=token(requester), data=text, content_type="application/json", expect=expect)


# a) amounts over the largest amount -------------------------------------------------------------------

@pytest.mark.parametrize("reward", [TOO_MUCH, "99999999999999999999"])
def test_hit_reward_over_the_largest_amount_is_400_naming_reward(api, runtime, requester, reward):
    body = api.post("/requester/hits", token=token(requester), json=CREATE_BODY | {"reward": reward},
                    expect=400)

    assert body["error"]["code"] == "invalid_input"
    assert list(body["error"]["fields"]) == ["reward"]
    assert "1000000000.00" in body["error"]["fields"]["reward"]
    assert hits.list_hits(runtime, requester.actor).items == []


def test_hit_reward_of_the_largest_amount_passes_parsing(api, requester):
    body = api.post("/requester/hits", token=token(requester),
                    json=CREATE_BODY | {"reward": "1000000000.00"}, expect=402)  # more than the balance

    assert body["error"]["code"] == "insufficient_funds"


def test_bonus_over_the_largest_amount_is_400_naming_amount(api, runtime, submitted, requester, worker):
    before = payments.balance(runtime, requester.actor)
    body = api.post("/requester/bonuses", token=token(requester), expect=400, json={
        "worker_id": worker.actor.public_id, "assignment_id": submitted.assignment_id, "amount": TOO_MUCH,
        "reason": "great work"})

    assert list(body["error"]["fields"]) == ["amount"]
    assert payments.balance(runtime, requester.actor) == before


# b) JSON nested too deep, integers too long ------------------------------------------------------------

def test_body_nested_thousands_of_levels_is_400_naming_the_body(api, runtime, requester):
    deep = '{"title": ' + "[" * 5000 + "]" * 5000 + "}"

    body = post_raw(api, "/requester/hits", requester, deep)

    assert body["error"]["code"] == "invalid_input"
    assert list(body["error"]["fields"]) == ["body"]
    assert "nested" in body["error"]["fields"]["body"]
    assert hits.list_hits(runtime, requester.actor).items == []


def test_body_nested_deeper_than_the_limit_but_parseable_is_400(api, requester):
    deep = json.dumps(CREATE_BODY | {"question": "x"})[:-1] + ', "answer_schema": ' + "[" * 200 + "]" * 200 + "}"

    body = post_raw(api, "/requester/hits", requester, deep)

    assert list(body["error"]["fields"]) == ["body"]
    assert "nested" in body["error"]["fields"]["body"]


def test_body_integer_of_thousands_of_digits_is_400_naming_the_body(api, runtime, requester):
    text = json.dumps(CREATE_BODY)[:-1] + ', "max_assignments": ' + "9" * 5000 + "}"

    body = post_raw(api, "/requester/hits", requester, text)

    assert list(body["error"]["fields"]) == ["body"]
    assert "digits" in body["error"]["fields"]["body"]
    assert hits.list_hits(runtime, requester.actor).items == []


def test_worker_submit_with_a_deep_answer_is_400(api, accepted, worker):
    text = '{"answer": {"label": ' + "[" * 5000 + "]" * 5000 + "}}"

    body = post_raw(api, f"/worker/assignments/{accepted.assignment_id}/submit", worker, text)

    assert list(body["error"]["fields"]) == ["body"]


# c) lone surrogates ------------------------------------------------------------------------------------

def test_lone_surrogate_in_a_text_field_is_400_naming_it(api, runtime, requester):
    text = json.dumps(CREATE_BODY | {"title": "Cats \ud800"})  # sent as the escape \\ud800, valid JSON

    body = post_raw(api, "/requester/hits", requester, text)

    assert body["error"]["code"] == "invalid_input"
    assert body["error"]["fields"] == {"title": "must be valid Unicode text (it holds a lone surrogate)"}
    assert hits.list_hits(runtime, requester.actor).items == []


def test_lone_surrogate_in_a_nested_field_is_named_by_its_path(api, requester):
    requirement = {"qualification_type_id": "\udfff", "comparator": "Exists"}
    text = json.dumps(CREATE_BODY | {"qualification_requirements": [requirement]})

    body = post_raw(api, "/requester/hits", requester, text)

    assert list(body["error"]["fields"]) == ["qualification_requirements[0].qualification_type_id"]


def test_lone_surrogate_in_a_member_name_is_400(api, requester):
    body = post_raw(api, "/requester/hits", requester, json.dumps(CREATE_BODY | {"\ud800": 1}))

    assert body["error"]["code"] == "invalid_input"
    assert list(body["error"]["fields"]) == ["body"]


def test_lone_surrogate_in_a_worker_answer_is_400(api, accepted, worker):
    text = json.dumps({"answer": {"label": "cat\ud83d"}})

    body = post_raw(api, f"/worker/assignments/{accepted.assignment_id}/submit", worker, text)

    assert list(body["error"]["fields"]) == ["answer.label"]


def test_a_surrogate_pair_is_ordinary_text(api, requester):
    text = json.dumps(CREATE_BODY | {"title": "Cats \U0001F431"})  # sent as \\ud83d\\udc31: one character

    body = post_raw(api, "/requester/hits", requester, text, expect=201)

    assert body["title"] == "Cats \U0001F431"


# d) images with a damaged EXIF block -------------------------------------------------------------------

def with_exif(image_format: str, exif: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, format=image_format, exif=exif)
    return out.getvalue()


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])  # Pillow skips a JPEG's bad EXIF itself
@pytest.mark.parametrize("exif", [b"II*\x00", b"Exif\x00\x00" + b"\xff" * 20, b"hello"])
def test_upload_with_a_damaged_exif_block_is_400_naming_the_image(api, requester, image_format, exif):
    body = api.post("/requester/images", token=token(requester), data=with_exif(image_format, exif),
                    content_type=f"image/{image_format.lower()}", expect=400)

    assert body["error"]["code"] == "invalid_input"
    assert body["error"]["fields"]["image"].startswith("is not a valid image")
