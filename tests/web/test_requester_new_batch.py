"""The requester's new-batch wizard end to end through the test client: upload, configure, preview, cost,
publish, copy. The requester is signed in by writing the session as requester_session.start_session does."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

from labelhub.models import Batch, Marketplace
from labelhub.runtime import Runtime
from labelhub.services import batch_drafts, payments
from labelhub.services.actors import Actor
from tests.factories import Factory, RequesterHandle

TOKEN = "test-csrf-token"
REVIEWS = ("text,_gold\r\n"
           "Great battery,\r\n"
           "Broke in a week,\r\n"
           "Works as described,\"{\"\"label\"\": \"\"positive\"\"}\"\r\n")


def sign_in(client: FlaskClient, requester: RequesterHandle, marketplace: Marketplace = Marketplace.SANDBOX) -> None:
    with client.session_transaction() as session:
        session.update({"requester": {"id": requester.actor.id, "public_id": requester.actor.public_id,
                                      "name": "Acme Research"},
                        "marketplace": marketplace.value, "csrf_token": TOKEN})


@pytest.fixture
def requester(factory: Factory, client: FlaskClient) -> RequesterHandle:
    handle = factory.requester()
    sign_in(client, handle)
    return handle


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def upload(client: FlaskClient, data: bytes, filename: str) -> TestResponse:
    return client.post("/requester/batches/new", data={"csrf_token": TOKEN, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def draft_id_of(response: TestResponse) -> str:
    assert response.status_code == 303, text_of(response)
    found = re.search(r"/requester/batches/drafts/([A-Za-z0-9_-]+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


def settings_form(**overrides: Any) -> dict[str, Any]:
    values = {"csrf_token": TOKEN, "task_type": "text_classification", "config.labels": "positive\nnegative",
              "config.instructions": "What is the tone?", "config.text_field": "text", "name": "Reviews",
              "title": "Tone of a review", "description": "Read a review and pick its tone.", "keywords": "text",
              "reward": "0.10", "expected_seconds": "36", "duration_minutes": "10", "lifetime_hours": "48",
              "auto_approval_hours": "72", "assignments_mode": "fixed", "max_assignments": "2",
              "gold_assignments": "10", "llm_action": "none", "next": "stay"}
    return values | overrides


@pytest.fixture
def configured(client: FlaskClient, requester: RequesterHandle) -> Callable[..., str]:
    """A draft of the three reviews, saved with settings_form(**overrides)."""

    def make(**overrides: Any) -> str:
        draft_id = draft_id_of(upload(client, REVIEWS.encode(), "reviews.csv"))
        response = client.post(f"/requester/batches/drafts/{draft_id}", data=settings_form(**overrides))
        assert response.status_code == 303, text_of(response)
        return draft_id

    return make


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(out, format="PNG")
    return out.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


# ---- upload ------------------------------------------------------------------------------------------

def test_new_batch_page_offers_the_upload_form(client: FlaskClient, requester: RequesterHandle) -> None:
    page = text_of(client.get("/requester/batches/new"))
    assert 'enctype="multipart/form-data"' in page and 'name="file"' in page and TOKEN in page


def test_upload_csv_with_bom_and_crlf_shows_its_columns_and_rows(client: FlaskClient, requester: RequesterHandle,
                                                                 runtime: Runtime) -> None:
    draft_id = draft_id_of(upload(client, b"\xef\xbb\xbf" + REVIEWS.encode(), "reviews.csv"))
    draft = batch_drafts.load_draft(runtime, requester.actor, draft_id)
    assert draft.columns == ["text"]
    assert draft.rows[0] == {"text": "Great battery"}
    assert draft.rows[2]["_gold"] == {"label": "positive"}
    page = text_of(client.get(f"/requester/batches/drafts/{draft_id}"))
    assert "<code>text</code>" in page and "Broke in a week" in page and "1 of them gold" in page


def test_upload_jsonl(client: FlaskClient, requester: RequesterHandle, runtime: Runtime) -> None:
    lines = '{"text": "one", "source": "web"}\r\n\r\n{"text": "two", "source": "app"}\r\n'
    draft_id = draft_id_of(upload(client, lines.encode(), "rows.jsonl"))
    assert batch_drafts.load_draft(runtime, requester.actor, draft_id).columns == ["text", "source"]


@pytest.mark.parametrize(("data", "filename", "named"), [
    (b"text,label\nfine,a\ntoo,many,values\n", "rows.csv", "rows[2]"),
    (b'{"text": "fine"}\n{"text": broken}\n', "rows.jsonl", "rows[2]"),
    (b"text\nfine\ncaf\xe9\n", "rows.csv", "line 3 is not UTF-8"),
    (b"text\nfine\n", "rows.txt", "format"),
])
def test_upload_of_a_bad_file_names_where_and_keeps_the_form(client: FlaskClient, requester: RequesterHandle,
                                                             data: bytes, filename: str, named: str) -> None:
    response = upload(client, data, filename)
    assert response.status_code == 422
    assert named in text_of(response) and 'name="file"' in text_of(response)


def test_upload_zip_of_images_makes_one_row_per_stored_image(client: FlaskClient, requester: RequesterHandle,
                                                             runtime: Runtime) -> None:
    archive = zipped({"b.png": png("blue"), "a.png": png("red"), "__MACOSX/._a.png": b"junk", "dir/.DS_Store": b"x"})
    draft_id = draft_id_of(upload(client, archive, "photos.zip"))
    draft = batch_drafts.load_draft(runtime, requester.actor, draft_id)
    assert [row["file_name"] for row in draft.rows] == ["a.png", "b.png"]
    assert draft.settings["task_type"] == "image_classification"
    image = client.get(draft.rows[0]["image_url"])
    assert image.status_code == 200 and image.mimetype == "image/png"


def test_upload_zip_with_a_corrupt_image_names_the_file(client: FlaskClient, requester: RequesterHandle) -> None:
    response = upload(client, zipped({"a.png": png(), "bad.png": png()[:40]}), "photos.zip")
    assert response.status_code == 422
    assert "rows[2].image_url" in text_of(response) and "bad.png" in text_of(response)


@pytest.mark.parametrize(("limit", "value", "files", "problem"), [
    ("MAX_ZIP_MEMBERS", 2, {"a.png": b"", "b.png": b"", "c.png": b""}, "the zip holds 3 files; the limit is 2"),
    ("MAX_ZIP_BYTES", 1000, {"zeros.png": bytes(5000)}, "5,000 bytes uncompressed; the limit is 1,000"),
])
def test_upload_zip_bomb_limits_refuse_before_decompressing(client: FlaskClient, requester: RequesterHandle,
                                                            monkeypatch: pytest.MonkeyPatch, limit: str, value: int,
                                                            files: dict[str, bytes], problem: str) -> None:
    monkeypatch.setattr(batch_drafts, limit, value)
    response = upload(client, zipped(files), "bomb.zip")
    assert response.status_code == 422 and problem in text_of(response)


# ---- configure -----------------------------------------------------------------------------------------

def test_configure_round_trip_text_classification(client: FlaskClient, configured: Callable[..., str],
                                                   runtime: Runtime, requester: RequesterHandle) -> None:
    draft_id = configured(**{"config.multi_label": "1", "req_locale": "US, GB-ENG", "req_percent_approved": "95",
                             "req_masters": "1", "llm_action": "review", "llm_auto_reject": "1"})
    settings = batch_drafts.load_draft(runtime, requester.actor, draft_id).settings
    assert settings["config"] == {"labels": ["positive", "negative"], "instructions": "What is the tone?",
                                  "text_field": "text", "multi_label": True, "ordinal": False}
    assert settings["reward"] == "0.10" and settings["assignment_duration_seconds"] == 600
    assert settings["lifetime_seconds"] == 48 * 3600 and settings["auto_approval_delay_seconds"] == 72 * 3600
    assert {"qualification_type_id": "00000000000000000071", "comparator": "In",
            "locale_values": [{"country": "US"}, {"country": "GB", "subdivision": "ENG"}]} \
        in settings["qualification_requirements"]
    assert settings["quality"]["llm"] == {"action": "review", "auto_reject": True, "reference_field": "llm_reference"}
    page = text_of(client.get(f"/requester/batches/drafts/{draft_id}"))
    assert ">positive\nnegative</textarea>" in page
    assert 'name="config.multi_label" value="1" checked' in page
    assert 'value="US, GB-ENG"' in page and 'value="95"' in page and 'name="req_masters" value="1" checked' in page
    assert '<option value="review" selected>' in page
    assert 'name="duration_minutes" type="text" value="10"' in page
    assert 'name="lifetime_hours" type="text" value="48"' in page


def test_configure_round_trip_bounding_boxes(client: FlaskClient, requester: RequesterHandle,
                                             runtime: Runtime) -> None:
    rows = "image_url,w,h\r\nhttps://example.org/1.png,640,480\r\nhttps://example.org/2.png,800,600\r\n"
    draft_id = draft_id_of(upload(client, rows.encode(), "boxes.csv"))
    assert 'value="bounding_boxes"' in text_of(client.get(f"/requester/batches/drafts/{draft_id}"))
    form = settings_form(**{"task_type": "bounding_boxes", "config.labels": "car\nbike\n\n", "config.text_field": "",
                            "config.image_field": "image_url", "config.width_field": "w", "config.height_field": "h",
                            "config.max_boxes": "5", "assignments_mode": "dynamic", "overlap_min": "2",
                            "overlap_max": "4", "overlap_target": "0.9"})
    assert client.post(f"/requester/batches/drafts/{draft_id}", data=form).status_code == 303
    settings = batch_drafts.load_draft(runtime, requester.actor, draft_id).settings
    assert settings["config"] == {"labels": ["car", "bike"], "instructions": "What is the tone?",
                                  "image_field": "image_url", "width_field": "w", "height_field": "h", "max_boxes": 5}
    assert settings["quality"]["overlap"] == {"min_assignments": 2, "max_assignments": 4, "confidence_target": 0.9}
    assert settings["max_assignments"] is None
    page = text_of(client.get(f"/requester/batches/drafts/{draft_id}?task_type=bounding_boxes"))
    assert '<option value="w" selected>' in page and 'value="dynamic" checked' in page


def test_configure_errors_name_the_field_and_keep_the_values(client: FlaskClient,
                                                             configured: Callable[..., str]) -> None:
    draft_id = configured()
    form = settings_form(**{"config.labels": "only-one", "reward": "ten cents", "title": "Kept title"})
    response = client.post(f"/requester/batches/drafts/{draft_id}", data=form)
    assert response.status_code == 422
    assert "reward" in text_of(response) and 'value="Kept title"' in text_of(response)
    assert ">only-one</textarea>" in text_of(response)
    response = client.post(f"/requester/batches/drafts/{draft_id}", data=settings_form(**{"config.labels": "one"}))
    assert response.status_code == 422 and "template_config.labels" in text_of(response)


def test_configure_refuses_an_empty_image_url_naming_row_and_column(client: FlaskClient,
                                                                    requester: RequesterHandle) -> None:
    draft_id = draft_id_of(upload(client, b"image_url,note\r\nhttps://example.org/1.png,a\r\n,b\r\n", "i.csv"))
    form = settings_form(**{"task_type": "image_classification", "config.image_field": "image_url",
                            "config.text_field": ""})
    response = client.post(f"/requester/batches/drafts/{draft_id}", data=form)
    assert response.status_code == 422 and "rows[2].image_url" in text_of(response)


def test_configure_refuses_a_template_column_the_file_lacks(client: FlaskClient,
                                                            configured: Callable[..., str]) -> None:
    draft_id = configured()
    response = client.post(f"/requester/batches/drafts/{draft_id}",
                           data=settings_form(question_template="<p>${text} from ${shop}</p>"))
    assert response.status_code == 422 and "rows[1]" in text_of(response) and "shop" in text_of(response)


# ---- preview, cost, publish ----------------------------------------------------------------------------

def test_preview_shows_the_annotator_in_a_sandboxed_frame(client: FlaskClient, configured: Callable[..., str]) -> None:
    draft_id = configured()
    page = text_of(client.get(f"/requester/batches/drafts/{draft_id}/preview?row=2"))
    assert re.search(r'<iframe[^>]*sandbox="allow-scripts"', page)
    assert "allow-same-origin" not in page
    frame = client.get(f"/requester/batches/drafts/{draft_id}/preview/2/frame")
    assert frame.status_code == 200
    assert frame.headers["Content-Security-Policy"].startswith("sandbox allow-scripts;")
    body = text_of(frame)
    assert 'data-annotator="text_classification"' in body and "Broke in a week" in body
    assert "csrf_token" not in body and "_gold" not in body
    script = re.search(r'<script type="module" src="([^"]+)"', body)
    assert script and client.get(script.group(1)).headers["Access-Control-Allow-Origin"] == "*"


def test_cost_counts_rewards_fees_gold_and_the_hourly_wage(client: FlaskClient, configured: Callable[..., str]) -> None:
    draft_id = configured()
    page = text_of(client.get(f"/requester/batches/drafts/{draft_id}/cost?marketplace=sandbox"))
    # 2 ordinary HITs x 2 assignments x (0.10 + 20% fee); 1 gold HIT x 10 assignments x (0.10 + 40% fee)
    assert '<td id="cost-rewards">$0.40</td>' in page
    assert '<td id="cost-fees">$0.08</td>' in page
    assert "$1.40</td>" in page
    assert '<td id="cost-total">$1.88</td>' in page
    assert "$10.00 an hour at 36 seconds" in page
    assert "not-enough" not in page


def test_publish_to_sandbox_creates_the_batch_and_holds_its_cost(client: FlaskClient, configured: Callable[..., str],
                                                                 runtime: Runtime, requester: RequesterHandle) -> None:
    draft_id = configured()
    response = client.post(f"/requester/batches/drafts/{draft_id}/publish",
                           data={"csrf_token": TOKEN, "marketplace": "sandbox"})
    assert response.status_code == 303
    batch_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    sandbox = requester.actor.in_marketplace(Marketplace.SANDBOX)
    assert payments.balance(runtime, sandbox).on_hold_micros == 1_880_000
    assert payments.balance(runtime, requester.actor).on_hold_micros == 0
    with runtime.sessions() as db:
        batch = db.query(Batch).filter_by(public_id=batch_id).one()
        assert (batch.marketplace, batch.name, batch.template_kind) == (Marketplace.SANDBOX, "Reviews",
                                                                         "text_classification")
    with pytest.raises(Exception, match="does not exist"):
        batch_drafts.load_draft(runtime, requester.actor, draft_id)


def test_publish_without_enough_funds_says_so(client: FlaskClient, factory: Factory, runtime: Runtime) -> None:
    poor = factory.requester(deposit="1.00")
    sign_in(client, poor, Marketplace.PRODUCTION)
    draft_id = draft_id_of(upload(client, REVIEWS.encode(), "reviews.csv"))
    assert client.post(f"/requester/batches/drafts/{draft_id}", data=settings_form()).status_code == 303
    cost = text_of(client.get(f"/requester/batches/drafts/{draft_id}/cost"))
    assert "not enough: $0.88 short" in cost
    response = client.post(f"/requester/batches/drafts/{draft_id}/publish",
                           data={"csrf_token": TOKEN, "marketplace": "production"})
    assert response.status_code == 402 and "Insufficient funds" in text_of(response)
    assert payments.balance(runtime, poor.actor).on_hold_micros == 0


def test_publish_refused_by_the_batch_service_shows_why_on_the_cost_page(client: FlaskClient,
                                                                        configured: Callable[..., str]) -> None:
    draft_id = configured(req_type_1="NOSUCHTYPE", req_comparator_1="Exists")
    response = client.post(f"/requester/batches/drafts/{draft_id}/publish",
                           data={"csrf_token": TOKEN, "marketplace": "sandbox"})
    assert response.status_code == 422
    assert "QualificationType NOSUCHTYPE does not exist" in text_of(response) and 'id="cost-total"' in text_of(response)
    bad_choice = client.post(f"/requester/batches/drafts/{draft_id}/publish",
                             data={"csrf_token": TOKEN, "marketplace": "moon"})
    assert bad_choice.status_code == 422 and "must be production or sandbox" in text_of(bad_choice)


def test_a_draft_is_published_once(client: FlaskClient, configured: Callable[..., str]) -> None:
    draft_id = configured()
    form = {"csrf_token": TOKEN, "marketplace": "sandbox"}
    assert client.post(f"/requester/batches/drafts/{draft_id}/publish", data=form).status_code == 303
    assert client.post(f"/requester/batches/drafts/{draft_id}/publish", data=form).status_code == 404


def test_preview_and_cost_wait_for_valid_settings(client: FlaskClient, requester: RequesterHandle) -> None:
    draft_id = draft_id_of(upload(client, REVIEWS.encode(), "reviews.csv"))
    assert client.get(f"/requester/batches/drafts/{draft_id}/preview").status_code == 409
    assert client.get(f"/requester/batches/drafts/{draft_id}/cost").status_code == 409


def test_another_requesters_draft_is_not_found(client: FlaskClient, configured: Callable[..., str],
                                               factory: Factory) -> None:
    draft_id = configured()
    sign_in(client, factory.requester())
    for path in ("", "/preview", "/preview/1/frame", "/cost"):
        assert client.get(f"/requester/batches/drafts/{draft_id}{path}").status_code == 404, path
    published = client.post(f"/requester/batches/drafts/{draft_id}/publish",
                            data={"csrf_token": TOKEN, "marketplace": "sandbox"})
    assert published.status_code == 404


def test_forms_need_the_csrf_token(client: FlaskClient, configured: Callable[..., str]) -> None:
    draft_id = configured()
    response = client.post(f"/requester/batches/drafts/{draft_id}/publish", data={"marketplace": "sandbox"})
    assert response.status_code == 400
    assert upload(client, REVIEWS.encode(), "r.csv").status_code == 303
    bare = client.post("/requester/batches/new", data={"file": (io.BytesIO(b"text\nx\n"), "r.csv")},
                       content_type="multipart/form-data")
    assert bare.status_code == 400


# ---- copy -------------------------------------------------------------------------------------------------

def test_copy_batch_prefills_a_draft_from_its_rows_and_settings(client: FlaskClient, configured: Callable[..., str],
                                                                runtime: Runtime, requester: RequesterHandle) -> None:
    draft_id = configured(req_percent_approved="90")
    published = client.post(f"/requester/batches/drafts/{draft_id}/publish",
                            data={"csrf_token": TOKEN, "marketplace": "sandbox"})
    batch_id = published.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    copied = draft_id_of(client.post(f"/requester/batches/{batch_id}/copy",
                                     data={"csrf_token": TOKEN, "marketplace": "sandbox"}))
    draft = batch_drafts.load_draft(runtime, requester.actor, copied)
    assert [row["text"] for row in draft.rows] == ["Great battery", "Broke in a week", "Works as described"]
    assert draft.rows[2]["_gold"] == {"label": "positive"}
    assert draft.settings["name"] == "Copy of Reviews" and draft.settings["max_assignments"] == 2
    page = text_of(client.get(f"/requester/batches/drafts/{copied}"))
    assert 'value="90"' in page and 'value="Tone of a review"' in page
    assert client.post(f"/requester/batches/drafts/{copied}", data=settings_form()).status_code == 303
    to_production = client.post(f"/requester/batches/drafts/{copied}/publish",
                                data={"csrf_token": TOKEN, "marketplace": "production"})
    assert to_production.status_code == 303
    assert payments.balance(runtime, requester.actor).on_hold_micros == 1_880_000


def test_copy_of_another_requesters_batch_is_not_found(client: FlaskClient, make_batch: Callable[..., Batch],
                                                       factory: Factory, requester: RequesterHandle) -> None:
    other: Actor = factory.requester().sandbox()
    batch = make_batch(other, "Theirs")
    response = client.post(f"/requester/batches/{batch.public_id}/copy",
                           data={"csrf_token": TOKEN, "marketplace": "sandbox"})
    assert response.status_code == 404


def test_publish_goes_to_the_batch_page_of_the_sessions_marketplace(client: FlaskClient, app: Flask,
                                                                    configured: Callable[..., str]) -> None:
    draft_id = configured()
    response = client.post(f"/requester/batches/drafts/{draft_id}/publish",
                           data={"csrf_token": TOKEN, "marketplace": "sandbox"})
    batch_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    with app.test_request_context():
        monitor = "requester_monitor.batch" in app.view_functions
        expected = url_for("requester_monitor.batch", batch_id=batch_id) if monitor else \
            url_for("requester_new.published", marketplace="sandbox", batch_id=batch_id)
    assert response.headers["Location"] == expected


def test_publish_to_the_other_marketplace_shows_the_published_page(client: FlaskClient,
                                                                   configured: Callable[..., str]) -> None:
    draft_id = configured()
    response = client.post(f"/requester/batches/drafts/{draft_id}/publish",
                           data={"csrf_token": TOKEN, "marketplace": "production"})
    assert "/requester/batches/published/production/" in response.headers["Location"]
    page = text_of(client.get(response.headers["Location"]))
    assert "Published: Reviews" in page and "3 HITs are open to workers" in page


def test_preview_frame_runs_the_annotator_in_a_real_browser(client: FlaskClient, configured: Callable[..., str],
                                                            chromium: Any, live_server: str) -> None:
    """The sandboxed frame loads the annotator's modules (CORS from its opaque origin) under its CSP, and
    the annotator answers keys as on the worker's page; its script cannot reach the requester's cookie."""
    draft_id = configured()
    context = chromium.new_context(base_url=live_server)
    context.add_cookies([{"name": "session", "value": client.get_cookie("session").value, "url": live_server}])
    problems: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: problems.append(message.text) if message.type == "error"
            and "favicon.ico" not in message.location.get("url", "") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"/requester/batches/drafts/{draft_id}/preview?row=2")
        frame = page.frame_locator("#preview-frame")
        frame.locator("text=Broke in a week").wait_for()
        frame.locator('[data-annotator="text_classification"]').click()
        page.keyboard.press("2")
        assert frame.locator('input[value="negative"]').is_checked()
        assert frame.locator('[data-annotator]').get_attribute("data-complete") == "true"
        child = page.frames[1]
        assert child.evaluate("() => { try { return document.cookie; } catch (e) { return 'refused'; } }") == "refused"
    finally:
        context.close()
    assert problems == []


@pytest.mark.parametrize("path", ["/requester/batches/new", "/requester/batches/drafts/AAAAAAAAAAAAAAAA"])
def test_the_wizard_sends_anyone_not_signed_in_as_a_requester_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/requester/" in response.headers["Location"]
    assert "next=" in response.headers["Location"]
