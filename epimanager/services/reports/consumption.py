"""疫苗消耗日志: doses given here per day, vaccine and batch."""

from __future__ import annotations

from typing import Any

from epimanager.resources import catalog
from epimanager.services.reports.common import KINDS, parse_period
from epimanager.services.units import unit_info
from epimanager.store.database import Database
from epimanager.store.dialect import run


def consumption_log(db: Database, period: str) -> dict[str, Any]:
    """疫苗消耗日志: doses given here per day, vaccine and batch."""
    start, end = parse_period(period)
    info = unit_info(db)
    cat = catalog()
    with db.session() as s:
        rows = run(
            s.connection(),
            "SELECT CAST(date AS TEXT), vaccine_code, COALESCE(batch_no, ''), COALESCE(manufacturer, ''), count(*) "
            "FROM dose "
            "WHERE deleted = false AND unit_code = ? AND date >= ? AND date <= ? "
            "GROUP BY date, vaccine_code, batch_no, manufacturer ORDER BY date, vaccine_code, batch_no",
            (info.code, start.isoformat(), end.isoformat()),
        ).all()
    items = []
    for day, code, batch, maker, n in rows:
        vac = cat.get(code)
        items.append(
            {
                "date": day,
                "code": code,
                "vaccine": vac.name if vac else code,
                "batch": batch,
                "manufacturer": maker,
                "doses": n,
            }
        )
    return {
        "report": "consumption",
        "title": KINDS["consumption"],
        "month": period,
        "unit": info.code,
        "unit_name": info.name,
        "rows": items,
        "total": sum(i["doses"] for i in items),
    }
