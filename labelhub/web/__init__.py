"""The HTML side of LabelHub: the public front page, the demo images and the HTML error pages.

``register(app)`` is called by ``create_app``; it adds the blueprint, the error pages for paths outside
the machine APIs, and the security headers every HTML response carries.
"""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from labelhub.web import errors, images, pages

# No inline scripts or styles anywhere: every asset comes from this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def register(app: Flask) -> None:
    app.register_blueprint(pages.bp)
    app.register_blueprint(images.bp)
    # Registered for the HTTPException class (not per code): a blueprint's own handlers, or code-specific
    # ones of another adapter, take precedence over these pages.
    app.register_error_handler(HTTPException, errors.http_error)
    app.after_request(secure_headers)


def secure_headers(response: Response) -> Response:
    """Defaults only: a view that needs another policy (a sandboxed frame, say) sets its own."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
