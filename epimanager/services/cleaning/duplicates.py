"""Probable duplicate children among the whole register (数据清理), by the rule of
:func:`epimanager.domain.registry.duplicate_match`, with the record to keep suggested."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epimanager.domain.codes import MANAGED_STATUSES, Status
from epimanager.domain.registry import SCORE_ID, Match, Person, duplicate_match, name_pinyin
from epimanager.store.database import Database
from epimanager.store.models import Child, Committee, Dose


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
        d = {"child_code": self.code, **asdict(self)}  # ``code``: alias for one release
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
                    add(a, b, Match(SCORE_ID, "身份证号相同"))
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
