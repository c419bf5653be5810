"""Traceability in the data-quality report (追溯码质量), as national supervision counts it.

Per month and vaccine, the doses given at this unit: how many carry no 追溯码, and how many were
recorded with a code already used as many times as its package holds doses (一码多用: the code's
product — learned from a stock receipt — says how many doses a package has; the doses beyond
that, in the order they were recorded, are the over-used ones).  Codes of a product the stock
does not know are not judged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import case, extract, func, or_, select
from sqlalchemy.orm import Session

from epimanager.domain import stock as rules
from epimanager.resources import catalog
from epimanager.services.stock.records import TRACE7
from epimanager.store.database import OWN_UNIT_KEY, get_config
from epimanager.store.models import Dose
from epimanager.store.models_stock import StockProduct, StockProductCode


@dataclass(frozen=True)
class TraceRow:
    """One month and vaccine: doses given here, those without a trace code, and those over-used."""

    month: str
    vaccine_code: str
    vaccine_abbr: str
    doses: int
    no_trace_code: int
    overused: int
    #: distinct codes used more times than their package holds (of this month's over-used doses)
    overused_codes: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _given_here(own: str | None) -> Any:
    return (Dose.deleted.is_(False), Dose.unit_code == own)


def trace_quality(s: Session) -> list[TraceRow]:
    """Every month and vaccine with doses given here, newest month first."""
    own = get_config(s, OWN_UNIT_KEY)
    year, month = extract("year", Dose.date), extract("month", Dose.date)
    missing = case((or_(Dose.trace_code.is_(None), Dose.trace_code == ""), 1), else_=0)
    totals = s.execute(
        select(year, month, Dose.vaccine_code, func.count(), func.sum(missing))
        .where(*_given_here(own))
        .group_by(year, month, Dose.vaccine_code)
    ).all()
    per_package = dict(
        s.execute(
            select(StockProductCode.code, StockProduct.doses_per_vial)
            .join(StockProduct, StockProduct.id == StockProductCode.product_id)
            .where(StockProductCode.kind == TRACE7)
        ).all()
    )
    repeated = s.execute(
        select(Dose.trace_code)
        .where(*_given_here(own), Dose.trace_code.is_not(None), Dose.trace_code != "")
        .group_by(Dose.trace_code)
        .having(func.count() > 1)
    ).scalars()
    over: Counter[tuple[str, str]] = Counter()
    codes: dict[tuple[str, str], set[str]] = {}
    for code in repeated:
        if code is None:
            continue
        per = per_package.get(rules.trace_product_id(code))
        if per is None:
            continue
        uses = s.execute(
            select(Dose.date, Dose.vaccine_code)
            .where(*_given_here(own), Dose.trace_code == code)
            .order_by(Dose.created_at, Dose.id)
        ).all()
        for day, vac in uses[per:]:
            key = (f"{day:%Y-%m}", vac)
            over[key] += 1
            codes.setdefault(key, set()).add(code)
    cat = catalog()
    rows = []
    for y, m, vac, n, no_code in totals:
        key = (f"{int(y):04d}-{int(m):02d}", vac)
        v = cat.get(vac)
        rows.append(
            TraceRow(key[0], vac, v.abbr if v else vac, int(n), int(no_code or 0), over[key], len(codes.get(key, ())))
        )
    rows.sort(key=lambda r: (r.month, r.vaccine_code), reverse=True)
    return rows
