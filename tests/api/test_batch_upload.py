"""A batch from an uploaded file over REST (multipart: the rows as CSV or JSON Lines, the settings as
JSON): the same batch as POST /requester/batches would make, and each refusal naming its field."""

from __future__ import annotations

import io
import json

import pytest

from labelhub.services import hits
from tests.api.conftest import token

SETTINGS = {"name": "Tone", "task_type": "text_classification",
            "config": {"labels": ["positive", "negative"], "text_field": "text"}, "lifetime_seconds": 86_400,
            "title": "Tone of a sentence", "description": "Positive or negative?", "reward": "0.05",
            "assignment_duration_seconds": 600, "quality": {"method": "MajorityVote", "gold_share": 0}}
CSV = ('\ufefftext,source,_gold\r\nI loved it,review,\r\n"Never,\r\nagain",email,\r\n'
       'Best day,chat,"{""label"": ""positive""}"\r\n')


def upload(api, requester, data: bytes, name: str, *, settings=SETTINGS, expect=201, **fields):
    form = {"file": (io.BytesIO(data), name), "settings": json.dumps(settings)} | fields
    return api.post("/requester/batch-files", token=token(requester), data=form,
                    content_type="multipart/form-data", expect=expect)


def test_a_csv_file_makes_the_batch_its_rows_and_gold(api, runtime, requester):
    created = upload(api, requester, CSV.encode(), "tone.csv")

    assert (created["hits"], created["gold_hits"]) == (2, 1)
    listed = hits.list_hits(runtime, requester.actor).items
    assert sorted(h.data["text"] for h in listed) == ["Best day", "I loved it", "Never,\r\nagain"]
    assert {h.max_assignments for h in listed if not h.is_gold} == {3}


def test_a_json_lines_file_keeps_its_values(api, runtime, requester):
    lines = b'{"text": "one", "n": 1}\n{"text": "two", "n": 2}\n'
    created = upload(api, requester, lines, "rows.txt", format="jsonl")
    assert created["hits"] == 2
    assert sorted(h.data["n"] for h in hits.list_hits(runtime, requester.actor).items) == [1, 2]


@pytest.mark.parametrize(("data", "name", "batch_settings", "fields"), [
    (b"text\ncaf\xe9\n", "rows.csv", SETTINGS,
     {"file": "line 2 is not UTF-8 text (byte 0xe9); save the file as UTF-8"}),
    (b"body\nno text column\n", "rows.csv", SETTINGS, {"rows[1]": "has no value for text"}),
    (b"text\n \n\r\n  \n", "rows.csv", SETTINGS, {"file": "has no rows"}),
    (b"text,extra\nfine\n", "rows.csv", SETTINGS, {"rows[1]": "has 1 values for 2 columns (line 2)"}),
    (b"text\nfine\n", "rows.xlsx", SETTINGS, None),
    (b"text\nfine\n", "rows.csv", {k: v for k, v in SETTINGS.items() if k != "name"}, {"name": "is required"}),
    (b"text\nfine\n", "rows.csv", SETTINGS | {"rows": [{"text": "x"}]}, {"rows": "is not a known field"}),
])
def test_bad_files_and_settings_are_refused_naming_the_field(api, runtime, requester, data, name, batch_settings,
                                                              fields):
    refused = upload(api, requester, data, name, settings=batch_settings, expect=400)
    if fields is None:
        assert "format" in refused["error"]["fields"]
    else:
        assert refused["error"]["fields"] == fields
    assert hits.list_hits(runtime, requester.actor).items == []


def test_an_empty_item_column_is_refused_before_any_money_is_held(api, runtime, requester):
    image_settings = SETTINGS | {"task_type": "image_classification",
                                 "config": {"labels": ["cat", "dog"], "image_field": "image_url"}}
    refused = upload(api, requester, b"image_url,note\nhttps://img.example/1.png,a\n,b\n", "rows.csv",
                     settings=image_settings, expect=400)
    assert refused["error"]["fields"] == {"rows[2].image_url": "is empty: every row needs its image_url"}
    assert hits.list_hits(runtime, requester.actor).items == []


def test_the_upload_needs_a_multipart_form_with_a_file(api, requester):
    refused = api.post("/requester/batch-files", token=token(requester), json=SETTINGS, expect=400)
    assert "content_type" in refused["error"]["fields"]
    missing = api.post("/requester/batch-files", token=token(requester), content_type="multipart/form-data",
                       data={"settings": json.dumps(SETTINGS)}, expect=400)
    assert missing["error"]["fields"] == {"file": "send the rows in a multipart field named file"}
    no_settings = api.post("/requester/batch-files", token=token(requester), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"text\nfine\n"), "rows.csv")}, expect=400)
    assert no_settings["error"]["fields"] == {
        "settings": "send the batch's settings as JSON in a multipart field named settings"}
