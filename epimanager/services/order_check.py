"""Is a dose on the child's order for that day? — the matching half of the off-order rule.

The rule (a dose recorded at this unit on a day the child's open visit has an order, but not on
that order, is refused unless confirmed; the confirmation is audited) is enforced by
:func:`epimanager.services.doses.add_dose` inside its write transaction.  Orders are set by
:mod:`epimanager.services.visit_order`.  A child without a visit that day (the importer, a
补录 of an old dose, a dose given elsewhere) is never asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, select
from sqlalchemy.orm import Session

from epimanager.domain import visit as dv
from epimanager.errors import ValidationError
from epimanager.resources import catalog
from epimanager.store.models_visit import Visit
from epimanager.store.models_visit_order import VisitOrder, VisitOrderItem


@dataclass(frozen=True, slots=True)
class Planned:
    """One item of an order as stored."""

    vaccine_code: str
    dose_number: int
    site: str | None

    @property
    def text(self) -> str:
        """乙肝疫苗 第2剂（右上臂）"""
        vac = catalog().get(self.vaccine_code)
        name = vac.name if vac else self.vaccine_code
        return f"{name} 第{self.dose_number}剂" + (f"（{self.site}）" if self.site else "")


class OffOrderDose(ValidationError):
    """The dose is not on today's order of the child's visit; saving it needs a confirmation."""

    def __init__(self, ticket: str, dose: str, planned: list[Planned]) -> None:
        self.ticket, self.dose, self.planned = ticket, dose, planned
        today = "、".join(p.text for p in planned)
        super().__init__(f"{dose}不在 {ticket} 号的今日接种安排中（今日安排：{today}）；需确认后才能保存")


def _visit_filter(child_id: Any, day: Any) -> tuple[ColumnElement[bool], ...]:
    return (Visit.child_id == child_id, Visit.day == day, Visit.step != dv.Step.CANCELLED.value)


def order_id_column(child_id: Any, day: Any) -> ScalarSelect[int | None]:
    """The id of the order of the child's not-cancelled visit on ``day``, as a scalar subquery
    (``child_id`` and ``day``: columns or bound parameters of the statement it goes into)."""
    return (
        select(VisitOrder.id)
        .join(Visit, VisitOrder.visit_id == Visit.id)
        .where(*_visit_filter(child_id, day))
        .limit(1)
        .scalar_subquery()
    )


def _items(s: Session, order_id: int) -> tuple[str, list[Planned]] | None:
    query = (
        select(Visit.ticket, VisitOrderItem.vaccine_code, VisitOrderItem.dose_number, VisitOrderItem.site)
        .join(VisitOrder, VisitOrderItem.order_id == VisitOrder.id)
        .join(Visit, VisitOrder.visit_id == Visit.id)
        .where(VisitOrderItem.order_id == order_id)
        .order_by(VisitOrderItem.position)
    )
    rows = s.execute(query).all()
    if not rows:
        return None
    return rows[0][0], [Planned(r[1], r[2], r[3]) for r in rows]


def planned_items(s: Session, child_id: int, day: dt.date) -> tuple[str, list[Planned]] | None:
    """(ticket, items) of the child's not-cancelled visit on ``day`` when it has a non-empty order."""
    order_id = s.scalar(select(order_id_column(child_id, day)))
    return None if order_id is None else _items(s, order_id)


def off_order(s: Session, child_id: int, code: str, number: int, day: dt.date) -> OffOrderDose | None:
    """The refusal for a dose (``code``, ``number``, ``day``) not on the child's order; None when it is
    on it or there is no order."""
    return off_order_of(s, s.scalar(select(order_id_column(child_id, day))), code, number)


def off_order_of(s: Session, order_id: int | None, code: str, number: int) -> OffOrderDose | None:
    """:func:`off_order` for the order ``order_id`` (read with :func:`order_id_column`; None: no order)."""
    found = None if order_id is None else _items(s, order_id)
    if found is None:
        return None
    ticket, items = found
    if any(p.vaccine_code == code and p.dose_number == number for p in items):
        return None
    return OffOrderDose(ticket, Planned(code, number, None).text, items)
