"""The upload queue as the clinic sees it: counts for the status bar and F7, the rejected list.

The batch machinery that sends records is :mod:`epimanager.sync.queue`; what a nurse or
administrator looks at and acts on (retry, drop) is here, so services such as 工作提醒 read it
without depending on the sync layer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from epimanager.errors import NotFoundError
from epimanager.services.platform import LAST_ERROR_KEY, LAST_SUCCESS_KEY
from epimanager.store.database import Database, get_config
from epimanager.store.outbox import DROPPED, PENDING, REJECTED, SENDING, SENT

KIND_CHILD, KIND_DOSE, KIND_AEFI = "child", "dose", "aefi"


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
        last = get_config(s, LAST_SUCCESS_KEY)
        err = get_config(s, LAST_ERROR_KEY)
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
               c.code, c.name, d.vaccine_code, d.dose_number, d.date, dc.code, dc.name,
               a.vaccine_code, a.onset_at, ac.code, ac.name
        FROM sync_outbox o
        LEFT JOIN child c ON o.kind = 'child' AND c.uuid = o.uuid
        LEFT JOIN dose d ON o.kind = 'dose' AND d.uuid = o.uuid
        LEFT JOIN child dc ON dc.id = d.child_id
        LEFT JOIN aefi_case a ON o.kind = 'aefi' AND a.uuid = o.uuid
        LEFT JOIN child ac ON ac.id = a.child_id
        WHERE o.state = 'rejected' ORDER BY o.id LIMIT :n
        """
    )
    out: list[RejectedRecord] = []
    with db.session() as s:
        for row in s.execute(sql, {"n": limit}):
            u, kind, ver, reason, changed, payload, ccode, cname, vac, num, when, dcode, dname = row[:13]
            avac, aonset, acode, aname = row[13:]
            if kind == KIND_CHILD:
                code, label = ccode, f"儿童 {cname or ''}"
            elif kind == KIND_DOSE:
                code, label = dcode, f"接种 {dname or ''} {vac or ''} 第{num}剂 {when or ''}"
            elif kind == KIND_AEFI:
                code, label = acode, f"异常反应个案 {aname or ''} {avac or ''} 发病 {str(aonset or '')[:16]}"
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
