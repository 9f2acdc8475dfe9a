"""Worker sign-up, sign-in and sign-out, the session that remembers the worker, and the marketplace
(production or sandbox) the worker is browsing.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax): it holds the worker's ids and name,
the chosen marketplace and the CSRF token, so any web process can serve the next request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from labelhub import runtime_of
from labelhub.errors import AuthenticationError, ConflictError, DomainError, InvalidInputError, TooManyAttemptsError
from labelhub.models import Marketplace
from labelhub.services import accounts
from labelhub.services.actors import Actor
from labelhub.web import csrf, errors, forms

bp = Blueprint("auth", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)


def current_marketplace() -> Marketplace:
    try:
        return Marketplace(session.get("marketplace", Marketplace.PRODUCTION.value))
    except ValueError:
        return Marketplace.PRODUCTION


def current_actor() -> Actor | None:
    worker = session.get("worker")
    if not isinstance(worker, dict):
        return None
    return Actor("worker", worker["id"], worker["public_id"], current_marketplace())


def signed_in() -> Actor:
    """The signed-in worker, in a view behind login_required."""
    actor = current_actor()
    if actor is None:
        raise AuthenticationError("Sign in to continue.")
    return actor


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous visitors go to the sign-in page, and come back here afterwards."""

    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        if current_actor() is None:
            flash("Sign in to continue.", "info")
            back = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("auth.signin", next=back))
        return view(**kwargs)

    return wrapper


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never a redirect to another origin ('//evil', 'https://evil')."""
    if not target:
        return default
    parts = urlsplit(target)
    local = not (parts.scheme or parts.netloc) and target.startswith("/") and not target.startswith("//")
    return target if local and "\\" not in target else default


@bp.app_context_processor
def page_globals() -> dict[str, Any]:
    worker = session.get("worker")
    return {"worker_name": worker.get("name") if isinstance(worker, dict) else None,
            "marketplace": current_marketplace().value, "csrf_token": csrf.token}


def _start_session(actor: Actor, name: str) -> None:
    marketplace = current_marketplace()
    session.clear()  # nothing from before sign-in survives it (session fixation)
    session.update(worker={"id": actor.id, "public_id": actor.public_id, "name": name},
                   marketplace=marketplace.value)
    csrf.renew()


def password_sign_in(template: str, authenticate: Callable[..., Actor], start: Callable[[Actor, str], None],
                     home: str) -> Any:
    """A sign-in page of one kind of account: the form (GET), or its post checked by ``authenticate``
    (name, password, marketplace, client=address): 401 or 429 with the form again, else ``start`` the
    session and go where the visitor was going, or ``home``."""
    if request.method == "GET":
        return render_template(template, next=request.args.get("next", ""))
    name, password = request.form.get("name", "").strip(), request.form.get("password", "")
    back = request.form.get("next", "")
    try:
        actor = authenticate(runtime_of(current_app), name, password, current_marketplace(),
                             client=request.remote_addr or "")
    except TooManyAttemptsError as exc:
        page = render_template(template, next=back, name=name, error=exc.message)
        return page, 429, {"Retry-After": str(exc.retry_after_seconds)}
    except AuthenticationError as exc:
        return render_template(template, next=back, name=name, error=exc.message), 401
    start(actor, name)
    return redirect(safe_next(back, home), 303)


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    return password_sign_in("web/signin.html", accounts.authenticate_worker, _start_session, url_for("worker.hits"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if request.method == "GET":
        return render_template("web/signup.html", values={}, problems={})
    form = forms.SignUp.parse(request.form)
    try:
        form.check()
        created = accounts.create_worker(runtime_of(current_app), form.name, password=form.password,
                                         locale=form.locale(), adult=form.adult)
    except InvalidInputError as exc:
        return render_template("web/signup.html", values=form.values, problems=exc.fields), 422
    except ConflictError as exc:
        return render_template("web/signup.html", values=form.values, problems={"name": exc.message}), 409
    actor = accounts.authenticate_token(runtime_of(current_app), created.api_token, current_marketplace())
    _start_session(actor, form.name)
    flash(f"Welcome, {form.name}! Here are the HITs you can work on.", "success")
    return redirect(url_for("worker.hits"), 303)


@bp.post("/signout")
def signout():
    session.clear()
    csrf.renew()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.signin"), 303)


@bp.post("/marketplace")
def switch_marketplace():
    chosen = forms.marketplace(request.form.get("marketplace", ""))
    session["marketplace"] = chosen.value
    flash("You are in the sandbox: practice HITs, no real money." if chosen is Marketplace.SANDBOX
          else "You are in the production marketplace: HITs pay real money.", "info")
    return redirect(safe_next(request.form.get("next"), url_for("worker.hits")), 303)
