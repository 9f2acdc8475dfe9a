"""Bearer-token authentication: ``Authorization: Bearer <token>`` -> the Actor the services authorize."""

from __future__ import annotations

from flask import request

from labelhub.errors import AuthenticationError
from labelhub.models import Marketplace
from labelhub.runtime import Runtime
from labelhub.services import accounts
from labelhub.services.actors import Actor, require_requester, require_worker

ROLE_CHECKS = {"requester": require_requester, "worker": require_worker}


def bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not scheme:
        raise AuthenticationError("Send an API token: Authorization: Bearer <token>")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("The Authorization header must read: Bearer <token>")
    return token.strip()


def authenticate(rt: Runtime, marketplace: Marketplace, role: str) -> Actor:
    """The token's requester or worker; PermissionDeniedError when the endpoint is for the other role."""
    actor = accounts.authenticate_token(rt, bearer_token(), marketplace)
    ROLE_CHECKS[role](actor)
    return actor
