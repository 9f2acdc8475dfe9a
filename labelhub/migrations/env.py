"""Alembic environment: runs on the connection handed over by labelhub.migrations.upgrade()."""

from alembic import context

import labelhub.models  # noqa: F401  (registers every table on Base.metadata)
from labelhub.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
