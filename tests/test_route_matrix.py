"""The authorization matrix: every registered route, with every method it allows, asked by six callers
(anonymous, the worker, another worker, the requester, another requester, the other marketplace), each
answer checked against its class (allowed, refused, not found) and every HTML answer against the security
headers; then every MTurk operation that names an object, asked by another requester and from the other
marketplace.

A route or operation without an entry here fails the completeness tests, so the matrix stays whole.
The objects are built once for the module through the real services; requests that change an object get
a fresh one per caller (``fresh_*`` in tests.route_matrix_support), so every caller sends the same valid
request and only who sends it differs.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from labelhub import create_app, ids, jobs
from labelhub.mturk.operations import OPERATIONS
from labelhub.queueing import InlineBackend
from labelhub.runtime import Runtime
from tests.conftest import Clock, empty_all_tables, make_settings
from tests.mturk.conftest import HTML_QUESTION, TARGET
from tests.route_matrix_support import (
    Answer,
    Caller,
    Callers,
    Request,
    Surface,
    World,
    build_world,
    classify,
    describe,
    leaked,
    png_bytes,
    security_header_problems,
)

ANONYMOUS, WORKER, OTHER_WORKER = Caller.ANONYMOUS, Caller.WORKER, Caller.OTHER_WORKER
REQUESTER, OTHER_REQUESTER, OTHER_MARKETPLACE = Caller.REQUESTER, Caller.OTHER_REQUESTER, Caller.OTHER_MARKETPLACE
OK, INVALID, REFUSED, MISSING = Answer.ALLOWED, Answer.INVALID, Answer.REFUSED, Answer.NOT_FOUND
_unique = itertools.count(1)


def answers(anonymous: Answer, worker: Answer, other_worker: Answer, requester: Answer, other_requester: Answer,
            other_marketplace: Answer) -> dict[Caller, Answer]:
    return dict(zip(Caller, (anonymous, worker, other_worker, requester, other_requester, other_marketplace),
                    strict=True))


# Anyone: public pages, static files, sign-in, and the MTurk pages whose AssignmentId is the permission.
OPEN = answers(OK, OK, OK, OK, OK, OK)
# The requester's own HIT, batch, assignment, job...: other requesters and the other marketplace must not
# learn that it exists.
REQUESTER_OBJECT = answers(REFUSED, REFUSED, REFUSED, OK, MISSING, MISSING)
# A qualification type: any requester of its marketplace may read it (as on MTurk), only its owner
# may change it or see who holds it.
PUBLIC_TYPE = answers(REFUSED, REFUSED, REFUSED, OK, OK, MISSING)
OWNED_TYPE = answers(REFUSED, REFUSED, REFUSED, OK, REFUSED, MISSING)
# The requester's account: every requester has one (lists, creation, balance), in each marketplace.
REQUESTER_ACCOUNT = answers(REFUSED, REFUSED, REFUSED, OK, OK, OK)
# The requester's own object that belongs to no marketplace (a draft, a credential): the requester's
# sandbox session sees it too.
ACCOUNT_OBJECT = answers(REFUSED, REFUSED, REFUSED, OK, MISSING, OK)
# Play money: topped up in the sandbox only (the production marketplace answers 409).
SANDBOX_ONLY = answers(REFUSED, REFUSED, REFUSED, INVALID, INVALID, OK)
# The worker's own assignment.
WORKER_OBJECT = answers(REFUSED, OK, MISSING, REFUSED, REFUSED, MISSING)
# A HIT or qualification type on offer in one marketplace: any worker of that marketplace.
MARKET_OBJECT = answers(REFUSED, OK, OK, REFUSED, REFUSED, MISSING)
# The worker's account: lists, earnings, messages.
WORKER_ACCOUNT = answers(REFUSED, OK, OK, REFUSED, REFUSED, OK)
# MTurk's preview asks for the worker's name and password; its URL names no marketplace.
SIGNED_IN_WORKER = answers(REFUSED, OK, OK, REFUSED, REFUSED, OK)

Values = Mapping[str, str] | Callable[[World], Mapping[str, Any]]


@dataclass(frozen=True)
class Call:
    """What one (rule, method) is sent and what each caller must get.

    ``fill`` names the World attribute (or ``fresh_*`` builder) for each path parameter; ``sandbox_fill``
    replaces it for the other-marketplace caller on URLs that name no marketplace. ``json``, ``form`` and
    ``query`` are such a mapping too, or a function of the World. ``lists``: callers other than the owner
    must not see the owner's ids. ``own_session``: the request ends or changes a session, so it is sent
    from a new cookie jar. ``lands_on``: where an allowed request is redirected (a path prefix).
    """

    surface: Surface
    expect: Mapping[Caller, Answer]
    fill: Mapping[str, str] = field(default_factory=dict)
    sandbox_fill: Mapping[str, str] | None = None
    json: Values | None = None
    form: Values | None = None
    query: Values | None = None
    raw: bytes | None = None
    content_type: str | None = None
    operation: str | None = None
    lists: bool = False
    own_session: bool = False
    lands_on: str | None = None

    @property
    def owner(self) -> str:
        """Whose credentials the other-marketplace caller uses: the worker's on routes only workers may
        use, the requester's elsewhere."""
        return "worker" if self.expect[WORKER] is OK and self.expect[REQUESTER] is not OK else "requester"


def values(given: Values | None, world: World) -> dict[str, Any] | None:
    if given is None:
        return None
    return dict(given(world) if callable(given) else world.resolve(given))


PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def build(rule: str, method: str, call: Call, world: World, caller: Caller) -> Request:
    fill = call.sandbox_fill if caller is OTHER_MARKETPLACE and call.sandbox_fill is not None else call.fill
    path_values = world.resolve(fill)
    path = PARAMETER.sub(lambda m: path_values[m.group(1)], rule)
    headers = {"X-Amz-Target": TARGET + call.operation} if call.operation else {}
    if call.content_type:
        headers["Content-Type"] = call.content_type
    return Request(method=method, path=path, surface=call.surface, owner=call.owner,
                   json=values(call.json, world), form=values(call.form, world), query=values(call.query, world),
                   raw=call.raw, headers=headers)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_unique)}"


# ---- request bodies ----------------------------------------------------------------------------------------

HIT_TYPE_FIELDS = {"title": "Describe the picture", "description": "One sentence.", "reward": "0.10",
                   "assignment_duration_seconds": 600}
