"""Outbox state: claim a batch, acknowledge it, counts, the rejected (dead-letter) list.

Every step commits on its own, so an upload killed at any point resumes: a
claimed batch keeps its body and idempotency key in ``sync_batch`` until its
reply has been applied.
"""

from __future__ import annotations

import json
import uuid as uuid_mod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from epimanager.domain.platform_protocol import (
    ACCEPTED,
    KIND_AEFI,
    KIND_CHILD,
    KIND_DOSE,
    PROTOCOL_VERSION,
    REJECTED,
    STALE,
)

# The status and the rejected list are user-facing: they live in the services layer.
from epimanager.services.outbox import (
    RejectedRecord,
    SyncStatus,
    count_waiting,
    drop,
    rejected,
    retry,
    status,
)
from epimanager.store.database import Database, set_config
from epimanager.store.dialect import run
from epimanager.store.models import Child, Committee, Dose
from epimanager.sync import config as cfg
from epimanager.sync.aefi_mapping import aefi_records
from epimanager.sync.mapping import child_data, dose_data


@dataclass(frozen=True)
class Batch:
    key: str
    body: bytes
    records: int


@dataclass(frozen=True)
class AckCounts:
    accepted: int
    stale: int
    rejected: int
    unanswered: int


def _now() -> str:
    return datetime.now().isoformat(sep=" ", timespec="microseconds")


def heal_orphans(db: Database) -> int:
    """Rows left ``sending`` without their batch (should not happen) go back to ``pending``."""
    with db.transaction() as s:
        res = s.connection().execute(
            text(
                "UPDATE sync_outbox SET state = 'pending', batch_key = NULL WHERE state = 'sending' "
                "AND (batch_key IS NULL OR batch_key NOT IN (SELECT key FROM sync_batch))"
            )
        )
        return int(res.rowcount or 0)


def unfinished_batches(db: Database) -> list[Batch]:
    """Batches claimed earlier whose reply never arrived (resent with the same key)."""
    with db.session() as s:
        rows = s.execute(text("SELECT key, body, records FROM sync_batch ORDER BY created_at, key")).all()
    return [Batch(k, b.encode("utf-8"), n) for k, b, n in rows]


def _build_records(s: Session, rows: list[Any], own_unit: str) -> tuple[list[dict[str, Any]], list[str]]:
    by_kind: dict[str, list[str]] = {}
    for u, kind, _payload in rows:
        by_kind.setdefault(kind, []).append(u)
    data: dict[str, tuple[int, dict[str, Any]]] = {}
    child_uuids = by_kind.get(KIND_CHILD, [])
    if child_uuids:
        q = (
            select(Child.__table__, Committee.name.label("committee_name"))
            .outerjoin(Committee, Child.committee_id == Committee.id)
            .where(Child.uuid.in_(child_uuids))
        )
        for r in s.execute(q).mappings():
            data[r["uuid"]] = (r["version"], child_data(r))
    dose_uuids = by_kind.get(KIND_DOSE, [])
    if dose_uuids:
        q = (
            select(Dose.__table__, Child.uuid.label("child_uuid"), Child.code.label("child_code"))
            .join(Child, Dose.child_id == Child.id)
            .where(Dose.uuid.in_(dose_uuids))
        )
        for r in s.execute(q).mappings():
            data[r["uuid"]] = (r["version"], dose_data(r))
    data.update(aefi_records(s, by_kind.get(KIND_AEFI, [])))
    records: list[dict[str, Any]] = []
    missing: list[str] = []
    for u, kind, payload in rows:
        if payload is not None:
            records.append({"kind": kind, "uuid": u, "version": 1, "owner_unit": own_unit, "data": json.loads(payload)})
        elif u in data:
            version, d = data[u]
            records.append({"kind": kind, "uuid": u, "version": version, "owner_unit": own_unit, "data": d})
        else:
            missing.append(u)
    return records, missing


