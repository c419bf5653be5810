"""Stock alerts (F7 工作提醒, ``stock alerts``): batches expiring soon, products below their minimum."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from epimanager.services.stock.records import ExpiringBatch, LowStock, batch_record, product_record
from epimanager.store.database import Database
from epimanager.store.models_stock import StockBatch, StockProduct


def expiring_batches(db: Database, within_days: int = 30, on: date | None = None) -> list[ExpiringBatch]:
    """Batches with stock that expire within ``within_days`` of ``on`` (or already have), soonest first."""
    on = on or date.today()
    limit = on + timedelta(days=within_days)
    with db.session() as s:
        bs = s.scalars(
            select(StockBatch)
            .where(StockBatch.quantity > 0, StockBatch.expiry <= limit)
            .order_by(StockBatch.expiry, StockBatch.batch_no)
        ).all()
        return [ExpiringBatch(batch_record(b), (b.expiry - on).days) for b in bs]


def below_minimum(db: Database, on: date | None = None) -> list[LowStock]:
    """Products with a minimum level whose usable (unexpired) stock is below it."""
    on = on or date.today()
    with db.session() as s:
        usable = (
            select(StockBatch.product_id, func.sum(StockBatch.quantity).label("q"))
            .where(StockBatch.expiry >= on)
            .group_by(StockBatch.product_id)
            .subquery()
        )
        rows = s.execute(
            select(StockProduct, func.coalesce(usable.c.q, 0))
            .outerjoin(usable, usable.c.product_id == StockProduct.id)
            .where(StockProduct.min_quantity > 0, func.coalesce(usable.c.q, 0) < StockProduct.min_quantity)
            .order_by(StockProduct.vaccine_code, StockProduct.manufacturer)
        ).all()
        return [LowStock(product_record(s, p), int(q), p.min_quantity) for p, q in rows]