NEW_BATCH = HIT_TYPE_FIELDS | {"name": "Matrix batch", "task_type": "text_classification",
                               "config": {"labels": ["positive", "negative"]}, "rows": [{"text": "fine"}],
                               "lifetime_seconds": 3600}
UPLOAD_BOUNDARY, NEW_BATCH_UPLOAD = encode_multipart({
    "settings": json.dumps({name: value for name, value in NEW_BATCH.items() if name != "rows"}),
    "file": FileStorage(io.BytesIO(b"text\r\nfine\r\n"), filename="rows.csv", content_type="text/csv")},
    boundary="matrix-upload")
NEW_HIT = HIT_TYPE_FIELDS | {"question": "<p>What is shown?</p>", "lifetime_seconds": 3600}


def submit_form(_: World) -> dict[str, str]:
    return {"answer": '{"label": "positive"}'}


def bonus(world: World) -> dict[str, Any]:
    return {"worker_id": world.worker_id, "assignment_id": world.fresh_submitted(), "amount": "0.05",
            "reason": "Careful work"}


def requester_sign_up(_: World) -> dict[str, str]:
    return {"name": unique("requestersignup"), "password": "correct-horse-1", "confirm": "correct-horse-1"}


def upload_file(_: World) -> dict[str, Any]:
    return {"file": (io.BytesIO(b"text\r\nfine\r\n"), "reviews.csv")}


def review_csv_file(_: World) -> dict[str, Any]:
    return {"file": (io.BytesIO(b"AssignmentId,Approve,Reject\r\nNOSUCHASSIGNMENT,x,\r\n"), "results.csv")}


def sign_up(_: World) -> dict[str, str]:
    name = unique("signup")
    return {"name": name, "password": "correct-horse-1", "confirm": "correct-horse-1", "country": "US"}


# ---- the matrix ------------------------------------------------------------------------------------------------

RP = Surface.REQUESTER_PAGE
DRAFT = {"draft_id": "draft"}
FRESH_BATCH = {"batch_id": "fresh_batch"}
R = "/api/v1/requester"
W = "/api/v1/worker"
HIT = {"hit_id": "mturk_hit"}
BATCH = {"batch_id": "batch"}
TYPE = {"qualification_type_id": "qualification_type"}
SCOPED_WORKER = {"worker_id": "fresh_scoped_worker"}
REQUESTED_TYPE = {"type_id": "fresh_requested_type", "request_id": "pending_request"}  # in this order
WORKER_PAGES = "/requester/workers/"
TYPE_PAGES = "/requester/qualification-types/"

