"""Today's order (登记): the vaccines, dose numbers and planned sites a visit is to give."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base


class VisitOrder(Base):
    """One visit's order: who set it last, at which desk, when (its items are :class:`VisitOrderItem`).

    ``version`` is checked on every update (SQLAlchemy ``version_id_col``): a desk that replaces an
    order another desk replaced meanwhile gets an error instead of overwriting it.
    """

    __tablename__ = "visit_order"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), unique=True)
    set_at: Mapped[dt.datetime] = mapped_column(DateTime)
    operator: Mapped[str | None] = mapped_column(String(50))
    desk: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class VisitOrderItem(Base):
    """One vaccine of an order: product code, dose number, planned site, in the order to give them."""

    __tablename__ = "visit_order_item"
    __table_args__ = (UniqueConstraint("order_id", "vaccine_code", name="uq_visit_order_item_order_vaccine"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("visit_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    vaccine_code: Mapped[str] = mapped_column(String(4))
    dose_number: Mapped[int] = mapped_column(Integer)
    site: Mapped[str | None] = mapped_column(String(20))
