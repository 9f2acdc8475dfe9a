"""SQLAlchemy base, engine construction (with the SQLite and PostgreSQL hooks in one place), the one
test of "the database is busy" and time helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

# How long a statement waits for a lock another transaction holds (SQLite's write lock, a PostgreSQL
# row lock) before it gives up with DatabaseBusyError: long enough to queue behind the short write
# transactions of the services, short enough that a request answers 503 instead of hanging.
LOCK_WAIT_SECONDS = 5
# SQLite's SQLITE_BUSY and SQLITE_LOCKED (low byte of the extended codes); PostgreSQL's
# lock_not_available (lock_timeout), serialization_failure and deadlock_detected.
_SQLITE_BUSY_CODES = frozenset({5, 6})
_POSTGRESQL_BUSY_STATES = frozenset({"55P03", "40001", "40P01"})


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC was expected")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {dict: JSON, list: JSON, datetime: UTCDateTime}


class DatabaseBusyError(OperationalError):
    """The database refused the statement because other transactions held what it needed for longer
    than the engine waits (LOCK_WAIT_SECONDS), or PostgreSQL chose it as a deadlock or serialization
    victim. Its transaction is rolled back; the same request can succeed a moment later. Adapters
    answer it with 503 and Retry-After."""


def is_busy(exc: BaseException) -> bool:
    """Whether a DBAPI error means "busy, try again later" rather than a fault."""
    sqlite_code = getattr(exc, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_BUSY_CODES
    return getattr(exc, "sqlstate", None) in _POSTGRESQL_BUSY_STATES


def _raise_busy(context: ExceptionContext) -> None:
    """Turn a busy database's error into DatabaseBusyError, whatever statement or commit raised it."""
    error = context.sqlalchemy_exception
    if isinstance(error, OperationalError) and not isinstance(error, DatabaseBusyError) \
            and is_busy(context.original_exception):
        raise DatabaseBusyError(error.statement, error.params, context.original_exception) \
            from context.original_exception


def make_engine(url: str, *, lock_wait_seconds: float = LOCK_WAIT_SECONDS, **options: Any) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys, write-locking BEGINs and both databases a
    bounded wait for locks, after which DatabaseBusyError is raised."""
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {}).update(timeout=lock_wait_seconds, check_same_thread=False)
    engine = create_engine(url, **options)
    event.listen(engine, "handle_error", _raise_busy)
    if engine.dialect.name == "sqlite":
        # Python's sqlite3 issues BEGIN itself, lazily and only before writes; that breaks
        # transactional DDL and lets two writers read the same counters before either writes.
        # Take BEGIN over and make it IMMEDIATE: a unit of work holds SQLite's single write lock
        # from its first statement, which serialises concurrent accepts as PostgreSQL's row locks do.
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            dbapi_conn.execute("PRAGMA foreign_keys=ON")
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute(f"PRAGMA busy_timeout={round(lock_wait_seconds * 1000)}")

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    elif engine.dialect.name == "postgresql":
        # Without lock_timeout a statement waits for a row lock as long as its holder keeps it.
        @event.listens_for(engine, "connect")
        def _on_pg_connect(dbapi_conn: Any, _record: Any) -> None:
            with dbapi_conn.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {round(lock_wait_seconds * 1000)}")
            dbapi_conn.commit()

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
