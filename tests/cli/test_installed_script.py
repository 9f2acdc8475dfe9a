"""The installed `labelhub` console script run as a real process, as README's quick start runs it:
the demo on a blank database, credentials as JSON, and the pages served over real HTTP."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labelhub import migrations
from labelhub.models import Marketplace
from labelhub.runtime import Runtime
from labelhub.services import accounts
from labelhub.settings import DatabaseSettings, Settings

STARTUP_SECONDS = 20


Get = Callable[[str], tuple[int, str, bytes]]


@pytest.fixture
def script(labelhub_script, blank_env, tmp_path) -> Callable[..., subprocess.CompletedProcess]:
    """Runs `labelhub ARGS` to completion against the blank database and a fresh instance folder."""

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([labelhub_script, *args], env=blank_env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, check=False)

    return run


@pytest.fixture
def served(labelhub_script, blank_env, tmp_path) -> Iterator[Callable[..., Get]]:
    """Starts `labelhub ARGS --port P` in the background; yields a GET helper; stops the process."""
    started: list[subprocess.Popen] = []
    log = tmp_path / "server.log"

    def start(*args: str) -> Get:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with log.open("w") as out:
            process = subprocess.Popen([labelhub_script, *args, "--port", str(port)], env=blank_env,
                                       cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
        started.append(process)
        _wait_until_listening(process, port, log)
        return lambda path: _get(port, path)

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the server did not listen within {STARTUP_SECONDS} s:\n{log.read_text()}")


def _get(port: int, path: str) -> tuple[int, str, bytes]:
    """A GET with the path sent exactly as given (no client-side '..' normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        conn.close()


def test_installed_demo_then_requester_create_json(script, blank_database_url, tmp_path):
    first = script("demo", "--no-serve")
    second = script("demo", "--no-serve")
    created = script("requester", "create", "x-lab", "--json")

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Demo data seeded.")
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("Demo data reused")
    assert "Traceback" not in first.stderr + second.stderr
    assert created.returncode == 0, created.stderr
    creds = json.loads(created.stdout)
    assert set(creds) == {"requester_id", "access_key_id", "secret_access_key", "api_token"}
    runtime = Runtime.from_settings(Settings(database=DatabaseSettings(url=blank_database_url)))
    try:
        assert migrations.current_revision(runtime.engine) == migrations.head_revision()
        actor = accounts.authenticate_token(runtime, creds["api_token"], Marketplace.PRODUCTION)
        assert actor.public_id == creds["requester_id"]
    finally:
        runtime.engine.dispose()
    assert len(list((tmp_path / "instance" / "images").glob("*.png"))) == 24


def test_installed_run_serves_the_demo_pages(script, served):
    assert script("demo", "--no-serve").returncode == 0
    get = served("run")

    status, content_type, body = get("/")
    page = body.decode()
    assert status == 200 and content_type.startswith("text/html")
    assert "Demo: circle or square?" in page and "Demo: sentiment of short reviews" in page
    image = page.split('<img src="', 1)[1].split('"', 1)[0]
    assert get(image)[:2] == (200, "image/png")
    assert get(image)[2].startswith(b"\x89PNG")
    assert get("/images/../demo.json")[0] == 404
    assert get("/images/..%2fdemo.json")[0] == 404
    status, content_type, body = get("/no-such-page")
    assert (status, content_type.split(";")[0]) == (404, "text/html") and b"Not Found" in body


def test_installed_demo_serves_what_it_seeded(served):
    get = served("demo")

    status, _, body = get("/")
    assert status == 200 and b"Demo: circle or square?" in body


def test_installed_run_refuses_an_unmigrated_database(script):
    result = script("run", "--port", "5999")

    assert result.returncode == 1
    assert "Run `labelhub db upgrade` first." in result.stderr
    assert "Traceback" not in result.stderr
