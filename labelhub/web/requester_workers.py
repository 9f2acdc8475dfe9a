"""Workers in the requester's scope: the list, a worker's page, and the actions on a worker (block,
unblock, message, bonus, grant a qualification) that this page and the review queue post to.

Every action first asks ``worker_profiles.check_in_scope`` (a worker outside the requester's scope is the
404 page), then makes one use-case call; what it did, or why it was refused, is flashed and the browser
goes back to ``next`` (a path on this site) or to the worker's page.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from labelhub import runtime_of
from labelhub.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from labelhub.money import format_amount, parse_amount
from labelhub.runtime import Runtime
from labelhub.services import payments, qualifications, worker_profiles, workers
from labelhub.services.actors import Actor
from labelhub.services.commands import NotifyWorkers, SendBonus
from labelhub.web import csrf, errors, forms, requester_session, security
from labelhub.web.auth import safe_next
from labelhub.web.requester_session import act, requester_required, signed_in_requester

bp = Blueprint("requester_workers", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)

PAGE_SIZE = 25
# Refusals an action flashes; NotFoundError too, for an object named in the form (an assignment, a type):
# the worker in the path was found in scope before the action ran.
REFUSALS = (*requester_session.REFUSALS, NotFoundError, PermissionDeniedError, ConflictError)


def _rt() -> Runtime:
    return runtime_of(current_app)


def _link_args(**path: str) -> MultiDict[str, str]:
    args = request.args.copy()
    args.update(path)
    return args


@bp.get("/requester/workers", endpoint="workers")
@requester_required
def workers_list():
    search = request.args.get("q", "").strip() or None
    found = worker_profiles.workers_page(_rt(), signed_in_requester(), search=search,
                                         cursor=request.args.get("cursor"), limit=PAGE_SIZE)
    return render_template("web/requester/workers.html", found=found, q=search or "", args=request.args)


@bp.get("/requester/workers/<worker_id>")
@requester_required
def worker(worker_id: str):
    args = request.args
    profile = worker_profiles.worker_profile(_rt(), signed_in_requester(), worker_id,
                                             history_cursor=args.get("history"), flags_cursor=args.get("flags"),
                                             qualifications_cursor=args.get("qualifications"))
    confusable = [row.batch_id for row in profile.history.items if row.has_confusion]
    chosen = args.get("batch") if args.get("batch") in confusable else (confusable[0] if confusable else None)
    return render_template("web/requester/worker.html", profile=profile, args=_link_args(worker_id=worker_id),
                           confusable=confusable, chosen=chosen)


def _act(worker_id: str, action: Callable[[Runtime, Actor], str]) -> BaseResponse:
    """Run one action on a worker in scope, flash its outcome, and go to ``next`` or the worker's page."""
    worker_profiles.check_in_scope(_rt(), signed_in_requester(), worker_id)
    return act(action, back=safe_next(request.form.get("next"), url_for(".worker", worker_id=worker_id)),
               refusals=REFUSALS)


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


@bp.post("/requester/workers/<worker_id>/block")
@requester_required
def block(worker_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        workers.block(rt, actor, worker_id, _text("reason"))
        return f"Blocked worker {worker_id}: they can no longer see or accept your HITs."
    return _act(worker_id, run)


@bp.post("/requester/workers/<worker_id>/unblock")
@requester_required
def unblock(worker_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        workers.unblock(rt, actor, worker_id, _text("reason") or None)
        return f"Unblocked worker {worker_id}."
    return _act(worker_id, run)


@bp.post("/requester/workers/<worker_id>/message")
@requester_required
def message(worker_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        failures = workers.notify(rt, actor, NotifyWorkers(_text("subject"), _text("body"), (worker_id,)))
        if failures:
            raise InvalidStateError(f"The message was not sent: {failures[0].message}.", entity="worker")
        return f"Message sent to worker {worker_id}."
    return _act(worker_id, run)


def _amount(name: str) -> int:
    text = _text(name).removeprefix("$")
    try:
        return parse_amount(text)
    except ValueError as exc:
        raise InvalidInputError({name: str(exc)}) from None


@bp.post("/requester/workers/<worker_id>/bonus")
@requester_required
def bonus(worker_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        paid = payments.send_bonus(rt, actor, SendBonus(
            worker_id=worker_id, assignment_id=_text("assignment_id"), amount_micros=_amount("amount"),
            reason=_text("reason"), unique_request_token=_text("token") or None))
        if paid.replayed:
            return f"This bonus was already paid (${format_amount(paid.value.amount_micros)}); nothing was paid again."
        return f"Paid a bonus of ${format_amount(paid.value.amount_micros)} to worker {worker_id} " \
               f"(fee ${format_amount(paid.value.fee_micros)})."
    return _act(worker_id, run)


@bp.post("/requester/workers/<worker_id>/qualifications")
@requester_required
def grant_qualification(worker_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        value = forms.whole_number(request.form, "value", default="1", signed=True)
        granted = qualifications.grant(rt, actor, _text("qualification_type_id"), worker_id, value)
        return f"Granted {granted.qualification_type.name} to worker {worker_id} with the value " \
               f"{granted.integer_value}."
    return _act(worker_id, run)
