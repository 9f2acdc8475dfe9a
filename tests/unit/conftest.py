"""Fixtures for the commands that need no database."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from labelhub.cli import main


@pytest.fixture
def offline_cli(tmp_path) -> Callable[..., Result]:
    """Run `labelhub ARGS` in-process with no configuration and a database URL that cannot work, so
    a command that touched the database would fail."""
    env: dict[str, str | None] = {key: None for key in os.environ if key.startswith("LABELHUB_")}
    env |= {"LABELHUB_CONFIG": str(tmp_path / "absent.toml"),
            "LABELHUB_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/nothing"}

    def invoke(*args: object) -> Result:
        return CliRunner().invoke(main, [*map(str, args)], env=env, catch_exceptions=False)
    return invoke
