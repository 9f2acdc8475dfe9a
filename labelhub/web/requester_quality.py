"""A batch's quality dashboard (being built)."""

from __future__ import annotations

from flask import Blueprint

from labelhub.errors import DomainError
from labelhub.web import csrf, errors, security

bp = Blueprint("requester_quality", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)
