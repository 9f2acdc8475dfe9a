"""Schema migrations (Alembic), driven from code so no alembic.ini is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from labelhub.errors import SchemaOutOfDateError

HERE = Path(__file__).parent


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new revision from the models (a developer tool)."""
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message=message, autogenerate=True)


def check_current(engine: Engine) -> None:
    """Refuse to serve a schema that is behind (or ahead of) this code's migrations."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "has no LabelHub tables" if current is None else f"is at revision {current}"
        raise SchemaOutOfDateError(
            f"The database {state}, but this LabelHub needs revision {head}. "
            "Run `labelhub db upgrade` first.")
