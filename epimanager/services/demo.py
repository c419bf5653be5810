"""``epimanager demo``: realistic synthetic data for training and benchmarks.

Children are spread over 18 years of births with common and polyphonic /
compound surnames, several 区域划分 and statuses; dose histories follow the
national schedule with realistic delays and gaps.  It writes through one raw
connection in large batches (the demo's own build uses ``synchronous=OFF``:
synthetic data, rebuilt on failure) and indexes search keys as it goes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import func, select, text

from epimanager.domain.dates import add_months as _add_months
from epimanager.domain.identifiers import county_of, id_check_char, make_child_code
from epimanager.resources import load_json
from epimanager.services.database import Database
from epimanager.services.search_index import bulk_index
from epimanager.services.units import add_committee, committee_ids
from epimanager.store.models import Child
from epimanager.sync.outbox import UPSERT_SQL, outbox_rows

Progress = Callable[[int, int], None]

add_months = cache(_add_months)

#: (series, vaccine code, dose number, age in months, live?) — the routine plan
#: the synthetic children follow.  Ages before 2025-01-01 use the 2021 DTaP
#: ages.  This is data for a *generator*, not the schedule engine.
_PLAN_2021 = (
    ("HepB", "0201", 1, 0),
    ("BCG", "0101", 1, 0),
    ("HepB", "0201", 2, 1),
    ("Polio", "0303", 1, 2),
    ("Polio", "0303", 2, 3),
    ("DTaP", "0401", 1, 3),
    ("Polio", "0311", 3, 4),
    ("DTaP", "0401", 2, 4),
    ("DTaP", "0401", 3, 5),
    ("HepB", "0201", 3, 6),
    ("MenA", "1601", 1, 6),
    ("MMR", "1201", 1, 8),
    ("JE", "1801", 1, 8),
    ("MenA", "1601", 2, 9),
    ("DTaP", "0401", 4, 18),
    ("MMR", "1201", 2, 18),
    ("HepA", "1901", 1, 18),
    ("JE", "1801", 2, 24),
    ("MenAC", "1701", 1, 36),
    ("Polio", "0311", 4, 48),
    ("DTaP", "0601", 5, 72),
    ("MenAC", "1701", 2, 72),
)
_DTAP_2025 = {1: 2, 2: 4, 3: 6, 4: 18, 5: 72}
_ERA_2025 = date(2025, 1, 1)
_HPV_START = date(2025, 11, 10)
_PAID = (("2301", 2), ("2503", 2), ("2101", 12), ("2201", 12), ("5401", 6), ("2401", 2))

_STATUS_WEIGHTS = ((1, 870), (2, 30), (3, 5), (4, 3), (6, 20), (7, 30), (8, 5), (9, 7), (10, 30))
_RESIDENCE_WEIGHTS = ((1, 80), (2, 15), (3, 5))

_CHILD_COLS = [
    "id",
    "uuid",
    "code",
    "name",
    "sex",
    "birth_date",
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
    "residence",
    "committee_id",
    "school",
    "status",
    "managing_unit",
    "created_unit",
    "mother_hbsag",
    "allergy",
    "remark",
    "created_at",
    "updated_at",
    "created_by",
    "version",
    "deleted",
]
_DOSE_COLS = [
    "uuid",
    "child_id",
    "vaccine_code",
    "dose_number",
    "date",
    "attribute",
    "batch_no",
    "expiry",
    "manufacturer",
    "site",
    "route",
    "nurse",
    "unit_code",
    "place_text",
    "free",
    "trace_code",
    "combination_code",
    "created_at",
    "updated_at",
    "version",
    "deleted",
]
_MAKERS = {"0201": "深圳康泰", "0101": "上海生物", "0303": "北京科兴", "0311": "北京生物", "0401": "武汉生物"}
_SITES = {"0101": "左上臂", "0311": "口服", "2401": "口服"}


@dataclass(frozen=True)
class DemoReport:
    children: int
    doses: int
    seconds: float


class _Uuids:
    """Fast unique UUID strings (v7 layout) for bulk synthetic rows."""

    def __init__(self, rng: random.Random) -> None:
        self.prefix = f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-7{rng.getrandbits(12):03x}-"
        self.variant = f"{0x8000 | rng.getrandbits(14):04x}-"
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"{self.prefix}{self.variant}{self.n:012x}"


def _weighted(pairs: Any) -> tuple[list[Any], list[int]]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


def generate(
    db: Database,
    children: int,
    *,
    seed: int = 1,
    today: date | None = None,
    batch: int = 20000,
    progress: Progress | None = None,
) -> DemoReport:
    """Add ``children`` synthetic children with their doses to ``db``."""
    started = datetime.now()
    today = today or date.today()
    rng = random.Random(seed)
    names = load_json("demo_names.json")
    unit = db.own_unit_code()
    committees = committee_ids(db)
    for c in names["committees"]:
        if c not in committees:
            add_committee(db, c)
    committees = committee_ids(db)
    committee_list = list(committees.values())
    surnames, surname_w = _weighted(names["surnames"])
    boy, girl, common = names["given_boy"], names["given_girl"], names["given_common"]
    other_units: list[str] = names["other_units"]
    statuses, status_w = _weighted(_STATUS_WEIGHTS)
    residences, residence_w = _weighted(_RESIDENCE_WEIGHTS)
    county = county_of(unit)
    uuids = _Uuids(rng)
    # Child codes: several 建档单位 (one per ~9,000 births a year) so serials fit in 4 digits.
    creators = [unit] + [f"{unit[:6]}{9000 + i:04d}" for i in range(1, 200)]
    first_day = date(today.year - 18, today.month, 1)
    span = (today - first_day).days
    now = datetime.now().isoformat(sep=" ")
    with db.session() as s:
        next_id = (s.scalar(select(func.max(Child.id))) or 0) + 1
    serials: dict[tuple[str, int], int] = {}
    with db.engine.connect() as conn:
        serial_rows = conn.execute(text("SELECT unit_code, year, last_serial FROM child_code_serial")).all()
        for u, y, last in serial_rows:
            serials[(u, y)] = last
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-262144")
        child_sql = f"INSERT INTO child ({','.join(_CHILD_COLS)}) VALUES ({','.join('?' * len(_CHILD_COLS))})"
        dose_sql = f"INSERT INTO dose ({','.join(_DOSE_COLS)}) VALUES ({','.join('?' * len(_DOSE_COLS))})"
        # Secondary dose indexes are rebuilt once at the end (a sorted build is
        # far faster than millions of random inserts).
        rebuilt = children >= 50000
        if rebuilt:
            raw.execute("DROP INDEX IF EXISTS ix_dose_date")
            raw.execute("DROP INDEX IF EXISTS ix_dose_vaccine_date")
        total_doses = 0
        done = 0
        while done < children:
            n = min(batch, children - done)
            child_rows: list[tuple[Any, ...]] = []
            dose_rows: list[tuple[Any, ...]] = []
            index_rows: list[tuple[int, str, str | None, str | None]] = []
            for i in range(n):
                cid = next_id + done + i
                sex = "1" if rng.random() < 0.52 else "2"
                surname = rng.choices(surnames, surname_w)[0]
                pool = boy if sex == "1" else girl
                given = rng.choice(pool) + (rng.choice(pool + common) if rng.random() < 0.75 else "")
                if rng.random() < 0.05 and len(given) == 2:
                    given = given[0] * 2  # 佩佩, 萍萍 …
                name = surname + given
                mother = rng.choices(surnames, surname_w)[0] + rng.choice(girl) + rng.choice(girl)
                father = surname + rng.choice(boy) + (rng.choice(boy) if rng.random() < 0.6 else "")
                birth = first_day + timedelta(days=rng.randrange(span))
                year = birth.year
                creator = creators[0]
                k = 0
                while serials.get((creator, year), 0) >= 9999:
                    k += 1
                    creator = creators[k]
                serial = serials.get((creator, year), 0) + 1
                serials[(creator, year)] = serial
                code = make_child_code(creator, year, serial)
                id_number = None
                if rng.random() < 0.6:
                    seq = rng.randrange(0, 500) * 2 + (1 if sex == "1" else 0)
                    first17 = f"{county}{birth:%Y%m%d}{seq:03d}"
                    id_number = first17 + id_check_char(first17)
                status = rng.choices(statuses, status_w)[0]
                child_rows.append(
                    (
                        cid,
                        uuids.next(),
                        code,
                        name,
                        sex,
                        birth.isoformat(),
                        f"{rng.randrange(24):02d}:{rng.randrange(60):02d}",
                        round(rng.gauss(3.3, 0.45), 2),
                        mother,
                        None,
                        father,
                        None,
                        f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                        id_number,
                        f"{'ABCDEFGHJK'[rng.randrange(10)]}{rng.randrange(10**9):09d}",
                        None,
                        county,
                        rng.choices(residences, residence_w)[0],
                        rng.choice(committee_list),
                        None,
                        status,
                        unit,
                        creator,
                        "1",
                        None,
                        None,
                        now,
                        now,
                        "demo",
                        1,
                        0,
                    )
                )
                index_rows.append((cid, name, mother, father))
                _doses(rng, uuids, cid, sex, birth, today, unit, other_units, now, dose_rows)
            raw.executemany(child_sql, child_rows)
            raw.executemany(dose_sql, dose_rows)
            bulk_index(conn, index_rows)
            raw.executemany(UPSERT_SQL, outbox_rows("child", [(r[1], 1) for r in child_rows]))
            raw.executemany(UPSERT_SQL, outbox_rows("dose", [(r[0], 1) for r in dose_rows]))
            total_doses += len(dose_rows)
            done += n
            if progress:
                progress(done, children)
        raw.executemany(
            "INSERT INTO child_code_serial (unit_code, year, last_serial) VALUES (?, ?, ?) "
            "ON CONFLICT (unit_code, year) DO UPDATE SET last_serial = excluded.last_serial",
            [(u, y, n) for (u, y), n in serials.items()],
        )
        if rebuilt:
            raw.execute("CREATE INDEX IF NOT EXISTS ix_dose_date ON dose (date)")
            raw.execute("CREATE INDEX IF NOT EXISTS ix_dose_vaccine_date ON dose (vaccine_code, date)")
        conn.commit()
        raw.execute("PRAGMA synchronous=FULL")
    seconds = (datetime.now() - started).total_seconds()
    return DemoReport(children, total_doses, seconds)


def _doses(
    rng: random.Random,
    uuids: _Uuids,
    cid: int,
    sex: str,
    birth: date,
    today: date,
    unit: str,
    other_units: list[str],
    now: str,
    out: list[tuple[Any, ...]],
) -> None:
    diligence = rng.random()  # some families are always late, some never come back
    dropped: set[str] = set()
    last_by_series: dict[str, date] = {}
    je_inactivated = rng.random() < 0.1
    for series, plan_code, number, plan_months in _PLAN_2021:
        if series in dropped:
            continue
        code, months = plan_code, plan_months
        due = add_months(birth, months)
        if series == "DTaP" and due >= _ERA_2025:
            months = _DTAP_2025[number]
            due = add_months(birth, months)
            code = "0401"
        if due > today:
            continue
        if rng.random() < 0.02 + 0.1 * (1 - diligence):
            if rng.random() < 0.5:
                dropped.add(series)
            continue
        r = rng.random()
        if months == 0:
            delay = 0 if r < 0.93 else rng.randrange(1, 30)
        elif r < diligence * 0.8:
            delay = rng.randrange(0, 15)
        elif r < 0.9:
            delay = rng.randrange(15, 60)
        else:
            delay = rng.randrange(60, 400)
        when = due + timedelta(days=delay)
        prev = last_by_series.get(series)
        if prev is not None and when < prev + timedelta(days=28):
            when = prev + timedelta(days=28)
        if when > today:
            continue
        last_by_series[series] = when
        if series == "JE" and je_inactivated:
            code = "1802"
        _add(rng, uuids, cid, code, number, when, unit, other_units, now, out)
    if sex == "2":
        d13 = add_months(birth, 13 * 12)
        if d13 >= _HPV_START and d13 <= today and rng.random() < 0.7:
            when = d13 + timedelta(days=rng.randrange(0, 90))
            if when <= today:
                _add(rng, uuids, cid, "5901", 1, when, unit, other_units, now, out)
    for paid_code, months in _PAID:
        if rng.random() < 0.25:
            when = add_months(birth, months) + timedelta(days=rng.randrange(0, 60))
            if when <= today:
                _add(rng, uuids, cid, paid_code, 1, when, unit, other_units, now, out, free=False)


def _add(
    rng: random.Random,
    uuids: _Uuids,
    cid: int,
    code: str,
    number: int,
    when: date,
    unit: str,
    other_units: list[str],
    now: str,
    out: list[tuple[Any, ...]],
    *,
    free: bool = True,
) -> None:
    r = rng.random()
    place_unit: str | None = unit
    place_text = None
    if r > 0.9:
        if r > 0.97:
            place_unit, place_text = None, "外地"
        else:
            place_unit = other_units[int(r * 1000) % len(other_units)]
    out.append(
        (
            uuids.next(),
            cid,
            code,
            number,
            when.isoformat(),
            0,
            f"{when.year}{when.month:02d}{code[-2:]}",
            add_months(when, 18).isoformat(),
            _MAKERS.get(code, "国药集团"),
            _SITES.get(code, "左上臂" if number % 2 else "右上臂"),
            "PO" if code in ("0311", "2401") else ("ID" if code == "0101" else "IM"),
            "演示护士",
            place_unit,
            place_text,
            1 if free else 0,
            None,
            None,
            now,
            now,
            1,
            0,
        )
    )
