"""The security headers of the HTML pages: a Content-Security-Policy without inline scripts or styles
and never framed by another site, nosniff, and no caching of pages that show a worker's own data.
SVG documents (the quality plots) get a policy too: opened on their own, an SVG is a document that
could run script."""

from __future__ import annotations

from flask import Blueprint, Response

# Public pages: every asset comes from this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# An SVG document: shapes and presentation attributes only, no script, no fetch, never framed.
SVG_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The worker pages: the same, except that a HIT's images and media may come from the requester's own
# URLs, and task frames come from this origin (a page embedding an ExternalQuestion adds its origin).
WORKER_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: http:; "
    "media-src 'self' data: https: http:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; frame-src 'self'"
)


def secure_headers(response: Response) -> Response:
    """Defaults only: a view that needs another policy (a sandboxed frame, say) sets its own."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    policy = {"text/html": CONTENT_SECURITY_POLICY, "image/svg+xml": SVG_POLICY}.get(response.mimetype)
    if policy is not None:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _private(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", WORKER_CSP)
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def private_pages(bp: Blueprint) -> None:
    """``bp``'s pages carry the worker policy and are never stored by a browser or proxy cache."""
    bp.after_request(_private)
