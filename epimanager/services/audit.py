"""Append audit records, each chained to the previous one by SHA-256; verify the chain.

Every entry stores ``prev_hash`` (the hash of the entry before it) and
``hash`` = SHA-256 over ``prev_hash`` and the entry's own fields.  Editing,
inserting or deleting a row in the middle of the log breaks the chain at
that row or the one after it, which :func:`verify` reports.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ScalarSelect, Select, select
from sqlalchemy.orm import Session

from epimanager.errors import StaleRecord
from epimanager.services import permissions
from epimanager.store.database import DESK_KEY, Database, recall_in_transaction, remember_in_transaction
from epimanager.store.models import AuditLog

#: Audit kinds and their labels (个案变更查询).  Services add to the log with these kinds.
KIND_LABELS: dict[str, str] = {
    "create": "新建个案",
    "import": "导入个案",
    "update": "修改基本资料",
    "status": "在册变更",
    "child_delete": "删除个案",
    "child_restore": "恢复个案",
    "merge": "合并个案",
    "merge_undo": "撤销合并",
    "dose_add": "新增接种",
    "dose_update": "修改接种",
    "dose_delete": "删除接种",
    "dose_restore": "恢复接种",
    "visit_order": "今日接种安排",
    "dose_off_order": "安排外接种",
    "aefi_add": "新建异常反应个案",
    "aefi_update": "修改异常反应个案",
    "aefi_follow_up": "异常反应随访",
    "aefi_report": "异常反应已报告",
}


def _digest_values(
    prev: str | None,
    at: datetime,
    user: str | None,
    kind: str,
    entity: str,
    entity_uuid: str,
    child_id: int | None,
    field: str | None,
    old_value: str | None,
    new_value: str | None,
) -> str:
    payload = json.dumps(
        [
            prev,
            at.isoformat(timespec="microseconds"),
            user,
            kind,
            entity,
            entity_uuid,
            child_id,
            field,
            old_value,
            new_value,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _digest(prev: str | None, entry: AuditLog) -> str:
    return _digest_values(
        prev,
        entry.at,
        entry.user,
        entry.kind,
        entry.entity,
        entry.entity_uuid,
        entry.child_id,
        entry.field,
        entry.old_value,
        entry.new_value,
    )


#: ``session.info`` key of the chain's last hash as this transaction knows it (with that transaction)
_LAST_HASH = "epimanager.audit.last_hash"


def _last_hash_query() -> Select[str | None]:
    return select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)


def last_hash_column() -> ScalarSelect[str | None]:
    """The chain's last hash as a scalar subquery (to read it in a statement that reads more)."""
    return _last_hash_query().correlate(None).scalar_subquery()


def known_last_hash(session: Session, value: str | None) -> None:
    """``value`` is the chain's last hash, read under the write lock of the session's current
    transaction: :func:`record` appends to it without reading it again until that transaction ends."""
    remember_in_transaction(session, _LAST_HASH, value)


def _last_hash(session: Session) -> str | None:
    known, value = recall_in_transaction(session, _LAST_HASH)
    if known:
        return value
    return session.scalar(_last_hash_query())


def record(
    session: Session,
    *,
    kind: str,
    entity: str,
    entity_uuid: str,
    child_id: int | None,
    user: str | None,
    field: str | None = None,
    old: object = None,
    new: object = None,
    at: datetime | None = None,
) -> AuditLog:
    """Add one audit entry in the caller's transaction (author: the logged-in user, if any); it is
    written with the transaction's next flush or its commit."""
    user = permissions.operator(session, user)
    prev = _last_hash(session)
    entry = AuditLog(
        at=at or datetime.now(),
        user=user,
        kind=kind,
        entity=entity,
        entity_uuid=entity_uuid,
        child_id=child_id,
        field=field,
        old_value=None if old is None else str(old),
        new_value=None if new is None else str(new),
        prev_hash=prev,
        desk=session.info.get(DESK_KEY),
    )
    entry.hash = _digest(prev, entry)
    # written with the transaction's next flush (ids follow the order entries are added in)
    session.add(entry)
    known_last_hash(session, entry.hash)  # the next entry of this transaction chains on without a read
    return entry


def require_version(session: Session, entity_uuid: str, current: int, seen: int | None) -> None:
    """Refuse a save made from a stale view: ``seen`` (the version the user read) is not ``current``.

    The message names who changed it, when and at which desk (from the audit trail).
    """
    if seen is None or seen == current:
        return
    last = session.execute(
        select(AuditLog.user, AuditLog.at, AuditLog.desk)
        .where(AuditLog.entity_uuid == entity_uuid)
        .order_by(AuditLog.id.desc())
        .limit(1)
    ).first()
    who = (last.user if last else None) or "另一用户"
    when = last.at.strftime("%Y-%m-%d %H:%M") if last else "刚才"
    where = (last.desk if last else None) or "另一工作站"
    raise StaleRecord(f"此记录已被 {who} 于 {when} 在 {where} 修改，请刷新后再保存（本次未保存任何改动）")


@dataclass(frozen=True)
class AuditReport:
    """The result of :func:`verify`.  ``broken_id`` is the first entry that does not check out."""

    checked: int
    broken_id: int | None = None
    problem: str | None = None
    last_hash: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "broken_id": self.broken_id,
            "problem": self.problem,
            "last_hash": self.last_hash,
        }


def verify(db: Database, page_size: int = 5000) -> AuditReport:
    """Recompute the whole chain in id order; report the first broken entry.

    An entry is broken when its ``prev_hash`` is not the previous entry's
    ``hash`` (a row was inserted or deleted before it) or its ``hash`` does
    not match its contents (the row was edited).  Read in keyset pages, so
    memory stays flat.  Deleting the newest entries cannot be detected from
    the log alone; compare ``last_hash`` with one noted elsewhere for that.
    """
    cols = (
        AuditLog.id,
        AuditLog.at,
        AuditLog.user,
        AuditLog.kind,
        AuditLog.entity,
        AuditLog.entity_uuid,
        AuditLog.child_id,
        AuditLog.field,
        AuditLog.old_value,
        AuditLog.new_value,
        AuditLog.prev_hash,
        AuditLog.hash,
    )
    checked = 0
    prev: str | None = None
    last_id = 0
    with db.session() as s:
        while True:
            rows = s.execute(select(*cols).where(AuditLog.id > last_id).order_by(AuditLog.id).limit(page_size)).all()
            if not rows:
                return AuditReport(checked, last_hash=prev)
            for r in rows:
                entry_id, prev_hash, stored = r[0], r[10], r[11]
                if prev_hash != prev:
                    return AuditReport(
                        checked, entry_id, "与前一条记录的哈希不衔接（之前的记录被删除、插入或修改）", prev
                    )
                try:
                    expected = _digest_values(prev_hash, *r[1:10])
                except (TypeError, ValueError, AttributeError):
                    expected = None
                if stored != expected:
                    return AuditReport(checked, entry_id, "记录内容与其哈希不符（记录被修改）", prev)
                prev = stored
                checked += 1
            last_id = rows[-1][0]
