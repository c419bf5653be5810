"""Forecasts for the GUI, the CLI and the reports; the 免疫空白 (gap) query.

Schedule files are read from ``resources/schedules/`` once per process and
compiled into one :class:`~epimanager.domain.schedule.ScheduleEngine`.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain.catalog import Catalog
from epimanager.domain.codes import MANAGED_STATUSES, Sex
from epimanager.domain.dates import add_years, parse_date
from epimanager.domain.schedule import (
    ChildFacts,
    Forecast,
    Given,
    GivenDose,
    ScheduleDataError,
    ScheduleEngine,
    SeriesForecast,
    SeriesStatus,
    compile_versions,
)
from epimanager.domain.schedule.facts import HBSAG_VALUES, NO_FACTS
from epimanager.errors import EpiError, ValidationError
from epimanager.resources import catalog, resource_path
from epimanager.services import deferrals
from epimanager.services.children import get_child
from epimanager.services.clinical import child_facts, facts_from
from epimanager.services.records import ChildRecord
from epimanager.services.units import require_committee_ids
from epimanager.store.database import Database
from epimanager.store.models import Child, Committee, Dose
from epimanager.store.models_clinical import ChildImmunoglobulin

SCHEDULE_DIR = "schedules"


def load_schedule_data(folder: Path | None = None) -> list[dict[str, Any]]:
    """The raw schedule versions: every ``resources/schedules/*.json`` (or ``folder/*.json``)."""
    folder = folder or resource_path(SCHEDULE_DIR)
    files = sorted(folder.glob("*.json"))
    if not files:
        raise EpiError(f"找不到免疫程序数据：{folder}")
    raw: list[dict[str, Any]] = []
    for path in files:
        try:
            raw.append(json.loads(path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EpiError(f"免疫程序数据有误：{path.name} 不是有效的 UTF-8 JSON（{exc}）") from None
    return raw


def build_engine(raw: Sequence[Mapping[str, Any]], cat: Catalog) -> ScheduleEngine:
    """Compile raw schedule versions into an engine (Chinese error on bad data)."""
    try:
        return ScheduleEngine(compile_versions(raw, cat), cat)
    except ScheduleDataError as e:
        raise EpiError(f"免疫程序数据有误：{e}") from None


@cache
def engine() -> ScheduleEngine:
    """The engine over the bundled schedules (built once per process)."""
    return build_engine(load_schedule_data(), catalog())


# -- one child ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """A child's facts as given in a ``--case`` file."""

    birth_date: date
    sex: str | None
    as_of: date
    doses: tuple[Given, ...]
    facts: ChildFacts = NO_FACTS


#: ``mother_hbsag`` spellings accepted in a case file
_HBSAG = {"阳性": "positive", "阴性": "negative", "不详": "unknown", "+": "positive", "-": "negative"}


def parse_case(data: Any, on: date | None = None) -> Case:
    """Validate a ``--case`` object; ``on`` overrides its ``as_of`` (default today).

    Keys: ``birth_date``, ``sex``, ``as_of``, ``doses`` [{vaccine, date}],
    ``mother_hbsag`` (positive/negative/unknown), ``birth_weight_g``,
    ``immunoglobulin`` [{product, date}]; unknown keys are ignored.  Raises
    :class:`ValidationError` listing every problem found, each naming its key.
    """
    if not isinstance(data, Mapping):
        raise ValidationError("病例文件应为 JSON 对象")
    problems: list[str] = []
    birth = _date_field(data, "birth_date", "出生日期", problems, required=True)
    as_of = on or _date_field(data, "as_of", "预测日期", problems, required=False) or date.today()
    sex_text = data.get("sex")
    sex: str | None = None
    if sex_text not in (None, ""):
        try:
            sex = Sex.parse(str(sex_text)).value
        except ValueError as e:
            problems.append(f"性别（sex）：{e}")
    doses: list[Given] = []
    raw_doses = data.get("doses", [])
    if not isinstance(raw_doses, list):
        problems.append("doses 应为列表")
        raw_doses = []
    cat = catalog()
    for n, d in enumerate(raw_doses, start=1):
        if not isinstance(d, Mapping):
            problems.append(f"第{n}条接种记录应为对象")
            continue
        vac = cat.get(str(d.get("vaccine", "")))
        if vac is None:
            problems.append(f"第{n}条接种记录：未知疫苗“{d.get('vaccine', '')}”（doses.vaccine）")
        day = _date_field(d, "date", f"第{n}条接种记录的日期", problems, required=True, where="doses.")
        if vac is not None and day is not None:
            if birth is not None and day < birth:
                problems.append(f"第{n}条接种记录：接种日期早于出生日期")
            doses.append(Given(vac.code, day))
    if birth is not None and as_of < birth:
        problems.append("预测日期早于出生日期")
    facts = _parse_facts(data, birth, problems)
    if problems or birth is None:
        raise ValidationError(problems)
    return Case(birth, sex, as_of, tuple(doses), facts)


def _parse_facts(data: Mapping[str, Any], birth: date | None, problems: list[str]) -> ChildFacts:
    """``mother_hbsag``, ``birth_weight_g`` and ``immunoglobulin`` of a case file."""
    hbsag: str | None = None
    raw = data.get("mother_hbsag")
    if raw not in (None, ""):
        text = str(raw).strip()
        hbsag = _HBSAG.get(text, text.lower())
        if hbsag not in HBSAG_VALUES:
            problems.append(f"母亲HBsAg（mother_hbsag）应为 positive、negative 或 unknown：“{raw}”")
            hbsag = None
    weight: int | None = None
    raw = data.get("birth_weight_g")
    if raw not in (None, ""):
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            problems.append(f"出生体重（birth_weight_g）应为克数，如 1800：“{raw}”")
        else:
            try:
                grams = float(raw)
            except ValueError:
                grams = -1.0
            if not 200 <= grams <= 10000:
                problems.append(f"出生体重（birth_weight_g）应为 200–10000 克：“{raw}”")
            else:
                weight = round(grams)
    entries: list[tuple[str, date]] = []
    raw = data.get("immunoglobulin", [])
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        problems.append("immunoglobulin 应为列表")
        raw = []
    for n, g in enumerate(raw, start=1):
        if not isinstance(g, Mapping):
            problems.append(f"immunoglobulin 第{n}条应为对象")
            continue
        product = g.get("product") or "免疫球蛋白"
        if not isinstance(product, str):
            problems.append(f"immunoglobulin 第{n}条的 product 应为文字")
            continue
        day = _date_field(g, "date", f"immunoglobulin 第{n}条的日期", problems, required=True, where="immunoglobulin.")
        if day is None:
            continue
        if birth is not None and day < birth:
            problems.append(f"immunoglobulin 第{n}条：日期早于出生日期")
            continue
        entries.append((product.strip() or "免疫球蛋白", day))
    facts = facts_from(None, None, entries)
    return ChildFacts(hbsag, weight, facts.immunoglobulin)


def _date_field(
    obj: Mapping[str, Any], key: str, label: str, problems: list[str], *, required: bool, where: str = ""
) -> date | None:
    value = obj.get(key)
    if value in (None, ""):
        if required:
            problems.append(f"缺少{label}（{where}{key}）")
        return None
    try:
        return parse_date(str(value))
    except ValueError as e:
        problems.append(f"{label}（{where}{key}）：{e}")
        return None


def forecast_case(data: Any, on: date | None = None, preferences: Mapping[str, str] | None = None) -> Forecast:
    """Forecast a child described by a ``--case`` object."""
    case = parse_case(data, on)
    return engine().forecast(case.birth_date, case.as_of, case.doses, case.sex, preferences, facts=case.facts)


def forecast_child(
    db: Database, code: str, on: date | None = None, preferences: Mapping[str, str] | None = None
) -> Forecast:
    """Forecast a stored child (its non-deleted doses) on ``on`` (default today); 预检's 暂缓 / 禁忌 shown."""
    child = get_child(db, code)
    as_of = on or date.today()
    if as_of < child.birth_date:
        raise ValidationError("预测日期早于出生日期")
    facts = child_facts(db, child.id, child.mother_hbsag, child.birth_weight_kg)
    fc = engine().forecast(child.birth_date, as_of, child.doses, child.sex, preferences, facts=facts)
    return with_deferrals(db, child.id, fc)


def with_deferrals(db: Database, child_id: int, fc: Forecast) -> Forecast:
    """``fc`` with the child's 预检 暂缓 / 禁忌 in force on its date (see :mod:`services.deferrals`)."""
    with db.session() as s:
        return deferrals.apply_for(s, child_id, fc)


def record_facts(db: Database, child: ChildRecord) -> ChildFacts:
    """The clinical facts of a child already read (its HBsAg, weight and immunoglobulin entries)."""
    return child_facts(db, child.id, child.mother_hbsag, child.birth_weight_kg)


def forecast_record(
    db: Database,
    child: ChildRecord,
    as_of: date,
    doses: Sequence[GivenDose] | None = None,
    preferences: Mapping[str, str] | None = None,
    facts: ChildFacts | None = None,
) -> Forecast:
    """Forecast a child already read (the GUI's open child), with its clinical facts and 预检's
    暂缓 / 禁忌 in force on ``as_of``.

    ``doses`` replaces the child's doses (to judge a dose before saving it).
    """
    if facts is None:
        facts = record_facts(db, child)
    fc = engine().forecast(
        child.birth_date,
        max(as_of, child.birth_date),
        child.doses if doses is None else doses,
        child.sex,
        preferences,
        facts=facts,
    )
    return with_deferrals(db, child.id, fc)


def forecast_json(fc: Forecast) -> dict[str, Any]:
    """The ``--json`` shape, with vaccine abbreviations (HepB, IPV, bOPV …)."""
    return fc.to_dict(_abbreviations())


@cache
def _abbreviations() -> dict[str, str]:
    return {v.code: v.abbr for v in catalog().vaccines}


# -- 免疫空白 (immunization gap) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class GapChild:
    """A managed child with at least one due or overdue dose on the query date."""

    code: str
    name: str
    sex: str
    birth_date: date
    committee: str | None
    due: tuple[SeriesForecast, ...]
    id: int = 0
    mother_name: str | None = None
    father_name: str | None = None
    phone: str | None = None
    address: str | None = None


_OPEN = (SeriesStatus.DUE, SeriesStatus.OVERDUE)


def resolve_series(text: str) -> frozenset[str]:
    """A series id (``MMR``) or any vaccine name/code (``麻腮风``, ``1201``) → series ids."""
    t = text.strip()
    known = {s.id.upper(): s.id for v in engine().versions for s in v.series}
    if t.upper() in known:
        return frozenset({known[t.upper()]})
    vac = catalog().get(t)
    if vac is None or not vac.counts_for:
        raise ValidationError(f"未知疫苗或系列：“{text}”（例：HepB、MMR、麻腮风、0201）")
    return frozenset(vac.counts_for)


def gap_scan(
    db: Database,
    on: date,
    series: str | None = None,
    committee: str | None = None,
    preferences: Mapping[str, str] | None = None,
    after_id: int = 0,
    page_size: int = 2000,
) -> Generator[tuple[int, GapChild | None], None, None]:
    """Walk the managed children after ``after_id`` in id order; for each one evaluated yield
    ``(id, GapChild)`` when a dose is due or overdue on ``on``, else ``(id, None)``.

    Only children whose 在册 status is managed here and who are not deleted are
    considered; children 18 or older are skipped (nothing is given any more).
    ``series`` filters by series or vaccine, ``committee`` by 区域划分 name or code.
    Children are read ``page_size`` at a time by id (keyset paging), each page
    with one dose query, so memory stays flat and a caller may stop at any child.
    """
    wanted = resolve_series(series) if series else None
    eng = engine()
    oldest = add_years(on, -18)
    managed = [int(s) for s in MANAGED_STATUSES]
    with db.session() as s:
        committee_ids = _committee_ids(s, db, committee) if committee else None
        names = {int(i): str(n) for i, n in s.execute(select(Committee.id, Committee.name))}
        last_id = after_id
        while True:
            q = (
                select(
                    Child.id,
                    Child.code,
                    Child.name,
                    Child.sex,
                    Child.birth_date,
                    Child.committee_id,
                    Child.mother_name,
                    Child.father_name,
                    Child.phone,
                    Child.address,
                    Child.mother_hbsag,
                    Child.birth_weight_kg,
                )
                .where(
                    Child.id > last_id,
                    Child.deleted.is_(False),
                    Child.status.in_(managed),
                    Child.birth_date <= on,
                    Child.birth_date > oldest,
                )
                .order_by(Child.id)
                .limit(page_size)
            )
            if committee_ids is not None:
                q = q.where(Child.committee_id.in_(committee_ids))
            rows = s.execute(q).all()
            if not rows:
                return
            last_id = rows[-1][0]
            doses: dict[int, list[Given]] = {row[0]: [] for row in rows}
            dq = select(Dose.child_id, Dose.vaccine_code, Dose.date).where(
                Dose.child_id.in_(list(doses)), Dose.deleted.is_(False), Dose.date <= on
            )
            for child_id, code, day in s.execute(dq):
                doses[child_id].append(Given(code, day))
            igs: dict[int, list[tuple[str, date]]] = {}
            iq = select(ChildImmunoglobulin.child_id, ChildImmunoglobulin.product, ChildImmunoglobulin.date).where(
                ChildImmunoglobulin.child_id.in_(list(doses)), ChildImmunoglobulin.date <= on
            )
            for child_id, product, day in s.execute(iq):
                igs.setdefault(child_id, []).append((product, day))
            for cid, code, name, sex, birth, comm, mother, father, phone, address, hbsag, kg in rows:
                facts = facts_from(hbsag, kg, igs.get(cid, ()))
                fc = eng.forecast(birth, on, doses[cid], sex, preferences, facts=facts)
                due = tuple(f for f in fc.series if f.status in _OPEN and (wanted is None or f.series in wanted))
                if due:
                    where = names.get(comm) if comm else None
                    yield cid, GapChild(code, name, sex, birth, where, due, cid, mother, father, phone, address)
                else:
                    yield cid, None


def gap_query(
    db: Database,
    on: date,
    series: str | None = None,
    committee: str | None = None,
    preferences: Mapping[str, str] | None = None,
    page_size: int = 2000,
) -> Iterator[GapChild]:
    """Children in register with a due or overdue dose on ``on`` (免疫空白); see :func:`gap_scan`."""
    for _cid, child in gap_scan(db, on, series, committee, preferences, page_size=page_size):
        if child is not None:
            yield child


def _committee_ids(s: Session, db: Database, text: str) -> list[int]:
    return require_committee_ids(s, db.own_unit_code(), text, by_code=True)


def gap_json(child: GapChild) -> dict[str, Any]:
    """One gap-list row as JSON."""
    abbr = _abbreviations()
    return {
        "child_code": child.code,
        "code": child.code,  # alias of child_code for one release
        "name": child.name,
        "sex": child.sex,
        "birth_date": child.birth_date.isoformat(),
        "committee": child.committee,
        "due": [
            {
                "series": f.series,
                "next_dose": f.next_dose,
                "vaccine": abbr.get(f.vaccine, f.vaccine) if f.vaccine else None,
                "code": f.vaccine,
                "earliest": f.earliest.isoformat() if f.earliest else None,
                "complete_before": f.complete_before.isoformat() if f.complete_before else None,
                "status": f.status.value,
            }
            for f in child.due
        ],
    }
