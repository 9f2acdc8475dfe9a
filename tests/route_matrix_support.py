"""The route matrix's cast and props: the six callers, the objects the requester and the worker own
(built once per module through the real services, plus fresh ones for requests that change them), how
each surface authenticates a caller, what class of answer a response is, and the security headers
every HTML response must carry."""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

from labelhub.models import Marketplace
from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import (
    accounts,
    assignments,
    batch_drafts,
    batch_quality,
    batches,
    credentials,
    exports,
    gold,
    hits,
    job_queue,
    label_fixes,
    media,
    payments,
    qualifications,
    sns_topics,
)
from labelhub.services.actors import Actor
from labelhub.services.commands import CreateHIT, HITTypeSpec, QualificationTypeSpec
from labelhub.services.export_commands import ExportRequest
from labelhub.web.images import images_path
from tests.factories import Factory, RequesterHandle, WorkerHandle
from tests.mturk.conftest import HTML_QUESTION

PASSWORD = "correct-horse-1"  # tests.factories gives every worker this password
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_names = itertools.count(1)


class Caller(StrEnum):
    """Who sends a request. OTHER_MARKETPLACE is the owner of the route's objects acting in the
    other marketplace (sandbox credentials or session against production objects), or, where a URL names
    no marketplace, anyone asking for the other marketplace's objects."""

    ANONYMOUS = "anonymous"
    WORKER = "worker"
    OTHER_WORKER = "other_worker"
    REQUESTER = "requester"
    OTHER_REQUESTER = "other_requester"
    OTHER_MARKETPLACE = "other_marketplace"


class Answer(StrEnum):
    ALLOWED = "allowed"  # 2xx, or a redirect to the page the request means to reach
    INVALID = "invalid"  # authorized, then refused as input, state or funds (400, 402, 409, 422)
    REFUSED = "refused"  # 401, 403, or a redirect to the sign-in page
    NOT_FOUND = "not found"  # 404; MTurk: a RequestError saying the object does not exist
    BROKEN = "broken"  # 5xx, or an answer in no class above: never expected


class Surface(StrEnum):
    """How a caller proves who they are on a route."""

    PUBLIC = "public"  # nothing needed; the pages' session is sent along
    PAGE = "page"  # the worker pages' session cookie, CSRF token in forms
    REQUESTER_PAGE = "requester page"  # the requester pages' session cookie, CSRF token in forms
    REST = "rest"  # Authorization: Bearer <api token>
    MTURK_API = "mturk api"  # SigV4 with a requester's access key, X-Amz-Target names the operation
    SNS_API = "sns api"  # SigV4 (service sns) with a requester's access key, a form names the action
    BASIC = "basic"  # HTTP Basic with a worker's name and password (the MTurk preview)
    CAPABILITY = "capability"  # the unguessable AssignmentId in the URL or form is the permission