MATRIX: dict[tuple[str, str], Call] = {
    # Public pages and files
    ("/", "GET"): Call(Surface.PUBLIC, OPEN),
    ("/images/<path:name>", "GET"): Call(Surface.PUBLIC, OPEN, {"name": "demo_image"}),
    ("/media/<name>", "GET"): Call(Surface.PUBLIC, OPEN, {"name": "image"}),
    ("/static/annotators/<path:filename>", "GET"): Call(Surface.PUBLIC, OPEN, {"filename": "annotator_script"}),
    ("/web-static/<path:filename>", "GET"): Call(Surface.PUBLIC, OPEN, {"filename": "css"}),
    ("/mturk/static/<path:filename>", "GET"): Call(Surface.PUBLIC, OPEN, {"filename": "mturk_script"}),
    ("/mturk/", "GET"): Call(Surface.PUBLIC, OPEN),
    ("/api/v1/openapi.json", "GET"): Call(Surface.REST, OPEN),
    # Accounts and the session
    ("/signin", "GET"): Call(Surface.PUBLIC, OPEN),
    ("/signin", "POST"): Call(Surface.PUBLIC, OPEN, form=lambda w: {"name": w.worker_name,
                                                                    "password": "correct-horse-1"},
                              own_session=True, lands_on="/hits"),
    ("/signup", "GET"): Call(Surface.PUBLIC, OPEN),
    ("/signup", "POST"): Call(Surface.PUBLIC, OPEN, form=sign_up, own_session=True, lands_on="/hits"),
    ("/signout", "POST"): Call(Surface.PUBLIC, OPEN, own_session=True, lands_on="/signin"),
    ("/requester/signin", "GET"): Call(Surface.PUBLIC, OPEN),
    ("/requester/signin", "POST"): Call(Surface.PUBLIC, OPEN, form=lambda w: {"name": w.requester_name,
                                                                              "password": "correct-horse-1"},
                                        own_session=True, lands_on="/requester/"),
    ("/requester/signup", "GET"): Call(Surface.PUBLIC, OPEN),
    ("/requester/signup", "POST"): Call(Surface.PUBLIC, OPEN, form=requester_sign_up, own_session=True),
    ("/requester/signout", "POST"): Call(Surface.PUBLIC, OPEN, own_session=True, lands_on="/requester/signin"),
    ("/marketplace", "POST"): Call(Surface.PUBLIC, OPEN, form={"marketplace": "sandbox_name"}, own_session=True,
                                   lands_on="/hits"),
    # The worker pages
    ("/hits", "GET"): Call(Surface.PAGE, WORKER_ACCOUNT, lists=True),
    ("/hits/<hit_id>", "GET"): Call(Surface.PAGE, MARKET_OBJECT, {"hit_id": "batch_hit"}),
    ("/hits/<hit_id>/frame", "GET"): Call(Surface.PAGE, MARKET_OBJECT, HIT),
    ("/hits/<hit_id>/accept", "POST"): Call(Surface.PAGE, MARKET_OBJECT, {"hit_id": "fresh_hit"},
                                            lands_on="/assignments/"),
    ("/hits/<hit_id>/next", "POST"): Call(Surface.PAGE, MARKET_OBJECT, {"hit_id": "fresh_batch_hit"},
                                          lands_on="/assignments/"),
    ("/assignments/<assignment_id>", "GET"): Call(Surface.PAGE, WORKER_OBJECT, {"assignment_id": "accepted"}),
    ("/assignments/<assignment_id>/submit", "POST"): Call(Surface.PAGE, WORKER_OBJECT,
                                                          {"assignment_id": "fresh_accepted"}, form=submit_form,
                                                          lands_on="/hits"),
    ("/assignments/<assignment_id>/return", "POST"): Call(Surface.PAGE, WORKER_OBJECT,
                                                          {"assignment_id": "fresh_accepted"}, lands_on="/hits"),
    ("/dashboard", "GET"): Call(Surface.PAGE, WORKER_ACCOUNT, lists=True),
    ("/qualifications", "GET"): Call(Surface.PAGE, WORKER_ACCOUNT, lists=True),
    ("/qualifications/<type_id>", "GET"): Call(Surface.PAGE, MARKET_OBJECT, {"type_id": "qualification_type"}),
    ("/qualifications/<type_id>", "POST"): Call(Surface.PAGE, MARKET_OBJECT, {"type_id": "fresh_qualification_type"}),
    # The worker's REST API
    (W + "/hits", "GET"): Call(Surface.REST, WORKER_ACCOUNT, lists=True),
    (W + "/hits/<hit_id>", "GET"): Call(Surface.REST, MARKET_OBJECT, {"hit_id": "batch_hit"}),
    (W + "/hits/<hit_id>/accept", "POST"): Call(Surface.REST, MARKET_OBJECT, {"hit_id": "fresh_hit"}),
    (W + "/assignments", "GET"): Call(Surface.REST, WORKER_ACCOUNT, lists=True),
    (W + "/assignments/<assignment_id>", "GET"): Call(Surface.REST, WORKER_OBJECT, {"assignment_id": "accepted"}),
    (W + "/assignments/<assignment_id>/submit", "POST"): Call(Surface.REST, WORKER_OBJECT,
                                                              {"assignment_id": "fresh_accepted"},
                                                              json=lambda _: {"answer": {"label": "positive"}}),
    (W + "/assignments/<assignment_id>/return", "POST"): Call(Surface.REST, WORKER_OBJECT,
                                                              {"assignment_id": "fresh_accepted"}),
    (W + "/earnings", "GET"): Call(Surface.REST, WORKER_ACCOUNT, lists=True),
    (W + "/messages", "GET"): Call(Surface.REST, WORKER_ACCOUNT, lists=True),
    (W + "/qualifications", "GET"): Call(Surface.REST, WORKER_ACCOUNT, lists=True),
    (W + "/qualification-types/<qualification_type_id>/requests", "POST"): Call(
        Surface.REST, MARKET_OBJECT, {"qualification_type_id": "fresh_qualification_type"}, json=lambda _: {}),
    # The requester's REST API: HITs and assignments
    (R + "/hits", "GET"): Call(Surface.REST, REQUESTER_ACCOUNT, lists=True),
    (R + "/hits", "POST"): Call(Surface.REST, REQUESTER_ACCOUNT, json=lambda _: NEW_HIT),
    (R + "/hits/<hit_id>", "GET"): Call(Surface.REST, REQUESTER_OBJECT, HIT),
    (R + "/hits/<hit_id>", "DELETE"): Call(Surface.REST, REQUESTER_OBJECT, {"hit_id": "fresh_reviewable_hit"}),
    (R + "/hits/<hit_id>/history", "GET"): Call(Surface.REST, REQUESTER_OBJECT, HIT),
    (R + "/hits/<hit_id>/assignments", "GET"): Call(Surface.REST, REQUESTER_OBJECT, HIT),
    (R + "/hits/<hit_id>/expire", "POST"): Call(Surface.REST, REQUESTER_OBJECT, {"hit_id": "fresh_hit"}),
    (R + "/hits/<hit_id>/additional-assignments", "POST"): Call(
        Surface.REST, REQUESTER_OBJECT, {"hit_id": "fresh_hit"},
        json=lambda _: {"number_of_additional_assignments": 1}),
    (R + "/hits/<hit_id>/gold", "PUT"): Call(Surface.REST, REQUESTER_OBJECT, {"hit_id": "fresh_batch_hit"},
                                             json=lambda _: {"answer": {"label": "positive"}}),
    (R + "/hits/<hit_id>/gold", "DELETE"): Call(Surface.REST, REQUESTER_OBJECT, {"hit_id": "fresh_gold_hit"}),
    (R + "/assignments/<assignment_id>/approve", "POST"): Call(
        Surface.REST, REQUESTER_OBJECT, {"assignment_id": "fresh_submitted"}, json=lambda _: {}),
    (R + "/assignments/<assignment_id>/reject", "POST"): Call(
        Surface.REST, REQUESTER_OBJECT, {"assignment_id": "fresh_submitted"},
        json=lambda _: {"requester_feedback": "Off topic"}),
    # ... batches and quality
    (R + "/batches", "GET"): Call(Surface.REST, REQUESTER_ACCOUNT, lists=True),
    (R + "/batches", "POST"): Call(Surface.REST, REQUESTER_ACCOUNT, json=lambda _: NEW_BATCH),
    (R + "/batch-files", "POST"): Call(Surface.REST, REQUESTER_ACCOUNT, raw=NEW_BATCH_UPLOAD,
                                       content_type=f"multipart/form-data; boundary={UPLOAD_BOUNDARY}"),
    (R + "/batches/<batch_id>", "GET"): Call(Surface.REST, REQUESTER_OBJECT, BATCH),
    (R + "/batches/<batch_id>/aggregate", "POST"): Call(Surface.REST, REQUESTER_OBJECT, BATCH),
    (R + "/batches/<batch_id>/quality", "PUT"): Call(Surface.REST, REQUESTER_OBJECT, {"batch_id": "fresh_batch"},
                                                     json=lambda _: {"method": "ds"}),
    (R + "/batches/<batch_id>/consensus", "GET"): Call(Surface.REST, REQUESTER_OBJECT, BATCH),
    (R + "/batches/<batch_id>/flags", "GET"): Call(Surface.REST, REQUESTER_OBJECT, BATCH),
    (R + "/batches/<batch_id>/workers", "GET"): Call(Surface.REST, REQUESTER_OBJECT, BATCH),
    (R + "/batches/<batch_id>/plots/confusion.svg", "GET"): Call(Surface.REST, REQUESTER_OBJECT, BATCH),
    (R + "/batches/<batch_id>/plots/progress.svg", "GET"): Call(Surface.REST, REQUESTER_OBJECT, BATCH),
    (R + "/batches/<batch_id>/plots/workers.svg", "GET"): Call(Surface.REST, REQUESTER_OBJECT, BATCH),
    (R + "/worker-scores", "GET"): Call(Surface.REST, REQUESTER_ACCOUNT, lists=True),
    (R + "/jobs", "GET"): Call(Surface.REST, REQUESTER_ACCOUNT, lists=True),
    (R + "/jobs/<job_id>", "GET"): Call(Surface.REST, REQUESTER_OBJECT, {"job_id": "job"}),
    (R + "/batches/<batch_id>/exports", "POST"): Call(Surface.REST, REQUESTER_OBJECT, BATCH,
                                                      json=lambda _: {"format": "jsonl"}),
    (R + "/exports", "GET"): Call(Surface.REST, REQUESTER_ACCOUNT, lists=True),
    (R + "/exports/<export_id>", "GET"): Call(Surface.REST, REQUESTER_OBJECT, {"export_id": "export"}),
    (R + "/exports/<export_id>/file", "GET"): Call(Surface.REST, REQUESTER_OBJECT, {"export_id": "export"}),
    (R + "/images", "POST"): Call(Surface.REST, REQUESTER_ACCOUNT, raw=png_bytes("green"), content_type="image/png"),
    # ... money and workers
    (R + "/balance", "GET"): Call(Surface.REST, REQUESTER_ACCOUNT),
    (R + "/bonuses", "POST"): Call(Surface.REST, REQUESTER_OBJECT, json=bonus),
    (R + "/bonuses", "GET"): Call(Surface.REST, REQUESTER_ACCOUNT, query=HIT, lists=True),
    (R + "/blocks", "GET"): Call(Surface.REST, REQUESTER_ACCOUNT, lists=True),
    (R + "/blocks/<worker_id>", "PUT"): Call(Surface.REST, REQUESTER_ACCOUNT, {"worker_id": "fresh_worker"},
                                             json=lambda _: {"reason": "Random answers"}),
    (R + "/blocks/<worker_id>", "DELETE"): Call(Surface.REST, REQUESTER_ACCOUNT, {"worker_id": "fresh_worker"}),
    (R + "/messages", "POST"): Call(Surface.REST, REQUESTER_ACCOUNT, json=lambda w: {
        "subject": "Thanks", "message": "More work soon.", "worker_ids": [w.worker_id]}),
    # ... qualifications
    (R + "/qualification-types", "GET"): Call(Surface.REST, REQUESTER_ACCOUNT, lists=True),
    (R + "/qualification-types", "POST"): Call(Surface.REST, REQUESTER_ACCOUNT, json=lambda _: {
        "name": unique("Matrix type "), "description": "Made by the route matrix."}),
    (R + "/qualification-types/<qualification_type_id>", "GET"): Call(Surface.REST, PUBLIC_TYPE, TYPE),
    (R + "/qualification-types/<qualification_type_id>", "PATCH"): Call(
        Surface.REST, OWNED_TYPE, {"qualification_type_id": "fresh_qualification_type"},
        json=lambda _: {"description": "Reads very closely."}),
    (R + "/qualification-types/<qualification_type_id>", "DELETE"): Call(
        Surface.REST, OWNED_TYPE, {"qualification_type_id": "fresh_qualification_type"}),
    (R + "/qualification-types/<qualification_type_id>/workers", "GET"): Call(Surface.REST, OWNED_TYPE, TYPE),
    (R + "/qualification-types/<qualification_type_id>/workers/<worker_id>", "GET"): Call(
        Surface.REST, OWNED_TYPE, TYPE | {"worker_id": "worker_id"}),
    (R + "/qualification-types/<qualification_type_id>/workers/<worker_id>", "PUT"): Call(
        Surface.REST, OWNED_TYPE, {"qualification_type_id": "fresh_qualification_type", "worker_id": "worker_id"},
        json=lambda _: {"value": 80}),
    (R + "/qualification-types/<qualification_type_id>/workers/<worker_id>", "DELETE"): Call(
        Surface.REST, OWNED_TYPE, {"qualification_type_id": "fresh_granted_type", "worker_id": "worker_id"}),
    (R + "/qualification-requests", "GET"): Call(Surface.REST, REQUESTER_ACCOUNT, lists=True),
    (R + "/qualification-requests/<request_id>/accept", "POST"): Call(
        Surface.REST, REQUESTER_OBJECT, {"request_id": "fresh_qualification_request"}, json=lambda _: {}),
    (R + "/qualification-requests/<request_id>/reject", "POST"): Call(
        Surface.REST, REQUESTER_OBJECT, {"request_id": "fresh_qualification_request"}, json=lambda _: {}),
    # The requester pages: account, credentials, new batch
    ("/requester/account", "GET"): Call(RP, REQUESTER_ACCOUNT, lists=True),
    ("/requester/account/top-up", "POST"): Call(RP, SANDBOX_ONLY, form=lambda _: {"amount": "5.00"},
                                                lands_on="/requester/account"),
    ("/requester/credentials", "GET"): Call(RP, REQUESTER_ACCOUNT, lists=True),
    ("/requester/credentials/tokens", "POST"): Call(RP, REQUESTER_ACCOUNT),
    ("/requester/credentials/tokens/<int:token_id>/revoke", "POST"): Call(
        RP, ACCOUNT_OBJECT, {"token_id": "fresh_token"}, lands_on="/requester/credentials"),
    ("/requester/credentials/access-keys", "POST"): Call(RP, REQUESTER_ACCOUNT),
    ("/requester/credentials/access-keys/<access_key_id>/revoke", "POST"): Call(
        RP, ACCOUNT_OBJECT, {"access_key_id": "fresh_access_key"}, lands_on="/requester/credentials"),
    ("/requester/credentials/webhook-secret", "POST"): Call(RP, REQUESTER_ACCOUNT, lands_on="/requester/credentials"),
    # Workers in the requester's scope, and the actions on them (a fresh reviewed worker per caller)
    ("/requester/workers", "GET"): Call(RP, REQUESTER_ACCOUNT, lists=True),
    ("/requester/workers/<worker_id>", "GET"): Call(RP, REQUESTER_OBJECT, SCOPED_WORKER),
    ("/requester/workers/<worker_id>/block", "POST"): Call(
        RP, REQUESTER_OBJECT, SCOPED_WORKER, form=lambda _: {"reason": "Random answers"}, lands_on=WORKER_PAGES),
    ("/requester/workers/<worker_id>/unblock", "POST"): Call(RP, REQUESTER_OBJECT, SCOPED_WORKER,
                                                             lands_on=WORKER_PAGES),
    ("/requester/workers/<worker_id>/message", "POST"): Call(
        RP, REQUESTER_OBJECT, SCOPED_WORKER, form=lambda _: {"subject": "Thanks", "body": "More soon."},
        lands_on=WORKER_PAGES),
    ("/requester/workers/<worker_id>/bonus", "POST"): Call(
        RP, REQUESTER_OBJECT, SCOPED_WORKER, form=lambda w: {"assignment_id": w.scoped_assignment, "amount": "0.05",
                                                             "reason": "Careful work"}, lands_on=WORKER_PAGES),
    ("/requester/workers/<worker_id>/qualifications", "POST"): Call(
        RP, REQUESTER_OBJECT, SCOPED_WORKER, form=lambda w: {"qualification_type_id": w.qualification_type,
                                                             "value": "5"}, lands_on=WORKER_PAGES),
    # Qualification types in the pages: another requester's is not found (the MTurk API refuses it)
    ("/requester/qualification-types", "GET"): Call(RP, REQUESTER_ACCOUNT, lists=True),
    ("/requester/qualification-types", "POST"): Call(
        RP, REQUESTER_ACCOUNT, form=lambda _: {"name": unique("Matrix page type "), "description": "Reads.",
                                               "granting": "request"}, lands_on=TYPE_PAGES),
    ("/requester/qualification-types/<type_id>", "GET"): Call(RP, REQUESTER_OBJECT, {"type_id": "qualification_type"}),
    ("/requester/qualification-types/<type_id>/grant", "POST"): Call(
        RP, REQUESTER_OBJECT, {"type_id": "fresh_qualification_type"},
        form=lambda w: {"worker_id": w.worker_id, "value": "5"}, lands_on=TYPE_PAGES),
    ("/requester/qualification-types/<type_id>/holders/<worker_id>/score", "POST"): Call(
        RP, REQUESTER_OBJECT, {"type_id": "fresh_granted_type", "worker_id": "worker_id"},
        form=lambda _: {"value": "90"}, lands_on=TYPE_PAGES),
    ("/requester/qualification-types/<type_id>/holders/<worker_id>/revoke", "POST"): Call(
        RP, REQUESTER_OBJECT, {"type_id": "fresh_granted_type", "worker_id": "worker_id"},
        form=lambda _: {"reason": "Out of date"}, lands_on=TYPE_PAGES),
    ("/requester/qualification-types/<type_id>/requests/<request_id>/accept", "POST"): Call(
        RP, REQUESTER_OBJECT, REQUESTED_TYPE, form=lambda _: {"value": "3"}, lands_on=TYPE_PAGES),
    ("/requester/qualification-types/<type_id>/requests/<request_id>/reject", "POST"): Call(
        RP, REQUESTER_OBJECT, REQUESTED_TYPE, form=lambda _: {"reason": "Not yet"}, lands_on=TYPE_PAGES),
    ("/requester/qualification-types/<type_id>/status", "POST"): Call(
        RP, REQUESTER_OBJECT, {"type_id": "fresh_qualification_type"}, form=lambda _: {"status": "Inactive"},
        lands_on=TYPE_PAGES),
    ("/requester/batches/new", "GET"): Call(RP, REQUESTER_ACCOUNT),
    ("/requester/batches/new", "POST"): Call(RP, REQUESTER_ACCOUNT, form=upload_file,
                                             lands_on="/requester/batches/drafts/"),
    ("/requester/batches/drafts/<draft_id>", "GET"): Call(RP, ACCOUNT_OBJECT, DRAFT),
    # An empty settings form: the owner is told what is missing (422), others learn nothing.
    ("/requester/batches/drafts/<draft_id>", "POST"): Call(
        RP, answers(REFUSED, REFUSED, REFUSED, INVALID, MISSING, INVALID), DRAFT),
    ("/requester/batches/drafts/<draft_id>/cost", "GET"): Call(RP, ACCOUNT_OBJECT, DRAFT),
    ("/requester/batches/drafts/<draft_id>/preview", "GET"): Call(RP, ACCOUNT_OBJECT, DRAFT),
    ("/requester/batches/drafts/<draft_id>/preview/<int:row>/frame", "GET"): Call(
        RP, ACCOUNT_OBJECT, {"draft_id": "draft", "row": "first_row"}),
    ("/requester/batches/drafts/<draft_id>/publish", "POST"): Call(
        RP, ACCOUNT_OBJECT, {"draft_id": "fresh_draft"}, form={"marketplace": "production_name"},
        lands_on="/requester/batches/"),
    ("/requester/batches/preview-assets/<path:filename>", "GET"): Call(Surface.PUBLIC, OPEN,
                                                                        {"filename": "annotator_script"}),
    # The marketplace is in the URL: the requester's sandbox session may open its production batch.
    ("/requester/batches/published/<marketplace>/<batch_id>", "GET"): Call(
        RP, ACCOUNT_OBJECT, {"marketplace": "production_name", "batch_id": "batch"}),
    # The requester pages: batches, their actions and downloads, HIT types
    ("/requester/batches", "GET"): Call(RP, REQUESTER_ACCOUNT, lists=True),
    ("/requester/batches/<batch_id>", "GET"): Call(RP, REQUESTER_OBJECT, BATCH),
    ("/requester/batches/<batch_id>/plots/<any(progress, timeline, workers, confusion):name>.svg", "GET"): Call(
        RP, REQUESTER_OBJECT, {"batch_id": "batch", "name": "plot_name"}),
    ("/requester/batches/<batch_id>/quality", "GET"): Call(RP, REQUESTER_OBJECT, BATCH),
    ("/requester/batches/<batch_id>/quality/<any(agreement, confusion, accuracy, confidence, worktime, overlap, llm, "
     "ranking):name>.svg", "GET"): Call(RP, REQUESTER_OBJECT, {"batch_id": "batch", "name": "quality_plot_name"}),
    ("/requester/batches/<batch_id>/pause", "POST"): Call(RP, REQUESTER_OBJECT, FRESH_BATCH,
                                                          lands_on="/requester/batches/"),
    ("/requester/batches/<batch_id>/resume", "POST"): Call(RP, REQUESTER_OBJECT, FRESH_BATCH,
                                                           lands_on="/requester/batches/"),
    ("/requester/batches/<batch_id>/extend", "POST"): Call(RP, REQUESTER_OBJECT, FRESH_BATCH,
                                                           form={"amount": "first_row", "unit": "hours_name"},
                                                           lands_on="/requester/batches/"),
    ("/requester/batches/<batch_id>/assignments", "POST"): Call(RP, REQUESTER_OBJECT, FRESH_BATCH,
                                                                form={"assignments": "first_row"},
                                                                lands_on="/requester/batches/"),
    ("/requester/batches/<batch_id>/expire", "POST"): Call(RP, REQUESTER_OBJECT, FRESH_BATCH,
                                                           lands_on="/requester/batches/"),
    ("/requester/batches/<batch_id>/exports", "POST"): Call(RP, REQUESTER_OBJECT, FRESH_BATCH,
                                                            form=lambda _: {"format": "jsonl", "records": "consensus"},
                                                            lands_on="/requester/batches/"),
    ("/requester/exports/<export_id>/file", "GET"): Call(RP, REQUESTER_OBJECT, {"export_id": "export"}),
    ("/requester/hit-types/<hit_type_id>", "GET"): Call(RP, REQUESTER_OBJECT, {"hit_type_id": "hit_type"}),
    # Fixed labels: a fresh HIT per caller for the writes
    ("/requester/hits/<hit_id>/fix", "GET"): Call(RP, REQUESTER_OBJECT, {"hit_id": "batch_hit"}),
    ("/requester/hits/<hit_id>/label", "POST"): Call(RP, REQUESTER_OBJECT, {"hit_id": "fresh_batch_hit"},
                                                     form=lambda _: {"answer": '{"label": "positive"}'},
                                                     lands_on="/requester/hits/"),
    ("/requester/hits/<hit_id>/label/clear", "POST"): Call(RP, REQUESTER_OBJECT, {"hit_id": "fresh_fixed_hit"},
                                                           lands_on="/requester/hits/"),
    ("/requester/batches/<batch_id>/copy", "POST"): Call(RP, REQUESTER_OBJECT, BATCH,
                                                         lands_on="/requester/batches/drafts/"),
    # The review queue (labelhub.web.requester_review)
    ("/requester/batches/<batch_id>/review", "GET"): Call(RP, REQUESTER_OBJECT, BATCH),
    ("/requester/batches/<batch_id>/review/bulk", "POST"): Call(
        RP, REQUESTER_OBJECT, FRESH_BATCH, form=lambda _: {"action": "approve_remaining"}, lands_on="/requester/jobs/"),
    ("/requester/assignments/<assignment_id>/approve", "POST"): Call(
        RP, REQUESTER_OBJECT, {"assignment_id": "fresh_batch_submitted"}, lands_on="/requester/batches"),
    ("/requester/assignments/<assignment_id>/reject", "POST"): Call(
        RP, REQUESTER_OBJECT, {"assignment_id": "fresh_batch_submitted"}, form=lambda _: {"reason": "Off topic."},
        lands_on="/requester/batches"),
    ("/requester/assignments/<assignment_id>/override", "POST"): Call(
        RP, REQUESTER_OBJECT, {"assignment_id": "fresh_batch_rejected"}, lands_on="/requester/batches"),
    # Job reports and the reviewed results CSV upload (labelhub.web.requester_jobs)
    ("/requester/jobs", "GET"): Call(RP, REQUESTER_ACCOUNT, lists=True),
    ("/requester/jobs/<job_id>", "GET"): Call(RP, REQUESTER_OBJECT, {"job_id": "job"}),
    ("/requester/batches/<batch_id>/review-csv", "POST"): Call(RP, REQUESTER_OBJECT, BATCH, form=review_csv_file,
                                                               lands_on="/requester/jobs/"),
    # The MTurk API (a GetHIT per endpoint here; every operation below) and the MTurk worker pages
    ("/mturk/production", "POST"): Call(Surface.MTURK_API, REQUESTER_OBJECT, operation="GetHIT",
                                        json=lambda w: {"HITId": w.mturk_hit}),
    ("/mturk/sandbox", "POST"): Call(Surface.MTURK_API, REQUESTER_OBJECT, operation="GetHIT",
                                     json=lambda w: {"HITId": w.sandbox_mturk_hit}),
    ("/mturk/preview/<hit_id>", "GET"): Call(Surface.BASIC, SIGNED_IN_WORKER, HIT,
                                             sandbox_fill={"hit_id": "sandbox_mturk_hit"}),
    ("/mturk/frame/preview/<hit_id>", "GET"): Call(Surface.BASIC, SIGNED_IN_WORKER, HIT,
                                                   sandbox_fill={"hit_id": "sandbox_mturk_hit"}),
    ("/mturk/work/<assignment_id>", "GET"): Call(Surface.CAPABILITY, OPEN, {"assignment_id": "mturk_accepted"},
                                                 sandbox_fill={"assignment_id": "sandbox_mturk_accepted"}),
    ("/mturk/frame/<assignment_id>", "GET"): Call(Surface.CAPABILITY, OPEN, {"assignment_id": "mturk_accepted"},
                                                  sandbox_fill={"assignment_id": "sandbox_mturk_accepted"}),
    ("/mturk/work/<assignment_id>/return", "POST"): Call(Surface.CAPABILITY, OPEN,
                                                         {"assignment_id": "fresh_mturk_accepted"},
                                                         lands_on="/mturk/work/"),
    ("/mturk/externalSubmit", "POST"): Call(Surface.CAPABILITY, OPEN, form=lambda w: {
        "assignmentId": w.fresh_mturk_accepted(), "comment": "A red square."}),
    ("/mturk/externalSubmit", "GET"): Call(Surface.CAPABILITY, OPEN, query=lambda w: {
        "assignmentId": w.fresh_mturk_accepted(), "comment": "A red square."}),
    # The SNS endpoint: topic ARNs name their owner, so another requester is refused (as on SNS); it has
    # no marketplace. A SubscribeURL's token is its permission.
    ("/mturk/sns", "POST"): Call(Surface.SNS_API, answers(REFUSED, REFUSED, REFUSED, OK, REFUSED, OK), form=lambda w: {
        "Action": "ListSubscriptionsByTopic", "Version": "2010-03-31", "TopicArn": w.topic}),
    ("/mturk/sns", "GET"): Call(Surface.CAPABILITY, OPEN, query=lambda w: w.fresh_confirmation()),
}

