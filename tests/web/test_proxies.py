"""Behind reverse proxies: with [web] trusted_proxies the client's address comes from X-Forwarded-For,
so the sign-in limit counts per client, not per proxy; without it the header is ignored (anyone could
forge it). Session cookies are Secure when [web] secure_cookies is set."""

from __future__ import annotations

from dataclasses import replace

import pytest

from labelhub import create_app
from labelhub.services import accounts
from labelhub.settings import WebSettings
from tests.mturk.test_preview_auth import _preview, hit_id  # noqa: F401  (a fixture)
from tests.web.conftest import PASSWORD


def _app(runtime, **web):
    app = create_app(replace(runtime.settings, web=replace(WebSettings(), **web)), runtime=runtime)
    app.config.update(TESTING=True)
    return app


@pytest.mark.parametrize(("proxies", "other_client_status"), [(1, 200), (0, 429)])
def test_the_sign_in_limit_sees_the_forwarded_client_only_behind_trusted_proxies(runtime, hit_id,  # noqa: F811
                                                                                  proxies, other_client_status):
    client = _app(runtime, trusted_proxies=proxies).test_client()
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        _preview(client, hit_id, "guess", headers_extra={"X-Forwarded-For": "203.0.113.5"})

    same = _preview(client, hit_id, PASSWORD, headers_extra={"X-Forwarded-For": "203.0.113.5"})
    other = _preview(client, hit_id, PASSWORD, headers_extra={"X-Forwarded-For": "198.51.100.7"})

    assert same.status_code == 429
    assert other.status_code == other_client_status


def test_session_cookies_are_secure_only_when_asked(runtime):
    def cookie(app) -> str:
        response = app.test_client().get("/signin")
        return next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))

    assert "Secure" in cookie(_app(runtime, secure_cookies=True))
    assert "Secure" not in cookie(_app(runtime))
