"""Requester sign-up (open, by invitation, closed), sign-in with the shared failed-attempt limit,
sign-out, CSRF, and the wall between worker and requester sessions."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from labelhub import create_app
from labelhub.models import ApiToken, Event, Marketplace, Requester
from labelhub.money import parse_amount
from labelhub.services import accounts, payments
from tests.web.conftest import PASSWORD, Pages, text_of

REQUESTER_PASSWORD = "requester-pass-1"
SIGNUP = {"name": "acme-lab", "password": REQUESTER_PASSWORD, "confirm": REQUESTER_PASSWORD}


@pytest.fixture
def pages_with(runtime):
    """Pages of an app whose [accounts] settings differ from the defaults as given."""

    def make(**accounts_settings: str) -> Pages:
        settings = replace(runtime.settings, accounts=replace(runtime.settings.accounts, **accounts_settings))
        app = create_app(settings, runtime=replace(runtime, settings=settings))
        app.config.update(TESTING=True)
        return Pages(app.test_client())

    return make


@pytest.fixture
def requester(runtime):
    """A requester with a page password; its name is "lab-one"."""
    accounts.create_requester(runtime, "lab-one", password=REQUESTER_PASSWORD)
    return "lab-one"


def _count(runtime, model, *where) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def sign_in(pages: Pages, name: str, password: str = REQUESTER_PASSWORD, **kwargs):
    return pages.post("/requester/signin", {"name": name, "password": password}, token_from="/requester/signin",
                      **kwargs)


# ---- sign-up -------------------------------------------------------------------------------------------

def test_open_signup_creates_a_requester_shows_its_credentials_once_and_signs_it_in(pages, runtime):
    response = pages.post("/requester/signup", SIGNUP, token_from="/requester/signup")

    html = text_of(response)
    assert response.status_code == 201 and "shown this once only" in html and "Welcome, acme-lab!" in html
    with runtime.sessions() as db:
        requester = db.scalars(select(Requester).where(Requester.name == "acme-lab")).one()
        token = db.scalars(select(ApiToken).where(ApiToken.requester_id == requester.id)).one()
    assert requester.password_hash and requester.password_hash.startswith("scrypt:")
    shown = re.findall(r'<code class="secret">([^<]+)</code>', html)
    assert shown[0].startswith(token.prefix) and len(shown) == 3  # token, access key id, secret key
    actor = accounts.authenticate_token(runtime, shown[0], Marketplace.SANDBOX)
    assert actor.public_id == requester.public_id
    assert payments.balance(runtime, actor).available_micros == parse_amount("10000.00")  # play money
    again = text_of(pages.get("/requester/credentials"))
    assert '<span class="who" title="Signed in as a requester">acme-lab</span>' in again
    assert shown[0] not in again and shown[2] not in again  # shown once: never again


@pytest.mark.parametrize(("form", "field", "problem"), [
    ({"name": "x"}, "name", "2-100 characters"),
    ({"password": "short", "confirm": "short"}, "password", "at least 8 characters"),
    ({"confirm": "something else"}, "confirm", "does not match the password"),
])
def test_signup_refuses_bad_fields_naming_them(pages, runtime, form, field, problem):
    response = pages.post("/requester/signup", SIGNUP | form, token_from="/requester/signup")

    assert response.status_code == 422
    assert re.search(rf'<p class="field-problem" id="{field}-problem">[^<]*{problem}', text_of(response))
    assert _count(runtime, Requester) == 0


def test_signup_with_a_taken_name_is_refused(pages, requester):
    response = pages.post("/requester/signup", SIGNUP | {"name": requester}, token_from="/requester/signup")

    assert response.status_code == 409 and "already exists" in text_of(response)


def test_invite_only_signup_asks_for_the_code_and_refuses_a_wrong_one(pages_with, runtime):
    invited = pages_with(requester_signup="invite", requester_invite_code="let-me-in-42")
    form = text_of(invited.get("/requester/signup"))
    assert 'name="invite_code"' in form

    wrong = invited.post("/requester/signup", SIGNUP | {"invite_code": "let-me-in-41"}, token_from="/requester/signup")
    missing = invited.post("/requester/signup", SIGNUP, token_from="/requester/signup")

    assert wrong.status_code == 422 and missing.status_code == 422
    assert re.search(r'id="invite_code-problem">is not the invite code', text_of(wrong))
    assert _count(runtime, Requester) == 0
    right = invited.post("/requester/signup", SIGNUP | {"invite_code": "let-me-in-42"},
                         token_from="/requester/signup")
    assert right.status_code == 201 and _count(runtime, Requester) == 1


def test_open_signup_has_no_invite_field(pages):
    assert 'name="invite_code"' not in text_of(pages.get("/requester/signup"))


def test_invite_only_signup_without_a_code_is_closed_and_says_so(pages_with, runtime):
    closed = pages_with(requester_signup="invite", requester_invite_code="")

    page = closed.get("/requester/signup")
    token = closed.token("/requester/signin")
    sent = closed.client.post("/requester/signup", data=SIGNUP | {"csrf_token": token, "invite_code": ""})

    assert page.status_code == 403 and "sign-up is closed" in text_of(page) and "<form" not in \
        text_of(page).split("<main", 1)[1]
    assert sent.status_code == 403 and "sign-up is closed" in text_of(sent)
    assert _count(runtime, Requester) == 0


# ---- sign-in and sign-out ------------------------------------------------------------------------------

def test_signin_goes_to_the_requester_home_and_sets_a_fresh_session(pages, requester):
    before = pages.token("/requester/signin")

    response = sign_in(pages, requester)

    assert response.status_code == 303
    assert response.headers["Location"] in ("/requester/batches", "/requester/account")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert pages.token("/requester/account") != before  # a token from before sign-in is worthless
    assert pages.get("/requester/account").status_code == 200


def test_signin_returns_to_the_page_asked_for_but_never_to_another_site(pages, requester):
    asked = pages.get("/requester/credentials")
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/requester/signin?next=")

    back = pages.post("/requester/signin", {"name": requester, "password": REQUESTER_PASSWORD,
                                            "next": "/requester/credentials"}, token_from="/requester/signin")
    elsewhere = pages.post("/requester/signin", {"name": requester, "password": REQUESTER_PASSWORD,
                                                 "next": "//evil.example/x"}, token_from="/requester/signin")

    assert back.headers["Location"] == "/requester/credentials"
    assert elsewhere.headers["Location"] in ("/requester/batches", "/requester/account")


@pytest.mark.parametrize(("name", "password"), [("lab-one", "not the password"), ("nobody", REQUESTER_PASSWORD)])
def test_signin_with_a_wrong_name_or_password_is_refused(pages, requester, name, password):
    response = sign_in(pages, name, password)

    assert response.status_code == 401 and "Unknown requester name or wrong password" in text_of(response)
    assert pages.get("/requester/account").status_code == 302


def test_a_requester_without_a_page_password_cannot_sign_in(pages, factory):
    made = factory.requester("cli-made")

    response = sign_in(pages, "cli-made", "")
    guessed = sign_in(pages, "cli-made", made.credentials.secret_access_key)

    assert response.status_code == 401 and guessed.status_code == 401


def test_signin_is_limited_like_the_workers_and_apart_from_them(pages, runtime, requester, make_worker):
    make_worker(requester)  # a worker of the same name: the two counts are kept apart
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        assert sign_in(pages, requester, "guess").status_code == 401

    blocked = sign_in(pages, requester)
    other_address = sign_in(pages, requester, environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    as_worker = pages.post("/signin", {"name": requester, "password": PASSWORD})

    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "900"
    assert "Too many failed sign-ins" in text_of(blocked)
    assert other_address.status_code == 303 and as_worker.status_code == 303
    assert _count(runtime, Event, Event.action == "RequesterSignInFailed") == accounts.MAX_FAILED_SIGN_INS
    assert _count(runtime, Event, Event.action == "WorkerSignInFailed") == 0


def test_signin_limit_lifts_after_the_window(pages, clock, requester):
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        sign_in(pages, requester, "guess")
    clock.advance(seconds=accounts.SIGN_IN_WINDOW.total_seconds() + 1)

    assert sign_in(pages, requester).status_code == 303


def test_signout_ends_the_session(pages, requester):
    sign_in(pages, requester)

    response = pages.post("/requester/signout", token_from="/requester/account")

    assert response.status_code == 303 and response.headers["Location"] == "/requester/signin"
    assert pages.get("/requester/account").status_code == 302


def test_signin_clears_whatever_the_session_held_before(pages, requester, make_worker):
    pages.sign_in(make_worker())
    with pages.client.session_transaction() as session:
        session["planted"] = "by an attacker"

    sign_in(pages, requester)

    with pages.client.session_transaction() as session:
        assert "planted" not in session and "worker" not in session
        assert session["requester"]["name"] == requester
    assert pages.get("/dashboard").status_code == 302  # the worker is signed out


@pytest.mark.parametrize("path", ["/requester/signin", "/requester/signup", "/requester/signout"])
def test_posts_without_the_csrf_token_are_refused(client, runtime, path):
    response = client.post(path, data=SIGNUP)

    assert response.status_code == 400 and "security token is missing or out of date" in text_of(response)
    assert _count(runtime, Requester) == 0


def test_signin_keeps_the_chosen_marketplace(pages, requester):
    pages.post("/marketplace", {"marketplace": "sandbox"})

    sign_in(pages, requester)

    assert 'badge-sandbox">Sandbox' in text_of(pages.get("/requester/account"))


# ---- worker and requester sessions stay apart ----------------------------------------------------------

@pytest.mark.parametrize("path", ["/requester/account", "/requester/credentials"])
def test_a_worker_session_cannot_open_requester_pages(pages, make_worker, path):
    pages.sign_in(make_worker())

    response = pages.get(path)

    assert response.status_code == 302 and response.headers["Location"].startswith("/requester/signin")


@pytest.mark.parametrize("path", ["/dashboard", "/hits", "/qualifications"])
def test_a_requester_session_cannot_open_worker_pages(pages, requester, path):
    sign_in(pages, requester)

    response = pages.get(path)

    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")


def test_anonymous_pages_link_to_the_requester_signin(pages):
    front, worker_signin = text_of(pages.get("/")), text_of(pages.get("/signin"))

    assert 'href="/requester/signin">Requesters: sign in</a>' in front
    assert 'href="/requester/signin">Sign in as a requester</a>' in worker_signin
