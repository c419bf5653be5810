"""F7 工作提醒: what needs attention today, each with the action that fixes it.

Sources: last month's reports not generated, backup too old or failed,
user-defined reminders, and — when those modules are present — upload status
and vaccine stock (expiring batches, products below their minimum).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain.dates import add_months
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services import backup
from epimanager.services.database import Database, set_config
from epimanager.services.reports import KINDS, runs_for
from epimanager.store.models_reports import Reminder

BACKUP_DAYS_KEY = "backup_max_age_days"
DEFAULT_BACKUP_DAYS = 7
REPEATS = {"daily": "每天", "weekly": "每周", "monthly": "每月"}


@dataclass(frozen=True)
class Notice:
    """One line of the F7 panel."""

    kind: str  # report | backup | upload | stock | user
    severity: str  # warning | info
    text: str
    action: str  # what the GUI does on click, e.g. "report:6-1:2026-10", "backup", "reminder:3"
    reminder_id: int | None = None


#: Extra sources (upload status, stock) register here: ``fn(db, today) -> list[Notice]``.
EXTRA_SOURCES: list[Callable[[Database, date], list[Notice]]] = []


def previous_month(today: date) -> str:
    d = add_months(today.replace(day=1), -1)
    return f"{d.year:04d}-{d.month:02d}"


def backup_max_age_days(db: Database) -> int:
    value = db.config(BACKUP_DAYS_KEY)
    return int(value) if value and value.isdigit() else DEFAULT_BACKUP_DAYS


def set_backup_max_age_days(db: Database, days: int) -> None:
    if days < 1:
        raise ValidationError("备份提醒天数应为正整数")
    with db.transaction() as s:
        set_config(s, BACKUP_DAYS_KEY, str(days))


def notices(db: Database, today: date | None = None, now: datetime | None = None) -> list[Notice]:
    """Everything that needs attention, warnings first."""
    today = today or date.today()
    now = now or datetime.now()
    out: list[Notice] = []
    period = previous_month(today)
    done = runs_for(db, period)
    for kind, title in KINDS.items():
        if kind not in done:
            out.append(Notice("report", "warning", f"上月（{period}）{title}尚未生成", f"report:{kind}:{period}"))
    st = backup.status(db)
    days = backup_max_age_days(db)
    if st.last_failed is not None:
        out.append(
            Notice(
                "backup", "warning", f"最近一次备份失败（{st.last_failed:%Y-%m-%d %H:%M}）：{st.last_error}", "backup"
            )
        )
    if st.last_ok is None:
        out.append(Notice("backup", "warning", "尚未备份过数据", "backup"))
    elif now - st.last_ok > timedelta(days=days):
        age = (now - st.last_ok).days
        out.append(Notice("backup", "warning", f"已有 {age} 天未备份（上次 {st.last_ok:%Y-%m-%d}）", "backup"))
    for source in EXTRA_SOURCES:
        out.extend(source(db, today))
    with db.session() as s:
        rows = s.scalars(select(Reminder).where(Reminder.done.is_(False), Reminder.due <= today).order_by(Reminder.due))
        for r in rows:
            if r.snooze_until is not None and r.snooze_until > today:
                continue
            out.append(Notice("user", "info", f"{r.text}（{r.due.isoformat()}）", f"reminder:{r.id}", r.id))
    out.sort(key=lambda n: n.severity != "warning")
    return out


@dataclass(frozen=True)
class ReminderRecord:
    id: int
    text: str
    due: date
    repeat: str | None
    snooze_until: date | None
    done: bool


def _record(r: Reminder) -> ReminderRecord:
    return ReminderRecord(r.id, r.text, r.due, r.repeat, r.snooze_until, r.done)


def add_reminder(db: Database, text: str, due: date, repeat: str | None = None, user: str | None = None) -> int:
    if not text.strip():
        raise ValidationError("提醒内容不能为空")
    if repeat is not None and repeat not in REPEATS:
        raise ValidationError(f"重复方式应为：{'、'.join(REPEATS)}")
    with db.transaction() as s:
        r = Reminder(text=text.strip(), due=due, repeat=repeat, done=False, created_by=user, created_at=datetime.now())
        s.add(r)
        s.flush()
        return r.id


def list_reminders(db: Database, include_done: bool = False) -> list[ReminderRecord]:
    with db.session() as s:
        q = select(Reminder).order_by(Reminder.due, Reminder.id)
        if not include_done:
            q = q.where(Reminder.done.is_(False))
        return [_record(r) for r in s.scalars(q)]


def _load(s: Session, rid: int) -> Reminder:
    r = s.get(Reminder, rid)
    if r is None:
        raise NotFoundError(f"找不到提醒 {rid}")
    return r


def complete(db: Database, rid: int, today: date | None = None) -> ReminderRecord:
    """Mark done; a repeating reminder moves to its next date instead."""
    today = today or date.today()
    with db.transaction() as s:
        r = _load(s, rid)
        if r.repeat:
            step = {"daily": lambda d: d + timedelta(days=1), "weekly": lambda d: d + timedelta(days=7)}.get(
                r.repeat, lambda d: add_months(d, 1)
            )
            nxt = step(r.due)
            while nxt <= today:
                nxt = step(nxt)
            r.due = nxt
            r.snooze_until = None
        else:
            r.done = True
        return _record(r)


def snooze(db: Database, rid: int, until: date) -> ReminderRecord:
    with db.transaction() as s:
        r = _load(s, rid)
        r.snooze_until = until
        return _record(r)
