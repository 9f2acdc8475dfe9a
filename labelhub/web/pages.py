"""The public front page: the production marketplace's batches, each with its first HITs. A batch's own
page is its requester's (labelhub.web.requester_monitor)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from labelhub import runtime_of
from labelhub.errors import DomainError
from labelhub.models import Marketplace
from labelhub.money import format_amount
from labelhub.services import queries
from labelhub.web import errors

BATCHES_PER_PAGE = 5
HITS_PER_CARD = 8

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/web-static")
bp.register_error_handler(DomainError, errors.domain_error)


@bp.get("/")
def index():
    page = queries.marketplace_batches(runtime_of(current_app), Marketplace.PRODUCTION,
                                       cursor=request.args.get("cursor"), limit=BATCHES_PER_PAGE,
                                       hits_per_batch=HITS_PER_CARD)
    return render_template("web/index.html", page=page, has_cursor=bool(request.args.get("cursor")),
                           money=format_amount)

