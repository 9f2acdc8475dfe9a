"""Jobs without Redis: the InlineEnqueuer runs them in-process; their Runtime is built on first use only."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from labelhub import jobs
from labelhub.models import AssignmentStatus, HITStatus
from labelhub.queueing import InlineEnqueuer
from labelhub.runtime import Runtime
from labelhub.services import assignments, hits
from labelhub.settings import RedisSettings

REPO = Path(__file__).resolve().parents[2]


def test_inline_enqueuer_runs_a_job_at_once_when_no_redis_is_configured(runtime, factory, clock,
                                                                        installed_runtime):
    configured = Runtime.from_settings(replace(runtime.settings, redis=RedisSettings(url="")))
    configured.engine.dispose()
    assert (type(configured.enqueue), configured.redis) == (InlineEnqueuer, None)
    requester, worker = factory.requester(), factory.worker()
    hit = factory.hit(requester.actor, max_assignments=1, lifetime_seconds=86_400)
    assignment = assignments.accept(runtime, worker.actor, hit.public_id)
    clock.advance(seconds=601)

    configured.enqueue("labelhub.jobs.abandon_overdue")

    assert assignments.get_assignment(runtime, worker.actor, assignment.public_id).status \
        is AssignmentStatus.ABANDONED
    assert hits.get_hit(runtime, requester.actor, hit.public_id).status is HITStatus.ASSIGNABLE


def test_worker_runtime_is_built_once_from_settings_on_first_use(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("LABELHUB_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("LABELHUB_DATABASE_URL", database_url)
    monkeypatch.setenv("LABELHUB_REDIS_URL", "")
    jobs.install_runtime(None)
    built = jobs.worker_runtime()
    try:
        assert built.settings.database.url == database_url
        assert jobs.worker_runtime() is built
    finally:
        jobs.install_runtime(None)
        built.engine.dispose()


def test_importing_jobs_reads_no_settings_until_a_job_needs_its_runtime(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[database\n")
    env = {"LABELHUB_CONFIG": str(broken), "PATH": "/usr/bin:/bin"}

    def python(code: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=60)

    assert python("import labelhub.jobs").returncode == 0
    first_use = python("import labelhub.jobs; labelhub.jobs.worker_runtime()")
    assert first_use.returncode != 0
    assert "broken.toml: not valid TOML" in first_use.stderr
