"""Importing doses, one chunk at a time (driven by :func:`epimanager.services.importer.run_import`).

A row is refused with its reason when its child is not on record, it breaks a rule of a dose, it
repeats an earlier row of the file exactly, or the schedule engine counts the dose as invalid
(with the child's stored doses and the chunk's; imported only with ``confirm_invalid``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from epimanager.domain.schedule import ChildFacts, Given
from epimanager.domain.validation import DoseInput, dose_problems
from epimanager.resources import catalog
from epimanager.services import audit
from epimanager.services.clinical import session_facts
from epimanager.services.import_rows import DOSE_COLUMNS, parse_dose_row
from epimanager.services.import_seen import SeenKeys
from epimanager.services.importer import RowError, Rows
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose, new_uuid
from epimanager.store.outbox import enqueue_rows


class _Had(NamedTuple):
    vaccine_code: str
    dose_number: int
    date: date


class DoseChunks:
    kind: str = "doses"
    required: tuple[str, ...] = DOSE_COLUMNS

    def __init__(
        self,
        db: Database,
        path: Path,
        *,
        user: str | None,
        today: date,
        confirm_invalid: bool,
        confirm_duplicate: bool = False,
    ) -> None:
        self.name, self.user, self.today, self.confirm_invalid = path.name, user, today, confirm_invalid
        self.confirm_duplicate = confirm_duplicate
        self.unit = db.own_unit_code()
        self.seen = SeenKeys()
        self._confirmed: list[RowError] = []
        self._confirmed_dup: list[RowError] = []
        #: a dry run's doses of earlier chunks (vaccine, number, date) per child, for the duplicate rule
        self._earlier_had: dict[int, list[_Had]] = {}
        #: a dry run's doses of earlier chunks per child (a real run has them in the database)
        self._earlier: dict[int, list[Given]] = {}

    def __enter__(self) -> DoseChunks:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        return None

    def confirmed(self) -> list[RowError]:
        return self._confirmed

    def confirmed_duplicates(self) -> list[RowError]:
        return self._confirmed_dup

    def check(self, s: Session, rows: Rows, errors: list[RowError], *, dry_run: bool) -> list[Any]:
        codes = {r.get("child_code", "").strip() for _, r in rows} - {""}
        children: dict[str, tuple[int, date]] = {
            code: (cid, birth)
            for cid, code, birth in s.execute(
                select(Child.id, Child.code, Child.birth_date).where(Child.code.in_(codes), Child.deleted.is_(False))
            )
        }
        good: list[tuple[int, int, DoseInput]] = []
        for line, row in rows:
            code = row.get("child_code", "").strip()
            try:
                inp = parse_dose_row(row, self.unit)
            except ValueError as exc:
                errors.append(RowError(line, str(exc)))
                continue
            if code not in children:
                errors.append(RowError(line, f"找不到儿童编码为 {code or '（空）'} 的个案"))
                continue
            cid, birth = children[code]
            problems = dose_problems(inp, birth, self.today)
            if not problems and (first := self.seen.first(("row", *row.values()), line)) is not None:
                problems = [f"与第 {first} 行完全相同（重复的行）"]
            if problems:
                errors.append(RowError(line, "；".join(problems)))
            else:
                good.append((line, cid, inp))
        # a duplicate is named as such (not by the invalid reason it also has)
        good = self._drop_duplicates(s, good, errors, dry_run=dry_run)
        invalid = self._invalid(s, good, dry_run=dry_run)
        kept = []
        for line, cid, inp in good:
            reason = invalid.get(line)
            if reason is None:
                kept.append((line, cid, inp))
            elif self.confirm_invalid:
                self._confirmed.append(RowError(line, f"{reason}（无效剂次，已确认导入）"))
                kept.append((line, cid, inp))
            else:
                errors.append(RowError(line, f"{reason}：无效剂次，未导入（确认无误可加 --confirm-invalid）"))
        if dry_run:
            cat = catalog()
            for _, cid, inp in kept:
                code = cat.resolve(inp.vaccine).code
                self._earlier.setdefault(cid, []).append(Given(code, inp.date))
                self._earlier_had.setdefault(cid, []).append(_Had(code, inp.dose_number, inp.date))
        return kept

    def _drop_duplicates(
        self, s: Session, good: list[tuple[int, int, DoseInput]], errors: list[RowError], *, dry_run: bool
    ) -> list[tuple[int, int, DoseInput]]:
        """The dose service's duplicate rule (:mod:`epimanager.services.dose_duplicates`) on the chunk's
        rows, against the child's stored doses and the earlier lines of the file: a duplicate is a bad
        row, or — with ``confirm_duplicate`` — imported and listed as confirmed."""
        from epimanager.services.dose_duplicates import find_clash
        from epimanager.services.doses import DuplicateDose

        cat = catalog()
        ids = sorted({cid for _, cid, _ in good})
        had: dict[int, list[_Had]] = {cid: list(self._earlier_had.get(cid, [])) if dry_run else [] for cid in ids}
        kids: dict[int, tuple[date, str, str, float | None]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = select(Dose.child_id, Dose.vaccine_code, Dose.dose_number, Dose.date)
            for cid, code, number, day in s.execute(q.where(Dose.child_id.in_(chunk), Dose.deleted.is_(False))):
                had[cid].append(_Had(code, number, day))
            q2 = select(Child.id, Child.birth_date, Child.sex, Child.mother_hbsag, Child.birth_weight_kg)
            for cid, birth, sex, hbsag, kg in s.execute(q2.where(Child.id.in_(chunk))):
                kids[cid] = (birth, sex, hbsag, kg)
        keep: list[tuple[int, int, DoseInput]] = []
        for line, cid, inp in good:
            birth, sex, hbsag, kg = kids[cid]
            vcode = cat.resolve(inp.vaccine).code

            def facts(cid: int = cid, hbsag: str = hbsag, kg: float | None = kg) -> ChildFacts:
                return session_facts(s, cid, hbsag, kg)

            clash = find_clash(birth, sex, had[cid], vcode, inp.dose_number, inp.date, facts=facts)
            if clash is not None:
                dup = DuplicateDose(clash)
                if not self.confirm_duplicate:
                    errors.append(RowError(line, f"{dup.message}：未导入（确属更正/补录可加 --confirm-duplicate）"))
                    continue
                self._confirmed_dup.append(
                    RowError(line, f"{dup.message.split('，')[0]}（重复剂次，已确认为更正/补录）")
                )
            had[cid].append(_Had(vcode, inp.dose_number, inp.date))
            keep.append((line, cid, inp))
        return keep

    def _invalid(self, s: Session, good: list[tuple[int, int, DoseInput]], *, dry_run: bool) -> dict[int, str]:
        """``line -> the engine's reasons`` for the chunk's doses that would not count.

        Each child is forecast once, with its stored doses and the chunk's imported ones.
        """
        from epimanager.services.doses import invalid_reasons
        from epimanager.services.forecast import engine

        cat = catalog()
        by_child: dict[int, list[tuple[int, str, date]]] = {}
        for line, cid, inp in good:
            by_child.setdefault(cid, []).append((line, cat.resolve(inp.vaccine).code, inp.date))
        out: dict[int, str] = {}
        eng = engine()
        for cid, new in by_child.items():
            child = s.get(Child, cid)
            assert child is not None
            stored = [Given(d.vaccine_code, d.date) for d in child.doses if not d.deleted]
            if dry_run:
                stored += self._earlier.get(cid, [])
            facts = session_facts(s, cid, child.mother_hbsag, child.birth_weight_kg)
            doses = stored + [Given(code, day) for _, code, day in new]
            last = max(d.date for d in doses)
            fc = eng.forecast(child.birth_date, max(last, child.birth_date), doses, child.sex, facts=facts)
            for line, code, day in new:
                reasons = invalid_reasons(ev for ev in fc.doses if ev.vaccine == code and ev.date == day)
                if reasons:
                    out[line] = "、".join(reasons)
        s.expunge_all()  # the children read here are not kept from chunk to chunk
        return out

    def write(self, s: Session, checked: list[Any]) -> int:
        now = datetime.now()
        cat = catalog()
        records = []
        for _, cid, inp in checked:
            vac = cat.resolve(inp.vaccine)
            records.append(
                {
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
            )
        s.execute(insert(Dose), records)
        enqueue_rows(s.connection(), "dose", [(str(r["uuid"]), 1) for r in records], now)
        return len(records)

    def audit(self, s: Session, count: int, first: int, last: int) -> None:
        audit.record(
            s,
            kind="import",
            entity="dose",
            entity_uuid=new_uuid(),
            child_id=None,
            user=self.user,
            new=f"导入接种记录 {count} 条（{self.name} 第 {first}–{last} 行）",
        )
