"""个案变更查询: the audit log by date, kind of change, user and child, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from epimanager.domain.validation import CHILD_FIELD_LABELS
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services.audit import KIND_LABELS
from epimanager.services.queries import common
from epimanager.services.queries.common import PAGE_SIZE, Cursor, Page, Row, day_range
from epimanager.store.database import Database
from epimanager.store.models import AuditLog, Child

#: 个案变更查询 kinds → audit kinds.
CHANGE_KINDS: dict[str, tuple[str, ...]] = {
    "基本资料": ("create", "import", "update", "status"),
    "接种剂次": ("dose_add", "dose_update", "dose_delete", "dose_restore"),
    "删除个案": ("child_delete", "child_restore"),
    "合并个案": ("merge", "merge_undo"),
}

FIELD_LABELS: dict[str, str] = {
    **CHILD_FIELD_LABELS,
    "status": "在册情况",
    "vaccine": "疫苗",
    "dose_number": "剂次",
    "date": "接种日期",
    "attribute": "接种属性",
    "batch_no": "批号",
    "expiry": "失效期",
    "manufacturer": "生产企业",
    "site": "接种部位",
    "route": "接种途径",
    "nurse": "接种护士",
    "unit_code": "接种单位",
    "place_text": "接种地点",
    "free": "免费",
    "trace_code": "追溯码",
}


def parse_change_kind(text: str) -> tuple[str, ...]:
    t = text.strip()
    aliases = {"basic": "基本资料", "dose": "接种剂次", "delete": "删除个案", "merge": "合并个案"}
    t = aliases.get(t, t)
    if t not in CHANGE_KINDS:
        raise ValidationError(f"变更类别“{text}”无效，应为：" + "、".join(CHANGE_KINDS))
    return CHANGE_KINDS[t]


@dataclass(frozen=True)
class ChangeQuery:
    """个案变更查询 over the audit log, newest first."""

    start: date | None = None
    end: date | None = None
    #: 基本资料 / 接种剂次 / 删除个案 / 合并个案 (or basic / dose / delete / merge)
    kind: str | None = None
    user: str | None = None
    child_code: str | None = None

    title = "个案变更查询"
    columns = ("时间", "类别", "操作", "儿童编码", "姓名", "字段", "原值", "新值", "操作员")

    def fetch(self, db: Database, after: Cursor | None = None, limit: int = PAGE_SIZE) -> Page:
        day_range(self.start, self.end)
        conds: list[Any] = []
        if self.start:
            conds.append(AuditLog.at >= datetime.combine(self.start, datetime.min.time()))
        if self.end:
            conds.append(AuditLog.at < datetime.combine(self.end + timedelta(days=1), datetime.min.time()))
        kinds = parse_change_kind(self.kind) if self.kind else None
        if kinds:
            conds.append(AuditLog.kind.in_(kinds))
        if self.user:
            conds.append(AuditLog.user == self.user.strip())
        group_of = {k: g for g, ks in CHANGE_KINDS.items() for k in ks}
        with db.session() as s:
            top = int(after[0]) if after else int(s.scalar(select(func.max(AuditLog.id))) or 0) + 1
            low = top - common.WINDOW  # each call looks at no more than WINDOW entries
            conds += [AuditLog.id < top, AuditLog.id >= low]
            if self.child_code:
                cid = s.scalar(select(Child.id).where(Child.code == self.child_code.strip()))
                if cid is None:
                    raise NotFoundError(f"找不到儿童编码为 {self.child_code} 的个案")
                conds.append(AuditLog.child_id == cid)
            q = (
                select(
                    AuditLog.id,
                    AuditLog.at,
                    AuditLog.kind,
                    Child.code,
                    Child.name,
                    AuditLog.field,
                    AuditLog.old_value,
                    AuditLog.new_value,
                    AuditLog.user,
                )
                .outerjoin(Child, Child.id == AuditLog.child_id)
                .where(*conds)
                .order_by(AuditLog.id.desc())
                .limit(limit)
            )
            rows = s.execute(q).all()
        out = [
            Row(
                (
                    r[1],
                    group_of.get(r[2], "其他"),
                    KIND_LABELS.get(r[2], r[2]),
                    r[3],
                    r[4],
                    FIELD_LABELS.get(r[5], r[5]) if r[5] else None,
                    r[6],
                    r[7],
                    r[8],
                ),
                r[3],
            )
            for r in rows
        ]
        if len(rows) == limit:
            return Page(tuple(out), (rows[-1][0],))
        return Page(tuple(out), (low,) if low > 1 else None)
