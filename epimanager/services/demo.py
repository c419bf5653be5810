"""``epimanager demo``: realistic synthetic data for training and benchmarks.

Children are spread over 18 years of births with common and polyphonic /
compound surnames, several 区域划分 and statuses; dose histories follow the
national schedule with realistic delays and gaps.  It writes through one raw
connection in large batches (the demo's own build uses ``synchronous=OFF``:
synthetic data, rebuilt on failure) and indexes search keys as it goes.  The dose histories come
from :mod:`epimanager.services.demo_doses`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from epimanager.domain.identifiers import county_of, id_check_char, make_child_code
from epimanager.resources import load_json
from epimanager.services.demo_doses import DOSE_COLS, Uuids, dose_history
from epimanager.services.search_index import bulk_index
from epimanager.services.units import add_committee, committee_ids
from epimanager.store.bulk import Bulk
from epimanager.store.database import Database
from epimanager.store.models import Child
from epimanager.store.outbox import UPSERT_SQL, outbox_rows

Progress = Callable[[int, int], None]

_STATUS_WEIGHTS = ((1, 870), (2, 30), (3, 5), (4, 3), (6, 20), (7, 30), (8, 5), (9, 7), (10, 30))
_RESIDENCE_WEIGHTS = ((1, 80), (2, 15), (3, 5))

#: every column of ``child``, in table order (the order of the rows built below)
_CHILD_COLS = [c.name for c in Child.__table__.columns]


@dataclass(frozen=True)
class DemoReport:
    children: int
    doses: int
    seconds: float


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
    uuids = Uuids(rng)
    # Child codes: several 建档单位 (one per ~9,000 births a year) so serials fit in 4 digits.
    creators = [unit] + [f"{unit[:6]}{9000 + i:04d}" for i in range(1, 200)]
    first_day = date(today.year - 18, today.month, 1)
    span = (today - first_day).days
    now = datetime.now().isoformat(sep=" ")
    with db.session() as s:
        next_id = (s.scalar(select(func.max(Child.id))) or 0) + 1
    serials: dict[tuple[str, int], int] = {}
    with db.engine.connect() as conn:
        raw = Bulk(conn)
        raw.fast()  # before the first statement opens the transaction
        serial_rows = conn.execute(text("SELECT unit_code, year, last_serial FROM child_code_serial")).all()
        for u, y, last in serial_rows:
            serials[(u, y)] = last
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
                dose_history(rng, uuids, cid, sex, birth, today, unit, other_units, now, dose_rows)
            raw.insert("child", _CHILD_COLS, child_rows)
            raw.insert("dose", DOSE_COLS, dose_rows)
            bulk_index(conn, index_rows)
            raw.many(UPSERT_SQL, outbox_rows("child", [(r[1], 1) for r in child_rows]))
            raw.many(UPSERT_SQL, outbox_rows("dose", [(r[0], 1) for r in dose_rows]))
            total_doses += len(dose_rows)
            done += n
            if progress:
                progress(done, children)
        raw.sequences(("child", "dose"))
        raw.many(
            "INSERT INTO child_code_serial (unit_code, year, last_serial) VALUES (?, ?, ?) "
            "ON CONFLICT (unit_code, year) DO UPDATE SET last_serial = excluded.last_serial",
            [(u, y, n) for (u, y), n in serials.items()],
        )
        if rebuilt:
            raw.execute("CREATE INDEX IF NOT EXISTS ix_dose_date ON dose (date)")
            raw.execute("CREATE INDEX IF NOT EXISTS ix_dose_vaccine_date ON dose (vaccine_code, date)")
        conn.commit()
        raw.done()
    seconds = (datetime.now() - started).total_seconds()
    return DemoReport(children, total_doses, seconds)
