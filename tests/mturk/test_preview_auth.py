"""The MTurk preview's HTTP Basic sign-in checks the worker's password through the same limited service
as the sign-in page: too many failures for a name from one address answer 429 with Retry-After, on
either entry point, whichever one the failures were made on."""

from __future__ import annotations

import base64

import pytest

from labelhub.services import accounts, hits
from labelhub.services.commands import CreateHIT
from tests.mturk.conftest import HTML_QUESTION
from tests.web.conftest import PASSWORD, Pages

NAME = "previewer"


def basic_auth(password: str, name: str = NAME) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


@pytest.fixture
def hit_id(runtime, factory) -> str:
    factory.worker(NAME)
    hit = hits.create_hit(runtime, factory.requester().sandbox(), CreateHIT(
        question=HTML_QUESTION, lifetime_seconds=3600, max_assignments=1, hit_type=factory.hit_type_spec()))
    return hit.value.public_id


def _preview(client, hit_id: str, password: str, headers_extra: dict[str, str] | None = None, **kwargs):
    return client.get(f"/mturk/preview/{hit_id}", headers=basic_auth(password) | (headers_extra or {}), **kwargs)


def test_preview_refuses_even_the_right_password_after_too_many_wrong_ones(client, hit_id):
    wrong = [_preview(client, hit_id, "guess").status_code for _ in range(accounts.MAX_FAILED_SIGN_INS)]

    blocked = _preview(client, hit_id, PASSWORD)
    frame = client.get(f"/mturk/frame/preview/{hit_id}", headers=basic_auth(PASSWORD))
    other_address = _preview(client, hit_id, PASSWORD, environ_overrides={"REMOTE_ADDR": "10.1.2.3"})

    assert wrong == [401] * accounts.MAX_FAILED_SIGN_INS
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "900"
    assert "WWW-Authenticate" not in blocked.headers
    body = blocked.get_data(as_text=True)
    assert "Too many failed sign-ins" in body and "<iframe" not in body
    assert frame.status_code == 429 and frame.headers["Retry-After"] == "900"
    assert other_address.status_code == 200 and "<iframe" in other_address.get_data(as_text=True)


def test_preview_works_again_after_the_window(client, clock, hit_id):
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        _preview(client, hit_id, "guess")
    clock.advance(seconds=accounts.SIGN_IN_WINDOW.total_seconds() - 60)
    almost = _preview(client, hit_id, PASSWORD)
    clock.advance(seconds=61)

    again = _preview(client, hit_id, PASSWORD)

    assert almost.status_code == 429 and almost.headers["Retry-After"] == "60"
    assert again.status_code == 200 and "<iframe" in again.get_data(as_text=True)


@pytest.mark.parametrize("on_preview", [0, 2, accounts.MAX_FAILED_SIGN_INS])
def test_preview_and_the_sign_in_page_share_one_budget(client, hit_id, on_preview):
    pages = Pages(client)
    for _ in range(on_preview):
        assert _preview(client, hit_id, "guess").status_code == 401
    for _ in range(accounts.MAX_FAILED_SIGN_INS - on_preview):
        assert pages.post("/signin", {"name": NAME, "password": "guess"}).status_code == 401

    page = pages.post("/signin", {"name": NAME, "password": PASSWORD})
    preview = _preview(client, hit_id, PASSWORD)

    assert page.status_code == 429 and page.headers["Retry-After"] == "900"
    assert preview.status_code == 429 and preview.headers["Retry-After"] == "900"


def test_a_preview_sign_in_starts_the_count_again(client, clock, hit_id):
    for _ in range(accounts.MAX_FAILED_SIGN_INS - 1):
        _preview(client, hit_id, "guess")
    assert _preview(client, hit_id, PASSWORD).status_code == 200
    clock.advance(seconds=1)

    failures = [_preview(client, hit_id, "guess").status_code for _ in range(accounts.MAX_FAILED_SIGN_INS)]

    assert failures == [401] * accounts.MAX_FAILED_SIGN_INS
