"""A benchmark's own database: on PostgreSQL a throwaway schema of the database the URL names (dropped
and made again, so a run never touches that database's own tables); on SQLite the file the URL names.
Rows are loaded in bulk with COPY on PostgreSQL and executemany on SQLite."""

from __future__ import annotations

from sqlalchemy import Engine, text

from labelhub import migrations
from labelhub.db import make_engine


def engine_for(url: str, schema: str) -> Engine:
    if url.startswith("postgresql"):
        return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    return make_engine(url)


def _reset(url: str, schema: str, *, create: bool) -> None:
    if not url.startswith("postgresql"):
        return
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()


def fresh_database(url: str, schema: str) -> Engine:
    """An empty, migrated database: the schema made again (PostgreSQL), or the file's tables."""
    _reset(url, schema, create=True)
    engine = engine_for(url, schema)
    migrations.upgrade(engine)
    return engine


def drop_database(url: str, schema: str) -> None:
    _reset(url, schema, create=False)


def load_rows(engine: Engine, table: str, columns: list[str], rows: list[list[object]]) -> None:
    """Bulk rows into one table: COPY on PostgreSQL (values as text), executemany on SQLite."""
    if engine.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                 [tuple(row) for row in rows])
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
