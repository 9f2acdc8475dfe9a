"""Sign-up, sign-in and sign-out, the session cookie, the marketplace switch, the CSRF token on every
form, and the sign-in rate limit kept in the database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from labelhub.models import Event, Worker
from labelhub.services import accounts
from tests.web.conftest import PASSWORD, text_of


def test_signup_creates_a_worker_and_signs_them_in(pages, runtime):
    response = pages.post("/signup", {"name": "ada", "password": "long enough 1", "confirm": "long enough 1",
                                      "country": "de", "adult": "1"})

    assert response.status_code == 303 and response.headers["Location"] == "/hits"
    with runtime.sessions() as db:
        worker = db.scalars(select(Worker).where(Worker.name == "ada")).one()
    assert (worker.country, worker.adult) == ("DE", True)
    assert worker.password_hash != "long enough 1" and worker.password_hash.startswith("scrypt:")
    page = text_of(pages.get("/hits"))
    assert '<span class="who" title="Signed in">ada</span>' in page and "Welcome, ada!" in page


@pytest.mark.parametrize(("form", "field", "problem"), [
    ({"name": "x"}, "name", "2-100 characters"),
    ({"password": "short", "confirm": "short"}, "password", "at least 8 characters"),
    ({"confirm": "something else"}, "confirm", "does not match the password"),
    ({"country": "Germany"}, "country", "ISO 3166-1 alpha-2"),
])
def test_signup_refuses_bad_fields_naming_them(pages, runtime, form, field, problem):
    sent = {"name": "grace", "password": "long enough 1", "confirm": "long enough 1"} | form

    response = pages.post("/signup", sent)

    html = text_of(response)
    assert response.status_code == 422
    assert re.search(rf'<p class="field-problem" id="{field}-problem">[^<]*{problem}', html)
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Worker)) == 0


def test_signup_with_a_taken_name_is_refused(pages, make_worker):
    taken = make_worker("taken-name")

    response = pages.post("/signup", {"name": taken.name, "password": "long enough 1",
                                      "confirm": "long enough 1"})

    assert response.status_code == 409
    assert "A worker named &#39;taken-name&#39; already exists" in text_of(response)


def test_signin_sets_an_httponly_samesite_session_cookie(pages, make_worker):
    worker = make_worker()

    response = pages.post("/signin", {"name": worker.name, "password": PASSWORD})

    cookie = response.headers["Set-Cookie"]
    assert response.status_code == 303 and cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_signin_with_a_wrong_password_is_refused(pages, make_worker):
    worker = make_worker()

    response = pages.post("/signin", {"name": worker.name, "password": "not the password"})

    assert response.status_code == 401
    assert "Unknown worker name or wrong password" in text_of(response)
    assert pages.get("/hits").status_code == 302


def test_signin_returns_to_the_page_asked_for_but_never_to_another_site(pages, make_worker):
    worker = make_worker()
    asked = pages.get("/dashboard?messages=x")
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/signin?next=")

    back = pages.post("/signin", {"name": worker.name, "password": PASSWORD, "next": "/dashboard"})
    elsewhere = pages.post("/signin", {"name": worker.name, "password": PASSWORD, "next": "//evil.example/x"})

    assert back.headers["Location"] == "/dashboard"
    assert elsewhere.headers["Location"] == "/hits"


def test_signout_ends_the_session(pages, make_worker):
    pages.sign_in(make_worker())

    response = pages.post("/signout", token_from="/hits")

    assert response.status_code == 303
    assert pages.get("/hits").status_code == 302


def test_signin_is_limited_per_name_and_address_in_the_database(pages, runtime, clock, make_worker):
    worker = make_worker()
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        assert pages.post("/signin", {"name": worker.name, "password": "guess"}).status_code == 401

    blocked = pages.post("/signin", {"name": worker.name, "password": PASSWORD})
    other_address = pages.post("/signin", {"name": worker.name, "password": PASSWORD},
                               environ_overrides={"REMOTE_ADDR": "10.1.2.3"})

    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "900"
    assert "Too many failed sign-ins" in text_of(blocked) and "15 minutes" in text_of(blocked)
    assert other_address.status_code == 303
    with runtime.sessions() as db:  # the count lives in the event log: every web process sees it
        failed = db.scalar(select(func.count()).select_from(Event).where(
            Event.action == "WorkerSignInFailed"))
    assert failed == accounts.MAX_FAILED_SIGN_INS


def test_signin_limit_lifts_after_the_window(pages, clock, make_worker):
    worker = make_worker()
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        pages.post("/signin", {"name": worker.name, "password": "guess"})
    clock.advance(seconds=accounts.SIGN_IN_WINDOW.total_seconds() + 1)

    response = pages.post("/signin", {"name": worker.name, "password": PASSWORD})

    assert response.status_code == 303


def test_successful_signin_starts_the_count_again(pages, clock, make_worker):
    worker = make_worker()
    for _ in range(accounts.MAX_FAILED_SIGN_INS - 1):
        pages.post("/signin", {"name": worker.name, "password": "guess"})
    pages.sign_in(worker)
    clock.advance(seconds=1)

    failures = [pages.post("/signin", {"name": worker.name, "password": "guess"}).status_code
                for _ in range(accounts.MAX_FAILED_SIGN_INS)]

    assert failures == [401] * accounts.MAX_FAILED_SIGN_INS


@pytest.mark.parametrize("path", ["/signin", "/signup", "/signout", "/marketplace"])
def test_posts_without_the_csrf_token_are_refused(client, path):
    response = client.post(path, data={"name": "x", "password": "y", "marketplace": "sandbox"})

    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "security token is missing or out of date" in text_of(response)


def test_posts_with_another_sessions_csrf_token_are_refused(app, pages, make_worker):
    worker = make_worker()
    stolen = pages.token()
    other = app.test_client()  # another browser, with its own session and token

    response = other.post("/signin", data={"name": worker.name, "password": PASSWORD, "csrf_token": stolen})

    assert response.status_code == 400


def test_signin_renews_the_csrf_token(pages, make_worker):
    before = pages.token()
    pages.sign_in(make_worker())

    after = pages.token("/hits")
    refused = pages.client.post("/signout", data={"csrf_token": before})

    assert after != before and refused.status_code == 400


def test_marketplace_switch_is_kept_in_the_session(pages, make_worker):
    pages.sign_in(make_worker())

    switched = pages.post("/marketplace", {"marketplace": "sandbox", "next": "/dashboard"},
                          token_from="/hits")
    page = text_of(pages.get("/hits"))

    assert switched.status_code == 303 and switched.headers["Location"] == "/dashboard"
    assert '<span class="badge badge-sandbox">Sandbox</span>' in page
    assert 'value="production"' in page and "Switch to production" in page


def test_marketplace_switch_refuses_an_unknown_marketplace(pages, make_worker):
    pages.sign_in(make_worker())

    response = pages.post("/marketplace", {"marketplace": "moon"}, token_from="/hits")

    assert response.status_code == 400 and "marketplace: must be production or sandbox" in text_of(response)


def test_worker_pages_need_a_signed_in_worker(client):
    for path in ("/hits", "/dashboard", "/qualifications", "/hits/SOMEHIT", "/assignments/SOMEASSIGNMENT"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/signin?next=")


def test_pages_show_the_production_marketplace_by_default(pages, make_worker):
    pages.sign_in(make_worker())

    html = text_of(pages.get("/hits"))

    assert '<span class="badge badge-production">Production</span>' in html and "Switch to sandbox" in html
