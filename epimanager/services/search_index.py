"""Keep ``child_search_key`` current: one child at a time, or in bulk.

The keys themselves come from :mod:`epimanager.domain.search.keys`.  Every
write goes through the caller's transaction, so a child and its keys are
committed together (no separate rebuild step).  Inserts are plain DB-API
``executemany`` calls: a million children (≈ 9 million keys) index in well
under a minute.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from epimanager.domain.search.keys import child_keys
from epimanager.store.dialect import run

_INSERT = "INSERT INTO child_search_key (key, child_id, kind) VALUES (?, ?, ?)"
_INSERT_OR_IGNORE = "INSERT INTO child_search_key (key, child_id, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
#: Keys collected before one ``executemany`` (sorted by key first: the table
#: is clustered on the key, so sorted batches touch each page once).
_BATCH_KEYS = 200_000


def key_rows(child_id: int, name: str, mother: str | None, father: str | None) -> list[tuple[str, int, int]]:
    """The ``(key, child_id, kind)`` rows of one child."""
    return [(k, child_id, kind) for k, kind in child_keys(name or "", mother, father).items()]


def index_child(session: Session, child_id: int, name: str, mother: str | None, father: str | None) -> None:
    """Replace the search keys of one child (inside the caller's transaction)."""
    conn = session.connection()
    conn.execute(text("DELETE FROM child_search_key WHERE child_id = :cid"), {"cid": child_id})
    rows = key_rows(child_id, name, mother, father)
    if rows:
        run(conn, _INSERT, rows)


def bulk_index(conn: Connection, children: Iterable[tuple[int, str, str | None, str | None]]) -> int:
    """Insert keys for newly inserted children (no previous keys).  Returns rows written.

    ``children`` yields ``(child_id, name, mother_name, father_name)``.  Runs in
    the caller's transaction; a child that somehow already has a key is left
    as it is (``INSERT OR IGNORE``).
    """
    batch: list[tuple[str, int, int]] = []
    n = 0
    for child_id, name, mother, father in children:
        for k, kind in child_keys(name or "", mother, father).items():
            batch.append((k, child_id, kind))
        if len(batch) >= _BATCH_KEYS:
            n += _flush(conn, batch)
            batch = []
    if batch:
        n += _flush(conn, batch)
    return n


def _flush(conn: Connection, batch: list[tuple[str, int, int]]) -> int:
    batch.sort()
    run(conn, _INSERT_OR_IGNORE, batch)
    return len(batch)


def rebuild_index(conn: Connection) -> int:
    """Recompute every child's keys (after a change to the key rules).  Returns rows written."""
    conn.execute(text("DELETE FROM child_search_key"))
    rows = conn.execute(text("SELECT id, name, mother_name, father_name FROM child")).all()
    return bulk_index(conn, [(r[0], r[1], r[2], r[3]) for r in rows])
