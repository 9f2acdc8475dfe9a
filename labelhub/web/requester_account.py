"""The requester's account page (balances, ledger, sandbox top-up) and credentials page (REST tokens,
MTurk access keys, the webhook signing secret; a new secret is shown in the response that made it, once)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from labelhub import runtime_of
from labelhub.errors import DomainError, InvalidInputError, InvalidStateError
from labelhub.money import format_amount, parse_amount
from labelhub.services import credentials, payments
from labelhub.services.actors import Actor
from labelhub.web import csrf, errors, security
from labelhub.web.requester_session import requester_required, signed_in_requester

bp = Blueprint("requester_account", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)


def _account_page(*, status: int = 200, amount: str = "", problems: dict[str, str] | None = None):
    summary = payments.account_summary(runtime_of(current_app), signed_in_requester(),
                                       cursor=request.args.get("entries"))
    return render_template("web/requester/account.html", summary=summary, args=request.args, amount=amount,
                           problems=problems or {}, top_up_limit=payments.SANDBOX_TOP_UP_LIMIT_MICROS), status


@bp.get("/requester/account")
@requester_required
def account():
    return _account_page()


@bp.post("/requester/account/top-up")
@requester_required
def top_up():
    amount = request.form.get("amount", "").strip()
    try:
        try:
            micros = parse_amount(amount)
        except ValueError:
            raise InvalidInputError({"amount": "must be an amount such as 100.00"}) from None
        payments.top_up_sandbox(runtime_of(current_app), signed_in_requester(), micros)
    except InvalidInputError as exc:
        return _account_page(status=422, amount=amount, problems=exc.fields)
    except InvalidStateError as exc:
        return _account_page(status=409, amount=amount, problems={"amount": exc.message})
    flash(f"Added {format_amount(micros)} of play money to your sandbox balance.", "success")
    return redirect(url_for("requester_account.account"), 303)


def credentials_page(actor: Actor, *, status: int = 200, fresh: Sequence[tuple[str, str]] = (),
                     refusal: str | None = None):
    """The credentials page; ``fresh`` are (label, secret) pairs just made, shown in this response only."""
    listing = credentials.list_credentials(runtime_of(current_app), actor)
    return render_template("web/requester/credentials.html", listing=listing, fresh=fresh,
                           refusal=refusal), status


@bp.get("/requester/credentials", endpoint="credentials")
@requester_required
def credentials_list():
    return credentials_page(signed_in_requester())


@bp.post("/requester/credentials/tokens")
@requester_required
def create_token():
    actor = signed_in_requester()
    made = credentials.create_api_token(runtime_of(current_app), actor)
    return credentials_page(actor, status=201, fresh=[("REST API token", made.token)])


@bp.post("/requester/credentials/tokens/<int:token_id>/revoke")
@requester_required
def revoke_token(token_id: int):
    return _revoke(lambda actor: credentials.revoke_api_token(runtime_of(current_app), actor, token_id),
                   "The API token is revoked: it no longer works.")


@bp.post("/requester/credentials/access-keys")
@requester_required
def create_access_key():
    actor = signed_in_requester()
    made = credentials.create_access_key(runtime_of(current_app), actor)
    return credentials_page(actor, status=201, fresh=[("MTurk access key ID", made.access_key_id),
                                                      ("MTurk secret access key", made.secret_access_key)])


@bp.post("/requester/credentials/access-keys/<access_key_id>/revoke")
@requester_required
def revoke_access_key(access_key_id: str):
    return _revoke(lambda actor: credentials.revoke_access_key(runtime_of(current_app), actor, access_key_id),
                   f"Access key {access_key_id} is revoked: MTurk calls signed with it are refused.")


@bp.post("/requester/credentials/webhook-secret")
@requester_required
def rotate_webhook_secret():
    actor = signed_in_requester()
    credentials.rotate_webhook_secret(runtime_of(current_app), actor)
    flash("The webhook signing secret is replaced: deliveries from now on are signed with the new one.", "success")
    return redirect(url_for("requester_account.credentials"), 303)


def _revoke(revoke: Callable[[Actor], None], done: str):
    actor = signed_in_requester()
    try:
        revoke(actor)
    except InvalidStateError as exc:
        return credentials_page(actor, status=409, refusal=exc.message)
    flash(done, "success")
    return redirect(url_for("requester_account.credentials"), 303)
