"""数据清理: probable duplicate children, merging two records (and undoing it), data quality.

A merge moves every dose (deleted ones too) and the 在册变更 history of the
duplicate to the kept child, fills the kept child's empty fields from the
duplicate, soft-deletes the duplicate and keeps a :class:`ChildMerge` row
with what is needed to undo it.  Audit entries are never rewritten (the
chain is hashed); the merge and its undo add their own.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epimanager.domain.codes import MANAGED_STATUSES, Status
from epimanager.domain.registry import (
    QUALITY_KINDS,
    ChildFacts,
    DoseFacts,
    Match,
    Person,
    child_quality,
    dose_quality,
    duplicate_match,
    name_pinyin,
)
from epimanager.errors import NotFoundError, ValidationError
from epimanager.resources import catalog
from epimanager.services import audit, permissions
from epimanager.services.database import Database
from epimanager.services.search_index import index_child
from epimanager.store.models import Child, Committee, Dose
from epimanager.store.models_registry import ChildMerge, StatusChange

#: Fields of the kept child that a merge fills from the duplicate when empty.
FILL_FIELDS = (
    "birth_time",
    "birth_weight_kg",
    "mother_name",
    "mother_id_number",
    "father_name",
    "father_id_number",
    "phone",
    "id_number",
    "birth_cert_no",
    "address",
    "hukou_county",
    "committee_id",
    "school",
    "allergy",
)
_NAME_FIELDS = {"mother_name", "father_name"}


# -- duplicates ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChildBrief:
    code: str
    name: str
    sex: str
    birth_date: date
    mother_name: str | None
    id_number: str | None
    status: int
    committee: str | None
    doses: int

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["birth_date"] = self.birth_date.isoformat()
        d["status_label"] = Status(self.status).label
        return d


@dataclass(frozen=True)
class DuplicatePair:
    """Two records that are probably the same child; ``keep`` is the suggested one to keep."""

    score: int
    reason: str
    keep: ChildBrief
    dup: ChildBrief

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "reason": self.reason, "keep": self.keep.to_json(), "dup": self.dup.to_json()}


def find_duplicates(db: Database) -> list[DuplicatePair]:
    """Probable duplicates among non-deleted children, strongest first.

    Same ID number (found with the ID-number index), then — per birth date,
    read in birth-date order — same name and mother, or a close name pinyin
    with the same mother (name or pinyin).
    """
    found: dict[tuple[int, int], Match] = {}

    def add(a: int, b: int, m: Match) -> None:
        key = (min(a, b), max(a, b))
        if key not in found or found[key].score < m.score:
            found[key] = m

    pinyin: dict[str, str] = {}
    with db.session() as s:
        dup_ids = s.execute(
            select(func.upper(func.trim(Child.id_number)))
            .where(Child.deleted.is_(False), Child.id_number.is_not(None), Child.id_number != "")
            .group_by(func.upper(func.trim(Child.id_number)))
            .having(func.count() > 1)
        ).scalars()
        for idn in list(dup_ids):
            ids = sorted(
                s.scalars(
                    select(Child.id).where(Child.deleted.is_(False), func.upper(func.trim(Child.id_number)) == idn)
                )
            )
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    add(a, b, Match(100, "身份证号相同"))
        q = (
            select(Child.id, Child.name, Child.birth_date, Child.mother_name, Child.id_number)
            .where(Child.deleted.is_(False), Child.mother_name.is_not(None), Child.mother_name != "")
            .order_by(Child.birth_date)
            .execution_options(yield_per=5000)
        )
        bucket: list[Person] = []
        day: date | None = None
        for cid, name, birth, mother, idn in s.execute(q):
            if birth != day:
                _compare_bucket(bucket, pinyin, add)
                bucket, day = [], birth
            bucket.append(Person(cid, name, birth, mother, idn))
        _compare_bucket(bucket, pinyin, add)
        if not found:
            return []
        involved = sorted({i for k in found for i in k})
        briefs = _briefs(s, involved)
    pairs = []
    for (a, b), m in found.items():
        keep, dup = _suggest(briefs[a], briefs[b])
        pairs.append(DuplicatePair(m.score, m.reason, keep, dup))
    pairs.sort(key=lambda p: (-p.score, p.keep.birth_date, p.keep.code, p.dup.code))
    return pairs


def _compare_bucket(bucket: list[Person], pinyin: dict[str, str], add: Any) -> None:
    if len(bucket) < 2:
        return
    by_mother: dict[str, list[Person]] = defaultdict(list)
    for p in bucket:
        assert p.mother_name is not None
        m = p.mother_name.strip()
        if m not in pinyin:
            pinyin[m] = name_pinyin(m)
        by_mother[pinyin[m]].append(p)
    for group in by_mother.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                match = duplicate_match(a, b, pinyin)
                if match is not None:
                    add(a.id, b.id, match)


def _briefs(s: Session, ids: list[int]) -> dict[int, tuple[int, ChildBrief]]:
    out: dict[int, tuple[int, ChildBrief]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        counts = dict(
            s.execute(
                select(Dose.child_id, func.count())
                .where(Dose.child_id.in_(chunk), Dose.deleted.is_(False))
                .group_by(Dose.child_id)
            ).all()
        )
        rows = s.execute(
            select(
                Child.id,
                Child.code,
                Child.name,
                Child.sex,
                Child.birth_date,
                Child.mother_name,
                Child.id_number,
                Child.status,
                Committee.name,
            )
            .outerjoin(Committee, Committee.id == Child.committee_id)
            .where(Child.id.in_(chunk))
        ).all()
        for r in rows:
            brief = ChildBrief(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], int(counts.get(r[0], 0)))
            out[r[0]] = (r[0], brief)
    return out


def _suggest(a: tuple[int, ChildBrief], b: tuple[int, ChildBrief]) -> tuple[ChildBrief, ChildBrief]:
    """Keep the record with more doses, then the one in register, then the older one."""

    def rank(x: tuple[int, ChildBrief]) -> tuple[int, int, int]:
        return (-x[1].doses, 0 if x[1].status in MANAGED_STATUSES else 1, x[0])

    first, second = sorted((a, b), key=rank)
    return first[1], second[1]


# -- merge and undo ------------------------------------------------------------------


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
    permissions.check(db, user, "merge_children")
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
            d.version += 1
            d.updated_at = now
        changes = list(s.scalars(select(StatusChange).where(StatusChange.child_id == dup.id)))
        for c in changes:
            c.child_id = keep.id
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
        dup.version += 1
        dup.updated_at = now
        keep.version += 1
        keep.updated_at = now
        row = ChildMerge(
            kept_child_id=keep.id,
            dup_child_id=dup.id,
            reason=(reason or "").strip() or None,
            moved_doses=json.dumps([d.uuid for d in doses]),
            moved_changes=json.dumps([c.id for c in changes]),
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


def _committee_name(s: Session, cid: Any) -> str | None:
    if cid is None:
        return None
    return s.scalar(select(Committee.name).where(Committee.id == int(cid)))


def undo_merge(db: Database, merge_id: int, *, user: str | None) -> MergeResult:
    """Put both records back as they were before merge ``merge_id``; audited.

    Moved doses and history go back to the duplicate, which is restored;
    fields filled on the kept child are emptied again unless changed since.
    """
    permissions.check(db, user, "undo_merge")
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
                d.version += 1
                d.updated_at = now
        change_ids: list[int] = json.loads(row.moved_changes)
        if change_ids:
            for c in s.scalars(select(StatusChange).where(StatusChange.id.in_(change_ids))):
                c.child_id = dup.id
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
        dup.version += 1
        dup.updated_at = now
        keep.version += 1
        keep.updated_at = now
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


# -- data quality --------------------------------------------------------------------


@dataclass(frozen=True)
class QualityIssue:
    kind: str
    child_code: str
    name: str
    detail: str

    @property
    def label(self) -> str:
        return QUALITY_KINDS[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "label": self.label}


@dataclass(frozen=True)
class QualityReport:
    """Counts per kind (every kind listed) and the issues (at most ``limit`` per kind)."""

    checked: int
    counts: dict[str, int]
    issues: tuple[QualityIssue, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "counts": {QUALITY_KINDS[k]: v for k, v in self.counts.items()},
            "issues": [i.to_json() for i in self.issues],
        }


def iter_quality_issues(db: Database, today: date | None = None, page_size: int = 2000) -> Iterator[QualityIssue]:
    """Every data-quality issue of the non-deleted children, child by child (keyset pages)."""
    today = today or date.today()
    cat = catalog()
    last = 0
    while True:
        with db.session() as s:
            rows = s.execute(
                select(
                    Child.id,
                    Child.code,
                    Child.name,
                    Child.sex,
                    Child.birth_date,
                    Child.mother_name,
                    Child.father_name,
                    Child.phone,
                    Committee.name,
                    Child.id_number,
                    Child.status,
                )
                .outerjoin(Committee, Committee.id == Child.committee_id)
                .where(Child.id > last, Child.deleted.is_(False))
                .order_by(Child.id)
                .limit(page_size)
            ).all()
            if not rows:
                return
            doses: dict[int, list[DoseFacts]] = defaultdict(list)
            for cid, code, number, day in s.execute(
                select(Dose.child_id, Dose.vaccine_code, Dose.dose_number, Dose.date).where(
                    Dose.child_id.in_([r[0] for r in rows]), Dose.deleted.is_(False)
                )
            ):
                vac = cat.get(code)
                doses[cid].append(DoseFacts(code, vac.abbr if vac else code, number, day))
        for r in rows:
            facts = ChildFacts(r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10])
            for kind, detail in child_quality(facts, today) + dose_quality(r[4], doses.get(r[0], [])):
                yield QualityIssue(kind, r[1], r[2], detail)
        last = rows[-1][0]


def quality_report(db: Database, today: date | None = None, *, limit_per_kind: int | None = 100) -> QualityReport:
    """The data-quality report (数据质量): counts per kind and the first issues of each kind."""
    counts: Counter[str] = Counter()
    kept: list[QualityIssue] = []
    for issue in iter_quality_issues(db, today):
        counts[issue.kind] += 1
        if limit_per_kind is None or counts[issue.kind] <= limit_per_kind:
            kept.append(issue)
    with db.session() as s:
        checked = int(s.scalar(select(func.count()).select_from(Child).where(Child.deleted.is_(False))) or 0)
    order = list(QUALITY_KINDS)
    kept.sort(key=lambda i: (order.index(i.kind), i.child_code))
    return QualityReport(checked, {k: counts.get(k, 0) for k in QUALITY_KINDS}, tuple(kept))
