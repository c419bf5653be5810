"""Merging two records of the same child, and undoing it.

A merge moves every dose (deleted ones too) and the 在册变更 history of the
duplicate to the kept child, fills the kept child's empty fields from the
duplicate, soft-deletes the duplicate and keeps a :class:`ChildMerge` row
with what is needed to undo it.  Audit entries are never rewritten (the
chain is hashed); the merge and its undo add their own."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.errors import NotFoundError, ValidationError
from epimanager.services import audit, permissions
from epimanager.services.aefi import queue_case
from epimanager.services.children import EDITABLE_FIELDS
from epimanager.services.search_index import index_child
from epimanager.store.database import Database
from epimanager.store.models import Child, Committee, Dose, touch
from epimanager.store.models_aefi import AefiCase
from epimanager.store.models_clinical import ChildImmunoglobulin
from epimanager.store.models_precheck import Deferral
from epimanager.store.models_registry import ChildMerge, StatusChange

#: Fields of the kept child that a merge fills from the duplicate when empty: the basic data
#: but the identity (name, sex, birth date), the fields that always hold a value (居住属性,
#: 母亲HBsAg) and the remark.
FILL_FIELDS = tuple(
    "committee_id" if f == "committee" else f
    for f in EDITABLE_FIELDS
    if f not in ("name", "sex", "birth_date", "residence", "mother_hbsag", "remark")
)
_NAME_FIELDS = {"mother_name", "father_name"}


@dataclass(frozen=True)
class MergeResult:
    id: int
    kept_code: str
    dup_code: str
    moved_doses: int
    moved_changes: int
    filled: tuple[str, ...]
    undone: bool = False

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["filled"] = list(self.filled)
        return d


def _load(s: Session, code: str, what: str) -> Child:
    child = s.scalar(select(Child).where(Child.code == code.strip(), Child.deleted.is_(False)))
    if child is None:
        raise NotFoundError(f"找不到{what}（儿童编码 {code}）")
    return child


def _show(v: Any) -> str | None:
    return None if v is None else str(v)


def merge_children(
    db: Database, keep_code: str, dup_code: str, *, user: str | None, reason: str | None = None
) -> MergeResult:
    """Merge ``dup_code`` into ``keep_code`` (one transaction; audited; undoable)."""
    permissions.check(db, "merge_children")
    if keep_code.strip() == dup_code.strip():
        raise ValidationError("不能把个案与自身合并")
    now = datetime.now()
    with db.transaction() as s:
        keep = _load(s, keep_code, "要保留的个案")
        dup = _load(s, dup_code, "要合并的重复个案")
        prior = {"deleted": dup.deleted, "status": dup.status}
        doses = list(s.scalars(select(Dose).where(Dose.child_id == dup.id).order_by(Dose.id)))
        for d in doses:
            d.child_id = keep.id
            touch(d, now)
        changes = list(s.scalars(select(StatusChange).where(StatusChange.child_id == dup.id)))
        for c in changes:
            c.child_id = keep.id
        history = _move_history(s, dup.id, keep.id)
        filled: dict[str, list[Any]] = {}
        for f in FILL_FIELDS:
            mine, theirs = getattr(keep, f), getattr(dup, f)
            if (mine is None or mine == "") and theirs not in (None, ""):
                filled[f] = [mine, theirs]
                setattr(keep, f, theirs)
                audit.record(
                    s,
                    kind="merge",
                    entity="child",
                    entity_uuid=keep.uuid,
                    child_id=keep.id,
                    user=user,
                    field="committee" if f == "committee_id" else f,
                    old=_show(mine),
                    new=_committee_name(s, theirs) if f == "committee_id" else _show(theirs),
                    at=now,
                )
        dup.deleted = True
        touch(dup, now)
        touch(keep, now)
        row = ChildMerge(
            kept_child_id=keep.id,
            dup_child_id=dup.id,
            reason=(reason or "").strip() or None,
            moved_doses=json.dumps([d.uuid for d in doses]),
            moved_changes=json.dumps({"status": [c.id for c in changes], **history}),
            filled_fields=json.dumps(filled, ensure_ascii=False),
            dup_prior=json.dumps(prior),
            user=user,
            at=now,
        )
        s.add(row)
        s.flush()
        summary = f"合并 #{row.id}：{dup.code} {dup.name} 并入 {keep.code} {keep.name}，移入接种记录 {len(doses)} 条"
        for target in (keep, dup):
            audit.record(
                s,
                kind="merge",
                entity="child",
                entity_uuid=target.uuid,
                child_id=target.id,
                user=user,
                old=dup.code,
                new=summary,
                at=now,
            )
        if _NAME_FIELDS & set(filled):
            index_child(s, keep.id, keep.name, keep.mother_name, keep.father_name)
        return MergeResult(row.id, keep.code, dup.code, len(doses), len(changes), tuple(filled))


#: What a child's record holds beyond doses that the next dose depends on, moved with the merge
#: (and back on undo): immunoglobulin (live vaccines wait after it), 预检's 暂缓/禁忌, AEFI cases.
#: A day's 预检 and consent stay with the visit they were taken at (on the merged-away record).
_HISTORY: dict[str, Any] = {"immunoglobulin": ChildImmunoglobulin, "deferral": Deferral, "aefi": AefiCase}


def _move_history(s: Session, from_id: int, to_id: int) -> dict[str, list[int]]:
    moved: dict[str, list[int]] = {}
    for name, model in _HISTORY.items():
        rows = list(s.scalars(select(model).where(model.child_id == from_id).order_by(model.id)))
        for r in rows:
            _move(s, r, to_id)
        if rows:
            moved[name] = [r.id for r in rows]
    return moved


def _move_back(s: Session, moved: dict[str, list[int]], to_id: int) -> None:
    for name, ids in moved.items():
        model = _HISTORY[name]
        for r in s.scalars(select(model).where(model.id.in_(ids))):
            _move(s, r, to_id)


def _move(s: Session, row: Any, to_id: int) -> None:
    row.child_id = to_id
    if isinstance(row, AefiCase):  # the platform hears of the case under its new child
        row.version += 1
        queue_case(s, row)


def _committee_name(s: Session, cid: Any) -> str | None:
    if cid is None:
        return None
    return s.scalar(select(Committee.name).where(Committee.id == int(cid)))


def undo_merge(db: Database, merge_id: int, *, user: str | None) -> MergeResult:
    """Put both records back as they were before merge ``merge_id``; audited.

    Moved doses and history go back to the duplicate, which is restored;
    fields filled on the kept child are emptied again unless changed since.
    """
    permissions.check(db, "undo_merge")
    now = datetime.now()
    with db.transaction() as s:
        row = s.get(ChildMerge, merge_id)
        if row is None:
            raise NotFoundError(f"找不到合并记录 #{merge_id}")
        if row.undone_at is not None:
            raise ValidationError(f"合并 #{merge_id} 已于 {row.undone_at:%Y-%m-%d %H:%M} 撤销")
        keep = s.get(Child, row.kept_child_id)
        dup = s.get(Child, row.dup_child_id)
        assert keep is not None and dup is not None
        if keep.deleted:
            raise ValidationError(f"保留的个案 {keep.code} 已被删除，请先恢复后再撤销合并")
        uuids: list[str] = json.loads(row.moved_doses)
        for start in range(0, len(uuids), 500):
            for d in s.scalars(select(Dose).where(Dose.uuid.in_(uuids[start : start + 500]))):
                d.child_id = dup.id
                touch(d, now)
        moved = json.loads(row.moved_changes)
        if isinstance(moved, list):  # a merge made before the clinical history moved with the child
            moved = {"status": moved}
        change_ids: list[int] = moved.pop("status", [])
        if change_ids:
            for c in s.scalars(select(StatusChange).where(StatusChange.id.in_(change_ids))):
                c.child_id = dup.id
        _move_back(s, moved, dup.id)
        filled: dict[str, list[Any]] = json.loads(row.filled_fields)
        reverted = []
        for f, (old, new) in filled.items():
            if getattr(keep, f) == new:
                setattr(keep, f, old)
                reverted.append(f)
                audit.record(
                    s,
                    kind="merge_undo",
                    entity="child",
                    entity_uuid=keep.uuid,
                    child_id=keep.id,
                    user=user,
                    field="committee" if f == "committee_id" else f,
                    old=_committee_name(s, new) if f == "committee_id" else _show(new),
                    new=_show(old),
                    at=now,
                )
        prior = json.loads(row.dup_prior)
        dup.deleted = bool(prior.get("deleted", False))
        dup.status = int(prior.get("status", dup.status))
        touch(dup, now)
        touch(keep, now)
        row.undone_at = now
        row.undone_by = user
        summary = f"撤销合并 #{row.id}：{dup.code} {dup.name} 从 {keep.code} 分出，移回接种记录 {len(uuids)} 条"
        for target in (keep, dup):
            audit.record(
                s,
                kind="merge_undo",
                entity="child",
                entity_uuid=target.uuid,
                child_id=target.id,
                user=user,
                old=keep.code,
                new=summary,
                at=now,
            )
        if _NAME_FIELDS & set(reverted):
            index_child(s, keep.id, keep.name, keep.mother_name, keep.father_name)
        return MergeResult(row.id, keep.code, dup.code, len(uuids), len(change_ids), tuple(filled), undone=True)


@dataclass(frozen=True)
class MergeInfo:
    id: int
    kept_code: str
    dup_code: str
    at: datetime
    user: str | None
    undone_at: datetime | None


def list_merges(db: Database, limit: int = 200) -> list[MergeInfo]:
    """Recent merges, newest first (to pick one to undo)."""
    with db.session() as s:
        k = Child.__table__.alias("k")
        d = Child.__table__.alias("d")
        rows = s.execute(
            select(ChildMerge.id, k.c.code, d.c.code, ChildMerge.at, ChildMerge.user, ChildMerge.undone_at)
            .join(k, k.c.id == ChildMerge.kept_child_id)
            .join(d, d.c.id == ChildMerge.dup_child_id)
            .order_by(ChildMerge.id.desc())
            .limit(limit)
        ).all()
    return [MergeInfo(*r) for r in rows]
