"""Fixtures for the pages: batches created through the real batch service, workers with names, and a
test client that posts forms with their CSRF token as a browser does."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from labelhub.models import Batch
from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import batches
from labelhub.services.actors import Actor
from labelhub.services.commands import HITTypeSpec
from tests.factories import Factory, WorkerHandle


@pytest.fixture
def make_batch(runtime: Runtime) -> Callable[..., Batch]:
    """A text-classification batch of ``rows`` reviews ("review 1", "review 2", ...)."""

    def make(actor: Actor, name: str, *, rows: int = 2, max_assignments: int = 1) -> Batch:
        spec = HITTypeSpec(title="Sentiment", description="Pick the sentiment.",
                           reward_micros=parse_amount("0.10"), assignment_duration_seconds=600)
        return batches.create_batch(runtime, actor, batches.CreateBatch(
            name=name, template_kind="text_classification", question_template="<p>${text}</p>", hit_type=spec,
            rows=tuple({"text": f"review {n}"} for n in range(1, rows + 1)), lifetime_seconds=3600,
            max_assignments=max_assignments, template_config={"labels": ["positive", "negative"]}))

    return make


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct-horse-1"  # tests.factories gives every worker this password
_names = itertools.count(1)


@dataclass(frozen=True)
class NamedWorker:
    """A worker made by the factory, with the name it signs in with."""

    name: str
    handle: WorkerHandle

    @property
    def actor(self) -> Actor:
        return self.handle.actor


@pytest.fixture
def make_worker(factory: Factory) -> Callable[..., NamedWorker]:
    def make(name: str | None = None, **options: Any) -> NamedWorker:
        name = name or f"pageworker{next(_names)}"
        return NamedWorker(name, factory.worker(name, **options))

    return make


class Pages:
    """The test client used as a browser: every form post carries the CSRF token read from a page."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, path: str = "/signin") -> str:
        found = TOKEN.search(self.client.get(path).get_data(as_text=True))
        assert found, f"no CSRF token in the form of {path}"
        return found.group(1)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, *, token_from: str = "/signin",
             **kwargs: Any) -> TestResponse:
        return self.client.post(path, data={"csrf_token": self.token(token_from)} | (data or {}), **kwargs)

    def sign_in(self, worker: NamedWorker) -> None:
        response = self.post("/signin", {"name": worker.name, "password": PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)


@pytest.fixture
def pages(client: FlaskClient) -> Pages:
    return Pages(client)


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)
