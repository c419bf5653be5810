"""The dose histories of ``epimanager demo``'s synthetic children: the routine plan followed with
realistic delays, gaps and drop-outs, some doses elsewhere, some paid vaccines; rows ready for a
raw ``INSERT INTO dose`` (:data:`DOSE_COLS`)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache
from typing import Any

from epimanager.domain.dates import add_months as _add_months

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

DOSE_COLS = [
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


class Uuids:
    """Fast unique UUID strings (v7 layout) for bulk synthetic rows."""

    def __init__(self, rng: random.Random) -> None:
        self.prefix = f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-7{rng.getrandbits(12):03x}-"
        self.variant = f"{0x8000 | rng.getrandbits(14):04x}-"
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"{self.prefix}{self.variant}{self.n:012x}"


def dose_history(
    rng: random.Random,
    uuids: Uuids,
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
    given: dict[str, int] = {}  # doses recorded per series: a missed dose leaves no gap in the numbers
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
        given[series] = given.get(series, 0) + 1
        _add(rng, uuids, cid, code, given[series], when, unit, other_units, now, out, site_number=number)
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
    uuids: Uuids,
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
    site_number: int | None = None,
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
            _SITES.get(code, "左上臂" if (site_number or number) % 2 else "右上臂"),
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
