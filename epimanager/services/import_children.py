"""Importing children, one chunk at a time (driven by :func:`epimanager.services.importer.run_import`).

A row is refused with its reason when it breaks a rule of a child (the same rules as a new child
in the GUI), names an unknown 区域划分, carries a child code that is not one of this unit's for
that birth year (:func:`epimanager.domain.identifiers.child_code_problem`), repeats an earlier
row of the file (the same row, child code, ID number, or name + birth date + mother), or is
already on record (child code, ID number, or the same name + birth date + mother). The ids of new
children are the database's (another desk may be adding children meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from epimanager.domain.identifiers import child_code_problem, is_child_code, normalize_id_number
from epimanager.domain.validation import ChildInput, child_problems
from epimanager.errors import EpiError
from epimanager.services import audit
from epimanager.services.children import CHILD_COLUMNS, allocate_codes, child_values, reserve_code
from epimanager.services.import_rows import parse_child_row
from epimanager.services.import_seen import SeenKeys
from epimanager.services.importer import RowError, Rows
from epimanager.services.search_index import bulk_index
from epimanager.services.units import committee_ids
from epimanager.store.database import Database
from epimanager.store.models import Child, ChildCodeSerial, new_uuid
from epimanager.store.outbox import enqueue_rows


@dataclass(frozen=True)
class _Good:
    line: int
    inp: ChildInput
    code: str = ""


def _who(inp: ChildInput) -> tuple[str, date, str, str]:
    """The same child: name, birth date and mother (the father when no mother is given)."""
    mother = (inp.mother_name or "").strip()
    return (inp.name.strip(), inp.birth_date, mother, "" if mother else (inp.father_name or "").strip())


class ChildChunks:
    kind: str = "children"
    required: tuple[str, ...] = CHILD_COLUMNS

    def __init__(self, db: Database, path: Path, *, user: str | None, today: date) -> None:
        self.db, self.name, self.user, self.today = db, path.name, user, today
        self.unit = db.own_unit_code()
        self.committees = committee_ids(db)
        self.seen = SeenKeys()
        #: a dry run's code serials after its earlier chunks (each chunk's session is rolled back)
        self._serials: dict[tuple[str, int], int] | None = None
        #: birth years found with no serial left, and why: codes are never freed (a deleted child keeps
        #: its code), so their later rows are refused without reading the year's 9,999 codes each chunk
        self._full: dict[int, str] = {}

    def __enter__(self) -> ChildChunks:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        return None

    def _restore_serials(self, s: Session) -> None:
        for (unit, year), last in (self._serials or {}).items():
            row = s.get(ChildCodeSerial, (unit, year))
            if row is None:
                s.add(ChildCodeSerial(unit_code=unit, year=year, last_serial=last))
            else:
                row.last_serial = last

    def _keep_serials(self, s: Session) -> None:
        s.flush()
        self._serials = {(r.unit_code, r.year): r.last_serial for r in s.scalars(select(ChildCodeSerial))}

    def confirmed(self) -> list[RowError]:
        return []

    # -- checks -------------------------------------------------------------------------------

    def check(self, s: Session, rows: Rows, errors: list[RowError], *, dry_run: bool) -> list[Any]:
        good: list[_Good] = []
        for line, row in rows:
            try:
                inp = parse_child_row(row)
            except ValueError as exc:
                errors.append(RowError(line, str(exc)))
                continue
            problems = child_problems(inp, self.today)
            if inp.committee and inp.committee not in self.committees:
                problems.append(f"区域划分“{inp.committee}”不存在")
            if inp.child_code and is_child_code(inp.child_code):
                problem = child_code_problem(inp.child_code, self.unit, inp.birth_date)
                if problem:
                    problems.append(problem)
            if not problems:
                problems = self._repeats(line, row, inp)
            if problems:
                errors.append(RowError(line, "；".join(problems)))
            else:
                good.append(_Good(line, inp))
        good = self._not_on_record(s, good, errors)
        if not dry_run:
            return self._with_codes(s, good, errors)
        # a dry run allocates the codes as a real run would, then its session is rolled back:
        # the serials are carried from chunk to chunk here
        self._restore_serials(s)
        out = self._with_codes(s, good, errors)
        self._keep_serials(s)
        return out

    def _repeats(self, line: int, row: dict[str, str], inp: ChildInput) -> list[str]:
        first = self.seen.first(("row", *row.values()), line)
        if first is not None:
            return [f"与第 {first} 行完全相同（重复的行）"]
        out = []
        if inp.child_code and (first := self.seen.first(("code", inp.child_code), line)) is not None:
            out.append(f"儿童编码 {inp.child_code} 与第 {first} 行重复")
        idn = normalize_id_number(inp.id_number) if inp.id_number else None
        if idn and (first := self.seen.first(("id", idn), line)) is not None:
            out.append(f"身份证号与第 {first} 行相同")
        if (first := self.seen.first(("who", *_who(inp)), line)) is not None:
            out.append(f"与第 {first} 行是同一儿童（姓名、出生日期、母亲姓名相同）")
        return out

    def _not_on_record(self, s: Session, good: list[_Good], errors: list[RowError]) -> list[_Good]:
        if not good:
            return good
        codes = {g.inp.child_code for g in good if g.inp.child_code}
        taken = set(s.scalars(select(Child.code).where(Child.code.in_(codes)))) if codes else set()
        ids = {normalize_id_number(g.inp.id_number) for g in good if g.inp.id_number}
        by_id: dict[str | None, str] = {}
        if ids:
            query = select(Child.id_number, Child.code).where(Child.id_number.in_(ids), Child.deleted.is_(False))
            by_id = {idn: code for idn, code in s.execute(query)}
        names = {g.inp.name.strip() for g in good}
        births = {g.inp.birth_date for g in good}
        by_who: dict[tuple[str, date, str, str], str] = {}
        for code, name, birth, mother, father in s.execute(
            select(Child.code, Child.name, Child.birth_date, Child.mother_name, Child.father_name).where(
                Child.name.in_(names), Child.birth_date.in_(births), Child.deleted.is_(False)
            )
        ):
            m = (mother or "").strip()
            by_who[(name, birth, m, "" if m else (father or "").strip())] = code
        kept = []
        for g in good:
            idn = normalize_id_number(g.inp.id_number) if g.inp.id_number else None
            if g.inp.child_code in taken:
                errors.append(RowError(g.line, f"儿童编码 {g.inp.child_code} 已存在于数据库"))
            elif idn and idn in by_id:
                errors.append(RowError(g.line, f"身份证号已属于在档儿童 {by_id[idn]}，未导入"))
            elif (other := by_who.get(_who(g.inp))) is not None:
                errors.append(
                    RowError(g.line, f"与在档儿童 {other} 是同一儿童（姓名、出生日期、母亲姓名相同），未导入")
                )
            else:
                kept.append(g)
        return kept

    def _with_codes(self, s: Session, good: list[_Good], errors: list[RowError]) -> list[Any]:
        """Given codes reserved, the others allocated per birth year (a year out of serials fails its rows only)."""
        out: list[_Good] = []
        by_year: dict[int, list[_Good]] = {}
        for g in good:
            if g.inp.child_code:
                reserve_code(s, g.inp.child_code)
                out.append(_Good(g.line, g.inp, g.inp.child_code))
            else:
                by_year.setdefault(g.inp.birth_date.year, []).append(g)
        for year, rows in by_year.items():
            if year in self._full:
                errors.extend(RowError(g.line, self._full[year]) for g in rows)
                continue
            try:
                codes = allocate_codes(s, self.unit, year, len(rows))
            except (ValueError, EpiError):
                codes = self._one_by_one(s, year, len(rows))
            for g, code in zip(rows, codes + [""] * (len(rows) - len(codes)), strict=True):
                if code.startswith("错误："):
                    errors.append(RowError(g.line, code.removeprefix("错误：")))
                elif code:
                    out.append(_Good(g.line, g.inp, code))
        out.sort(key=lambda g: g.line)
        return out

    def _one_by_one(self, s: Session, year: int, count: int) -> list[str]:
        """Codes while the year has serials left, then the reason for each row left without one."""
        codes: list[str] = []
        while len(codes) < count:
            try:  # the codes of this chunk are written later: each call must know the ones before it
                codes.append(allocate_codes(s, self.unit, year, 1, exclude=set(codes))[0])
            except (ValueError, EpiError) as exc:
                codes += ["错误：" + str(exc)] * (count - len(codes))
                self._full[year] = str(exc)
        return codes

    # -- writing ------------------------------------------------------------------------------

    def write(self, s: Session, checked: list[Any]) -> int:
        now = datetime.now()
        records: list[dict[str, Any]] = []
        for g in checked:
            records.append(
                {
                    "uuid": new_uuid(),
                    "code": g.code,
                    **child_values(g.inp),
                    "committee_id": self.committees.get(g.inp.committee) if g.inp.committee else None,
                    "managing_unit": self.unit,
                    "created_unit": self.unit,
                    "created_at": now,
                    "updated_at": now,
                    "created_by": self.user,
                    "version": 1,
                    "deleted": False,
                }
            )
        s.flush()  # the reserved / allocated serials
        # the database assigns the ids (another desk may be adding children at the same time)
        conn = s.connection()
        conn.execute(insert(Child), records)
        ids = dict(conn.execute(select(Child.code, Child.id).where(Child.code.in_([r["code"] for r in records]))).all())
        bulk_index(conn, ((ids[g.code], g.inp.name.strip(), g.inp.mother_name, g.inp.father_name) for g in checked))
        enqueue_rows(conn, "child", [(r["uuid"], 1) for r in records], now)
        return len(records)

    def audit(self, s: Session, count: int, first: int, last: int) -> None:
        audit.record(
            s,
            kind="import",
            entity="child",
            entity_uuid=new_uuid(),
            child_id=None,
            user=self.user,
            new=f"导入儿童 {count} 条（{self.name} 第 {first}–{last} 行）",
        )
