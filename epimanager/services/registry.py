"""在册变更 (registry status), deleting and restoring children and doses, 临时接种 and 补录.

Each function is one user action in one transaction; the change and its
audit entries are committed together.  Deletions are soft: a deleted child
or dose keeps its rows and can be viewed and restored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from epimanager.domain.codes import Residence, Status
from epimanager.domain.identifiers import unit_code_problem
from epimanager.domain.registry import MOVEOUT_REASONS, OTHER_REASON, parse_status, status_change_problems
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.resources import catalog
from epimanager.services import audit, permissions
from epimanager.services.children import create_child
from epimanager.services.doses import OTHER_PLACE, add_dose
from epimanager.services.records import ChildRecord, DoseRecord, _jsonable
from epimanager.services.stock import dose_binding
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose, touch
from epimanager.store.models_registry import StatusChange

__all__ = [
    "MOVEOUT_REASONS",
    "OTHER_REASON",
    "StatusChangeRecord",
    "back_enter_dose",
    "change_status",
    "create_temporary_child",
    "delete_child",
    "deleted_children",
    "deleted_doses",
    "get_deleted_child",
    "restore_child",
    "restore_dose",
    "status_history",
]


@dataclass(frozen=True)
class StatusChangeRecord:
    """One 在册变更 history entry."""

    id: int
    child_code: str
    child_name: str
    old_status: int
    new_status: int
    change_date: date
    reason: str | None
    remark: str | None
    user: str | None
    at: datetime

    @property
    def old_label(self) -> str:
        return Status(self.old_status).label

    @property
    def new_label(self) -> str:
        return Status(self.new_status).label

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "child_code": self.child_code,
            "child_name": self.child_name,
            "old_status": self.old_status,
            "old_label": self.old_label,
            "new_status": self.new_status,
            "new_label": self.new_label,
            "change_date": self.change_date.isoformat(),
            "reason": self.reason,
            "remark": self.remark,
            "user": self.user,
            "at": _jsonable(self.at),
        }


def _record(row: StatusChange, child: Child) -> StatusChangeRecord:
    return StatusChangeRecord(
        row.id,
        child.code,
        child.name,
        row.old_status,
        row.new_status,
        row.change_date,
        row.reason,
        row.remark,
        row.user,
        row.at,
    )


def _child(s: Session, code: str, *, deleted: bool = False) -> Child:
    child = s.scalar(select(Child).where(Child.code == code.strip(), Child.deleted.is_(deleted)))
    if child is None:
        what = "已删除的" if deleted else ""
        raise NotFoundError(f"找不到儿童编码为 {code} 的{what}个案")
    return child


def _blank_none(v: str | None) -> str | None:
    return v.strip() if v and v.strip() else None


# -- 在册变更 -------------------------------------------------------------------------


def change_status(
    db: Database,
    code: str,
    new_status: Status | int | str | None,
    date: date,
    reason: str | None = None,
    remark: str | None = None,
    user: str | None = None,
    *,
    today: date | None = None,
) -> StatusChangeRecord:
    """Change a child's 在册情况; keeps a history entry and an audit entry.

    迁出 needs a reason from :data:`MOVEOUT_REASONS`; the reason “其他”
    needs a remark.  Refused changes raise :class:`ValidationError` and
    change nothing.
    """
    if new_status is None or new_status == "":
        raise ValidationError("请选择新的在册情况")
    try:
        new = parse_status(new_status)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    today = today or datetime.now().date()
    reason, remark = _blank_none(reason), _blank_none(remark)
    now = datetime.now()
    own = db.own_unit_code()
    with db.transaction() as s:
        child = _child(s, code)
        problems = status_change_problems(
            child.status, int(new), date, reason, remark, birth_date=child.birth_date, today=today
        )
        if problems:
            raise ValidationError(problems)
        old = child.status
        row = StatusChange(
            child_id=child.id,
            old_status=old,
            new_status=int(new),
            change_date=date,
            reason=reason,
            remark=remark,
            unit_code=own,
            user=user,
            at=now,
        )
        s.add(row)
        child.status = int(new)
        touch(child, now)
        s.flush()
        detail = f"{Status(int(new)).label} {date.isoformat()}" + "".join(f" {x}" for x in (reason, remark) if x)
        audit.record(
            s,
            kind="status",
            entity="child",
            entity_uuid=child.uuid,
            child_id=child.id,
            user=user,
            field="status",
            old=Status(old).label,
            new=detail,
            at=now,
        )
        return _record(row, child)


def status_history(db: Database, code: str) -> list[StatusChangeRecord]:
    """A child's 在册变更 history, oldest first (deleted children too)."""
    with db.session() as s:
        child = s.scalar(select(Child).where(Child.code == code.strip()))
        if child is None:
            raise NotFoundError(f"找不到儿童编码为 {code} 的个案")
        rows = s.scalars(
            select(StatusChange)
            .where(StatusChange.child_id == child.id)
            .order_by(StatusChange.change_date, StatusChange.id)
        ).all()
        return [_record(r, child) for r in rows]


# -- delete / restore -------------------------------------------------------------------


def delete_child(db: Database, code: str, *, user: str | None, reason: str | None = None) -> None:
    """Soft-delete a child (删除个案): hidden everywhere, viewable and restorable; audited."""
    permissions.check(db, "delete_child")
    with db.transaction() as s:
        child = _child(s, code)
        child.deleted = True
        touch(child)
        audit.record(
            s,
            kind="child_delete",
            entity="child",
            entity_uuid=child.uuid,
            child_id=child.id,
            user=user,
            old=f"{child.code} {child.name}",
            new=_blank_none(reason),
        )


