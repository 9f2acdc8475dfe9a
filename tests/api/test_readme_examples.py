"""The README's curl examples, run as written with the real curl against a live server: only the host,
the token and the qualification type the README leaves to the reader (<your type>) are filled in."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from labelhub.services import qualifications
from labelhub.services.commands import QualificationTypeSpec

README = Path(__file__).resolve().parents[2] / "README.md"
README_HOST = "http://127.0.0.1:5000"


def curl_examples() -> list[str]:
    """Every ```bash block of the README that calls the REST API with curl."""
    blocks = re.findall(r"^```bash\n(.*?)^```", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    return [block for block in blocks if f"curl -s -X POST {README_HOST}/api/v1/" in block]


def test_the_readme_has_curl_examples():
    assert len(curl_examples()) >= 3


@pytest.mark.parametrize("example", curl_examples(), ids=lambda block: re.search(r"/api/v1(\S+)", block)[1])
def test_a_readme_curl_example_runs_as_written(live_server, runtime, factory, tmp_path, example):
    requester = factory.requester(deposit="100.00")
    feed = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(name="Tone skill",
                                                                                      description="d"))
    (tmp_path / "tone.csv").write_text("text\nI loved it\nNever again\n", encoding="utf-8")
    script = (example.replace(README_HOST, live_server).replace("<your type>", feed.public_id)
              .replace("curl -s ", "curl -s -w '\\n%{http_code}' ", 1))
    done = subprocess.run(["bash", "-c", f"set -e\nTOKEN={requester.credentials.api_token}\n"
                                         + script.replace("TOKEN=...", ":")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    body, status = done.stdout.rsplit("\n", 1)
    assert status in ("200", "201", "202"), (status, body)
    assert "error" not in json.loads(body)
