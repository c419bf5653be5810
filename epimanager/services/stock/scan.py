"""What a scanned or typed code stands for: a 20-digit 追溯码 or a GS1 DataMatrix string → product, batch."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain import identifiers as ids
from epimanager.domain import stock as rules
from epimanager.domain.gs1 import Gs1Data, Gs1Error, looks_like_gs1, parse_gs1
from epimanager.errors import ValidationError
from epimanager.services.stock.proposals import batch_options
from epimanager.services.stock.records import (
    GTIN,
    TRACE7,
    BatchOption,
    BatchRecord,
    ProductRecord,
    ScanResult,
    batch_record,
    product_record,
)
from epimanager.store.database import Database
from epimanager.store.models_stock import StockBatch, StockProduct, StockProductCode


def product_for_trace_code(db: Database, trace_code: str) -> ProductRecord | None:
    """The product a 20-digit traceability code stands for (first 7 digits), once learned from a receipt."""
    code = trace_code.strip()
    if not ids.is_trace_code(code):
        raise ValidationError("追溯码应为以8开头的20位数字")
    with db.session() as s:
        return _product_by_code(s, rules.trace_product_id(code), TRACE7)


def product_by_code(s: Session, code: str, kind: str) -> StockProduct | None:
    """The product a learned code (a 追溯码's first 7 digits, a GTIN) stands for, or None."""
    row = s.get(StockProductCode, (code, kind))
    return s.get(StockProduct, row.product_id) if row is not None else None


def _product_by_code(s: Session, code: str, kind: str) -> ProductRecord | None:
    p = product_by_code(s, code, kind)
    return product_record(s, p) if p else None


def read_gs1(text: str, on: date) -> Gs1Data:
    """A scanned GS1 DataMatrix string read, or a clear refusal of what is neither it nor a 追溯码."""
    if not looks_like_gs1(text):
        raise ValidationError(f"无法识别的扫码内容：“{text.strip()}”（应为20位追溯码或 GS1 二维码）")
    try:
        return parse_gs1(text, today=on)
    except Gs1Error as exc:
        raise ValidationError(str(exc)) from None


def identify_scan(db: Database, text: str, on: date | None = None, *, now: datetime | None = None) -> ScanResult:
    """Read what a scanner typed (a 20-digit 追溯码 or a GS1 DataMatrix string).

    A traceability code gives the product (when learned) and its usable
    batches; a GS1 string gives GTIN, lot and expiry, and the stock batch
    when that lot is in stock.
    """
    now = now or datetime.now()
    on = on or now.date()
    t = text.strip()
    with db.session() as s:
        if ids.is_trace_code(t):
            prod = _product_by_code(s, rules.trace_product_id(t), TRACE7)
            options: tuple[BatchOption, ...] = ()
            if prod is not None:
                bs = s.scalars(select(StockBatch).where(StockBatch.product_id == prod.id)).all()
                options = tuple(batch_options(s, bs, on, now))
            return ScanResult(kind="trace", trace_code=t, product=prod, options=options)
        data = read_gs1(text, on)
        prod = _product_by_code(s, data.gtin, GTIN) if data.gtin else None
        batch: BatchRecord | None = None
        if data.lot:
            q = select(StockBatch).where(StockBatch.batch_no == rules.normalize_batch_no(data.lot))
            if prod is not None:
                q = q.where(StockBatch.product_id == prod.id)
            found = s.scalars(q).all()
            if len(found) == 1:
                batch = batch_record(found[0])
                if prod is None:
                    prod = product_record(s, found[0].product)
        return ScanResult(
            kind="gs1",
            gtin=data.gtin,
            batch_no=data.lot,
            expiry=data.expiry,
            serial=data.serial,
            product=prod,
            batch=batch,
        )
