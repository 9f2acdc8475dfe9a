"""Shared fixtures: a real database (SQLite by default, PostgreSQL with LABELHUB_TEST_DATABASE_URL),
migrated once per session with Alembic and emptied after every test, a controllable clock, real Redis.

In CI (CI=true) a missing PostgreSQL or Redis fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, inspect, text
from werkzeug.serving import make_server

from labelhub import create_app, jobs, migrations
from labelhub.db import Base, make_engine
from labelhub.queueing import InlineBackend
from labelhub.runtime import Runtime
from labelhub.settings import AccountsSettings, DatabaseSettings, NotificationsSettings, Settings, StorageSettings
from tests.factories import Factory

IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def need(reason: str) -> None:
    """Skip locally when a service is missing; in CI that is a failure."""
    if IN_CI:
        pytest.fail(f"CI needs this service: {reason}")
    pytest.skip(reason)


class Clock:
    """The services' clock, pinned per test and moved forward explicitly."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _reset_schema(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrations.upgrade(engine)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("LABELHUB_TEST_DATABASE_URL") or \
        f"sqlite:///{tmp_path_factory.mktemp('db')}/labelhub.sqlite"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=60, max_overflow=20) if database_url.startswith("postgresql") \
        else make_engine(database_url)
    _reset_schema(engine)
    yield engine
    engine.dispose()


# PostgreSQL: every id sequence a test used starts again, as TRUNCATE ... RESTART IDENTITY did.
_RESTART_USED_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
    "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL")


def _tables_with_rows(conn: Connection, tables: list[str]) -> set[str]:
    """The tables holding any row, in one statement; other connections' writes count too."""
    query = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables)
    return set(conn.execute(text(query)).scalars())


def empty_all_tables(engine: Engine) -> None:
    """DELETE the rows of the tables that have any, children first. Cheaper than TRUNCATE on PostgreSQL
    (measured: ~9 ms against ~300 ms a test), and a test that wrote nothing costs one SELECT."""
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        filled = _tables_with_rows(conn, tables)
        deletes = [f"DELETE FROM {name}" for name in reversed(tables) if name in filled]
        if engine.dialect.name == "postgresql":
            if deletes:
                conn.exec_driver_sql("; ".join(deletes))  # one round trip
            conn.execute(_RESTART_USED_SEQUENCES)
        else:
            for statement in deletes:
                conn.exec_driver_sql(statement)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_settings(database_url: str, instance_path: Path) -> Settings:
    """The tests' settings: the test database, an instance folder of the test's own."""
    # Test webhook receivers listen on 127.0.0.1, which production settings refuse as a destination.
    # Passwords: still scrypt, at 1/32 of the production cost (hashing was about half of the services run).
    return replace(Settings(), database=DatabaseSettings(url=database_url),
                   storage=StorageSettings(instance_path=str(instance_path)),
                   notifications=NotificationsSettings(allow_private_destinations=True),
                   accounts=AccountsSettings(password_hash_method="scrypt:1024:8:1"))


@pytest.fixture
def settings(database_url: str, tmp_path) -> Settings:
    return make_settings(database_url, tmp_path / "instance")


@pytest.fixture
def runtime(engine: Engine, settings: Settings, clock: Clock) -> Iterator[Runtime]:
    rt = Runtime(settings=settings, engine=engine, backend=InlineBackend(), clock=clock)
    jobs.install_runtime(rt)
    yield rt
    jobs.install_runtime(None)
    empty_all_tables(engine)


@pytest.fixture
def factory(runtime: Runtime) -> Factory:
    return Factory(runtime)


@pytest.fixture
def app(runtime: Runtime):
    return app_in_testing_mode(runtime)


def app_in_testing_mode(runtime: Runtime):
    """The app on ``runtime``, in Flask's testing mode (exceptions reach the test)."""
    app = create_app(runtime.settings, runtime=runtime)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served over real HTTP on a loopback port, for boto3 and browser tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def redis_url() -> str:
    from redis import Redis
    from redis.exceptions import RedisError

    url = os.environ.get("LABELHUB_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisError as exc:
        need(f"Redis at {url} is not answering ({exc})")
    return url


CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright's sync API: one browser for the whole session, because
    a second sync_playwright() cannot start while another is alive in the same process."""
    executable = shutil.which("chromium")
    if executable is None:
        need("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())
