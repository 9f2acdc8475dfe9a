"""The pages around MTurk-style HITs: the work page and its sandboxed frame, the preview, the requester
guide, and /mturk/externalSubmit, where workers' forms post their answers.

Who may do what. On MTurk the AssignmentId is all a task page and externalSubmit know of the worker:
an unguessable 30-character id (36**30, about 2**155) given to that worker alone. LabelHub does the
same: the AssignmentId in the URL or in the posted form is the capability. Whoever holds it may see
the assignment's work page and frame and submit or return the assignment, always as the assignment's
own worker. (The requester's ExternalQuestion page receives the id too, exactly as on MTurk, where that
page posts the answer itself.) A preview has no assignment, so it asks the worker to sign in (HTTP
Basic, with the worker's LabelHub name and password) until LabelHub's worker pages have their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from labelhub.errors import (
    AuthenticationError,
    DomainError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    TooManyAttemptsError,
)
from labelhub.http_status import status_of
from labelhub.models import HIT, Assignment, AssignmentStatus, Marketplace
from labelhub.money import format_amount
from labelhub.mturk import layouts
from labelhub.mturk.params import ENTITY_ID
from labelhub.question_xml import rendering
from labelhub.runtime import Runtime
from labelhub.services import accounts, assignments
from labelhub.services.actors import Actor, system_actor

T = TypeVar("T")
SUBMIT_MAX_BYTES = 1024 * 1024
SUBMIT_MAX_FIELDS = 1000
SUBMIT_MAX_NAME = 255
TITLES = {400: "Bad request", 401: "Sign in", 402: "Not enough funds", 403: "Forbidden", 404: "Not found",
          409: "Conflict", 429: "Too many attempts"}
NOT_MTURK = ("This HIT uses one of LabelHub's own task templates, not an MTurk question "
             "(HTMLQuestion, ExternalQuestion or QuestionForm); it is shown in LabelHub's worker pages.")
SIGN_IN = 'Basic realm="LabelHub workers", charset="UTF-8"'


# ---- finding what a URL names ----------------------------------------------------------------------

def _in_any_marketplace(find: Callable[[Marketplace], T], missing: NotFoundError) -> T:
    """Public ids are unique across both marketplaces, and a page's URL does not say which one."""
    for marketplace in Marketplace:
        try:
            return find(marketplace)
        except NotFoundError:
            continue
    raise missing


def _assignment(rt: Runtime, assignment_id: str) -> Assignment:
    """The assignment the capability names, read as the system actor (a read: nothing is written)."""
    missing = NotFoundError(f"Assignment {assignment_id[:64]} does not exist.", entity="assignment")
    if not ENTITY_ID.match(assignment_id):
        raise missing
    return _in_any_marketplace(
        lambda marketplace: assignments.get_assignment(rt, system_actor(marketplace), assignment_id), missing)


def _worker_of(assignment: Assignment) -> Actor:
    return Actor("worker", assignment.worker_id, assignment.worker.public_id, assignment.hit.marketplace)


def _open(assignment: Assignment) -> Assignment:
    if assignment.status is not AssignmentStatus.ACCEPTED:
        raise InvalidStateError(f"This assignment is {assignment.status.value}: it can no longer be worked "
                                "on.", entity="assignment")
    return assignment


def _signed_in_worker(rt: Runtime) -> Actor:
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        raise AuthenticationError("Sign in with your LabelHub worker name and password to preview HITs.")
    return accounts.authenticate_worker(rt, auth.username, auth.password or "", Marketplace.PRODUCTION,
                                        client=request.remote_addr or "")


def _previewed_hit(rt: Runtime, hit_id: str) -> HIT:
    """The HIT, if the signed-in worker may preview it (the services apply its requirements)."""
    actor = _signed_in_worker(rt)
    return _in_any_marketplace(lambda m: assignments.preview(rt, actor.in_marketplace(m), hit_id),
                               NotFoundError(f"Hit {hit_id[:64]} does not exist.", entity="hit"))


def _question(hit: HIT) -> rendering.Question:
    question = rendering.read_question(hit.question)
    if question is None:
        raise PermissionDeniedError(NOT_MTURK, entity="hit")
    return question


