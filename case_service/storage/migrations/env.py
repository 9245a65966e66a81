"""Alembic environment: runs on the connection `case_service.storage.migrate` hands over."""

from __future__ import annotations

import importlib
import importlib.util

from alembic import context

from case_service.storage import models  # noqa: F401 - registers the tables on Base.metadata
from case_service.storage.base import Base

# Other rooms of the case service that own tables on the same Base (e.g. certificates) register theirs.
for optional in ("case_service.certificates.models",):
    if importlib.util.find_spec(optional.rsplit(".", 1)[0]) and importlib.util.find_spec(optional):
        importlib.import_module(optional)

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")

if connection is None:
    from sqlalchemy import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as fresh:
        context.configure(connection=fresh, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
