"""Has anything changed since the last backup?  (The exit backup runs when it has.)

A *change mark* is a fingerprint of what a clinic would lose without a backup, cheap enough to
read at every exit on a million-child database:

* growing tables by their highest id — the audit trail (every change to a child or a dose,
  在册变更, merges, clinical facts, imports goes through it), children and doses (bulk
  writers), stock movements (receipts, issues, doses given from stock, counts), reports
  generated and handed in, 在册变更 and merges;
* small tables in full — users (not their last login or failed tries), the unit and its
  区域划分, the configuration (not the upload bookkeeping), reminders, stock products and batches.

The mark is taken before a backup's snapshot and stored with it (:data:`MARK_KEY`); a change
made while the snapshot is copied therefore still counts as a change afterwards.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from epimanager.store.database import Database
from epimanager.store.models import AppConfig, AuditLog, Child, Committee, Dose, Unit
from epimanager.store.models_registry import ChildMerge, StatusChange
from epimanager.store.models_reports import Reminder, ReportDone, ReportRun
from epimanager.store.models_stock import StockBatch, StockMovement, StockProduct
from epimanager.store.models_users import AppUser

#: app_config key of the mark stored with the last successful backup.
MARK_KEY = "backup.change_mark"

_GROWING: tuple[InstrumentedAttribute[Any], ...] = (
    AuditLog.id,
    Child.id,
    Dose.id,
    StockMovement.id,
    ReportRun.id,
    ReportDone.id,
    StatusChange.id,
    ChildMerge.id,
)

#: configuration that changes by itself (upload bookkeeping) or is the mark itself
_VOLATILE_CONFIG = (MARK_KEY, "sync.last_success", "sync.last_error", "sync.newborns_since")


def _small_tables(s: Session) -> list[Any]:
    users = s.execute(
        select(AppUser.name, AppUser.display_name, AppUser.role, AppUser.active, AppUser.password_hash).order_by(
            AppUser.id
        )
    ).all()
    config = s.execute(
        select(AppConfig.key, AppConfig.value).where(AppConfig.key.not_in(_VOLATILE_CONFIG)).order_by(AppConfig.key)
    ).all()
    units = s.execute(select(Unit.code, Unit.name).order_by(Unit.code)).all()
    committees = s.execute(
        select(Committee.id, Committee.code, Committee.name, Committee.counted, Committee.active).order_by(Committee.id)
    ).all()
    reminder = (Reminder.id, Reminder.text, Reminder.due, Reminder.repeat, Reminder.snooze_until, Reminder.done)
    reminders = s.execute(select(*reminder).order_by(Reminder.id)).all()
    products = s.execute(select(StockProduct).order_by(StockProduct.id)).scalars().all()
    batches = s.execute(select(StockBatch).order_by(StockBatch.id)).scalars().all()
    return [
        users,
        config,
        units,
        committees,
        reminders,
        [_columns(p) for p in products],
        [_columns(b) for b in batches],
    ]


def _columns(row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, c.key) for c in row.__table__.columns)


def change_mark(db: Database) -> str:
    """A fingerprint of the clinic's data; it differs as soon as something a backup keeps changed."""
    with db.session() as s:
        highest = [s.scalar(select(func.max(col))) for col in _GROWING]
        parts = [highest, *_small_tables(s)]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()