# ---- pages ---------------------------------------------------------------------------------------------

def _html(body: str, status: int, csp: str) -> Response:
    """URLs here carry capabilities (AssignmentIds), so no cache keeps a page and no Referer takes one
    to another site. same-origin rather than no-referrer: with no-referrer a browser sends
    "Origin: null" on the page's own forms, which the Return button's origin check must tell apart."""
    response = Response(body, status, mimetype="text/html")
    response.headers.update({"Content-Security-Policy": csp, "Referrer-Policy": "same-origin",
                             "Cache-Control": "no-store"})
    return response


def _submit_to() -> str:
    """turkSubmitTo: this server's base URL, to which pages append /mturk/externalSubmit."""
    return request.url_root.rstrip("/")


def _frame_url(question: rendering.Question, hit: HIT, assignment: Assignment | None) -> str:
    if question.kind == "external":
        base = question.url
    elif assignment is not None:
        base = url_for("mturk.assignment_frame", assignment_id=assignment.public_id, _external=True)
    else:
        base = url_for("mturk.preview_frame", hit_id=hit.public_id, _external=True)
    return rendering.add_query(base, rendering.frame_query(
        hit_id=hit.public_id, assignment_id=assignment.public_id if assignment else None,
        worker_id=assignment.worker.public_id if assignment else None, submit_to=_submit_to()))


def _hit_view(hit: HIT) -> dict[str, Any]:
    return {"hit_id": hit.public_id, "title": hit.hit_type.title, "description": hit.hit_type.description,
            "reward": format_amount(hit.hit_type.reward_micros), "marketplace": hit.marketplace.value}


def _work(hit: HIT, assignment: Assignment | None) -> Response:
    question = _question(hit)
    context = {"hit": _hit_view(hit), "frame_url": _frame_url(question, hit, assignment),
               "frame_height": question.frame_height,
               "sandbox": rendering.iframe_sandbox(question, rendering.origin(request.host_url))}
    if assignment is not None:
        context |= {"assignment_id": assignment.public_id, "deadline": assignment.deadline,
                    "deadline_ms": _epoch_ms(assignment.deadline)}
    return _html(render_template("mturk/work.html", **context), 200, rendering.page_csp(question))


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def work_page(rt: Runtime, assignment_id: str) -> Response:
    assignment = _assignment(rt, assignment_id)
    if assignment.status is not AssignmentStatus.ACCEPTED:
        body = render_template("mturk/work.html", hit=_hit_view(assignment.hit),
                               status=assignment.status.value)
        return _html(body, 200, rendering.PAGE_CSP)
    return _work(assignment.hit, assignment)


def preview_page(rt: Runtime, hit_id: str) -> Response:
    return _work(_previewed_hit(rt, hit_id), None)


def _frame(hit: HIT, assignment: Assignment | None) -> Response:
    """The frame's content: requester HTML (rewritten), a QuestionForm as a form, or a redirect to an
    ExternalQuestion's page. The CSP sandbox header puts it in an opaque origin."""
    question = _question(hit)
    if question.kind == "external":
        return redirect(_frame_url(question, hit, assignment), 303)
    if question.kind == "html":
        body = rendering.rewrite_html(
            question.html, submit_url=url_for("mturk.external_submit", _external=True),
            external_hit_js=url_for("mturk.static", filename="externalHIT_v1.js", _external=True),
            crowd_elements_js=url_for("mturk.static", filename="crowd-html-elements.js", _external=True))
    else:
        body = render_template("mturk/question_form.html", question=question, hit=_hit_view(hit),
                               assignment_id=assignment.public_id if assignment else
                               rendering.PREVIEW_ASSIGNMENT_ID, preview=assignment is None)
    return _html(body, 200, rendering.FRAME_CSP)


def assignment_frame(rt: Runtime, assignment_id: str) -> Response:
    assignment = _open(_assignment(rt, assignment_id))
    return _frame(assignment.hit, assignment)


def preview_frame(rt: Runtime, hit_id: str) -> Response:
    return _frame(_previewed_hit(rt, hit_id), None)


def guide_page() -> Response:
    return _html(render_template("mturk/guide.html", base=_submit_to(), layouts=layouts.LAYOUTS.values()),
                 200, rendering.PAGE_CSP)


