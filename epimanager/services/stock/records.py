"""Stock records: the frozen dataclasses every stock service returns, and how they are built.

``product_record``, ``batch_record`` and ``movement_record`` turn ORM rows into records
inside the caller's session; nothing outside :mod:`epimanager.services.stock` sees an ORM object.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain import stock as rules
from epimanager.domain.stock import MovementKind
from epimanager.resources import catalog
from epimanager.services.stock.syringe_types import SYRINGE, SYRINGE_TYPES, VACCINE
from epimanager.store.models_stock import StockBatch, StockMovement, StockProduct, StockProductCode

#: kinds of code a product is known by (``stock_product_code.kind``)
TRACE7 = "trace7"
GTIN = "gtin"


def unit_of(kind: str) -> str:
    """The unit stock of a kind is counted in: 人份 (vaccine doses) or 支 (syringes)."""
    return "支" if kind == SYRINGE else "人份"


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, date | datetime):
            out[k] = v.isoformat()
        elif isinstance(v, tuple):
            out[k] = list(v)
        else:
            out[k] = v
    return out


def vaccine_names(code: str) -> tuple[str, str]:
    """(abbreviation, name) of a vaccine code or syringe type; the code itself when neither is known."""
    if code in SYRINGE_TYPES:
        return SYRINGE_TYPES[code]
    vac = catalog().get(code)
    return (vac.abbr, vac.name) if vac else (code, code)


@dataclass(frozen=True)
class ProductRecord:
    id: int
    vaccine_code: str
    vaccine_abbr: str
    vaccine_name: str
    manufacturer: str
    specification: str
    doses_per_vial: int
    form: str | None
    price_fen: int | None
    free: bool
    min_quantity: int
    #: hours an opened vial stays usable (the product's own, else the default rule)
    open_vial_hours: float
    trace_prefixes: tuple[str, ...] = ()
    gtins: tuple[str, ...] = ()
    #: vaccine / syringe
    kind: str = VACCINE

    @property
    def label(self) -> str:
        parts = [self.vaccine_abbr, self.manufacturer, self.specification]
        return " ".join(p for p in parts if p)

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class BatchRecord:
    id: int
    product_id: int
    vaccine_code: str
    vaccine_abbr: str
    manufacturer: str
    specification: str
    doses_per_vial: int
    batch_no: str
    expiry: date
    lot_release_no: str | None
    #: 人份 on hand, including the open vial's remainder
    quantity: int
    open_remaining: int
    opened_at: datetime | None
    #: vaccine / syringe (quantities in 支)
    kind: str = VACCINE

    @property
    def unit(self) -> str:
        return unit_of(self.kind)

    @property
    def closed_vials(self) -> int:
        return (self.quantity - self.open_remaining) // self.doses_per_vial

    def to_json(self) -> dict[str, Any]:
        return _jsonable({**asdict(self), "closed_vials": self.closed_vials})


@dataclass(frozen=True)
class MovementRecord:
    id: int
    uuid: str
    date: date
    at: datetime
    kind: str
    kind_label: str
    subtype: str
    subtype_label: str
    #: signed change in 人份
    delta: int
    vaccine_code: str
    vaccine_abbr: str
    manufacturer: str
    batch_no: str
    expiry: dt.date
    document_no: str | None
    supplier: str | None
    counterparty: str | None
    reason: str | None
    user: str | None
    dose_uuid: str | None
    #: the batch's balance after this movement (cached balance at the time of recording)
    balance: int | None = None
    #: vaccine / syringe (quantities in 支)
    kind_of_product: str = VACCINE

    @property
    def unit(self) -> str:
        return unit_of(self.kind_of_product)

    @property
    def quantity(self) -> int:
        return abs(self.delta)

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class BatchOption:
    """A usable batch for a dose (propose_batches: best first)."""

    batch_id: int
    vaccine_code: str
    vaccine_abbr: str
    manufacturer: str
    batch_no: str
    expiry: date
    #: usable 人份 (an expired open remainder is not counted)
    quantity: int
    #: doses left in an open vial that is still within its hours (0 = none)
    open_remaining: int
    open_until: datetime | None
    doses_per_vial: int
    days_to_expiry: int

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class ExpiringBatch:
    batch: BatchRecord
    #: days from ``on`` to the expiry date (negative = already expired)
    days_left: int

    def to_json(self) -> dict[str, Any]:
        return {**self.batch.to_json(), "days_left": self.days_left}


@dataclass(frozen=True)
class LowStock:
    product: ProductRecord
    #: usable (unexpired) 人份 on hand
    on_hand: int
    minimum: int

    @property
    def shortfall(self) -> int:
        return self.minimum - self.on_hand

    def to_json(self) -> dict[str, Any]:
        return {
            **self.product.to_json(),
            "on_hand": self.on_hand,
            "minimum": self.minimum,
            "shortfall": self.shortfall,
        }


@dataclass(frozen=True)
class ScanResult:
    """What a scanned or typed code tells the dose form."""

    #: "trace" (20-digit 追溯码) or "gs1"
    kind: str
    trace_code: str | None = None
    gtin: str | None = None
    batch_no: str | None = None
    expiry: date | None = None
    serial: str | None = None
    #: the product when it is known (from an earlier receipt)
    product: ProductRecord | None = None
    #: the stock batch when product + lot are in stock
    batch: BatchRecord | None = None
    options: tuple[BatchOption, ...] = field(default=())


# ---------------------------------------------------------------- building records


def effective_open_vial_hours(p: StockProduct) -> float:
    if p.open_vial_hours is not None:
        return p.open_vial_hours
    vac = catalog().get(p.vaccine_code)
    return rules.default_open_vial_hours(bool(vac and vac.live))


def product_record(s: Session, p: StockProduct) -> ProductRecord:
    abbr, name = vaccine_names(p.vaccine_code)
    codes = s.execute(
        select(StockProductCode.kind, StockProductCode.code)
        .where(StockProductCode.product_id == p.id)
        .order_by(StockProductCode.code)
    ).all()
    return ProductRecord(
        id=p.id,
        vaccine_code=p.vaccine_code,
        vaccine_abbr=abbr,
        vaccine_name=name,
        manufacturer=p.manufacturer,
        specification=p.specification,
        doses_per_vial=p.doses_per_vial,
        form=p.form,
        price_fen=p.price_fen,
        free=p.free,
        min_quantity=p.min_quantity,
        open_vial_hours=effective_open_vial_hours(p),
        trace_prefixes=tuple(c for k, c in codes if k == TRACE7),
        gtins=tuple(c for k, c in codes if k == GTIN),
        kind=p.kind,
    )


def batch_record(b: StockBatch) -> BatchRecord:
    p = b.product
    return BatchRecord(
        id=b.id,
        product_id=p.id,
        vaccine_code=p.vaccine_code,
        vaccine_abbr=vaccine_names(p.vaccine_code)[0],
        manufacturer=p.manufacturer,
        specification=p.specification,
        doses_per_vial=p.doses_per_vial,
        batch_no=b.batch_no,
        expiry=b.expiry,
        lot_release_no=b.lot_release_no,
        quantity=b.quantity,
        open_remaining=b.open_remaining,
        opened_at=b.opened_at,
        kind=p.kind,
    )


def movement_record(m: StockMovement, balance: int | None = None) -> MovementRecord:
    b = m.batch
    p = b.product
    return MovementRecord(
        id=m.id,
        uuid=m.uuid,
        date=m.date,
        at=m.at,
        kind=m.kind,
        kind_label=MovementKind(m.kind).label,
        subtype=m.subtype,
        subtype_label=rules.subtype_label(m.subtype),
        delta=m.delta,
        vaccine_code=p.vaccine_code,
        vaccine_abbr=vaccine_names(p.vaccine_code)[0],
        manufacturer=p.manufacturer,
        batch_no=b.batch_no,
        expiry=b.expiry,
        document_no=m.document_no,
        supplier=m.supplier,
        counterparty=m.counterparty,
        reason=m.reason,
        user=m.user,
        dose_uuid=m.dose_uuid,
        balance=balance,
        kind_of_product=p.kind,
    )
