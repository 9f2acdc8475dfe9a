"""CSRF protection for the pages: one random token per session, required in every POST form.

The token lives in the signed session cookie and is compared in constant time with the form's
``csrf_token`` field. A cross-site page can make the browser post a form, but it cannot read the token
(same-origin policy), so its post is refused with a 400 page. SameSite=Lax cookies are the second line.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, request, session
from werkzeug.exceptions import BadRequest

SESSION_KEY = "csrf_token"
FIELD = "csrf_token"


class CSRFError(BadRequest):
    description = ("This form's security token is missing or out of date (the form may have been open "
                   "since before you signed in or out). Go back, reload the page and send it again.")


def token() -> str:
    """The session's token, created on first use; templates put it in every form."""
    if SESSION_KEY not in session:
        session[SESSION_KEY] = secrets.token_urlsafe(32)
    return session[SESSION_KEY]


def renew() -> None:
    """A fresh token (on sign-in and sign-out), so a token seen before cannot be replayed after."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)


def check() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected, sent = session.get(SESSION_KEY), request.form.get(FIELD, "")
    if not expected or not hmac.compare_digest(str(expected).encode(), sent.encode()):
        raise CSRFError()


def protect(bp: Blueprint) -> None:
    """Check every state-changing request to ``bp``'s views."""
    bp.before_request(check)