# ---- what workers post ---------------------------------------------------------------------------------

def _posted_fields() -> list[tuple[str, list[str]]]:
    """The form's fields in order, with MTurk's limits: no files, bounded size, count and names."""
    request.max_content_length = request.max_form_memory_size = SUBMIT_MAX_BYTES
    source = request.form if request.method == "POST" else request.args
    if request.method == "POST" and request.files:
        raise InvalidInputError({next(iter(request.files)): "file uploads are not accepted"})
    fields = list(source.lists())
    if sum(len(values) for _, values in fields) > SUBMIT_MAX_FIELDS:
        raise InvalidInputError({"form": f"has more than {SUBMIT_MAX_FIELDS} fields"})
    for name, values in fields:
        if not name or len(name) > SUBMIT_MAX_NAME:
            raise InvalidInputError({name[:40] or "form": f"field names must be 1 to {SUBMIT_MAX_NAME} "
                                                          "characters"})
        if "\x00" in name or any("\x00" in value for value in values):
            raise InvalidInputError({name: "must not contain NUL characters"})
    return fields


def external_submit(rt: Runtime) -> Response:
    """A worker's form, posted from the task frame (HTMLQuestion, QuestionForm) or from the requester's
    ExternalQuestion page, submitted as the assignment's worker.

    No CSRF token: the post comes from a sandboxed, opaque-origin frame or from another site, which
    can hold no token of ours, and no cookie is needed. The unguessable AssignmentId is the capability.
    """
    fields = _posted_fields()
    assignment_id = next((values[0] for name, values in fields if name == "assignmentId"), "")
    if not assignment_id:
        raise InvalidInputError({"assignmentId": "is required: send the assignmentId the task page was "
                                                 "given"})
    if assignment_id == rendering.PREVIEW_ASSIGNMENT_ID:
        raise InvalidInputError({"assignmentId": "is ASSIGNMENT_ID_NOT_AVAILABLE: this is a preview; accept "
                                                 "the HIT before submitting"})
    assignment = _assignment(rt, assignment_id)  # the services refuse one that is not Accepted
    answer = rendering.answer_from_form(rendering.read_question(assignment.hit.question), fields)
    assignments.submit(rt, _worker_of(assignment), assignment.public_id, answer)
    body = render_template("mturk/submitted.html", hit=_hit_view(assignment.hit))
    return _html(body, 200, rendering.PAGE_CSP)


def return_assignment(rt: Runtime, assignment_id: str) -> Response:
    """The work page's Return button. Its form comes from LabelHub's own page, so a browser's Origin
    header must be LabelHub's: a task frame (origin "null") or another site cannot return the HIT."""
    sent_from = request.headers.get("Origin")
    if sent_from is not None and sent_from.lower() != rendering.origin(request.host_url):
        raise PermissionDeniedError("The Return button works only from LabelHub's own work page.")
    assignment = _assignment(rt, assignment_id)
    assignments.return_assignment(rt, _worker_of(assignment), assignment.public_id)
    return redirect(url_for("mturk.work_page", assignment_id=assignment.public_id), 303)


def _error(status: int, title: str, message: str) -> Response:
    """Error pages may be shown inside the task frame, so they carry this package's policy."""
    response = _html(render_template("mturk/error.html", status=status, title=title, message=message),
                     status, rendering.PAGE_CSP)
    if status == 401:
        response.headers["WWW-Authenticate"] = SIGN_IN
    return response


def error_page(exc: DomainError) -> Response:
    """A domain error from one of these pages, as an HTML page with the matching status; a sign-in
    refused for too many failures is 429 with Retry-After (and no new Basic-auth prompt)."""
    if isinstance(exc, TooManyAttemptsError):
        response = _error(429, TITLES[429], exc.message)
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    status = status_of(exc)
    return _error(status, TITLES[status], exc.message)


def http_error_page(exc: HTTPException) -> Response:
    """An HTTP error raised inside these pages' views (a form over the size limit, say)."""
    status = exc.code or 500
    message = f"The form is larger than {SUBMIT_MAX_BYTES // 1024} KiB." if status == 413 else \
        (exc.description or exc.name)
    return _error(status, exc.name, message)
