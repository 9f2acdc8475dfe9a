"""`labelhub run` as a separate serving process on the test database, for tests that kill it or
need a second process: a free port, the process, and waiting for a condition."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, between: Callable[[], None] = lambda: None,
             explain: Callable[[], str] = lambda: "") -> None:
    """Poll ``condition`` until true; after ``timeout`` s fail, adding what ``explain`` says of the state."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}\n{explain()}".rstrip())
        between()
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(database_url: str, tmp_path: Path, port: int, log: Path) -> subprocess.Popen:
    """`labelhub run` on ``database_url`` (embedded runner, no Redis, stale claims retaken after 2 s),
    its output appended to ``log``."""
    env = os.environ | {"LABELHUB_CONFIG": str(tmp_path / "none.toml"), "LABELHUB_DATABASE_URL": database_url,
                        "LABELHUB_REDIS_URL": "", "LABELHUB_STORAGE_INSTANCE_PATH": str(tmp_path / "instance"),
                        "LABELHUB_JOBS_POLL_INTERVAL_MS": "50", "LABELHUB_JOBS_STALE_AFTER_SECONDS": "2",
                        "LABELHUB_ACCOUNTS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                        "PYTHONPATH": str(REPO)}
    with log.open("a") as out:
        return subprocess.Popen([str(Path(sys.executable).parent / "labelhub"), "run", "--port", str(port)], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_serving(server: subprocess.Popen, url: str, log: Path, *, timeout: float = 60) -> None:
    """Until ``url`` answers 200; fails at once, with the log, if the process exits first."""

    def answers() -> bool:
        if server.poll() is not None:
            raise AssertionError(f"the server exited with {server.returncode}: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    wait_for(answers, timeout=timeout, what=f"{url} to answer: {log}")
