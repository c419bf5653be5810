"""表6-2 第二类疫苗接种情况报表: non-NIP (or paid) doses given here in the month, by vaccine."""

from __future__ import annotations

from collections import Counter
from typing import Any

from epimanager.resources import catalog
from epimanager.services.reports.common import KINDS, parse_period
from epimanager.services.units import unit_info
from epimanager.store.database import Database
from epimanager.store.dialect import run


def report_6_2(db: Database, period: str) -> dict[str, Any]:
    """表6-2: non-NIP (or paid) doses given at this unit in the month, by vaccine."""
    start, end = parse_period(period)
    info = unit_info(db)
    cat = catalog()
    counts: Counter[str] = Counter()
    with db.session() as s:
        rows = run(
            s.connection(),
            "SELECT vaccine_code, free, combination_code, count(*) FROM dose WHERE deleted = false AND unit_code = ? "
            "AND date >= ? AND date <= ? GROUP BY vaccine_code, free, combination_code",
            (info.code, start.isoformat(), end.isoformat()),
        )
        for code, free, combo, n in rows:
            vac = cat.get(code)
            if combo:  # part of a combination vaccine: the combination itself is counted
                continue
            if vac is None or not vac.nip or not free:
                counts[code] += n
    items = [{"code": v.code, "vaccine": v.name, "doses": counts[v.code]} for v in cat.sorted() if counts.get(v.code)]
    items += [{"code": c, "vaccine": c, "doses": n} for c, n in sorted(counts.items()) if cat.get(c) is None]
    return {
        "report": "6-2",
        "title": KINDS["6-2"],
        "month": period,
        "unit": info.code,
        "unit_name": info.name,
        "rows": items,
        "total": sum(counts.values()),
    }
