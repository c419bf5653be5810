"""F7 工作提醒: what needs attention today, each with the action that fixes it.

Sources: last month's reports not generated, backup too old or failed,
AEFI cards not yet reported (with their limit) and AEFI batch clusters,
records waiting for upload or rejected by the platform, vaccine and syringe
batches expiring within 30 days or products below their minimum, doses that
found no syringe in stock in the last 30 days, and user-defined reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain.dates import add_months
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services import aefi, backup
from epimanager.services import outbox as sync_queue
from epimanager.services.reports.common import KINDS
from epimanager.services.reports.runs import done_for, runs_for
from epimanager.services.stock import alerts as stock_alerts
from epimanager.services.stock import syringes
from epimanager.store.database import Database, set_config
from epimanager.store.models_reports import Reminder

BACKUP_DAYS_KEY = "backup_max_age_days"
DEFAULT_BACKUP_DAYS = 7
REPEATS = {"daily": "每天", "weekly": "每周", "monthly": "每月"}


@dataclass(frozen=True)
class Notice:
    """One line of the F7 panel."""

    kind: str  # report | backup | aefi | upload | stock | user
    severity: str  # warning | info
    text: str
    action: str  # what the GUI does on click, e.g. "report:6-1:2026-10", "backup", "reminder:3"
    reminder_id: int | None = None


STOCK_WARNING_DAYS = 30


def _upload_notices(db: Database) -> list[Notice]:
    st = sync_queue.status(db)
    out: list[Notice] = []
    if st.rejected:
        out.append(Notice("upload", "warning", f"有 {st.rejected} 条记录被平台拒收，请查看并处理", "upload:rejected"))
    if st.waiting:
        last = st.last_success.replace("T", " ")[:16] if st.last_success else "从未上传"
        out.append(Notice("upload", "info", f"待上传个案记录 {st.waiting} 条（上次成功：{last}）", "upload"))
    if st.last_error:
        out.append(Notice("upload", "warning", f"上次上传出错：{st.last_error}", "upload"))
    return out


def _stock_notices(db: Database, today: date) -> list[Notice]:
    out: list[Notice] = []
    for e in stock_alerts.expiring_batches(db, within_days=STOCK_WARNING_DAYS, on=today):
        b = e.batch
        when = f"已过期 {-e.days_left} 天" if e.days_left < 0 else f"{e.days_left} 天后过期"
        out.append(
            Notice(
                "stock",
                "warning",
                f"{b.vaccine_abbr} 批号 {b.batch_no} {when}（{b.expiry.isoformat()}，库存 {b.quantity} 人份）",
                f"stock:batch:{b.id}",
            )
        )
    for low in stock_alerts.below_minimum(db, on=today):
        p = low.product
        maker = p.manufacturer or "未注明厂家"
        unit = "支" if p.kind == "syringe" else "人份"
        text = f"{p.vaccine_name}（{maker}）库存 {low.on_hand} {unit}，低于最低库存 {low.minimum}"
        out.append(Notice("stock", "warning", text, f"stock:product:{p.id}"))
    for sh in syringes.shortages(db, syringes.shortage_window_start(today)):
        text = (
            f"注射器短缺：{sh.label}（{sh.abbr}）近 {syringes.SHORTAGE_DAYS} 天有 {sh.doses} 剂次接种时"
            f"库存无此注射器，请入库或盘点"
        )
        out.append(Notice("stock", "warning", text, f"stock:syringe:{sh.syringe_type}"))
    return out


def _aefi_notices(db: Database, now: datetime, today: date) -> list[Notice]:
    """AEFI cards not yet reported (with their limit, until reported) and batch clusters."""
    out: list[Notice] = []
    for c in aefi.list_cases(db, unreported=True):
        text = (
            f"异常反应个案未报告：{c.child_name} {c.vaccine_name} 批号 {c.batch_no or '—'}（{c.severity}），"
            f"报告时限 {c.deadline:%m-%d %H:%M}，{c.time_left(now)}"
        )
        out.append(Notice("aefi", "warning", text, f"aefi:{c.uuid}"))
    for cl in aefi.clusters(db, today):
        names = "、".join(f"{r.label} {r.onset:%m-%d}" for r in cl.cases)
        text = (
            f"同批号异常反应聚集：{aefi.vaccine_name(cl.vaccine_code)} 批号 {cl.batch_no} 30 天内 {len(cl.cases)} 例"
            f"（{names}），请核查该批疫苗并评估是否为群体性 AEFI"
        )
        out.append(Notice("aefi", "warning", text, f"aefi:{cl.cases[-1].uuid}"))
    return out


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
    done, generated = done_for(db, period), runs_for(db, period)
    for kind, title in KINDS.items():
        if kind not in done:  # a report counts once exported, printed or marked done — not when previewed
            state = "已生成，尚未导出或打印" if kind in generated else "尚未生成"
            out.append(Notice("report", "warning", f"上月（{period}）{title}{state}", f"report:{kind}:{period}"))
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
    out.extend(_aefi_notices(db, now, today))
    out.extend(_upload_notices(db))
    out.extend(_stock_notices(db, today))
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
