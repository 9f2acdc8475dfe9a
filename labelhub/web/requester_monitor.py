"""The requester's batches in the browser: the list, a batch's page with its plots and exports, a HIT
type's page, and the batch actions (pause, resume, extend, add assignments, expire).

Every view is for the signed-in requester and makes one service call with ``signed_in_requester()``;
the services decide ownership (another requester's batch is a 404) and every rule of the actions.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, render_template, request, send_file, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from labelhub import runtime_of
from labelhub.errors import DomainError, InvalidInputError
from labelhub.money import format_amount
from labelhub.runtime import Runtime
from labelhub.services import batch_actions, exports, requester_pages
from labelhub.services.actors import Actor
from labelhub.services.export_commands import FORMATS, ExportRequest
from labelhub.web import csrf, errors, forms, security
from labelhub.web.requester_session import act, requester_required, signed_in_requester

bp = Blueprint("requester_monitor", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)

PAGE_SIZE = 20
HOURS = {"hours": 3600, "days": 86_400}


def _rt() -> Runtime:
    return runtime_of(current_app)


def _link_args(**path: str) -> MultiDict[str, str]:
    """The query with the page's path parameters, for the pager's links."""
    args = request.args.copy()
    args.update(path)
    return args


@bp.get("/requester/batches")
@requester_required
def batches():
    overview = requester_pages.batches_overview(_rt(), signed_in_requester(), batches_cursor=request.args.get("cursor"),
                                                hit_types_cursor=request.args.get("types"), limit=PAGE_SIZE)
    return render_template("web/requester/batches.html", overview=overview, args=request.args)


@bp.get("/requester/hit-types/<hit_type_id>")
@requester_required
def hit_type(hit_type_id: str):
    page = requester_pages.hit_type_page(_rt(), signed_in_requester(), hit_type_id,
                                         cursor=request.args.get("cursor"), limit=PAGE_SIZE)
    return render_template("web/requester/hit_type.html", page=page, args=_link_args(hit_type_id=hit_type_id))


@bp.get("/requester/batches/<batch_id>")
@requester_required
def batch(batch_id: str):
    args = request.args
    filters = requester_pages.HITFilters(status=args.get("status") or None, gold=args.get("gold") or "any",
                                         answers=args.get("answers") or "any")
    page = requester_pages.batch_page(_rt(), signed_in_requester(), batch_id, filters=filters,
                                      hits_cursor=args.get("hits"), consensus_cursor=args.get("consensus"))
    return render_template("web/requester/batch.html", page=page, filters=filters, args=_link_args(batch_id=batch_id),
                           formats=FORMATS,
                           gold_filters=requester_pages.GOLD_FILTERS, answer_filters=requester_pages.ANSWER_FILTERS)


@bp.get("/requester/batches/<batch_id>/plots/<any(progress, timeline, workers, confusion):name>.svg")
@requester_required
def plot(batch_id: str, name: str):
    svg = requester_pages.batch_plot(_rt(), signed_in_requester(), batch_id, name,
                                     worker_id=request.args.get("worker_id") or None)
    return Response(svg, mimetype="image/svg+xml")


def _act(batch_id: str, action: Callable[[Runtime, Actor], str]) -> BaseResponse:
    """Run one batch action and flash what it did, or why it was refused; back to the batch page.
    Unknown batches (or another requester's) fall through to the 404 page."""
    return act(action, back=url_for(".batch", batch_id=batch_id, _anchor="actions"))


@bp.post("/requester/batches/<batch_id>/pause")
@requester_required
def pause(batch_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        done = batch_actions.pause(rt, actor, batch_id)
        return f"Paused: the {done.hits:,} HITs of {done.batch.name} take no new workers. Work already " \
               "accepted can still be submitted."
    return _act(batch_id, run)


@bp.post("/requester/batches/<batch_id>/resume")
@requester_required
def resume(batch_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        done = batch_actions.resume(rt, actor, batch_id)
        return f"Resumed: the HITs of {done.batch.name} are on offer again."
    return _act(batch_id, run)


@bp.post("/requester/batches/<batch_id>/extend")
@requester_required
def extend(batch_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        unit = request.form.get("unit", "hours")
        if unit not in HOURS:
            raise InvalidInputError({"unit": "must be hours or days"})
        amount = forms.whole_number(request.form, "amount")
        done = batch_actions.extend(rt, actor, batch_id, amount * HOURS[unit])
        return f"Extended: {done.hits:,} open HITs of {done.batch.name} run {amount} {unit} longer."
    return _act(batch_id, run)


@bp.post("/requester/batches/<batch_id>/assignments")
@requester_required
def add_assignments(batch_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        count = forms.whole_number(request.form, "assignments")
        done = batch_actions.add_assignments(rt, actor, batch_id, count)
        return f"Added {count} assignment(s) to each of {done.hits:,} open HITs; " \
               f"{format_amount(done.amount_micros)} is held for them."
    return _act(batch_id, run)


@bp.post("/requester/batches/<batch_id>/expire")
@requester_required
def expire(batch_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        done = batch_actions.expire(rt, actor, batch_id)
        return f"Expired {done.hits:,} open HITs of {done.batch.name}; {format_amount(done.amount_micros)} " \
               "went back to your available balance."
    return _act(batch_id, run)


@bp.post("/requester/batches/<batch_id>/exports")
@requester_required
def create_export(batch_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        wanted = ExportRequest(request.form.get("format", ""), answers=request.form.get("records") == "answers")
        made = exports.request_export(rt, actor, batch_id, wanted)
        return f"Export {made.export.public_id} ({made.export.format}) is being written: reload this page to " \
               "download it."
    response = _act(batch_id, run)
    response.location = url_for(".batch", batch_id=batch_id, _anchor="downloads")
    return response


@bp.get("/requester/exports/<export_id>/file")
@requester_required
def download_export(export_id: str):
    found = exports.export_file(_rt(), signed_in_requester(), export_id)
    return send_file(found.path, mimetype=found.media_type, as_attachment=True, download_name=found.name)
