"""AWS Signature Version 4 verification, rebuilding the canonical request exactly as botocore does.

The secret comes from the requester's access key (labelhub.services.accounts.access_key_secret). An
MTurk request must sign host, x-amz-date and x-amz-target (so a captured signature cannot be replayed as
another operation; the SNS endpoint's Query requests name the operation in the signed body instead) and
be dated within 15 minutes of the server's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from labelhub.errors import AuthenticationError
from labelhub.models import Marketplace
from labelhub.mturk.errors import ProtocolError
from labelhub.runtime import Runtime
from labelhub.services import accounts
from labelhub.services.actors import Actor

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "mturk-requester"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_SKEW = timedelta(minutes=15)
REQUIRED_SIGNED_HEADERS = ("host", "x-amz-date", "x-amz-target")
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<scope>[^,\s]+),\s*"
    r"SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$")
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.")


@dataclass(frozen=True, kw_only=True)
class SignedRequest:
    """What the signature covers, taken from the HTTP request as received."""

    method: str
    path: str
    query: str
    headers: Mapping[str, list[str]]  # lower-case name -> every value received
    body: bytes


def _invalid(message: str) -> ProtocolError:
    return ProtocolError("InvalidSignatureException", message)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    return _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), "aws4_request")


def canonical_query(query: str) -> str:
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&") if pair)
    return "&".join(f"{key}={value}" for key, value in pairs)


def canonical_request(req: SignedRequest, signed_headers: list[str]) -> str:
    headers = "".join(f"{name}:{','.join(' '.join(v.split()) for v in req.headers.get(name, []))}\n"
                      for name in signed_headers)
    payload = hashlib.sha256(req.body).hexdigest()
    declared = req.headers.get("x-amz-content-sha256")
    if declared:  # botocore signs the declared hash instead; it must still be the body's
        if declared[0] != payload:
            raise _invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")
        payload = declared[0]
    return "\n".join([req.method.upper(), quote(req.path, safe="/~"), canonical_query(req.query), headers,
                      ";".join(signed_headers), payload])


def _request_time(req: SignedRequest, now: datetime) -> str:
    amz_date = (req.headers.get("x-amz-date") or [""])[0]
    try:
        when = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ProtocolError("IncompleteSignatureException", "X-Amz-Date must be an ISO 8601 basic timestamp "
                            "such as 20260101T000000Z") from None
    stamp = now.strftime(AMZ_DATE_FORMAT)
    if when < now - MAX_SKEW:
        raise _invalid(f"Signature expired: {amz_date} is now earlier than "
                       f"{(now - MAX_SKEW).strftime(AMZ_DATE_FORMAT)} ({stamp} - 15 min.)")
    if when > now + MAX_SKEW:
        raise _invalid(f"Signature not yet current: {amz_date} is still later than "
                       f"{(now + MAX_SKEW).strftime(AMZ_DATE_FORMAT)} ({stamp} + 15 min.)")
    return amz_date


def verify(rt: Runtime, marketplace: Marketplace, req: SignedRequest, *, service: str = SERVICE,
           required_headers: tuple[str, ...] = REQUIRED_SIGNED_HEADERS) -> Actor:
    """The requester who signed ``req`` for ``service``; ProtocolError in AWS's shape otherwise."""
    header = (req.headers.get("authorization") or [""])[0]
    if not header:
        raise ProtocolError("MissingAuthenticationTokenException", "Missing Authentication Token")
    match = AUTHORIZATION.match(header.strip())
    if match is None:
        raise ProtocolError("IncompleteSignatureException",
                            f"Authorization header requires {ALGORITHM} with Credential, SignedHeaders and "
                            "Signature.")
    scope = match["scope"].split("/")
    signed_headers = match["headers"].split(";")
    if len(scope) != 4 or scope[2] != service or scope[3] != "aws4_request":
        raise _invalid(f"Credential should be scoped to correct service: '{service}'.")
    missing = [name for name in required_headers if name not in signed_headers]
    if missing or signed_headers != sorted(signed_headers):
        raise _invalid(f"SignedHeaders must be sorted and include {', '.join(required_headers)}.")
    amz_date = _request_time(req, rt.clock())
    if scope[0] != amz_date[:8]:
        raise _invalid(f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                       f"from HTTP: '{scope[0]}' != '{amz_date[:8]}'")
    try:
        secret, actor = accounts.access_key_secret(rt, match["key"], marketplace)
    except AuthenticationError as exc:
        raise ProtocolError("UnrecognizedClientException", exc.message) from None
    digest = hashlib.sha256(canonical_request(req, signed_headers).encode()).hexdigest()
    string_to_sign = "\n".join([ALGORITHM, amz_date, match["scope"], digest])
    key = signing_key(secret, scope[0], scope[1], scope[2])
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        raise _invalid(MISMATCH)
    return actor


def credential_region(req: SignedRequest) -> str:
    """The region of the credential scope of a request ``verify`` accepted."""
    match = AUTHORIZATION.match((req.headers.get("authorization") or [""])[0].strip())
    assert match is not None  # verify() accepted this header
    return match["scope"].split("/")[1]
