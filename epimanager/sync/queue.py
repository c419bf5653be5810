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

from epimanager.errors import NotFoundError
from epimanager.services.database import Database, get_config, set_config
from epimanager.store.models import Child, Committee, Dose
from epimanager.sync import config as cfg
from epimanager.sync.mapping import child_data, dose_data
from epimanager.sync.outbox import DROPPED, PENDING, REJECTED, SENDING, SENT
from epimanager.sync.protocol import ACCEPTED, KIND_CHILD, KIND_DOSE, PROTOCOL_VERSION, STALE


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


def claim(db: Database, own_unit: str, size: int) -> Batch | None:
    """Take up to ``size`` pending records into a new batch (committed with its body and key)."""
    key = str(uuid_mod.uuid4())
    with db.transaction() as s:
        conn = s.connection()
        # A write first: the transaction holds SQLite's write lock before it reads.
        n = conn.execute(
            text(
                "UPDATE sync_outbox SET state = 'sending', batch_key = :k, attempts = attempts + 1 "
                "WHERE id IN (SELECT id FROM sync_outbox WHERE state = 'pending' ORDER BY id LIMIT :n)"
            ),
            {"k": key, "n": size},
        ).rowcount
        if not n:
            return None
        rows = conn.execute(
            text("SELECT uuid, kind, payload FROM sync_outbox WHERE batch_key = :k ORDER BY id"), {"k": key}
        ).all()
        records, missing = _build_records(s, list(rows), own_unit)
        if missing:
            conn.exec_driver_sql(
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
    """Apply the platform's per-record answers to a batch; unanswered records go back to pending."""
    now = _now()
    sent: list[tuple[Any, ...]] = []
    rejected: list[tuple[Any, ...]] = []
    stale = 0
    for r in results:
        if not isinstance(r, dict) or not isinstance(r.get("uuid"), str):
            continue
        status = r.get("status")
        if status in (ACCEPTED, STALE):
            stale += status == STALE
            reason = r.get("reason") if status == STALE else None
            sent.append((r.get("version"), now, reason, r["uuid"], key))
        else:
            rejected.append((str(r.get("reason") or "平台拒收（未说明原因）"), r["uuid"], key))
    with db.transaction() as s:
        conn = s.connection()
        if sent:
            conn.exec_driver_sql(
                "UPDATE sync_outbox SET state = 'sent', sent_version = ?, sent_at = ?, reason = ?, batch_key = NULL "
                "WHERE uuid = ? AND batch_key = ?",
                sent,
            )
        if rejected:
            conn.exec_driver_sql(
                "UPDATE sync_outbox SET state = 'rejected', reason = ?, batch_key = NULL "
                "WHERE uuid = ? AND batch_key = ?",
                rejected,
            )
        unanswered = conn.execute(
            text("UPDATE sync_outbox SET state = 'pending', batch_key = NULL WHERE batch_key = :k"), {"k": key}
        ).rowcount
        conn.execute(text("DELETE FROM sync_batch WHERE key = :k"), {"k": key})
        set_config(s, cfg.LAST_SUCCESS_KEY, datetime.now().isoformat(timespec="seconds"))
    return AckCounts(len(sent) - stale, stale, len(rejected), int(unanswered or 0))


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


def note_error(db: Database, message: str | None) -> None:
    with db.transaction() as s:
        set_config(s, cfg.LAST_ERROR_KEY, message or "")


# ---------------------------------------------------------------------- status


@dataclass(frozen=True)
class SyncStatus:
    pending: int
    in_flight: int
    sent: int
    rejected: int
    dropped: int
    last_success: str | None
    last_error: str | None

    @property
    def waiting(self) -> int:
        """Not yet on the platform: pending + in flight."""
        return self.pending + self.in_flight

    def to_json(self) -> dict[str, Any]:
        return {
            "pending": self.waiting,
            "in_flight": self.in_flight,
            "sent": self.sent,
            "rejected": self.rejected,
            "dropped": self.dropped,
            "last_success": self.last_success,
            "last_error": self.last_error,
        }

    def summary(self) -> str:
        """One line for the status bar (待上传 / 已上传 / 被拒)."""
        last = self.last_success.replace("T", " ")[:16] if self.last_success else "从未"
        return f"待上传 {self.waiting} · 已上传 {self.sent} · 被拒 {self.rejected} · 上次成功 {last}"


def status(db: Database) -> SyncStatus:
    with db.session() as s:
        counts: dict[str, int] = dict(s.execute(text("SELECT state, COUNT(*) FROM sync_outbox GROUP BY state")).all())
        last = get_config(s, cfg.LAST_SUCCESS_KEY)
        err = get_config(s, cfg.LAST_ERROR_KEY)
    return SyncStatus(
        pending=counts.get(PENDING, 0),
        in_flight=counts.get(SENDING, 0),
        sent=counts.get(SENT, 0),
        rejected=counts.get(REJECTED, 0),
        dropped=counts.get(DROPPED, 0),
        last_success=last or None,
        last_error=err or None,
    )


def count_waiting(db: Database) -> int:
    with db.session() as s:
        n = s.execute(text("SELECT COUNT(*) FROM sync_outbox WHERE state IN ('pending', 'sending')")).scalar()
    return int(n or 0)


# --------------------------------------------------------------- rejected list


@dataclass(frozen=True)
class RejectedRecord:
    uuid: str
    kind: str
    version: int
    reason: str | None
    child_code: str | None
    label: str
    changed_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "kind": self.kind,
            "version": self.version,
            "reason": self.reason,
            "child_code": self.child_code,
            "label": self.label,
            "changed_at": self.changed_at,
        }


