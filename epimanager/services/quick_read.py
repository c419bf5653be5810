"""One-shot reads for the command line that start fast (no SQLAlchemy when the database allows).

:func:`reading` yields the read-only quick reader of :mod:`epimanager.store.quick`.  When the
database is not yet at this program's schema (or missing, or damaged), the ordinary
:func:`~epimanager.store.database.open_database` runs first: it migrates an older database after
its backup, or refuses with its message, exactly as every other command does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from epimanager.errors import DatabaseError, NotFoundError
from epimanager.paths import DbLocation, ServerUrl
from epimanager.services.records import ChildRecord
from epimanager.store.quick import Reader, SessionReader, open_reader


@contextmanager
def reading(path: DbLocation) -> Iterator[Reader | SessionReader]:
    if isinstance(path, ServerUrl):  # a clinic server: read through the ordinary connection
        from epimanager.store.database import open_database

        db = open_database(path)
        try:
            with db.session() as s:
                yield SessionReader(s)
        finally:
            db.close()
        return
    quick = open_reader(path)
    if quick is None:
        from epimanager.store.database import open_database

        open_database(path).close()  # migrate, or refuse with the reason
        quick = open_reader(path)
        if quick is None:
            raise DatabaseError(f"无法以只读方式打开数据库：{path}")
    with quick:
        yield quick


def child_by_code(rows: Reader | SessionReader, code: str) -> ChildRecord:
    """The child with its (non-deleted) doses, as :func:`epimanager.services.children.get_child` gives it."""
    found = rows.rows(
        "SELECT c.*, cm.name AS committee_name FROM child c LEFT JOIN committee cm ON cm.id = c.committee_id "
        "WHERE c.code = :code AND c.deleted = false",
        {"code": code},
    )
    if not found:
        raise NotFoundError(f"找不到儿童编码为 {code} 的个案")
    row = found[0]
    doses = rows.rows("SELECT * FROM dose WHERE child_id = :id", {"id": row.id})
    names = row._names if hasattr(row, "_names") and isinstance(row._names, dict) else row._fields
    child: Any = SimpleNamespace(**{name: getattr(row, name) for name in names}, doses=doses)
    child.committee = SimpleNamespace(name=row.committee_name) if row.committee_name is not None else None
    return ChildRecord.from_orm(child)