def png_bytes(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(out, format="PNG")
    return out.getvalue()


def _spec(title: str = "Sentiment") -> HITTypeSpec:
    return HITTypeSpec(title=title, description="Pick the sentiment.", reward_micros=parse_amount("0.10"),
                       assignment_duration_seconds=600)


@dataclass
class World:
    """Objects owned by ``requester`` and ``worker`` in production (and a few in the sandbox). Methods
    named ``fresh_*`` build a new object each call, for requests that change what they touch."""

    rt: Runtime
    factory: Factory
    requester: RequesterHandle
    other_requester: RequesterHandle
    worker: WorkerHandle
    other_worker: WorkerHandle
    worker_name: str
    other_worker_name: str
    requester_name: str
    batch: str = ""
    batch_hit: str = ""
    accepted: str = ""
    submitted: str = ""
    mturk_hit: str = ""
    mturk_accepted: str = ""
    hit_type: str = ""
    qualification_type: str = ""
    requested_type: str = ""
    qualification_request: str = ""
    job: str = ""
    export: str = ""
    topic: str = ""
    image: str = ""
    demo_image: str = "shapes/square.png"
    css: str = "style.css"
    annotator_script: str = "text_classification.js"
    mturk_script: str = "externalHIT_v1.js"
    sandbox_name: str = Marketplace.SANDBOX.value
    production_name: str = Marketplace.PRODUCTION.value
    first_row: str = "1"
    hours_name: str = "hours"
    plot_name: str = "progress"
    quality_plot_name: str = "agreement"
    sandbox_batch: str = ""
    sandbox_mturk_hit: str = ""
    sandbox_mturk_accepted: str = ""
    draft: str = ""
    scoped_assignment: str = ""  # the approved assignment of the last fresh_scoped_worker
    pending_request: str = ""  # the pending request of the last fresh_requested_type
    requester_ids: set[str] = field(default_factory=set)
    worker_ids: set[str] = field(default_factory=set)

    @property
    def r(self) -> Actor:
        return self.requester.actor

    @property
    def w(self) -> Actor:
        return self.worker.actor

    @property
    def worker_id(self) -> str:
        return self.worker.actor.public_id

    # ---- builders ---------------------------------------------------------------------------------

    def _batch(self, requester: Actor, rows: int = 3) -> tuple[str, list[str]]:
        """A text-classification batch: its id and its HITs' ids."""
        made = batches.create_batch(self.rt, requester, batches.CreateBatch(
            name=f"Reviews {next(_names)}", template_kind="text_classification", question_template="<p>${text}</p>",
            hit_type=_spec(), rows=tuple({"text": f"review {n}"} for n in range(1, rows + 1)),
            lifetime_seconds=3600, max_assignments=3, template_config={"labels": ["positive", "negative"]}))
        return made.public_id, [h.public_id for h in hits.list_hits(self.rt, requester, batch_id=made.id).items]

    def _mturk_hit(self, requester: Actor) -> str:
        cmd = CreateHIT(question=HTML_QUESTION, lifetime_seconds=3600, max_assignments=3,
                        hit_type=_spec("Describe the picture"))
        return hits.create_hit(self.rt, requester, cmd).value.public_id

    def _remember(self, owner: set[str], *ids: str) -> None:
        owner.update(ids)

    def fresh_hit(self) -> str:
        """A new HTMLQuestion HIT of the requester, with three free slots."""
        hit_id = self._mturk_hit(self.r)
        self._remember(self.requester_ids, hit_id)
        return hit_id

    def fresh_batch_hit(self) -> str:
        _, (hit_id,) = self._batch(self.r, rows=1)
        self._remember(self.requester_ids, hit_id)
        return hit_id

    def fresh_gold_hit(self) -> str:
        hit_id = self.fresh_batch_hit()
        gold.mark_gold(self.rt, self.r, hit_id, {"label": "positive"})
        return hit_id

    def fresh_fixed_hit(self) -> str:
        """A new batch HIT of the requester whose label the requester fixed (so the fix can be cleared)."""
        hit_id = self.fresh_batch_hit()
        label_fixes.fix_label(self.rt, self.r, hit_id, {"label": "negative"})
        return hit_id

    def fresh_batch(self) -> str:
        batch_id, hit_ids = self._batch(self.r, rows=1)
        self._remember(self.requester_ids, batch_id, *hit_ids)
        return batch_id

    def fresh_draft(self) -> str:
        """A new-batch draft of the requester's, configured with the page's starting settings."""
        draft = batch_drafts.create_draft(self.rt, self.r, filename="reviews.csv", data=b"text\r\nfine\r\n",
                                          image_url=lambda name: f"/media/{name}")
        batch_drafts.save_settings(self.rt, self.r, draft.id, batch_drafts.default_settings("reviews.csv", draft.rows))
        self._remember(self.requester_ids, draft.id)
        return draft.id

    def fresh_token(self) -> str:
        """The row id of a new REST token of the requester's (the credentials page revokes by it)."""
        return str(credentials.create_api_token(self.rt, self.r).id)

    def fresh_access_key(self) -> str:
        key = credentials.create_access_key(self.rt, self.r).access_key_id
        self._remember(self.requester_ids, key)
        return key

    def fresh_worker(self) -> str:
        return self.factory.worker(f"matrixworker{next(_names)}").actor.public_id

    def fresh_hit_type(self) -> str:
        hit_type = hits.create_hit_type(self.rt, self.r, _spec(f"Matrix type {next(_names)}"))
        self._remember(self.requester_ids, hit_type.public_id)
        return hit_type.public_id

    def fresh_topic(self) -> str:
        return sns_topics.create_topic(self.rt, self.r, f"matrix-{next(_names)}", region="us-east-1").arn

    def fresh_confirmation(self) -> dict[str, str]:
        """The query of a SubscribeURL: a new pending subscription of the requester's and its token."""
        topic_arn = self.fresh_topic()
        subscription = sns_topics.subscribe(self.rt, self.r, topic_arn, protocol="http",
                                            endpoint="http://127.0.0.1:9/sns", subscribe_url="http://localhost/mturk/sns")
        return {"Action": "ConfirmSubscription", "TopicArn": topic_arn, "Token": subscription.token}

    def fresh_accepted(self) -> str:
        """The worker's new Accepted assignment on a new batch HIT."""
        assignment = assignments.accept(self.rt, self.w, self.fresh_batch_hit())
        self._remember(self.worker_ids, assignment.public_id)
        return assignment.public_id

    def fresh_batch_submitted(self) -> str:
        """The worker's new Submitted assignment on a new batch HIT (the review queue decides those)."""
        assignment_id = self.fresh_accepted()
        assignments.submit(self.rt, self.w, assignment_id, {"label": "positive"})
        return assignment_id

    def fresh_batch_rejected(self) -> str:
        """The worker's new assignment on a new batch HIT, rejected just now (so it can be overridden)."""
        assignment_id = self.fresh_batch_submitted()
        assignments.reject(self.rt, self.r, assignment_id, feedback="Matrix rejection.")
        return assignment_id

    def fresh_mturk_accepted(self) -> str:
        assignment = assignments.accept(self.rt, self.w, self.fresh_hit())
        self._remember(self.worker_ids, assignment.public_id)
        return assignment.public_id

    def fresh_submitted(self) -> str:
        """The worker's new Submitted assignment (on an MTurk-style HIT: no batch to aggregate)."""
        assignment_id = self.fresh_mturk_accepted()
        assignments.submit(self.rt, self.w, assignment_id, {"comment": "A red square."})
        return assignment_id

    def fresh_reviewable_hit(self) -> str:
        """A HIT expired before anyone took it: Reviewable with nothing to decide, so it may be deleted."""
        hit_id = self.fresh_hit()
        hits.update_expiration(self.rt, self.r, hit_id, self.rt.clock())
        return hit_id

    def fresh_qualification_type(self) -> str:
        created = qualifications.create_type(self.rt, self.r, QualificationTypeSpec(
            name=f"Careful reader {next(_names)}", description="Reads closely."))
        self._remember(self.requester_ids, created.public_id)
        return created.public_id

    def fresh_qualification_request(self) -> str:
        """The worker's pending request for a new type of the requester."""
        made = qualifications.request(self.rt, self.w, self.fresh_qualification_type())
        self._remember(self.worker_ids, made.public_id)
        return made.public_id

    def fresh_granted_type(self) -> str:
        """A new type of the requester that the worker holds."""
        type_id = self.fresh_qualification_type()
        qualifications.grant(self.rt, self.r, type_id, self.worker_id, 70)
        return type_id

    def fresh_scoped_worker(self) -> str:
        """A new worker whose answer on a new HIT of the requester was approved: in the requester's
        production scope (the workers pages), and reviewed, so the requester may message them."""
        worker = self.factory.worker(f"matrixworker{next(_names)}")
        assignment = assignments.accept(self.rt, worker.actor, self.fresh_hit())
        assignments.submit(self.rt, worker.actor, assignment.public_id, {"comment": "A red square."})
        assignments.approve(self.rt, self.r, assignment.public_id)
        self.scoped_assignment = assignment.public_id
        self._remember(self.requester_ids, worker.actor.public_id, assignment.public_id)
        return worker.actor.public_id

    def fresh_requested_type(self) -> str:
        """A new type of the requester with the worker's pending request (``pending_request``)."""
        type_id = self.fresh_qualification_type()
        self.pending_request = qualifications.request(self.rt, self.w, type_id).public_id
        self._remember(self.worker_ids, self.pending_request)
        return type_id

    def private_ids(self, caller: Caller) -> set[str]:
        """The ids ``caller`` must never be shown in a list: another worker, the worker's; another
        requester or the other marketplace, everything of the requester's and the worker's."""
        if caller is Caller.OTHER_WORKER:
            return set(self.worker_ids)
        if caller in (Caller.OTHER_REQUESTER, Caller.OTHER_MARKETPLACE):
            return self.requester_ids | self.worker_ids
        return set()

    def build(self) -> World:
        rt, r = self.rt, self.r
        self.batch, batch_hits = self._batch(r)
        self.batch_hit = batch_hits[0]
        self.accepted = assignments.accept(rt, self.w, batch_hits[0]).public_id
        self.submitted = assignments.accept(rt, self.w, batch_hits[1]).public_id
        assignments.submit(rt, self.w, self.submitted, {"label": "positive"})
        for hit_id, label in zip(batch_hits[1:], ("negative", "positive"), strict=True):  # two workers to compare
            other = assignments.accept(rt, self.other_worker.actor, hit_id).public_id
            assignments.submit(rt, self.other_worker.actor, other, {"label": label})
        self.mturk_hit = self._mturk_hit(r)
        self.hit_type = hits.get_hit(rt, r, self.mturk_hit).hit_type.public_id
        self.mturk_accepted = assignments.accept(rt, self.w, self.mturk_hit).public_id
        self.qualification_type = self.fresh_granted_type()
        self.requested_type = self.fresh_qualification_type()
        self.qualification_request = qualifications.request(rt, self.w, self.requested_type).public_id
        batch_quality.update_quality(rt, r, self.batch, batch_quality.QualitySettings.parse({"method": "ds"}))
        batch_quality.request_run(rt, r, self.batch)
        self.job = job_queue.list_jobs(rt, r).items[-1].public_id
        self.export = exports.request_export(rt, r, self.batch, ExportRequest("jsonl")).export.public_id
        self.image = media.store_image(rt, r, png_bytes()).name
        self.topic = self.fresh_topic()
        demo = images_path(rt.settings) / self.demo_image
        demo.parent.mkdir(parents=True, exist_ok=True)
        demo.write_bytes(png_bytes("blue"))
        self.draft = self.fresh_draft()
        self._build_sandbox()
        self._remember(self.requester_ids, self.batch, *batch_hits, self.mturk_hit, self.hit_type,
                       self.qualification_type, self.requested_type, self.job, self.export, self.topic)
        self._remember(self.worker_ids, self.accepted, self.submitted, self.mturk_accepted,
                       self.qualification_request)
        return self

    def _build_sandbox(self) -> None:
        sandbox_r, sandbox_w = self.requester.sandbox(), self.w.in_marketplace(Marketplace.SANDBOX)
        payments.deposit(self.rt, self.requester.credentials.requester_id, parse_amount("100.00"),
                         marketplace=Marketplace.SANDBOX)
        self.sandbox_batch, _ = self._batch(sandbox_r)
        self.sandbox_mturk_hit = self._mturk_hit(sandbox_r)
        self.sandbox_mturk_accepted = assignments.accept(self.rt, sandbox_w, self.sandbox_mturk_hit).public_id

    def resolve(self, fill: Mapping[str, str]) -> dict[str, str]:
        """Path or body values: each names an attribute of the world, or a ``fresh_*`` builder to call."""
        values = {}
        for name, source in fill.items():
            value = getattr(self, source)
            values[name] = value() if callable(value) else value
        return values


def build_world(rt: Runtime) -> World:
    factory = Factory(rt)
    names = [f"matrixworker{next(_names)}" for _ in range(2)]
    requester_name = f"matrixrequester{next(_names)}"
    requester = factory.requester(requester_name, deposit="1000.00")
    accounts.set_requester_password(rt, requester_name, PASSWORD)
    world = World(rt=rt, factory=factory, requester=requester, other_requester=factory.requester(deposit="1000.00"),
                  worker=factory.worker(names[0]), other_worker=factory.worker(names[1]), worker_name=names[0],
                  other_worker_name=names[1], requester_name=requester_name)
    return world.build()


# ---- how each caller authenticates ------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    """One request of the matrix, before a caller's credentials are added."""

    method: str
    path: str
    surface: Surface
    owner: str  # "requester" or "worker": whose credentials the other-marketplace caller uses
    json: Any = None
    form: Mapping[str, str] | None = None
    raw: bytes | None = None
    query: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class Callers:
    """Sends a request as one of the six callers: each has its own cookie jar; the workers' jars hold a
    signed-in session (the other-marketplace one switched to the sandbox). On the requester pages the
    requesters send their own jars, each holding a requester session (the requester's other-marketplace
    one in the sandbox)."""

    def __init__(self, app: Flask, world: World) -> None:
        self.app, self.world = app, world
        self.names = {world.worker.actor.public_id: world.worker_name,
                      world.other_worker.actor.public_id: world.other_worker_name}
        self.clients = {caller: app.test_client() for caller in Caller}
        self.sign_in(self.clients[Caller.WORKER], world.worker_name)
        self.sign_in(self.clients[Caller.OTHER_WORKER], world.other_worker_name)
        self.sign_in(self.clients[Caller.OTHER_MARKETPLACE], world.worker_name, Marketplace.SANDBOX)
        self.requester_clients = {caller: self.requester_client(caller) for caller in
                                  (Caller.REQUESTER, Caller.OTHER_REQUESTER, Caller.OTHER_MARKETPLACE)}

    def requester_client(self, caller: Caller) -> FlaskClient:
        """A jar whose session is a requester's, as the requester sign-in page leaves it."""
        handle = self.world.other_requester if caller is Caller.OTHER_REQUESTER else self.world.requester
        market = Marketplace.SANDBOX if caller is Caller.OTHER_MARKETPLACE else Marketplace.PRODUCTION
        client = self.app.test_client()
        with client.session_transaction() as session:
            session["requester"] = {"id": handle.actor.id, "public_id": handle.actor.public_id,
                                    "name": f"requester-{handle.actor.public_id}"}
            session["marketplace"] = market.value
        return client

    @staticmethod
    def csrf_token(client: FlaskClient) -> str:
        found = CSRF_TOKEN.search(client.get("/signin").get_data(as_text=True))
        assert found, "no CSRF token in the sign-in form"
        return found.group(1)

    def sign_in(self, client: FlaskClient, name: str, marketplace: Marketplace = Marketplace.PRODUCTION) -> None:
        if marketplace is Marketplace.SANDBOX:
            switched = client.post("/marketplace", data={"csrf_token": self.csrf_token(client),
                                                         "marketplace": marketplace.value})
            assert switched.status_code == 303
        response = client.post("/signin", data={"csrf_token": self.csrf_token(client), "name": name,
                                                "password": PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)

    def fresh_client(self, caller: Caller, surface: Surface) -> FlaskClient:
        """A new jar in the state of ``caller``'s, for requests that end a session (sign-out, sign-in)."""
        if surface is Surface.REQUESTER_PAGE and caller in self.requester_clients:
            return self.requester_client(caller)
        client = self.app.test_client()
        if caller in (Caller.WORKER, Caller.OTHER_MARKETPLACE):
            market = Marketplace.SANDBOX if caller is Caller.OTHER_MARKETPLACE else Marketplace.PRODUCTION
            self.sign_in(client, self.world.worker_name, market)
        elif caller is Caller.OTHER_WORKER:
            self.sign_in(client, self.world.other_worker_name)
        return client

    def handle(self, caller: Caller, owner: str) -> RequesterHandle | WorkerHandle | None:
        w = self.world
        return {Caller.WORKER: w.worker, Caller.OTHER_WORKER: w.other_worker, Caller.REQUESTER: w.requester,
                Caller.OTHER_REQUESTER: w.other_requester, Caller.ANONYMOUS: None,
                Caller.OTHER_MARKETPLACE: w.requester if owner == "requester" else w.worker}[caller]

    def send(self, caller: Caller, request: Request, *, client: FlaskClient | None = None) -> TestResponse:
        if client is None and request.surface is Surface.REQUESTER_PAGE:
            client = self.requester_clients.get(caller)
        client = client or self.clients[caller]
        handle = self.handle(caller, request.owner)
        headers = dict(request.headers)
        query = dict(request.query or {})
        path = request.path
        sandboxed = caller is Caller.OTHER_MARKETPLACE
        if request.surface is Surface.MTURK_API:
            body = json.dumps(request.json or {}).encode()
            headers |= {"Content-Type": "application/x-amz-json-1.1"}
            return self._signed(client, handle, swap_endpoint(path) if sandboxed else path, body, headers,
                                service="mturk-requester")
        if request.surface is Surface.SNS_API:
            headers |= {"Content-Type": "application/x-www-form-urlencoded"}
            return self._signed(client, handle, path, urlencode(request.form or {}).encode(), headers,
                                service="sns")
        if request.surface is Surface.REST and sandboxed:
            query["marketplace"] = Marketplace.SANDBOX.value
        headers |= self._credentials(handle, request.surface)
        form = dict(request.form) if request.form is not None else None
        if request.surface in (Surface.PAGE, Surface.REQUESTER_PAGE, Surface.PUBLIC) and request.method != "GET":
            form = {"csrf_token": self.csrf_token(client)} | (form or {})
        return client.open(path, method=request.method, headers=headers, query_string=query or None,
                           json=request.json, data=request.raw if request.raw is not None else form)

    def _credentials(self, handle: RequesterHandle | WorkerHandle | None, surface: Surface) -> dict[str, str]:
        """A caller's best attempt: a worker's name and password where Basic is asked for, otherwise the
        API token (the pages must ignore it: only their session counts)."""
        if handle is None:
            return {}
        if surface is Surface.BASIC and isinstance(handle, WorkerHandle):
            pair = f"{self.names[handle.actor.public_id]}:{PASSWORD}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {"Authorization": f"Bearer {handle.credentials.api_token}"}

    @staticmethod
    def _signed(client: FlaskClient, handle: RequesterHandle | WorkerHandle | None, path: str, body: bytes,
                headers: Mapping[str, str], *, service: str) -> TestResponse:
        """An AWS call signed with SigV4 as botocore signs it; a worker, who has no access key, signs
        with their id and API token; an anonymous caller does not sign."""
        signed = AWSRequest(method="POST", url=f"http://localhost{path}", data=body, headers=dict(headers))
        key = None
        if isinstance(handle, RequesterHandle):
            key = Credentials(handle.credentials.access_key_id, handle.credentials.secret_access_key)
        elif isinstance(handle, WorkerHandle):
            key = Credentials(handle.actor.public_id, handle.credentials.api_token)
        if key is not None:
            SigV4Auth(key, service, "us-east-1").add_auth(signed)
        return client.post(path, data=body, headers=dict(signed.headers.items()))


def swap_endpoint(path: str) -> str:
    return {"/mturk/production": "/mturk/sandbox", "/mturk/sandbox": "/mturk/production"}[path]


# ---- what came back -----------------------------------------------------------------------------------

AUTH_FAILURES = {"MissingAuthenticationTokenException", "UnrecognizedClientException",
                 "IncompleteSignatureException", "InvalidSignatureException"}


def classify(response: TestResponse, surface: Surface, lands_on: str | None = None) -> Answer:
    """The class of ``response``. A redirect is allowed when it leads to ``lands_on`` (the path prefix
    of the page the request means to reach), refused when it leads to the sign-in page."""
    status = response.status_code
    if surface is Surface.MTURK_API:
        return _classify_mturk(response)
    if 300 <= status < 400:
        path = urlsplit(response.location).path
        if lands_on is not None and path.startswith(lands_on):
            return Answer.ALLOWED
        if path in ("/signin", "/requester/signin"):
            return Answer.REFUSED
        return Answer.ALLOWED if lands_on is None else Answer.BROKEN
    if 200 <= status < 300:
        return Answer.ALLOWED
    return {400: Answer.INVALID, 402: Answer.INVALID, 409: Answer.INVALID, 422: Answer.INVALID,
            401: Answer.REFUSED, 403: Answer.REFUSED, 404: Answer.NOT_FOUND}.get(status, Answer.BROKEN)


def _classify_mturk(response: TestResponse) -> Answer:
    body = json.loads(response.get_data() or b"{}")
    if response.status_code == 200:
        return Answer.ALLOWED
    if response.status_code != 400:
        return Answer.BROKEN
    if body.get("__type") in AUTH_FAILURES:
        return Answer.REFUSED
    code = body.get("TurkErrorCode") or ""
    if body.get("__type") != "RequestError":
        return Answer.BROKEN
    if code.endswith("DoesNotExist"):
        return Answer.NOT_FOUND
    return Answer.REFUSED if code.endswith("PermissionDenied") else Answer.INVALID


def describe(response: TestResponse) -> str:
    text = response.get_data(as_text=True)
    return f"{response.status_code} {response.location or ''} {text[:300]!r}"


def leaked(response: TestResponse, secrets: set[str]) -> set[str]:
    """The ids of ``secrets`` the response shows (in its body or where it redirects)."""
    seen = response.get_data(as_text=True) + (response.location or "")
    return {secret for secret in secrets if secret in seen}


# ---- security headers ------------------------------------------------------------------------------------

def policy_of(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    return directives


def security_header_problems(response: TestResponse) -> list[str]:
    """What is wrong with the headers of a response: nosniff on every one; on HTML, a
    Content-Security-Policy without inline scripts that names who may frame it, and a Referrer-Policy.
    A view meant to be framed by LabelHub's own pages (a task frame) may instead run sandboxed."""
    problems = []
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    if response.mimetype not in ("text/html", "image/svg+xml"):
        return problems
    if not response.headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    header = response.headers.get("Content-Security-Policy")
    if not header:
        return [*problems, "no Content-Security-Policy"]
    policy = policy_of(header)
    if "frame-ancestors" not in policy:
        problems.append(f"no frame-ancestors: {header}")
    sandboxed = "sandbox" in policy and "allow-same-origin" not in policy["sandbox"]
    if sandboxed:
        return problems  # an opaque origin: its scripts (requester HTML) can reach nothing of LabelHub's
    scripts = policy.get("script-src", policy.get("default-src"))
    if scripts is None or "'unsafe-inline'" in scripts or "*" in scripts:
        problems.append(f"script-src allows inline or any script: {header}")
    return problems
