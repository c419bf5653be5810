"""Importing doses, one chunk at a time (driven by :func:`epimanager.services.importer.run_import`).

A row is refused with its reason when its child is not on record, it breaks a rule of a dose, it
repeats an earlier row of the file exactly, or the schedule engine counts the dose as invalid
(with the child's stored doses and the chunk's; imported only with ``confirm_invalid``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from epimanager.domain.schedule import Given
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


class DoseChunks:
    kind: str = "doses"
    required: tuple[str, ...] = DOSE_COLUMNS

    def __init__(self, db: Database, path: Path, *, user: str | None, today: date, confirm_invalid: bool) -> None:
        self.name, self.user, self.today, self.confirm_invalid = path.name, user, today, confirm_invalid
        self.unit = db.own_unit_code()
        self.seen = SeenKeys()
        self._confirmed: list[RowError] = []
        #: a dry run's doses of earlier chunks per child (a real run has them in the database)
        self._earlier: dict[int, list[Given]] = {}

    def __enter__(self) -> DoseChunks:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        return None

    def confirmed(self) -> list[RowError]:
        return self._confirmed

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
                self._earlier.setdefault(cid, []).append(Given(cat.resolve(inp.vaccine).code, inp.date))
        return kept

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
