"""The requester's qualification types in the browser: the list with the form that creates one
(requestable, auto-granted, or with a multiple-choice test built in the form), a type's page with its
test, holders and pending requests, and the actions on them (grant, revoke, change a score, accept or
reject a request, activate or deactivate).

A type of another requester is the 404 page (``qualification_pages.check_owned`` runs before each
action); each action is one qualification use case, its outcome flashed on the type's page.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from labelhub import runtime_of
from labelhub.errors import ConflictError, DomainError, InvalidInputError, NotFoundError
from labelhub.question_xml import rendering
from labelhub.runtime import Runtime
from labelhub.services import qualification_pages, qualification_tests, qualifications
from labelhub.services.actors import Actor
from labelhub.services.commands import QualificationTypeSpec, QualificationTypeUpdate
from labelhub.services.qualification_tests import MAX_OPTIONS, MAX_QUESTIONS, ChoiceQuestion, MultipleChoiceTest
from labelhub.web import csrf, errors, forms, requester_session, security
from labelhub.web.requester_session import act, requester_required, signed_in_requester

bp = Blueprint("requester_qualifications", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)

PAGE_SIZE = 25
QUESTION_BLOCKS = 3  # question blocks the new-type form shows at first; ?questions=N shows more
MORE_BLOCKS = "more_questions"  # the form's button that posts it back with more blocks, nothing created
GRANTING = ("request", "auto", "test")
# NotFoundError too: a worker or request named in the form (the type in the path is checked first).
REFUSALS = (*requester_session.REFUSALS, NotFoundError, ConflictError)


def _rt() -> Runtime:
    return runtime_of(current_app)


def _blocks(form: MultiDict[str, str]) -> int:
    """How many question blocks to show: the ones posted back or asked for (the "more" button, or
    ?questions=N), else QUESTION_BLOCKS."""
    shown = [int(m.group(1)) for name in form if (m := re.fullmatch(r"question-(\d+)-text", name))]
    wanted = form.get(MORE_BLOCKS) or request.args.get("questions", "")
    if wanted.isdigit():
        shown.append(int(wanted))
    return max(1, min(max(shown, default=QUESTION_BLOCKS), MAX_QUESTIONS))


def _types_page(*, status: int = 200, problems: dict[str, str] | None = None):
    found = qualification_pages.types_overview(_rt(), signed_in_requester(), cursor=request.args.get("cursor"),
                                               limit=PAGE_SIZE)
    return render_template("web/requester/qualification_types.html", found=found, args=request.args,
                           form=request.form, problems=problems or {}, blocks=_blocks(request.form),
                           max_options=MAX_OPTIONS), status


@bp.get("/requester/qualification-types")
@requester_required
def types():
    return _types_page()


def _test_form(form: MultiDict[str, str]) -> MultipleChoiceTest:
    """The test's questions from the form's blocks; a block left wholly blank is no question."""
    found = []
    for number in range(1, MAX_QUESTIONS + 1):
        text = form.get(f"question-{number}-text", "").strip()
        options = [(position, form.get(f"question-{number}-option-{position}", "").strip())
                   for position in range(1, MAX_OPTIONS + 1)]
        given = [(position, option) for position, option in options if option]
        if not text and not given:
            continue
        correct = form.get(f"question-{number}-correct", "")
        index = next((i for i, (position, _) in enumerate(given) if str(position) == correct), -1)
        points = forms.whole_number(form, f"question-{number}-points", default="1",
                                    label=f"question {number} points")
        found.append(ChoiceQuestion(text, tuple(option for _, option in given), index, points))
    minutes = forms.whole_number(form, "test_minutes", label="test_duration")
    return MultipleChoiceTest(tuple(found), minutes * 60)


def _new_type(form: MultiDict[str, str]) -> tuple[QualificationTypeSpec, MultipleChoiceTest | None]:
    granting = form.get("granting", "request")
    if granting not in GRANTING:
        raise InvalidInputError({"granting": "must be one of: request, auto, test"})
    retry = form.get("retry_minutes", "").strip()
    spec = QualificationTypeSpec(
        name=form.get("name", "").strip(), description=form.get("description", "").strip(),
        keywords=form.get("keywords", "").strip(), active=form.get("status", "Active") == "Active",
        retry_delay_seconds=forms.whole_number(form, "retry_minutes") * 60 if retry else None,
        auto_granted=granting == "auto",
        auto_granted_value=forms.whole_number(form, "auto_value", default="1", signed=True)
        if granting == "auto" else 1)
    return spec, _test_form(form) if granting == "test" else None


@bp.post("/requester/qualification-types")
@requester_required
def create():
    if request.form.get(MORE_BLOCKS):  # the form again with more question blocks, what was typed kept
        return _types_page()
    try:
        spec, test = _new_type(request.form)
        made = qualification_tests.create_type(_rt(), signed_in_requester(), spec, test)
    except InvalidInputError as exc:
        return _types_page(status=422, problems=exc.fields)
    except ConflictError as exc:
        return _types_page(status=409, problems={"name": exc.message})
    flash(f"Created the qualification type {made.name}.", "success")
    return redirect(url_for(".type", type_id=made.public_id), 303)


@bp.get("/requester/qualification-types/<type_id>", endpoint="type")
@requester_required
def type_details(type_id: str):
    args = request.args
    page = qualification_pages.type_page(_rt(), signed_in_requester(), type_id, holders_cursor=args.get("holders"),
                                         requests_cursor=args.get("requests"), limit=PAGE_SIZE)
    question = rendering.read_question(page.qtype.test) if page.qtype.test else None
    link_args = args.copy()
    link_args["type_id"] = type_id
    return render_template("web/requester/qualification_type.html", page=page, question=question,
                           points=(page.qtype.answer_key or {}).get("points", {}), args=link_args)


def _act(type_id: str, action: Callable[[Runtime, Actor], str], *, anchor: str,
         request_id: str | None = None) -> BaseResponse:
    """Run one action on the requester's type, flash its outcome, back to the type's page."""
    qualification_pages.check_owned(_rt(), signed_in_requester(), type_id, request_public_id=request_id)
    return act(action, back=url_for(".type", type_id=type_id, _anchor=anchor), refusals=REFUSALS)


@bp.post("/requester/qualification-types/<type_id>/grant")
@requester_required
def grant(type_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        worker_id = request.form.get("worker_id", "").strip().upper()
        if not worker_id:
            raise InvalidInputError({"worker_id": "is required"})
        value = forms.whole_number(request.form, "value", default="1", signed=True)
        made = qualifications.grant(rt, actor, type_id, worker_id, value)
        return f"Granted to worker {worker_id} with the value {made.integer_value}."
    return _act(type_id, run, anchor="holders")


@bp.post("/requester/qualification-types/<type_id>/holders/<worker_id>/score")
@requester_required
def set_score(type_id: str, worker_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        value = forms.whole_number(request.form, "value", signed=True)
        made = qualifications.grant(rt, actor, type_id, worker_id, value)
        return f"Worker {worker_id} now has the value {made.integer_value}."
    return _act(type_id, run, anchor="holders")


@bp.post("/requester/qualification-types/<type_id>/holders/<worker_id>/revoke")
@requester_required
def revoke(type_id: str, worker_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        qualifications.revoke(rt, actor, type_id, worker_id, request.form.get("reason", "").strip() or None)
        return f"Revoked worker {worker_id}'s qualification."
    return _act(type_id, run, anchor="holders")


@bp.post("/requester/qualification-types/<type_id>/requests/<request_id>/accept")
@requester_required
def accept_request(type_id: str, request_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        value = forms.whole_number(request.form, "value", default="1", signed=True)
        made = qualifications.accept_request(rt, actor, request_id, value)
        return f"Accepted the request: granted with the value {made.score}."
    return _act(type_id, run, anchor="requests", request_id=request_id)


@bp.post("/requester/qualification-types/<type_id>/requests/<request_id>/reject")
@requester_required
def reject_request(type_id: str, request_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        qualifications.reject_request(rt, actor, request_id, request.form.get("reason", "").strip() or None)
        return "Rejected the request."
    return _act(type_id, run, anchor="requests", request_id=request_id)


@bp.post("/requester/qualification-types/<type_id>/status")
@requester_required
def set_status(type_id: str):
    def run(rt: Runtime, actor: Actor) -> str:
        status = request.form.get("status", "")
        if status not in ("Active", "Inactive"):
            raise InvalidInputError({"status": "must be Active or Inactive"})
        qualifications.update_type(rt, actor, type_id, QualificationTypeUpdate(active=status == "Active"))
        return f"The type is now {status.lower()}: " + (
            "workers can request it." if status == "Active" else "workers can no longer request it.")
    return _act(type_id, run, anchor="details")
