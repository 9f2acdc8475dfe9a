"""A serving process killed with SIGKILL in the middle of a burst of work, on SQLite and on PostgreSQL:
six workers accept and submit over the REST API while the requester approves what they submit, and the
`labelhub run` process dies without warning. Every answer and approval the server acknowledged must
still be there, nothing may be half-written (the ledger audit and the HIT counters hold), and a new
server dispatches every event the dead one recorded."""

from __future__ import annotations

import json
import os
import queue
import signal
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from sqlalchemy import func, select

from labelhub.models import (
    HIT,
    Assignment,
    AssignmentStatus,
    Event,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
)
from labelhub.money import parse_amount
from labelhub.services import ledger
from tests.factories import Factory
from tests.ledger_checks import check_hit_counters, check_holds
from tests.serving import free_port, serve, wait_for, wait_until_serving

HITS, WORKERS = 30, 6
SLOTS = WORKERS  # every worker can take every HIT: nothing in the burst is refused
KILL_AFTER_SUBMITS = 25
SERVER_GONE = (urllib.error.URLError, ConnectionError, TimeoutError)

pytestmark = pytest.mark.timeout(240)


class Client:
    """JSON over a real socket to the server under test, with one bearer token."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(f"{self.base}/api/v1{path}", method="POST",
                                         data=json.dumps(body or {}).encode(),
                                         headers={"Authorization": f"Bearer {self.token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read() or b"null")


class Burst:
    """What the server acknowledged before it died: answers by assignment id, and approvals."""

    def __init__(self) -> None:
        self.answers: dict[str, dict[str, str]] = {}
        self.approved: set[str] = set()
        self.refused: list[tuple[int, Any]] = []
        self.to_approve: queue.Queue[str | None] = queue.Queue()
        self.lock = threading.Lock()
        self.server_gone = threading.Event()

    def work(self, client: Client, worker_name: str, hit_ids: list[str]) -> None:
        try:
            for hit_id in hit_ids:
                status, accepted = client.post(f"/worker/hits/{hit_id}/accept")
                if status != 201:
                    self._refused(status, accepted)
                    continue
                answer = {"label": f"{worker_name} on {hit_id}"}
                status, submitted = client.post(f"/worker/assignments/{accepted['assignment_id']}/submit",
                                                {"answer": answer})
                if status != 200:
                    self._refused(status, submitted)
                    continue
                with self.lock:
                    self.answers[accepted["assignment_id"]] = answer
                self.to_approve.put(accepted["assignment_id"])
        except SERVER_GONE:
            self.server_gone.set()

    def approve(self, client: Client) -> None:
        try:
            while (assignment_id := self.to_approve.get()) is not None:
                status, approved = client.post(f"/requester/assignments/{assignment_id}/approve")
                if status != 200:
                    self._refused(status, approved)
                    continue
                with self.lock:
                    self.approved.add(assignment_id)
        except SERVER_GONE:
            self.server_gone.set()

    def _refused(self, status: int, body: Any) -> None:
        with self.lock:
            self.refused.append((status, body))

    def submitted_count(self) -> int:
        with self.lock:
            return len(self.answers)


def test_a_server_killed_mid_burst_keeps_every_acknowledged_write_and_half_writes_nothing(
        runtime, factory: Factory, database_url, tmp_path):
    requester = factory.requester(deposit="200.00")
    hit_ids = [factory.hit(requester.actor, max_assignments=SLOTS).public_id for _ in range(HITS)]
    workers = [factory.worker(f"burst-worker-{n}") for n in range(WORKERS)]
    port, log = free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    server = serve(database_url, tmp_path, port, log)
    burst = Burst()
    try:
        wait_until_serving(server, f"{base}/api/v1/openapi.json", log)
        threads = [threading.Thread(target=burst.work, args=(Client(base, w.credentials.api_token), w.actor.public_id,
                                                             hit_ids[n:] + hit_ids[:n]))
                   for n, w in enumerate(workers)]
        threads.append(threading.Thread(target=burst.approve, args=(Client(base, requester.credentials.api_token),)))
        for thread in threads:
            thread.start()
        wait_for(lambda: burst.submitted_count() >= KILL_AFTER_SUBMITS, timeout=120,
                 what=f"{KILL_AFTER_SUBMITS} acknowledged submissions ({log})")
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        burst.to_approve.put(None)
        for thread in threads:
            thread.join(timeout=60)
        assert burst.server_gone.is_set(), "the burst should have outlived the server"
        assert burst.refused == [], "nothing in this burst is refusable"

        _every_acknowledged_write_is_there(runtime, burst)
        check_holds(runtime)
        check_hit_counters(runtime)
        _rewards_paid_once_per_approval(runtime)

        server = serve(database_url, tmp_path, port, log)
        wait_for(lambda: _undispatched_events(runtime) == 0, timeout=90,
                 what=f"the new server to dispatch the dead one's events: {log.read_text()[-3000:]}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(f"\nkilled after {len(burst.answers)} acknowledged submissions and {len(burst.approved)} approvals")


def _every_acknowledged_write_is_there(runtime, burst: Burst) -> None:
    with runtime.sessions() as db:
        stored = {a.public_id: a for a in db.scalars(select(Assignment))}
    for assignment_id, answer in burst.answers.items():
        assert stored[assignment_id].answer == answer, assignment_id
        assert stored[assignment_id].status in (AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED)
    for assignment_id in burst.approved:
        assert stored[assignment_id].status is AssignmentStatus.APPROVED, assignment_id


def _rewards_paid_once_per_approval(runtime) -> None:
    reward = parse_amount("0.50")
    with runtime.sessions() as db:
        approved = db.scalar(select(func.count()).select_from(Assignment)
                             .where(Assignment.status == AssignmentStatus.APPROVED))
        paid = db.scalars(select(LedgerEntry.amount_micros).join(LedgerTransaction).join(LedgerAccount)
                          .where(LedgerTransaction.kind == "reward", LedgerAccount.purpose == ledger.EARNINGS)).all()
        assert db.scalar(select(func.count()).select_from(HIT)) == HITS
    assert sorted(paid) == [reward] * approved


def _undispatched_events(runtime) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(Event).where(Event.dispatched_at.is_(None))) or 0
