"""Alembic migrations against an empty database of the configured backend: the migrated schema is the
models' schema, the downgrade undoes it, and the app refuses a database that is not migrated.

On PostgreSQL the empty database is a throwaway schema in the test database (selected through
search_path), so the session's own tables are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from labelhub import create_app, migrations
from labelhub.db import Base, make_engine
from labelhub.errors import SchemaOutOfDateError
from labelhub.queueing import InlineBackend
from labelhub.runtime import Runtime

SCHEMA = "labelhub_migration_check"


@pytest.fixture
def empty_engine(database_url: str, tmp_path) -> Iterator[Engine]:
    if not database_url.startswith("postgresql"):
        engine = make_engine(f"sqlite:///{tmp_path}/empty.sqlite")
        yield engine
        engine.dispose()
        return
    admin = make_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine = make_engine(database_url, connect_args={"options": f"-csearch_path={SCHEMA}"})
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    admin.dispose()


def _differences(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, Base.metadata)


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_engine):
    migrations.upgrade(empty_engine)
    assert _tables(empty_engine) == set(Base.metadata.tables)
    assert _differences(empty_engine) == []
    assert migrations.current_revision(empty_engine) == migrations.head_revision()


def test_upgrade_twice_changes_nothing(empty_engine):
    migrations.upgrade(empty_engine)
    migrations.upgrade(empty_engine)
    assert _differences(empty_engine) == []


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(empty_engine):
    migrations.upgrade(empty_engine)
    config = migrations._config()
    with empty_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert _tables(empty_engine) == set()
    assert migrations.current_revision(empty_engine) is None
    migrations.upgrade(empty_engine)
    assert _differences(empty_engine) == []


def test_create_app_refuses_an_unmigrated_database(empty_engine, settings):
    runtime = Runtime(settings=settings, engine=empty_engine, backend=InlineBackend())
    with pytest.raises(SchemaOutOfDateError) as raised:
        create_app(settings, runtime=runtime)
    message = str(raised.value)
    assert "has no LabelHub tables" in message
    assert "Run `labelhub db upgrade`" in message
    assert _tables(empty_engine) == set()  # refusing wrote nothing


def test_create_app_refuses_a_database_at_another_revision(empty_engine, settings):
    migrations.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    runtime = Runtime(settings=settings, engine=empty_engine, backend=InlineBackend())
    with pytest.raises(SchemaOutOfDateError, match="is at revision 0000.*Run `labelhub db upgrade`"):
        create_app(settings, runtime=runtime)


def test_create_app_serves_a_migrated_database(empty_engine, settings):
    migrations.upgrade(empty_engine)
    runtime = Runtime(settings=settings, engine=empty_engine, backend=InlineBackend())
    app = create_app(settings, runtime=runtime)
    assert app.extensions["labelhub"] is runtime
