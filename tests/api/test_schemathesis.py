"""Schemathesis over the served OpenAPI document: `schemathesis run` against the app on a real HTTP server,
once with a requester's API token and once with a worker's, after real HITs, assignments, a batch,
bonuses, qualifications and messages exist (so ids taken from responses hit real rows).

Every check runs (as with --checks all): a 5xx, a response or status the document does not describe,
a request the document allows that is refused, one it forbids that is accepted. Any failure fails the
test with Schemathesis's report (each failure with a curl command that repeats it).
tests/api/schemathesis.toml bounds the run for CI (deterministic, a few examples per operation) and
lists the operations with rules no schema can state.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from labelhub.runtime import Runtime
from labelhub.services import assignments, batches, payments, qualifications, workers
from labelhub.services.commands import NotifyWorkers, QualificationTypeSpec, SendBonus
from tests.api.conftest import SUMMARY
from tests.factories import Factory

CONFIG = Path(__file__).with_name("schemathesis.toml")
OTHER_ROLES_PATHS = {"requester": "^/worker/", "worker": "^/requester/"}
BATCH = {"name": "Tone", "task_type": "text_classification",
         "config": {"labels": ["positive", "negative"], "text_field": "text"},
         "rows": [{"text": "good"}, {"text": "bad"}, {"text": "fine", "_gold": {"label": "positive"}}],
         "lifetime_seconds": 86_400, "max_assignments": 2, "title": "Tone", "description": "Positive or negative?",
         "reward": "0.05", "assignment_duration_seconds": 600, "auto_approval_delay_seconds": 86_400}


@dataclass(frozen=True)
class Tokens:
    requester: str
    worker: str


def populate(rt: Runtime, factory: Factory) -> Tokens:
    """A requester with a batch, HITs with submitted, approved and accepted assignments, a bonus, a
    qualification type granted and one requested, and a message to the worker whose token is returned."""
    requester = factory.requester(deposit="500.00")
    worker, other = factory.worker(), factory.worker()
    batches.create_batch(rt, requester.actor, batches.batch_from_settings(BATCH, BATCH["rows"]))
    first, second = factory.hit(requester.actor), factory.hit(requester.actor)
    factory.hit(requester.actor)
    submitted = assignments.accept(rt, worker.actor, first.public_id)
    assignments.submit(rt, worker.actor, submitted.public_id, {"label": "cat"})
    approved = assignments.accept(rt, worker.actor, second.public_id)
    assignments.submit(rt, worker.actor, approved.public_id, {"label": "dog"})
    assignments.approve(rt, requester.actor, approved.public_id)
    assignments.accept(rt, other.actor, first.public_id)
    payments.send_bonus(rt, requester.actor, SendBonus(worker.actor.public_id, approved.public_id, 100_000, "thanks"))
    tested = qualifications.create_type(rt, requester.actor, QualificationTypeSpec(
        name="Tested", description="Answer the test", test="<p>Cat?</p>", test_duration_seconds=600))
    qualifications.request(rt, other.actor, tested.public_id, {"q1": "yes"})
    granted = qualifications.create_type(rt, requester.actor, QualificationTypeSpec(name="Granted", description="d"))
    qualifications.grant(rt, requester.actor, granted.public_id, worker.actor.public_id, 50)
    workers.notify(rt, requester.actor, NotifyWorkers("Hello", "Thanks for the work", (worker.actor.public_id,)))
    return Tokens(requester.credentials.api_token, worker.credentials.api_token)


def schemathesis_run(base_url: str, token: str, role: str, report_dir: Path) -> subprocess.CompletedProcess[str]:
    """The CLI, as one would run it by hand, in a temporary working directory so nothing is written into
    the repository. (schemathesis.pytest.from_fixture, the in-process way, fails on pytest 9.2.)"""
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "--no-color", "run",
               f"{base_url}/api/v1/openapi.json", "-H", f"Authorization: Bearer {token}",
               "--exclude-path-regex", OTHER_ROLES_PATHS[role], "--report", "junit", "--report-dir", str(report_dir)]
    return subprocess.run(command, cwd=report_dir, capture_output=True, text=True, timeout=240, check=False)


def cases_run(report: str) -> int:
    found = re.search(r"^\s*(\d+) generated", report, re.MULTILINE)
    assert found, report
    return int(found.group(1))


@pytest.mark.parametrize("role", ["requester", "worker"])
def test_api_agrees_with_its_openapi_document(live_server, runtime, factory, role, tmp_path, record_property,
                                               request, caplog):
    caplog.set_level(logging.WARNING, logger="werkzeug")  # thousands of access-log lines otherwise
    tokens = populate(runtime, factory)
    started = time.monotonic()
    done = schemathesis_run(live_server, getattr(tokens, role), role, tmp_path)
    elapsed = time.monotonic() - started
    report = done.stdout + done.stderr
    cases = cases_run(report)
    record_property("schemathesis_cases", cases)
    request.config.stash.setdefault(SUMMARY, []).append(f"schemathesis as {role}: {cases} cases in {elapsed:.0f} s")
    failures = re.search(r"^=+ FAILURES =+$.*", report, re.MULTILINE | re.DOTALL)
    assert done.returncode == 0, f"Schemathesis as {role} ({cases} cases):\n{failures[0] if failures else report}"