def restore_child(db: Database, code: str, *, user: str | None) -> ChildRecord:
    """Undo :func:`delete_child`; audited."""
    permissions.check(db, "restore_child")
    with db.transaction() as s:
        child = _child(s, code, deleted=True)
        child.deleted = False
        touch(child)
        audit.record(
            s,
            kind="child_restore",
            entity="child",
            entity_uuid=child.uuid,
            child_id=child.id,
            user=user,
            new=f"{child.code} {child.name}",
        )
        s.flush()
        s.refresh(child)
        return ChildRecord.from_orm(child)


def deleted_children(db: Database, limit: int = 1000) -> list[ChildRecord]:
    """Deleted children, most recently changed first (to view or restore)."""
    with db.session() as s:
        rows = s.scalars(
            select(Child)
            .where(Child.deleted.is_(True))
            .order_by(Child.updated_at.desc(), Child.id.desc())
            .limit(limit)
            .options(selectinload(Child.committee))
        ).all()
        return [ChildRecord.from_orm(c, with_doses=False) for c in rows]


def get_deleted_child(db: Database, code: str) -> ChildRecord:
    """A deleted child with its (non-deleted) doses, for viewing."""
    with db.session() as s:
        child = s.scalar(
            select(Child)
            .where(Child.code == code.strip(), Child.deleted.is_(True))
            .options(selectinload(Child.doses), selectinload(Child.committee))
        )
        if child is None:
            raise NotFoundError(f"找不到儿童编码为 {code} 的已删除个案")
        return ChildRecord.from_orm(child)


def deleted_doses(db: Database, code: str) -> list[DoseRecord]:
    """A child's deleted doses (to view or restore)."""
    with db.session() as s:
        child = s.scalar(select(Child).where(Child.code == code.strip()))
        if child is None:
            raise NotFoundError(f"找不到儿童编码为 {code} 的个案")
        rows = s.scalars(
            select(Dose).where(Dose.child_id == child.id, Dose.deleted.is_(True)).order_by(Dose.date, Dose.id)
        ).all()
        return [DoseRecord.from_orm(d) for d in rows]


def restore_dose(db: Database, uuid: str, *, user: str | None) -> DoseRecord:
    """Mirror of ``doses.delete_dose``: un-delete, take the 人份 from stock again, version+1, audit."""
    permissions.check(db, "restore_dose")
    with db.transaction() as s:
        dose = s.scalar(select(Dose).where(Dose.uuid == uuid, Dose.deleted.is_(True)))
        if dose is None:
            raise NotFoundError(f"找不到已删除的接种记录（{uuid}）")
        child = s.get(Child, dose.child_id)
        if child is None or child.deleted:
            raise ValidationError("该接种记录所属个案已删除，请先恢复个案")
        dose.deleted = False
        # 疫苗出入库: the 人份 that delete put back is taken again
        dose_binding.consume_for_dose(s, dose, user=user)
        touch(dose)
        vac = catalog().get(dose.vaccine_code)
        audit.record(
            s,
            kind="dose_restore",
            entity="dose",
            entity_uuid=dose.uuid,
            child_id=dose.child_id,
            user=user,
            new=f"{vac.abbr if vac else dose.vaccine_code} 第{dose.dose_number}剂 {dose.date.isoformat()}",
        )
        return DoseRecord.from_orm(dose)


# -- 临时接种 and 补录 ----------------------------------------------------------------------


def create_temporary_child(
    db: Database,
    name: str,
    sex: str,
    birth_date: date,
    *,
    mother_name: str | None = None,
    father_name: str | None = None,
    phone: str | None = None,
    home_unit: str | None = None,
    user: str | None = None,
    today: date | None = None,
) -> ChildRecord:
    """A minimal record for a child registered elsewhere who is vaccinated here (临时接种).

    Its 在册情况 is 9 临时接种, so it is not counted as managed here; doses
    given here still count for this unit's 实种.  ``home_unit`` (the unit
    that manages the child, if known) goes into the remark.
    """
    if home_unit:
        problem = unit_code_problem(home_unit.strip())
        if problem:
            raise ValidationError(f"管理单位编码：{problem}")
    remark = "临时接种" + (f"；管理单位 {home_unit.strip()}" if home_unit else "")
    inp = ChildInput(
        name=name,
        sex=sex,
        birth_date=birth_date,
        mother_name=mother_name,
        father_name=father_name,
        phone=phone,
        residence=Residence.TEMPORARY,
        status=Status.TEMP_VACCINATION,
        remark=remark,
    )
    return create_child(db, inp, user=user, today=today)


def back_enter_dose(
    db: Database,
    child_code: str,
    inp: DoseInput,
    *,
    other_unit: str | None = None,
    user: str | None = None,
    today: date | None = None,
    confirm_invalid: bool = False,
    confirm_duplicate: bool = False,
) -> DoseRecord:
    """补录: a dose given elsewhere — at unit ``other_unit`` (10 digits) or 外地 when None.

    It counts for the child's forecast but not for this unit's 实种.  Like any dose, an invalid one
    is refused unless ``confirm_invalid``, and one the child already has
    (:class:`~epimanager.services.doses.DuplicateDose`) unless ``confirm_duplicate``.
    """
    if other_unit:
        other = other_unit.strip()
        problem = unit_code_problem(other)
        if problem:
            raise ValidationError(f"接种单位编码：{problem}")
        if other == db.own_unit_code():
            raise ValidationError("补录的接种单位不能是本单位；本单位接种请直接登记")
        place = replace(inp, unit_code=other)
    else:
        place = replace(inp, unit_code=None, place_text=OTHER_PLACE)
    return add_dose(
        db,
        child_code,
        place,
        user=user,
        today=today,
        confirm_invalid=confirm_invalid,
        confirm_duplicate=confirm_duplicate,
    )
