"""CSV / JSON import of children and doses.

Every row is checked first; invalid rows are reported with their line number
and reason and are not imported; all valid rows go in ONE transaction (so a
crash leaves the import entirely in or entirely out).  ``dry_run`` writes
nothing.  Files are read and rows parsed by :mod:`epimanager.services.import_rows`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from epimanager.domain.catalog import Vaccine
from epimanager.domain.identifiers import is_child_code
from epimanager.domain.schedule import ChildFacts, Given
from epimanager.domain.validation import ChildInput, DoseInput, child_problems, dose_problems
from epimanager.resources import catalog
from epimanager.services import audit
from epimanager.services.children import CHILD_COLUMNS, allocate_codes, child_values, reserve_code
from epimanager.services.clinical import session_facts
from epimanager.services.import_rows import DOSE_COLUMNS, parse_child_row, parse_dose_row, read_rows
from epimanager.services.search_index import bulk_index
from epimanager.services.units import committee_ids
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose, new_uuid
from epimanager.store.outbox import enqueue_rows

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class ImportReport:
    kind: str
    total: int
    imported: int
    errors: tuple[RowError, ...] = field(default_factory=tuple)
    dry_run: bool = False
    #: rows imported although the schedule engine counts the dose as invalid (confirmed by the caller)
    confirmed_invalid: tuple[RowError, ...] = field(default_factory=tuple)
    #: rows imported although the child already had the dose (confirmed as corrections/补录)
    confirmed_duplicate: tuple[RowError, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        what = "儿童" if self.kind == "children" else "接种记录"
        verb = "可导入" if self.dry_run else "已导入"
        s = f"共 {self.total} 行：{verb}{what} {self.imported} 条，错误 {len(self.errors)} 行"
        if self.confirmed_invalid:
            s += f"，其中无效剂次 {len(self.confirmed_invalid)} 条（已确认）"
        if self.confirmed_duplicate:
            s += f"，重复剂次 {len(self.confirmed_duplicate)} 条（已确认为更正/补录）"
        if self.dry_run:
            s += "（试运行，未写入数据库）"
        return s


def import_children(
    db: Database,
    path: Path,
    *,
    dry_run: bool = False,
    user: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    today = today or date.today()
    rows = read_rows(path, CHILD_COLUMNS)
    unit = db.own_unit_code()
    committees = committee_ids(db)
    errors: list[RowError] = []
    good: list[tuple[int, ChildInput]] = []
    seen_codes: dict[str, int] = {}
    for line, row in rows:
        try:
            inp = parse_child_row(row)
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        problems = child_problems(inp, today)
        if inp.committee and inp.committee not in committees:
            problems.append(f"区域划分“{inp.committee}”不存在")
        if inp.child_code and is_child_code(inp.child_code):
            if inp.child_code in seen_codes:
                problems.append(f"儿童编码 {inp.child_code} 与第 {seen_codes[inp.child_code]} 行重复")
            else:
                seen_codes[inp.child_code] = line
        if problems:
            errors.append(RowError(line, "；".join(problems)))
        else:
            good.append((line, inp))
    # codes that already exist in the database
    if seen_codes:
        existing = _existing_codes(db, list(seen_codes))
        if existing:
            kept = []
            for line, inp in good:
                if inp.child_code in existing:
                    errors.append(RowError(line, f"儿童编码 {inp.child_code} 已存在于数据库"))
                else:
                    kept.append((line, inp))
            good = kept
    errors.sort(key=lambda e: e.line)
    if dry_run or not good:
        return ImportReport("children", len(rows), len(good), tuple(errors), dry_run)
    now = datetime.now()
    with db.transaction() as s:
        next_id = (s.scalar(select(func.max(Child.id))) or 0) + 1
        by_year: dict[int, list[int]] = {}
        for i, (_, inp) in enumerate(good):
            if inp.child_code:
                reserve_code(s, inp.child_code)
            else:
                by_year.setdefault(inp.birth_date.year, []).append(i)
        codes: dict[int, str] = {}
        for year, idx in by_year.items():
            for i, code in zip(idx, allocate_codes(s, unit, year, len(idx)), strict=True):
                codes[i] = code
        s.flush()
        records: list[dict[str, Any]] = []
        index_rows: list[tuple[int, str, str | None, str | None]] = []
        for i, (_, inp) in enumerate(good):
            cid = next_id + i
            records.append(
                {
                    "id": cid,
                    "uuid": new_uuid(),
                    "code": inp.child_code or codes[i],
                    **child_values(inp),
                    "committee_id": committees.get(inp.committee) if inp.committee else None,
                    "managing_unit": unit,
                    "created_unit": unit,
                    "created_at": now,
                    "updated_at": now,
                    "created_by": user,
                    "version": 1,
                    "deleted": False,
                }
            )
            index_rows.append((cid, inp.name.strip(), inp.mother_name, inp.father_name))
        for start in range(0, len(records), 5000):
            s.execute(insert(Child), records[start : start + 5000])
            if progress:
                progress(start + len(records[start : start + 5000]), len(records))
        bulk_index(s.connection(), index_rows)
        enqueue_rows(s.connection(), "child", [(r["uuid"], 1) for r in records], now)
        audit.record(
            s,
            kind="import",
            entity="child",
            entity_uuid=new_uuid(),
            child_id=None,
            user=user,
            new=f"导入儿童 {len(records)} 条（{Path(path).name}）",
        )
    log.info("import children: %d rows, %d imported, %d rejected", len(rows), len(good), len(errors))
    return ImportReport("children", len(rows), len(good), tuple(errors), False)


def _existing_codes(db: Database, codes: list[str]) -> set[str]:
    found: set[str] = set()
    with db.session() as s:
        for start in range(0, len(codes), 500):
            chunk = codes[start : start + 500]
            found.update(s.scalars(select(Child.code).where(Child.code.in_(chunk))).all())
    return found


def _invalid_doses(db: Database, good: list[tuple[int, DoseInput]], lines: list[int]) -> dict[int, str]:
    """``line -> the engine's reasons`` for the imported doses that would not count.

    Each child is forecast once, with its stored doses and all its imported ones.
    """
    from epimanager.services.doses import invalid_reasons
    from epimanager.services.forecast import engine

    cat = catalog()
    by_child: dict[int, list[tuple[int, str, date]]] = {}
    for (cid, inp), line in zip(good, lines, strict=True):
        by_child.setdefault(cid, []).append((line, cat.resolve(inp.vaccine).code, inp.date))
    out: dict[int, str] = {}
    eng = engine()
    with db.session() as s:
        for cid, new in by_child.items():
            child = s.get(Child, cid)
            assert child is not None
            stored = [Given(d.vaccine_code, d.date) for d in child.doses if not d.deleted]
            facts = session_facts(s, cid, child.mother_hbsag, child.birth_weight_kg)
            doses = stored + [Given(code, day) for _, code, day in new]
            last = max(d.date for d in doses)
            fc = eng.forecast(child.birth_date, max(last, child.birth_date), doses, child.sex, facts=facts)
            for line, code, day in new:
                reasons = invalid_reasons(ev for ev in fc.doses if ev.vaccine == code and ev.date == day)
                if reasons:
                    out[line] = "、".join(reasons)
    return out


def import_doses(
    db: Database,
    path: Path,
    *,
    dry_run: bool = False,
    user: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    confirm_invalid: bool = False,
    confirm_duplicate: bool = False,
) -> ImportReport:
    """Import doses; every bad row is listed with its line and skipped, the good ones go in together.

    A dose the schedule engine counts as invalid (with the child's other doses, stored and
    imported) is a bad row with the engine's reason unless ``confirm_invalid``; then it is imported
    and listed in ``confirmed_invalid`` — the same rule as :func:`epimanager.services.doses.add_dose`.
    A dose the child already has (stored, or on an earlier line of the file) is a bad row unless
    ``confirm_duplicate`` (then listed in ``confirmed_duplicate``): the service's rule
    (:func:`~epimanager.services.dose_duplicates.find_clash`), checked inside the write transaction.
    """
    today = today or date.today()
    rows = read_rows(path, DOSE_COLUMNS)
    unit = db.own_unit_code()
    codes = sorted({r.get("child_code", "").strip() for _, r in rows if r.get("child_code", "").strip()})
    children: dict[str, tuple[int, date]] = {}
    with db.session() as s:
        for start in range(0, len(codes), 500):
            chunk = codes[start : start + 500]
            for cid, code, birth in s.execute(
                select(Child.id, Child.code, Child.birth_date).where(Child.code.in_(chunk), Child.deleted.is_(False))
            ):
                children[code] = (cid, birth)
    errors: list[RowError] = []
    good: list[tuple[int, DoseInput]] = []
    lines: list[int] = []
    for line, row in rows:
        code = row.get("child_code", "").strip()
        try:
            inp = parse_dose_row(row, unit)
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        if code not in children:
            errors.append(RowError(line, f"找不到儿童编码为 {code or '（空）'} 的个案"))
            continue
        cid, birth = children[code]
        problems = dose_problems(inp, birth, today)
        if problems:
            errors.append(RowError(line, "；".join(problems)))
        else:
            good.append((cid, inp))
            lines.append(line)
    # a duplicate is named as such (not by the invalid reason it also has); checked again below,
    # inside the write transaction, against what is stored then
    with db.session() as s:
        good, lines, _ = _drop_duplicates(s, good, lines, errors, confirm_duplicate)
    invalid = _invalid_doses(db, good, lines)
    confirmed: list[RowError] = []
    if invalid:
        if confirm_invalid:
            confirmed = [RowError(line, f"{reason}（无效剂次，已确认导入）") for line, reason in invalid.items()]
        else:
            errors.extend(
                RowError(line, f"{reason}：无效剂次，未导入（确认无误可加 --confirm-invalid）")
                for line, reason in invalid.items()
            )
            errors.sort(key=lambda e: e.line)
            kept = [(g, line) for g, line in zip(good, lines, strict=True) if line not in invalid]
            good, lines = [g for g, _ in kept], [line for _, line in kept]
    if dry_run or not good:
        with db.session() as s:
            good, lines, confirmed_dup = _drop_duplicates(s, good, lines, errors, confirm_duplicate)
        return ImportReport("doses", len(rows), len(good), tuple(errors), dry_run, tuple(confirmed), confirmed_dup)
    now = datetime.now()
    cat = catalog()
    with db.transaction() as s:
        good, lines, confirmed_dup = _drop_duplicates(s, good, lines, errors, confirm_duplicate)
        records = [_dose_values(cid, inp, cat.resolve(inp.vaccine), now) for cid, inp in good]
        for start in range(0, len(records), 5000):
            s.execute(insert(Dose), records[start : start + 5000])
            if progress:
                progress(min(start + 5000, len(records)), len(records))
        if records:
            enqueue_rows(s.connection(), "dose", [(str(r["uuid"]), 1) for r in records], now)
            audit.record(
                s,
                kind="import",
                entity="dose",
                entity_uuid=new_uuid(),
                child_id=None,
                user=user,
                new=f"导入接种记录 {len(records)} 条（{Path(path).name}）",
            )
    log.info("import doses: %d rows, %d imported, %d rejected", len(rows), len(good), len(errors))
    return ImportReport("doses", len(rows), len(good), tuple(errors), False, tuple(confirmed), confirmed_dup)


def _dose_values(cid: int, inp: DoseInput, vac: Vaccine, now: datetime) -> dict[str, Any]:
    return {
        "uuid": new_uuid(),
        "child_id": cid,
        "vaccine_code": vac.code,
        "dose_number": inp.dose_number,
        "date": inp.date,
        "attribute": int(inp.attribute),
        "batch_no": inp.batch_no,
        "expiry": None,
        "manufacturer": inp.manufacturer,
        "site": inp.site or vac.site,
        "route": vac.route,
        "nurse": None,
        "unit_code": inp.unit_code,
        "place_text": inp.place_text,
        "free": vac.nip,
        "trace_code": None,
        "combination_code": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "deleted": False,
    }


class _Had(NamedTuple):
    vaccine_code: str
    dose_number: int
    date: date


def _drop_duplicates(
    s: Session, good: list[tuple[int, DoseInput]], lines: list[int], errors: list[RowError], confirm: bool
) -> tuple[list[tuple[int, DoseInput]], list[int], tuple[RowError, ...]]:
    """The dose service's duplicate rule on the rows to import, against the stored doses read in
    ``s`` and the earlier lines of the file: a duplicate row is added to ``errors`` (or, when
    ``confirm``, kept and returned as confirmed); returns the rows to import and their lines."""
    from epimanager.services.dose_duplicates import find_clash
    from epimanager.services.doses import DuplicateDose

    cat = catalog()
    ids = sorted({cid for cid, _ in good})
    had: dict[int, list[_Had]] = {cid: [] for cid in ids}
    kids: dict[int, tuple[date, str, str, float | None]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        q = select(Dose.child_id, Dose.vaccine_code, Dose.dose_number, Dose.date)
        for cid, code, number, day in s.execute(q.where(Dose.child_id.in_(chunk), Dose.deleted.is_(False))):
            had[cid].append(_Had(code, number, day))
        q2 = select(Child.id, Child.birth_date, Child.sex, Child.mother_hbsag, Child.birth_weight_kg)
        for cid, birth, sex, hbsag, kg in s.execute(q2.where(Child.id.in_(chunk))):
            kids[cid] = (birth, sex, hbsag, kg)
    keep: list[tuple[int, DoseInput]] = []
    kept_lines: list[int] = []
    confirmed: list[RowError] = []
    dropped = False
    for (cid, inp), line in zip(good, lines, strict=True):
        birth, sex, hbsag, kg = kids[cid]
        vcode = cat.resolve(inp.vaccine).code

        def facts(cid: int = cid, hbsag: str = hbsag, kg: float | None = kg) -> ChildFacts:
            return session_facts(s, cid, hbsag, kg)

        clash = find_clash(birth, sex, had[cid], vcode, inp.dose_number, inp.date, facts=facts)
        dup = DuplicateDose(clash) if clash is not None else None
        if dup is not None and not confirm:
            errors.append(RowError(line, f"{dup.message}：未导入（确属更正/补录可加 --confirm-duplicate）"))
            dropped = True
            continue
        if dup is not None:
            confirmed.append(RowError(line, f"{dup.message.split('，')[0]}（重复剂次，已确认为更正/补录）"))
        had[cid].append(_Had(vcode, inp.dose_number, inp.date))
        keep.append((cid, inp))
        kept_lines.append(line)
    if dropped:
        errors.sort(key=lambda e: e.line)
    return keep, kept_lines, tuple(confirmed)
