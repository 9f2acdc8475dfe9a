"""Fixtures for the command line: the environment that points `labelhub` at the test database, a
CliRunner bound to it, a blank (unmigrated) database, and the installed console script."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, make_url, text

from labelhub.cli import main
from labelhub.runtime import Runtime


def labelhub_env(tmp_path: Path, database_url: str, instance_path: str) -> dict[str, str]:
    """LABELHUB_* settings for one run: no config file, this database and instance folder, no Redis."""
    return {"LABELHUB_CONFIG": str(tmp_path / "no-config.toml"), "LABELHUB_DATABASE_URL": database_url,
            "LABELHUB_STORAGE_INSTANCE_PATH": instance_path, "LABELHUB_REDIS_URL": ""}


@pytest.fixture
def cli_env(tmp_path: Path, runtime: Runtime) -> dict[str, str]:
    """The environment of the test database; ``runtime`` empties its tables after the test."""
    return labelhub_env(tmp_path, runtime.settings.database.url, runtime.settings.storage.instance_path)


@pytest.fixture
def invoke(cli_env: dict[str, str]) -> Callable[..., Result]:
    """Run `labelhub ARGS` in-process with the test's settings (and none inherited from the shell)."""
    inherited: dict[str, str | None] = {k: None for k in os.environ if k.startswith("LABELHUB_")}

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env=inherited | cli_env | (env or {}),
                                  catch_exceptions=False)

    return run


@pytest.fixture
def blank_database_url(database_url: str, engine: Engine, tmp_path: Path) -> Iterator[str]:
    """A database with no LabelHub tables: a new SQLite file, or a new PostgreSQL schema."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'blank.sqlite'}"
        return
    schema = f"cli_blank_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def blank_env(tmp_path: Path, blank_database_url: str) -> dict[str, str]:
    """A full process environment for the installed script: the blank database, a fresh instance folder,
    and none of this process's own LABELHUB_* settings."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("LABELHUB_")}
    return inherited | labelhub_env(tmp_path, blank_database_url, str(tmp_path / "instance"))


@pytest.fixture(scope="session")
def labelhub_script() -> str:
    """The installed `labelhub` console script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("labelhub")
    found = str(beside) if beside.exists() else shutil.which("labelhub")
    if found is None:
        pytest.fail("the `labelhub` console script is not installed (pip install -e .)")
    return found

