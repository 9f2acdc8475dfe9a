"""HTML error pages outside the APIs, and the security headers of every HTML page."""

from __future__ import annotations

import re

import pytest
from flask import abort


@pytest.fixture
def app_with_failures(app):
    """The app plus two pages that fail the ways real pages can: a refusal and a crash."""

    def forbidden():
        abort(403)

    def crash():
        raise RuntimeError("database password is hunter2")

    app.add_url_rule("/test-forbidden", view_func=forbidden)
    app.add_url_rule("/test-crash", view_func=crash)
    app.config.update(PROPAGATE_EXCEPTIONS=False)  # what a deployed app does with an unhandled error
    return app


def _title(html: str) -> str:
    return re.search(r"<h1>([^<]+)</h1>", html).group(1)


def test_unknown_page_is_an_html_404(client):
    response = client.get("/no/such/page")

    html = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert _title(html) == "Not Found" and '<a href="/">Back to the front page</a>' in html


def test_forbidden_page_is_an_html_403(app_with_failures):
    response = app_with_failures.test_client().get("/test-forbidden")

    assert response.status_code == 403 and response.mimetype == "text/html"
    assert _title(response.get_data(as_text=True)) == "Forbidden"


def test_crash_is_an_html_500_that_reveals_nothing(app_with_failures, caplog):
    response = app_with_failures.test_client().get("/test-crash")

    html = response.get_data(as_text=True)
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert _title(html) == "Internal Server Error"
    assert "hunter2" not in html and "Traceback" not in html
    assert "hunter2" in caplog.text  # logged for the operator instead


def test_api_paths_do_not_get_html_error_pages(client):
    response = client.get("/api/v1/no-such-endpoint")

    assert response.status_code == 404
    assert '<section class="error">' not in response.get_data(as_text=True)


def test_html_pages_carry_the_security_headers(client):
    for path in ("/", "/no/such/page"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts_or_styles(client, runtime):
    from labelhub import demo

    demo.seed(runtime)
    html = client.get("/").get_data(as_text=True)

    assert "<script" not in html and "style=" not in html and "<style" not in html
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)">', html).group(1)
    css = client.get(stylesheet)
    assert css.status_code == 200 and css.mimetype == "text/css"
