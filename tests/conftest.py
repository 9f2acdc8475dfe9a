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

import pytest
from sqlalchemy import Engine, inspect, text
from werkzeug.serving import make_server

from labelhub import create_app, jobs, migrations
from labelhub.db import Base, make_engine
from labelhub.queueing import InlineEnqueuer
from labelhub.runtime import Runtime
from labelhub.settings import DatabaseSettings, NotificationsSettings, Settings, StorageSettings
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


def empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(database_url: str, tmp_path) -> Settings:
    base = Settings()
    # Test webhook receivers listen on 127.0.0.1, which production settings refuse as a destination.
    return replace(base, database=DatabaseSettings(url=database_url),
                   storage=StorageSettings(instance_path=str(tmp_path / "instance")),
                   notifications=NotificationsSettings(allow_private_destinations=True))


@pytest.fixture
def runtime(engine: Engine, settings: Settings, clock: Clock) -> Iterator[Runtime]:
    rt = Runtime(settings=settings, engine=engine, enqueue=InlineEnqueuer(), clock=clock)
    jobs.install_runtime(rt)
    yield rt
    jobs.install_runtime(None)
    empty_all_tables(engine)


@pytest.fixture
def factory(runtime: Runtime) -> Factory:
    return Factory(runtime)


@pytest.fixture
def app(runtime: Runtime):
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
