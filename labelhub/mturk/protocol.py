"""The AWS JSON 1.1 endpoint: authenticate (SigV4), dispatch on X-Amz-Target through OPERATIONS, render.

Every response carries ``x-amzn-RequestId`` (botocore copies it into ResponseMetadata.RequestId).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

from labelhub import client_json
from labelhub.db import DatabaseBusyError
from labelhub.errors import DomainError, InvalidInputError
from labelhub.models import Marketplace
from labelhub.mturk import errors, sigv4
from labelhub.mturk.operations import OPERATIONS
from labelhub.mturk.params import Params
from labelhub.runtime import Runtime

TARGET_PREFIX = "MTurkRequesterServiceV20170117."
CONTENT_TYPE = "application/x-amz-json-1.1"
NOT_AN_OBJECT = "The request body must be a JSON object"


def _response(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status,
                    {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": str(uuid.uuid4())})


def _error(wire: errors.WireError) -> Response:
    body = {"__type": wire.error_type, "Message": wire.message}
    if wire.code:
        body["TurkErrorCode"] = wire.code
    response = _response(wire.status, body)
    if wire.retry_after is not None:
        response.headers["Retry-After"] = str(wire.retry_after)
    return response


def signed_request() -> sigv4.SignedRequest:
    """The Flask request as SigV4 covers it."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    return sigv4.SignedRequest(method=request.method, path=request.script_root + request.path,
                               query=request.query_string.decode("latin-1"), headers=headers,
                               body=request.get_data(cache=True))


def _operation_name() -> str:
    target = request.headers.get("X-Amz-Target", "")
    name = target.removeprefix(TARGET_PREFIX)
    if not target.startswith(TARGET_PREFIX) or name not in OPERATIONS:
        raise errors.ProtocolError("UnknownOperationException", f"Unknown operation {target!r}")
    return name


def _body() -> Params:
    """The input members; a RequestError (never a ServiceFault, which boto3 retries) for any body that is
    not a JSON object every operation can read (labelhub.client_json)."""
    try:
        body = client_json.loads(request.get_data(cache=True) or b"{}")
    except client_json.UnreadableJSON as exc:
        raise errors.TurkError(errors.PARAMETER_OUT_OF_RANGE, f"{NOT_AN_OBJECT}; it {exc}") from None
    if not isinstance(body, dict):
        raise errors.TurkError(errors.PARAMETER_OUT_OF_RANGE, NOT_AN_OBJECT)
    for field, problem in client_json.problems(body, root="The request body"):
        raise InvalidInputError({field: problem})
    return Params(body)


def handle(rt: Runtime, marketplace: Marketplace) -> Response:
    """One MTurk API call, in ``marketplace``."""
    stamp_ms = int(rt.clock().timestamp() * 1000)
    try:
        actor = sigv4.verify(rt, marketplace, signed_request())
        operation = OPERATIONS[_operation_name()]
        return _response(200, operation(rt, actor, _body()))
    except errors.ProtocolError as exc:
        return _error(errors.from_protocol(exc))
    except errors.TurkError as exc:
        return _error(errors.from_turk(exc, stamp_ms))
    except DomainError as exc:
        return _error(errors.from_domain(exc, stamp_ms))
    except HTTPException as exc:  # e.g. a body over the configured size limit
        return _error(errors.WireError(status=exc.code or 400, error_type=errors.REQUEST_ERROR,
                                       message=exc.description or exc.name,
                                       code=errors.PARAMETER_OUT_OF_RANGE))
    except Exception as exc:
        return _error(_fault(exc, stamp_ms))


def _fault(exc: Exception, stamp_ms: int) -> errors.WireError:
    """Our failure: a busy database (503, retried by the client) or a fault (500, logged with its trace)."""
    if isinstance(exc, DatabaseBusyError):
        current_app.logger.warning("MTurk API call found the database busy: %s", exc.orig)
        return errors.busy(stamp_ms)
    current_app.logger.error("MTurk API call failed", exc_info=exc)
    return errors.service_fault(stamp_ms)
