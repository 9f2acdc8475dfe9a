"""Who is signed in to the requester pages: the requester kept in the signed session cookie beside
(never together with) a worker, in the marketplace the session has chosen.

The sign-in views live in ``labelhub.web.requester_auth``; every requester view is wrapped in
``requester_required`` and passes ``signed_in_requester()`` to the services, which check ownership.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

from labelhub import runtime_of
from labelhub.errors import (
    AuthenticationError,
    DomainError,
    InsufficientFundsError,
    InvalidInputError,
    InvalidStateError,
)
from labelhub.runtime import Runtime
from labelhub.services.actors import Actor
from labelhub.web import csrf
from labelhub.web.auth import current_marketplace

SESSION_KEY = "requester"
# The requester pages' navigation: (endpoint, label); an endpoint this app lacks is left out.
NAVIGATION = (("requester_monitor.batches", "Batches"), ("requester_new.new_batch", "New batch"),
              ("requester_jobs.jobs", "Jobs"),
              ("requester_workers.workers", "Workers"), ("requester_qualifications.types", "Qualifications"),
              ("requester_account.account", "Account"), ("requester_account.credentials", "Credentials"))


def current_requester() -> Actor | None:
    requester = session.get(SESSION_KEY)
    if not isinstance(requester, dict):
        return None
    return Actor("requester", requester["id"], requester["public_id"], current_marketplace())


def signed_in_requester() -> Actor:
    """The signed-in requester, in a view behind requester_required."""
    actor = current_requester()
    if actor is None:
        raise AuthenticationError("Sign in as a requester to continue.")
    return actor


def requester_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anyone not signed in as a requester goes to the requester sign-in page, and comes back after."""

    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        if current_requester() is None:
            flash("Sign in as a requester to continue.", "info")
            back = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("requester_auth.signin", next=back))
        return view(**kwargs)

    return wrapper


# What an action form answers with a flash rather than an error page: the request was understood and
# the service said no (nothing was written).
REFUSALS: tuple[type[DomainError], ...] = (InvalidInputError, InvalidStateError, InsufficientFundsError)


def act(action: Callable[[Runtime, Actor], str], *, back: str,
        refusals: tuple[type[DomainError], ...] = REFUSALS) -> Response:
    """Run one action of the signed-in requester, flash what it did (the sentence it returns) or why
    it was refused, and go (303) to ``back``. Other errors reach the error pages (an unknown or another
    requester's object: the 404 page)."""
    try:
        flash(action(runtime_of(current_app), signed_in_requester()), "success")
    except refusals as exc:
        flash(exc.message, "error")
    return redirect(back, 303)


def start_session(actor: Actor, name: str) -> None:
    """Sign the requester in: nothing from before survives (session fixation), the marketplace stays."""
    marketplace = current_marketplace()
    session.clear()
    session.update({SESSION_KEY: {"id": actor.id, "public_id": actor.public_id, "name": name},
                    "marketplace": marketplace.value})
    csrf.renew()


def navigation() -> list[tuple[str, str]]:
    """The requester navigation's (url, label) pairs, for base.html."""
    return [(url_for(endpoint), label) for endpoint, label in NAVIGATION if endpoint in current_app.view_functions]


def page_globals() -> dict[str, Any]:
    requester = session.get(SESSION_KEY)
    return {"requester_name": requester.get("name") if isinstance(requester, dict) else None,
            "requester_navigation": navigation}
