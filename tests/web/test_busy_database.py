"""A busy database answers 503 with Retry-After on every adapter, never 500 and never after a long hang.

Another connection, in its own thread, holds a real lock the request needs: on SQLite the database's
write lock (every unit of work begins with BEGIN IMMEDIATE), on PostgreSQL the HIT's row lock. The app
under test waits one second for locks (LOCK_WAIT_SECONDS is five in production), then gives up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import Engine, select, text
from werkzeug.serving import make_server

from labelhub.db import DatabaseBusyError, make_engine
from labelhub.http_status import RETRY_AFTER_SECONDS
from labelhub.models import HIT
from labelhub.queueing import InlineBackend
from labelhub.runtime import Runtime
from tests.api.conftest import PREFIX, Api
from tests.conftest import app_in_testing_mode
from tests.web.conftest import TOKEN, text_of

WAIT = 1.0


@pytest.fixture
def impatient(runtime: Runtime, database_url: str) -> Iterator[Runtime]:
    """The test's database, through an engine that waits WAIT seconds for a lock."""
    engine = make_engine(database_url, lock_wait_seconds=WAIT)
    yield Runtime(settings=runtime.settings, engine=engine, backend=InlineBackend(), clock=runtime.clock)
    engine.dispose()


@pytest.fixture
def impatient_app(impatient: Runtime):
    return app_in_testing_mode(impatient)


@pytest.fixture
def hit(factory, requester):
    return factory.hit(requester.actor, max_assignments=3)


@pytest.fixture
def requester(factory):
    return factory.requester()


@contextmanager
def locked(engine: Engine, hit: HIT, *, for_seconds: float | None = None) -> Iterator[None]:
    """Another connection holds the HIT's row lock (on SQLite, the write lock) in its own thread, until
    the block ends or ``for_seconds`` have passed."""
    ready, release = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.connect() as conn, conn.begin():
            conn.execute(select(HIT.id).where(HIT.id == hit.id).with_for_update())
            ready.set()
            release.wait(for_seconds if for_seconds is not None else 60)

    holder = threading.Thread(target=hold)
    holder.start()
    assert ready.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()


def _timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_lock_held_past_the_wait_is_database_busy_error(impatient, engine, hit):
    with locked(engine, hit), pytest.raises(DatabaseBusyError), impatient.engine.begin() as conn:
        conn.execute(text("UPDATE hits SET max_assignments = 4 WHERE id = :id"), {"id": hit.id})


def test_a_deadlock_victim_is_database_busy_error_too(impatient, factory, requester, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite has one write lock: no deadlock between two writers")
    first, second = factory.hit(requester.actor), factory.hit(requester.actor)
    both_hold, outcomes = threading.Barrier(2), []

    def lock_in_order(a: HIT, b: HIT) -> None:
        try:
            with impatient.engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = 0"))  # wait for the deadlock detector
                conn.execute(select(HIT.id).where(HIT.id == a.id).with_for_update())
                both_hold.wait(5)
                conn.execute(select(HIT.id).where(HIT.id == b.id).with_for_update())
            outcomes.append("ok")
        except DatabaseBusyError as exc:
            outcomes.append(exc.orig.sqlstate)

    threads = [threading.Thread(target=lock_in_order, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["40P01", "ok"]


def test_rest_answers_503_with_retry_after_when_the_database_stays_locked(impatient_app, engine, factory, hit):
    worker, api = factory.worker(), Api(impatient_app, impatient_app.test_client())
    path, bearer = f"/worker/hits/{hit.public_id}/accept", {"Authorization": f"Bearer {worker.credentials.api_token}"}
    with locked(engine, hit):
        response, waited = _timed(lambda: api.client.post(PREFIX + path, headers=bearer))
    assert response.status_code == 503 and response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    api.check_documented("POST", path, 503, response)  # the Error schema
    assert response.get_json()["error"]["code"] == "busy"
    assert WAIT <= waited < WAIT + 3
    api.post(path, token=worker.credentials.api_token, expect=201)  # free again


def test_a_page_answers_503_with_retry_after_when_the_database_stays_locked(impatient_app, engine, make_worker,
                                                                             hit):
    worker, browser = make_worker(), impatient_app.test_client()
    signin = TOKEN.search(text_of(browser.get("/signin"))).group(1)
    browser.post("/signin", data={"csrf_token": signin, "name": worker.name, "password": "correct-horse-1"})
    preview = f"/hits/{hit.public_id}"
    token = TOKEN.search(text_of(browser.get(preview))).group(1)
    with locked(engine, hit):
        response, waited = _timed(lambda: browser.post(f"{preview}/accept", data={"csrf_token": token}))
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Busy" in text_of(response) and "try again" in text_of(response)
    assert WAIT <= waited < WAIT + 3
    assert browser.post(f"{preview}/accept", data={"csrf_token": token}).status_code == 303


@pytest.fixture
def impatient_server(impatient_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, impatient_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def _mturk(base: str, requester, attempts: int):
    return boto3.session.Session().client(
        "mturk", endpoint_url=f"{base}/mturk/production", region_name="us-east-1",
        aws_access_key_id=requester.credentials.access_key_id,
        aws_secret_access_key=requester.credentials.secret_access_key,
        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}))


def test_mturk_answers_a_retryable_503_service_fault_when_the_database_stays_locked(impatient_server, engine,
                                                                                    requester, hit):
    client = _mturk(impatient_server, requester, attempts=1)
    with locked(engine, hit), pytest.raises(ClientError) as raised:
        client.create_additional_assignments_for_hit(HITId=hit.public_id, NumberOfAdditionalAssignments=1)
    answer = raised.value.response
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert answer["Error"]["Code"] == "ServiceFault"
    assert answer["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == str(RETRY_AFTER_SECONDS)

    retrying = _mturk(impatient_server, requester, attempts=5)
    with locked(engine, hit, for_seconds=WAIT * 1.5):
        done = retrying.create_additional_assignments_for_hit(HITId=hit.public_id, NumberOfAdditionalAssignments=1)
    assert done["ResponseMetadata"]["RetryAttempts"] >= 1
    assert retrying.get_hit(HITId=hit.public_id)["HIT"]["MaxAssignments"] == 4
