"""The requester's credentials page (tokens, access keys, webhook secret) and account page (balances,
ledger pages, sandbox top-up), driven as a browser would, checked against the APIs and the ledger."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from labelhub.errors import AuthenticationError
from labelhub.models import ApiToken, Marketplace
from labelhub.money import format_amount, parse_amount
from labelhub.services import accounts, notifications, payments
from tests.web.conftest import Pages, text_of

PASSWORD = "requester-pass-1"
SECRET = re.compile(r'<code class="secret">([^<]+)</code>')


@pytest.fixture
def lab(factory, runtime):
    """A requester with a page password (and 100.00 in production)."""
    handle = factory.requester("lab-one")
    accounts.set_requester_password(runtime, "lab-one", PASSWORD)
    return handle


@pytest.fixture
def other_lab(factory):
    return factory.requester("lab-two")


@pytest.fixture
def signed_in(pages: Pages, lab) -> Pages:
    response = pages.post("/requester/signin", {"name": "lab-one", "password": PASSWORD},
                          token_from="/requester/signin")
    assert response.status_code == 303
    return pages


def post(pages: Pages, path: str, data: dict[str, str] | None = None):
    return pages.post(path, data, token_from="/requester/credentials")


def _token_ids(runtime, requester_id: int) -> list[int]:
    with runtime.sessions() as db:
        return list(db.scalars(select(ApiToken.id).where(ApiToken.requester_id == requester_id)
                               .order_by(ApiToken.id)))


def _api_balance(client, token: str):
    return client.get("/api/v1/requester/balance", headers={"Authorization": f"Bearer {token}"})


# ---- credentials ---------------------------------------------------------------------------------------

def test_credentials_page_lists_tokens_by_prefix_and_keys_by_id(signed_in, lab):
    html = text_of(signed_in.get("/requester/credentials"))

    assert f"<code>{lab.credentials.api_token[:8]}…</code>" in html
    assert f"<code>{lab.credentials.access_key_id}</code>" in html
    assert lab.credentials.api_token not in html and lab.credentials.secret_access_key not in html


def test_a_new_token_is_shown_once_and_works_on_the_rest_api(signed_in, client, runtime, lab):
    response = post(signed_in, "/requester/credentials/tokens")

    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    (token,) = SECRET.findall(text_of(response))
    assert _api_balance(client, token).status_code == 200
    later = text_of(signed_in.get("/requester/credentials"))
    assert token not in later and f"<code>{token[:8]}…</code>" in later
    with runtime.sessions() as db:
        stored = db.scalars(select(ApiToken).where(ApiToken.prefix == token[:8])).one()
    assert stored.token_hash != token
    with signed_in.client.session_transaction() as session:
        assert token not in repr(dict(session))


def test_a_revoked_token_no_longer_authenticates(signed_in, client, runtime, lab):
    token = lab.credentials.api_token
    assert _api_balance(client, token).status_code == 200
    (token_id,) = _token_ids(runtime, lab.actor.id)

    response = post(signed_in, f"/requester/credentials/tokens/{token_id}/revoke")

    assert response.status_code == 303 and response.headers["Location"] == "/requester/credentials"
    assert _api_balance(client, token).status_code == 401
    assert _token_ids(runtime, lab.actor.id) == []
    assert "No tokens." in text_of(signed_in.get("/requester/credentials"))


def test_a_new_access_key_is_shown_once_and_signs_mturk_calls(signed_in, runtime, lab):
    response = post(signed_in, "/requester/credentials/access-keys")

    assert response.status_code == 201
    key_id, secret = SECRET.findall(text_of(response))
    found, actor = accounts.access_key_secret(runtime, key_id, Marketplace.SANDBOX)
    assert found == secret and actor.id == lab.actor.id
    assert secret not in text_of(signed_in.get("/requester/credentials"))


def test_a_revoked_access_key_is_refused(signed_in, runtime, lab):
    key_id = lab.credentials.access_key_id

    response = post(signed_in, f"/requester/credentials/access-keys/{key_id}/revoke")

    assert response.status_code == 303
    with pytest.raises(AuthenticationError):
        accounts.access_key_secret(runtime, key_id, Marketplace.PRODUCTION)
    html = text_of(signed_in.get("/requester/credentials"))
    assert f"<code>{key_id}</code>" in html and "Revoked" in html


def test_another_requesters_credentials_are_not_found_and_stay(signed_in, client, runtime, other_lab):
    (token_id,) = _token_ids(runtime, other_lab.actor.id)

    token = post(signed_in, f"/requester/credentials/tokens/{token_id}/revoke")
    key = post(signed_in, f"/requester/credentials/access-keys/{other_lab.credentials.access_key_id}/revoke")

    assert token.status_code == 404 and key.status_code == 404
    assert _api_balance(client, other_lab.credentials.api_token).status_code == 200
    accounts.access_key_secret(runtime, other_lab.credentials.access_key_id, Marketplace.PRODUCTION)
    html = text_of(signed_in.get("/requester/credentials"))
    assert other_lab.credentials.access_key_id not in html
    assert f"{other_lab.credentials.api_token[:8]}…" not in html


def test_revoking_every_credential_keeps_the_page_usable(signed_in, client, runtime, lab):
    (token_id,) = _token_ids(runtime, lab.actor.id)
    post(signed_in, f"/requester/credentials/tokens/{token_id}/revoke")
    post(signed_in, f"/requester/credentials/access-keys/{lab.credentials.access_key_id}/revoke")

    response = post(signed_in, "/requester/credentials/tokens")

    (token,) = SECRET.findall(text_of(response))
    assert response.status_code == 201 and _api_balance(client, token).status_code == 200


def test_the_webhook_secret_is_shown_and_replaced(signed_in, runtime, lab):
    shown = re.search(r'id="webhook-secret">([^<]+)<', text_of(signed_in.get("/requester/credentials"))).group(1)
    assert shown == notifications.webhook_secret(runtime, lab.actor)

    response = post(signed_in, "/requester/credentials/webhook-secret")

    assert response.status_code == 303
    after = re.search(r'id="webhook-secret">([^<]+)<', text_of(signed_in.get("/requester/credentials"))).group(1)
    assert after != shown and after == notifications.webhook_secret(runtime, lab.actor)


def test_credential_posts_need_the_csrf_token(signed_in, runtime, lab):
    response = signed_in.client.post("/requester/credentials/tokens", data={})

    assert response.status_code == 400
    assert len(_token_ids(runtime, lab.actor.id)) == 1


# ---- account: balances, ledger, sandbox top-up ---------------------------------------------------------

def test_account_page_shows_both_marketplaces_balances(signed_in, factory, lab):
    factory.hit(lab.actor, max_assignments=2)  # holds 2 x (0.50 + 0.10 fee) in production

    html = text_of(signed_in.get("/requester/account"))

    production = html.split('id="balance-production"', 1)[1].split("</div>", 1)[0]
    sandbox = html.split('id="balance-sandbox"', 1)[1].split("</div>", 1)[0]
    balance = payments.balance(factory.rt, lab.actor)
    assert f"${format_amount(balance.available_micros)}" in production
    assert f"Held for live HITs: ${format_amount(balance.on_hold_micros)}" in production
    assert balance.on_hold_micros > 0
    assert "$10000.00" in sandbox


def _ledger_rows(html: str) -> list[str]:
    body = html.split('id="ledger-title"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<td class="number">([^<]+)</td>', body)


def test_ledger_pages_newest_first_through_the_cursor(signed_in, runtime, lab):
    for cents in range(1, 30):  # 29 deposits, plus the factory's 100.00 first: 30 entries
        payments.deposit(runtime, lab.credentials.requester_id, parse_amount(f"0.{cents:02d}"))

    first = text_of(signed_in.get("/requester/account"))
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = text_of(signed_in.get(following))

    assert _ledger_rows(first) == [f"0.{cents:02d}" for cents in range(29, 4, -1)]  # 25 a page
    assert _ledger_rows(second) == [f"0.{cents:02d}" for cents in range(4, 0, -1)] + ["100.00"]
    assert 'rel="next"' not in second


def test_ledger_shows_the_actors_marketplace_only(signed_in, lab):
    signed_in.post("/marketplace", {"marketplace": "sandbox", "next": "/requester/account"},
                   token_from="/requester/account")

    html = text_of(signed_in.get("/requester/account"))

    assert _ledger_rows(html) == ["10000.00"] and "sandbox play money" in html


def test_a_bad_ledger_cursor_is_refused_naming_it(signed_in):
    response = signed_in.get("/requester/account?entries=not-a-cursor")

    assert response.status_code == 400 and "cursor" in text_of(response)


def _to_sandbox(pages: Pages) -> None:
    pages.post("/marketplace", {"marketplace": "sandbox"}, token_from="/requester/account")


def test_sandbox_top_up_adds_play_money(signed_in, runtime, lab):
    _to_sandbox(signed_in)

    response = signed_in.post("/requester/account/top-up", {"amount": "250.50"}, token_from="/requester/account")

    assert response.status_code == 303
    sandbox = lab.actor.in_marketplace(Marketplace.SANDBOX)
    assert payments.balance(runtime, sandbox).available_micros == parse_amount("10250.50")
    assert "Added 250.50 of play money" in text_of(signed_in.get("/requester/account"))


@pytest.mark.parametrize(("amount", "problem"), [
    ("", "must be an amount"), ("ten", "must be an amount"), ("-5", "must be an amount"),
    ("0", "must be a positive amount of at most 1000.00"), ("1000.01", "at most 1000.00"),
])
def test_sandbox_top_up_refuses_bad_amounts_naming_the_field(signed_in, runtime, lab, amount, problem):
    _to_sandbox(signed_in)

    response = signed_in.post("/requester/account/top-up", {"amount": amount}, token_from="/requester/account")

    assert response.status_code == 422
    assert re.search(rf'id="amount-problem">[^<]*{problem}', text_of(response))
    sandbox = lab.actor.in_marketplace(Marketplace.SANDBOX)
    assert payments.balance(runtime, sandbox).available_micros == parse_amount("10000.00")


def test_production_has_no_top_up(signed_in, runtime, lab):
    page = text_of(signed_in.get("/requester/account"))

    response = signed_in.post("/requester/account/top-up", {"amount": "10.00"}, token_from="/requester/account")

    assert 'action="/requester/account/top-up"' not in page and "labelhub requester deposit" in page
    assert response.status_code == 409 and "only be added in the sandbox" in text_of(response)
    assert payments.balance(runtime, lab.actor).available_micros == parse_amount("100.00")
