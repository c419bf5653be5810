"""Transactional outbox: change capture for children and doses.

:func:`install_outbox` registers two Session events on a ``sessionmaker``:

- ``before_flush`` refuses changes to records another unit owns (downloaded
  from the platform: read-only here) — the flush raises
  :class:`~epimanager.errors.PermissionDenied` and the service's transaction
  rolls back;
- ``after_flush`` upserts one ``sync_outbox`` row per changed record, keyed by
  UUID (coalesced: the row holds the latest version and goes back to
  ``pending``), and adds a ``status`` event when a child's 在册情况 changes.

Bulk writers that bypass the ORM (import, demo) call :func:`enqueue_rows` /
:data:`UPSERT_SQL` themselves in their own transaction.  Records written
while applying platform data (``session.info[REMOTE_APPLY]``) are not queued.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from epimanager.errors import PermissionDenied
from epimanager.store.dialect import run
from epimanager.store.models import Child, Dose, new_uuid

#: Set ``session.info[REMOTE_APPLY] = True`` while writing records that came from the platform.
REMOTE_APPLY = "epimanager.sync.remote_apply"

PENDING, SENDING, SENT, REJECTED, DROPPED = "pending", "sending", "sent", "rejected", "dropped"
STATES = (PENDING, SENDING, SENT, REJECTED, DROPPED)

#: Queue a record (qmark parameters: uuid, kind, version, changed_at).  A record
#: already queued goes back to ``pending`` with its latest version; if it was in
#: an unanswered batch it leaves that batch (the batch's reply no longer counts).
UPSERT_SQL = (
    "INSERT INTO sync_outbox (uuid, kind, version, state, attempts, changed_at) "
    "VALUES (?, ?, ?, 'pending', 0, ?) "
    "ON CONFLICT (uuid) DO UPDATE SET version = excluded.version, state = 'pending', "
    "batch_key = NULL, reason = NULL, changed_at = excluded.changed_at"
)
_EVENT_SQL = (
    "INSERT INTO sync_outbox (uuid, kind, version, state, attempts, changed_at, payload) "
    "VALUES (?, ?, 1, 'pending', 0, ?, ?)"
)


def _stamp(when: datetime) -> str:
    return when.isoformat(sep=" ", timespec="microseconds")


def outbox_rows(kind: str, records: Iterable[tuple[str, int]], when: datetime | None = None) -> list[tuple[Any, ...]]:
    """Parameter rows for :data:`UPSERT_SQL` from ``(uuid, version)`` pairs."""
    stamp = _stamp(when or datetime.now())
    return [(u, kind, v, stamp) for u, v in records]


def enqueue_rows(conn: Connection, kind: str, records: Iterable[tuple[str, int]], when: datetime | None = None) -> int:
    """Queue many records in the caller's transaction (bulk paths).  Returns the count."""
    rows = outbox_rows(kind, records, when)
    for start in range(0, len(rows), 20000):
        run(conn, UPSERT_SQL, rows[start : start + 20000])
    return len(rows)


def _changed(session: Session, obj: object) -> bool:
    return session.is_modified(obj, include_collections=False)


def _guard(session: Session, _ctx: UOWTransaction, _instances: Sequence[Any] | None) -> None:
    if session.info.get(REMOTE_APPLY):
        return
    uuids = [
        o.uuid
        for o in list(session.dirty) + list(session.deleted)
        if isinstance(o, (Child, Dose)) and o.uuid and (o in session.deleted or _changed(session, o))
    ]
    if not uuids:
        return
    params = {f"u{i}": u for i, u in enumerate(uuids)}
    marks = ", ".join(f":u{i}" for i in range(len(uuids)))
    owner = (
        session.connection()
        .execute(text(f"SELECT owner_unit FROM sync_owner WHERE uuid IN ({marks}) LIMIT 1"), params)
        .scalar()
    )
    if owner is not None:
        raise PermissionDenied(
            f"此记录由接种单位 {owner} 管理（从平台下载），本单位只能查看，不能修改；如需修改请联系该单位"
        )


def _status_event(child: Child) -> tuple[Any, ...] | None:
    hist = inspect(child).attrs.status.history
    if not hist.added or not hist.deleted or hist.added[0] == hist.deleted[0]:
        return None
    now = datetime.now()
    payload = {
        "chhe_chil_uuid": child.uuid,
        "chhe_chil_code": child.code,
        "chhe_prehere": str(hist.deleted[0]),
        "chhe_here": str(hist.added[0]),
        "chhe_changedate": date.today().isoformat(),
        "chhe_depa_id": child.managing_unit,
    }
    return (new_uuid(), "status", _stamp(now), json.dumps(payload, ensure_ascii=False))


def _capture(session: Session, _ctx: UOWTransaction) -> None:
    if session.info.get(REMOTE_APPLY):
        return
    rows: list[tuple[str, int]] = []
    kinds: list[str] = []
    events: list[tuple[Any, ...]] = []
    for obj in session.new:
        if isinstance(obj, (Child, Dose)):
            rows.append((obj.uuid, obj.version or 1))
            kinds.append("child" if isinstance(obj, Child) else "dose")
    for obj in session.dirty:
        if isinstance(obj, (Child, Dose)) and _changed(session, obj):
            rows.append((obj.uuid, obj.version or 1))
            kinds.append("child" if isinstance(obj, Child) else "dose")
            if isinstance(obj, Child):
                ev = _status_event(obj)
                if ev is not None:
                    events.append(ev)
    if not rows and not events:
        return
    stamp = _stamp(datetime.now())
    conn = session.connection()
    if rows:
        run(conn, UPSERT_SQL, [(u, k, v, stamp) for (u, v), k in zip(rows, kinds, strict=True)])
    if events:
        run(conn, _EVENT_SQL, events)


def install_outbox(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Capture every child/dose change made through ``sessions`` into the outbox.

    Call once per sessionmaker (``open_database`` does).  There is deliberately no
    ``event.contains`` guard: SQLAlchemy keys its registry by ``id()`` of the
    sessionmaker's class, and a new class can reuse the id of a collected one, which
    made the guard skip the registration now and then in long runs.
    """
    event.listen(sessions, "before_flush", _guard)
    event.listen(sessions, "after_flush", _capture)
    return sessions
