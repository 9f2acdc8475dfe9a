"""Requester sign-up, sign-in and sign-out (the session itself: labelhub.web.requester_session)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from labelhub import runtime_of
from labelhub.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    PermissionDeniedError,
)
from labelhub.services import accounts
from labelhub.web import csrf, errors, requester_account, security
from labelhub.web.auth import current_marketplace, password_sign_in
from labelhub.web.requester_session import start_session

bp = Blueprint("requester_auth", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)


def _home() -> str:
    """Where a requester lands after signing in: the batches, or the account page without them."""
    endpoint = "requester_monitor.batches"
    return url_for(endpoint if endpoint in current_app.view_functions else "requester_account.account")


def _signup_mode() -> str:
    """ "open", "invite", or "closed" (invite-only with no invite code)."""
    settings = runtime_of(current_app).settings.accounts
    if settings.requester_signup == "invite" and not settings.requester_invite_code:
        return "closed"
    return settings.requester_signup


@bp.route("/requester/signin", methods=["GET", "POST"])
def signin():
    return password_sign_in("web/requester/signin.html", accounts.authenticate_requester, start_session, _home())


def _signup_page(status: int = 200, *, name: str = "", problems: dict[str, str] | None = None):
    return render_template("web/requester/signup.html", mode=_signup_mode(), name=name,
                           problems=problems or {}), status


@bp.route("/requester/signup", methods=["GET", "POST"])
def signup():
    if request.method == "GET":
        return _signup_page(403 if _signup_mode() == "closed" else 200)
    form = request.form
    name, password = form.get("name", "").strip(), form.get("password", "")
    if password != form.get("confirm", ""):
        return _signup_page(422, name=name, problems={"confirm": "does not match the password"})
    rt = runtime_of(current_app)
    try:
        created = accounts.sign_up_requester(rt, name, password, invite_code=form.get("invite_code", ""))
    except InvalidInputError as exc:
        return _signup_page(422, name=name, problems=exc.fields)
    except ConflictError as exc:
        return _signup_page(409, name=name, problems={"name": exc.message})
    except PermissionDeniedError:
        return _signup_page(403, name=name)
    actor = accounts.requester_actor(rt, created.requester_id, current_marketplace())
    start_session(actor, name)
    flash(f"Welcome, {name}! Your account has sandbox play money to practise with.", "success")
    return requester_account.credentials_page(actor, status=201, fresh=[
        ("REST API token", created.api_token), ("MTurk access key ID", created.access_key_id),
        ("MTurk secret access key", created.secret_access_key)])


@bp.post("/requester/signout")
def signout():
    session.clear()
    csrf.renew()
    flash("You are signed out.", "info")
    return redirect(url_for("requester_auth.signin"), 303)