# Cells where LabelHub answers otherwise today, in code that other people are changing right now. Each
# reason says what should change; each fails (strict xfail) the day it is fixed, so that its entry goes.
# Keys: (rule, method, caller), or (OPERATION, MTurk operation, caller).
OPERATION = "X-Amz-Target"
KNOWN: dict[tuple[str, str, Caller], str] = {}


# ---- every MTurk operation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """An MTurk operation's members (built per call) and the answer of the requester, another requester
    (production endpoint) and the requester at the sandbox endpoint, all naming the requester's production
    objects."""

    members: Callable[[World], dict[str, Any]]
    expect: Mapping[Caller, Answer]
    lists: bool = False


OBJECT_OPERATION = {REQUESTER: OK, OTHER_REQUESTER: MISSING, OTHER_MARKETPLACE: MISSING}
PUBLIC_TYPE_OPERATION = {REQUESTER: OK, OTHER_REQUESTER: OK, OTHER_MARKETPLACE: MISSING}
OWNED_TYPE_OPERATION = {REQUESTER: OK, OTHER_REQUESTER: REFUSED, OTHER_MARKETPLACE: MISSING}
ACCOUNT_OPERATION = {REQUESTER: OK, OTHER_REQUESTER: OK, OTHER_MARKETPLACE: OK}
# Refused before any object is read (a deprecated operation, a destination that does not answer).
REFUSED_FOR_ALL = {REQUESTER: INVALID, OTHER_REQUESTER: INVALID, OTHER_MARKETPLACE: INVALID}
MTURK_HIT_TYPE = {"Title": "Describe the picture", "Description": "One sentence.", "Reward": "0.10",
                  "AssignmentDurationInSeconds": 600}
NOTIFICATION = {"Destination": "http://127.0.0.1:9/hook", "Transport": "SNS", "Version": "2006-05-05",
                "EventTypes": ["AssignmentSubmitted"]}

OPERATION_CALLS: dict[str, Operation] = {
    "GetAccountBalance": Operation(lambda _: {}, ACCOUNT_OPERATION),
    "SendBonus": Operation(lambda w: {"WorkerId": w.worker_id, "AssignmentId": w.fresh_submitted(),
                                      "BonusAmount": "0.05", "Reason": "Careful work"}, OBJECT_OPERATION),
    "ListBonusPayments": Operation(lambda w: {"HITId": w.mturk_hit}, ACCOUNT_OPERATION, lists=True),
    "CreateHITType": Operation(lambda _: MTURK_HIT_TYPE, ACCOUNT_OPERATION),
    "CreateHIT": Operation(lambda _: MTURK_HIT_TYPE | {"Question": HTML_QUESTION, "LifetimeInSeconds": 3600},
                           ACCOUNT_OPERATION),
    "CreateHITWithHITType": Operation(lambda w: {"HITTypeId": w.hit_type, "Question": HTML_QUESTION,
                                                 "LifetimeInSeconds": 3600}, OBJECT_OPERATION),
    "GetHIT": Operation(lambda w: {"HITId": w.mturk_hit}, OBJECT_OPERATION),
    "ListHITs": Operation(lambda _: {}, ACCOUNT_OPERATION, lists=True),
    "ListReviewableHITs": Operation(lambda _: {}, ACCOUNT_OPERATION, lists=True),
    "ListHITsForQualificationType": Operation(lambda w: {"QualificationTypeId": w.qualification_type},
                                              PUBLIC_TYPE_OPERATION, lists=True),
    "UpdateExpirationForHIT": Operation(lambda w: {"HITId": w.fresh_hit(), "ExpireAt": 0}, OBJECT_OPERATION),
    "UpdateHITReviewStatus": Operation(lambda w: {"HITId": w.fresh_reviewable_hit()}, OBJECT_OPERATION),
    "UpdateHITTypeOfHIT": Operation(lambda w: {"HITId": w.fresh_hit(), "HITTypeId": w.fresh_hit_type()},
                                    OBJECT_OPERATION),
    "DeleteHIT": Operation(lambda w: {"HITId": w.fresh_reviewable_hit()}, OBJECT_OPERATION),
    "CreateAdditionalAssignmentsForHIT": Operation(
        lambda w: {"HITId": w.fresh_hit(), "NumberOfAdditionalAssignments": 1}, OBJECT_OPERATION),
    "ListAssignmentsForHIT": Operation(lambda w: {"HITId": w.mturk_hit}, OBJECT_OPERATION),
    "GetAssignment": Operation(lambda w: {"AssignmentId": w.submitted}, OBJECT_OPERATION),
    "ApproveAssignment": Operation(lambda w: {"AssignmentId": w.fresh_submitted()}, OBJECT_OPERATION),
    "RejectAssignment": Operation(lambda w: {"AssignmentId": w.fresh_submitted(), "RequesterFeedback": "Off topic"},
                                  OBJECT_OPERATION),
    "GetFileUploadURL": Operation(lambda w: {"AssignmentId": w.submitted, "QuestionIdentifier": "photo"},
                                  REFUSED_FOR_ALL),
    "CreateQualificationType": Operation(lambda _: {"Name": unique("Matrix type "), "Description": "Reads.",
                                                    "QualificationTypeStatus": "Active"}, ACCOUNT_OPERATION),
    "GetQualificationType": Operation(lambda w: {"QualificationTypeId": w.qualification_type}, PUBLIC_TYPE_OPERATION),
    "UpdateQualificationType": Operation(lambda w: {"QualificationTypeId": w.fresh_qualification_type(),
                                                    "Description": "Reads very closely."}, OWNED_TYPE_OPERATION),
    "DeleteQualificationType": Operation(lambda w: {"QualificationTypeId": w.fresh_qualification_type()},
                                         OWNED_TYPE_OPERATION),
    "ListQualificationTypes": Operation(lambda _: {"MustBeRequestable": False, "MustBeOwnedByCaller": True},
                                        ACCOUNT_OPERATION, lists=True),
    "AssociateQualificationWithWorker": Operation(lambda w: {
        "QualificationTypeId": w.fresh_qualification_type(), "WorkerId": w.worker_id, "IntegerValue": 80},
        OWNED_TYPE_OPERATION),
    "DisassociateQualificationFromWorker": Operation(lambda w: {
        "QualificationTypeId": w.fresh_granted_type(), "WorkerId": w.worker_id}, OWNED_TYPE_OPERATION),
    "GetQualificationScore": Operation(lambda w: {"QualificationTypeId": w.qualification_type,
                                                  "WorkerId": w.worker_id}, OWNED_TYPE_OPERATION),
    "ListWorkersWithQualificationType": Operation(lambda w: {"QualificationTypeId": w.qualification_type},
                                                  OWNED_TYPE_OPERATION),
    "ListQualificationRequests": Operation(lambda w: {"QualificationTypeId": w.requested_type},
                                           OWNED_TYPE_OPERATION),
    "AcceptQualificationRequest": Operation(lambda w: {"QualificationRequestId": w.fresh_qualification_request()},
                                            OBJECT_OPERATION),
    "RejectQualificationRequest": Operation(lambda w: {"QualificationRequestId": w.fresh_qualification_request()},
                                            OBJECT_OPERATION),
    "CreateWorkerBlock": Operation(lambda w: {"WorkerId": w.fresh_worker(), "Reason": "Random answers"},
                                   ACCOUNT_OPERATION),
    "DeleteWorkerBlock": Operation(lambda w: {"WorkerId": w.fresh_worker()}, ACCOUNT_OPERATION),
    "ListWorkerBlocks": Operation(lambda _: {}, ACCOUNT_OPERATION, lists=True),
    "NotifyWorkers": Operation(lambda w: {"Subject": "Thanks", "MessageText": "More soon.",
                                          "WorkerIds": [w.worker_id]}, ACCOUNT_OPERATION),
    "UpdateNotificationSettings": Operation(lambda w: {"HITTypeId": w.fresh_hit_type(), "Notification": NOTIFICATION},
                                            OBJECT_OPERATION),
    "SendTestEventNotification": Operation(lambda _: {"Notification": NOTIFICATION, "TestEventType": "Ping"},
                                           REFUSED_FOR_ALL),
    "ListReviewPolicyResultsForHIT": Operation(lambda w: {"HITId": w.mturk_hit}, OBJECT_OPERATION),
}


# ---- fixtures: one world per module ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def matrix_runtime(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    settings = make_settings(database_url, tmp_path_factory.mktemp("matrix") / "instance")
    rt = Runtime(settings=settings, engine=engine, backend=InlineBackend(), clock=Clock())
    jobs.install_runtime(rt)
    yield rt
    jobs.install_runtime(None)
    empty_all_tables(engine)


@pytest.fixture(scope="module")
def world(matrix_runtime: Runtime) -> World:
    return build_world(matrix_runtime)


@pytest.fixture(scope="module")
def callers(matrix_runtime: Runtime, world: World) -> Callers:
    app = create_app(matrix_runtime.settings, runtime=matrix_runtime)
    app.config.update(TESTING=True)
    return Callers(app, world)


def cells() -> Iterator[Any]:
    for rule, method in MATRIX:
        for caller in Caller:
            reason = KNOWN.get((rule, method, caller))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(rule, method, caller, id=f"{method} {rule} [{caller}]", marks=marks)


def operation_cells() -> Iterator[Any]:
    for name, spec in OPERATION_CALLS.items():
        for caller in spec.expect:
            reason = KNOWN.get((OPERATION, name, caller))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(name, caller, id=f"{name} [{caller}]", marks=marks)


# ---- the tests -------------------------------------------------------------------------------------------------

def test_every_registered_route_and_method_is_in_the_matrix(callers: Callers):
    registered = {(rule.rule, method) for rule in callers.app.url_map.iter_rules()
                  for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}

    assert registered - MATRIX.keys() == set(), "routes the matrix does not classify yet"
    assert MATRIX.keys() - registered == set(), "matrix entries for routes that no longer exist"


@pytest.mark.parametrize(("rule", "method", "caller"), list(cells()))
def test_route_answers_each_caller_as_the_matrix_says(callers: Callers, world: World, rule: str, method: str,
                                                      caller: Caller):
    call = MATRIX[rule, method]
    client = callers.fresh_client(caller, call.surface) if call.own_session else None

    response = callers.send(caller, build(rule, method, call, world, caller), client=client)

    assert security_header_problems(response) == []
    answer = classify(response, call.surface, call.lands_on)
    assert answer is call.expect[caller], describe(response)
    if call.lists and answer is OK:
        assert leaked(response, world.private_ids(caller)) == set()


def test_every_mturk_operation_is_in_the_matrix():
    assert OPERATION_CALLS.keys() == OPERATIONS.keys()


@pytest.mark.parametrize(("name", "caller"), list(operation_cells()))
def test_mturk_operation_answers_each_requester_as_the_matrix_says(callers: Callers, world: World, name: str,
                                                                   caller: Caller):
    spec = OPERATION_CALLS[name]
    request = Request(method="POST", path="/mturk/production", surface=Surface.MTURK_API, owner="requester",
                      json=spec.members(world), headers={"X-Amz-Target": TARGET + name})

    response = callers.send(caller, request)

    assert security_header_problems(response) == []
    assert classify(response, Surface.MTURK_API) is spec.expect[caller], describe(response)
    if spec.lists and caller is not REQUESTER:  # ids the caller named itself may be echoed in an error
        assert leaked(response, world.private_ids(caller) - set(map(str, request.json.values()))) == set()


@pytest.mark.parametrize(("method", "path", "form"), [
    ("GET", "/mturk/work/{id}", None), ("GET", "/mturk/frame/{id}", None), ("POST", "/mturk/work/{id}/return", None),
    ("POST", "/mturk/externalSubmit", {"assignmentId": "{id}", "comment": "A red square."})])
def test_capability_pages_answer_not_found_for_an_assignment_id_nobody_was_given(callers: Callers, method: str,
                                                                                 path: str, form: dict | None):
    """The matrix lets anyone holding an AssignmentId use these pages: holding it is the permission."""
    made_up = ids.new_id()
    request = Request(method=method, path=path.format(id=made_up), surface=Surface.CAPABILITY, owner="worker",
                      form={name: value.format(id=made_up) for name, value in form.items()} if form else None)

    response = callers.send(WORKER, request)

    assert classify(response, Surface.CAPABILITY) is MISSING, describe(response)
    assert security_header_problems(response) == []
