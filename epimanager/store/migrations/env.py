"""Alembic environment: run by :mod:`epimanager.store.migrate` (never at import)."""

from __future__ import annotations

import importlib
import pkgutil

from alembic import context

import epimanager.store
from epimanager.store.models import Base

# Tables of each area live in epimanager/store/models*.py; import them all so
# that Base.metadata knows every table.
for _info in pkgutil.iter_modules(epimanager.store.__path__):
    if _info.name.startswith("models"):
        importlib.import_module(f"epimanager.store.{_info.name}")

config = context.config
target_metadata = Base.metadata


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    # FTS virtual tables and their shadow tables are created with op.execute().
    return not (type_ == "table" and name is not None and "_fts" in name)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations are run through epimanager.store.migrate")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
