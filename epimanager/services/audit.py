"""Append audit records, each chained to the previous one by SHA-256."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.store.models import AuditLog


def _digest(prev: str | None, entry: AuditLog) -> str:
    payload = json.dumps(
        [
            prev,
            entry.at.isoformat(timespec="microseconds"),
            entry.user,
            entry.kind,
            entry.entity,
            entry.entity_uuid,
            entry.child_id,
            entry.field,
            entry.old_value,
            entry.new_value,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
    """Add one audit entry in the caller's transaction."""
    prev = session.scalar(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1))
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
    )
    entry.hash = _digest(prev, entry)
    session.add(entry)
    session.flush()
    return entry