def rejected(db: Database, limit: int = 1000) -> list[RejectedRecord]:
    """The rejected (dead-letter) list, oldest first, with what a nurse needs to find the record."""
    sql = text(
        """
        SELECT o.uuid, o.kind, o.version, o.reason, o.changed_at, o.payload,
               c.code, c.name, d.vaccine_code, d.dose_number, d.date, dc.code, dc.name
        FROM sync_outbox o
        LEFT JOIN child c ON o.kind = 'child' AND c.uuid = o.uuid
        LEFT JOIN dose d ON o.kind = 'dose' AND d.uuid = o.uuid
        LEFT JOIN child dc ON dc.id = d.child_id
        WHERE o.state = 'rejected' ORDER BY o.id LIMIT :n
        """
    )
    out: list[RejectedRecord] = []
    with db.session() as s:
        for u, kind, ver, reason, changed, payload, ccode, cname, vac, num, when, dcode, dname in s.execute(
            sql, {"n": limit}
        ):
            if kind == KIND_CHILD:
                code, label = ccode, f"儿童 {cname or ''}"
            elif kind == KIND_DOSE:
                code, label = dcode, f"接种 {dname or ''} {vac or ''} 第{num}剂 {when or ''}"
            else:
                p = json.loads(payload) if payload else {}
                code, label = p.get("chhe_chil_code"), f"在册情况变更 {p.get('chhe_prehere')}→{p.get('chhe_here')}"
            out.append(RejectedRecord(u, kind, ver, reason, code, label.strip(), str(changed)))
    return out


def retry(db: Database, uuid: str | None = None) -> int:
    """Put one rejected record (or all with ``uuid=None``) back in the queue."""
    with db.transaction() as s:
        if uuid is None:
            res = s.connection().execute(
                text("UPDATE sync_outbox SET state = 'pending', reason = NULL WHERE state = 'rejected'")
            )
        else:
            res = s.connection().execute(
                text(
                    "UPDATE sync_outbox SET state = 'pending', reason = NULL "
                    "WHERE uuid = :u AND state IN ('rejected', 'dropped')"
                ),
                {"u": uuid},
            )
        n = int(res.rowcount or 0)
    if uuid is not None and not n:
        raise NotFoundError(f"被拒列表中没有记录 {uuid}")
    return n


def drop(db: Database, uuid: str) -> None:
    """Give up on a rejected record (kept as ``dropped``; a later edit queues it again)."""
    with db.transaction() as s:
        n = (
            s.connection()
            .execute(
                text("UPDATE sync_outbox SET state = 'dropped' WHERE uuid = :u AND state = 'rejected'"), {"u": uuid}
            )
            .rowcount
        )
    if not n:
        raise NotFoundError(f"被拒列表中没有记录 {uuid}")