def claim(db: Database, own_unit: str, size: int, *, max_attempts: int | None = None) -> Batch | None:
    """Take up to ``size`` pending records into a new batch (committed with its body and key).

    ``attempts`` counts the sends of a record since the platform last answered for it; with
    ``max_attempts`` a record sent that often without an answer is not taken again.
    """
    key = str(uuid_mod.uuid4())
    cap = "" if max_attempts is None else " AND attempts < :cap"
    with db.transaction() as s:
        conn = s.connection()
        # A write first: the transaction holds SQLite's write lock before it reads.
        n = conn.execute(
            text(
                "UPDATE sync_outbox SET state = 'sending', batch_key = :k, attempts = attempts + 1 "
                f"WHERE id IN (SELECT id FROM sync_outbox WHERE state = 'pending'{cap} ORDER BY id LIMIT :n)"
            ),
            {"k": key, "n": size, "cap": max_attempts},
        ).rowcount
        if not n:
            return None
        rows = conn.execute(
            text("SELECT uuid, kind, payload FROM sync_outbox WHERE batch_key = :k ORDER BY id"), {"k": key}
        ).all()
        records, missing = _build_records(s, list(rows), own_unit)
        if missing:
            run(
                conn,
                "UPDATE sync_outbox SET state = 'rejected', batch_key = NULL, reason = '本地记录已不存在' "
                "WHERE uuid = ?",
                [(u,) for u in missing],
            )
        if not records:
            return Batch(key, b"", 0)
        body = json.dumps(
            {"protocol": PROTOCOL_VERSION, "unit": own_unit, "records": records},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        conn.execute(
            text("INSERT INTO sync_batch (key, body, records, created_at) VALUES (:k, :b, :n, :t)"),
            {"k": key, "b": body, "n": len(records), "t": _now()},
        )
    return Batch(key, body.encode("utf-8"), len(records))


def ack(db: Database, key: str, results: Iterable[Any]) -> AckCounts:
    """Apply the platform's per-record answers to a batch; unanswered records go back to pending.

    An answer for a record not in the batch changes nothing; a status word the protocol does
    not know counts as no answer (the record stays waiting, it is not rejected).
    """
    now = _now()
    sent: dict[str, list[tuple[Any, ...]]] = {ACCEPTED: [], STALE: []}
    rejected: list[tuple[Any, ...]] = []
    for r in results:
        if not isinstance(r, dict) or not isinstance(r.get("uuid"), str):
            continue
        status = r.get("status")
        if status in (ACCEPTED, STALE):
            reason = r.get("reason") if status == STALE else None
            sent[status].append((r.get("version"), now, reason, r["uuid"], key))
        elif status == REJECTED:
            rejected.append((str(r.get("reason") or "平台拒收（未说明原因）"), r["uuid"], key))
    done: dict[str, int] = {ACCEPTED: 0, STALE: 0, REJECTED: 0}
    with db.transaction() as s:
        conn = s.connection()
        # counted by the rows changed: an answer for an id not in this batch counts for nothing
        for status, rows in sent.items():
            if rows:
                done[status] = run(
                    conn,
                    "UPDATE sync_outbox SET state = 'sent', sent_version = ?, sent_at = ?, reason = ?, "
                    "batch_key = NULL, attempts = 0 WHERE uuid = ? AND batch_key = ?",
                    rows,
                ).rowcount
        if rejected:
            done[REJECTED] = run(
                conn,
                "UPDATE sync_outbox SET state = 'rejected', reason = ?, batch_key = NULL, attempts = 0 "
                "WHERE uuid = ? AND batch_key = ?",
                rejected,
            ).rowcount
        unanswered = conn.execute(
            text("UPDATE sync_outbox SET state = 'pending', batch_key = NULL WHERE batch_key = :k"), {"k": key}
        ).rowcount
        conn.execute(text("DELETE FROM sync_batch WHERE key = :k"), {"k": key})
        if any(done.values()):
            set_config(s, cfg.LAST_SUCCESS_KEY, datetime.now().isoformat(timespec="seconds"))
    return AckCounts(done[ACCEPTED], done[STALE], done[REJECTED], int(unanswered or 0))


def reject_batch(db: Database, key: str, reason: str) -> int:
    """The platform refused a whole batch for good: its records go to the rejected list."""
    with db.transaction() as s:
        conn = s.connection()
        n = conn.execute(
            text("UPDATE sync_outbox SET state = 'rejected', reason = :r, batch_key = NULL WHERE batch_key = :k"),
            {"r": reason, "k": key},
        ).rowcount
        conn.execute(text("DELETE FROM sync_batch WHERE key = :k"), {"k": key})
    return int(n or 0)


def one_more_try(db: Database, max_attempts: int) -> None:
    """Records that reached ``max_attempts`` unanswered in earlier runs get one send in this run."""
    with db.transaction() as s:
        s.connection().execute(
            text("UPDATE sync_outbox SET attempts = :c - 1 WHERE state = 'pending' AND attempts >= :c"),
            {"c": max_attempts},
        )


def count_unanswered(db: Database, max_attempts: int, *, below: int | None = None) -> int:
    """Waiting records sent at least ``max_attempts`` (and fewer than ``below``) times without an answer."""
    cap = "" if below is None else " AND attempts < :b"
    with db.session() as s:
        n = s.execute(
            text(f"SELECT COUNT(*) FROM sync_outbox WHERE state = 'pending' AND attempts >= :c{cap}"),
            {"c": max_attempts, "b": below},
        ).scalar()
    return int(n or 0)


def note_error(db: Database, message: str | None) -> None:
    with db.transaction() as s:
        set_config(s, cfg.LAST_ERROR_KEY, message or "")


__all__ = [
    "AckCounts",
    "Batch",
    "RejectedRecord",
    "SyncStatus",
    "ack",
    "claim",
    "count_unanswered",
    "count_waiting",
    "drop",
    "heal_orphans",
    "note_error",
    "one_more_try",
    "reject_batch",
    "rejected",
    "retry",
    "status",
    "unfinished_batches",
]
