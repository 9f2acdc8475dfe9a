"""The MTurk-compatible Requester API (2017-01-17): POST /mturk/production and /mturk/sandbox.

An unmodified boto3 ``mturk`` client works against these endpoints by changing ``endpoint_url`` and
the credentials. This package is an adapter: every rule lives in labelhub.services.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from labelhub import runtime_of
from labelhub.models import Marketplace
from labelhub.mturk import protocol


def create_blueprint() -> Blueprint:
    bp = Blueprint("mturk", __name__)

    @bp.post("/production")
    def production() -> Response:
        return protocol.handle(runtime_of(current_app), Marketplace.PRODUCTION)

    @bp.post("/sandbox")
    def sandbox() -> Response:
        return protocol.handle(runtime_of(current_app), Marketplace.SANDBOX)

    return bp
