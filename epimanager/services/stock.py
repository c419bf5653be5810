"""Vaccine stock (疫苗出入库): products, batches, movements, and doses bound to batches.

Every change is a row in the ledger (``stock_movement``) plus an update of the
batch's cached balance in the same transaction.  A movement that would take a
batch below zero — now, or at the end of any later day in the ledger — is
refused with the batch and the shortfall named.

Dose binding (called by :mod:`epimanager.services.doses` inside its own
transaction): a dose given at this unit whose vaccine + batch number is a
batch in stock takes one 人份 from it; deleting the dose or changing its
batch puts it back.  Doses for batches not in stock (外地, back-entry,
clinics not using stock) and doses dated before the batch's first receipt
are saved without touching stock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epimanager.domain import identifiers as ids
from epimanager.domain import stock as rules
from epimanager.domain.gs1 import Gs1Error, is_valid_gtin, looks_like_gs1, parse_gs1
from epimanager.domain.stock import MovementKind, ShortStock, VialState
from epimanager.errors import NotFoundError, ValidationError
from epimanager.resources import catalog
from epimanager.services.database import OWN_UNIT_KEY, Database, get_config
from epimanager.store.models import Dose
from epimanager.store.models_stock import StockBatch, StockMovement, StockProduct, StockProductCode

TRACE7 = "trace7"
GTIN = "gtin"


# ---------------------------------------------------------------- records


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


def _vaccine_names(code: str) -> tuple[str, str]:
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


# ---------------------------------------------------------------- helpers


def resolve_vaccine(text: str) -> str:
    try:
        return catalog().resolve(text).code
    except KeyError as exc:
        raise ValidationError(str(exc.args[0])) from None


def effective_open_vial_hours(p: StockProduct) -> float:
    if p.open_vial_hours is not None:
        return p.open_vial_hours
    vac = catalog().get(p.vaccine_code)
    return rules.default_open_vial_hours(bool(vac and vac.live))


def _product_record(s: Session, p: StockProduct) -> ProductRecord:
    abbr, name = _vaccine_names(p.vaccine_code)
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
    )


def batch_record(b: StockBatch) -> BatchRecord:
    p = b.product
    return BatchRecord(
        id=b.id,
        product_id=p.id,
        vaccine_code=p.vaccine_code,
        vaccine_abbr=_vaccine_names(p.vaccine_code)[0],
        manufacturer=p.manufacturer,
        specification=p.specification,
        doses_per_vial=p.doses_per_vial,
        batch_no=b.batch_no,
        expiry=b.expiry,
        lot_release_no=b.lot_release_no,
        quantity=b.quantity,
        open_remaining=b.open_remaining,
        opened_at=b.opened_at,
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
        vaccine_abbr=_vaccine_names(p.vaccine_code)[0],
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
    )


def _blank_to_none(v: str | None) -> str | None:
    return v.strip() if v and v.strip() else None


def _check_date(on: date, today: date) -> None:
    if on > today:
        raise ValidationError(f"日期 {on.isoformat()} 晚于今天")


def _find_products(s: Session, code: str, manufacturer: str | None, specification: str | None) -> list[StockProduct]:
    q = select(StockProduct).where(StockProduct.vaccine_code == code)
    if manufacturer is not None and manufacturer.strip():
        q = q.where(StockProduct.manufacturer == manufacturer.strip())
    if specification is not None and specification.strip():
        q = q.where(StockProduct.specification == specification.strip())
    return list(s.scalars(q.order_by(StockProduct.id)))


def _one_product(s: Session, code: str, manufacturer: str | None, specification: str | None) -> StockProduct:
    found = _find_products(s, code, manufacturer, specification)
    abbr = _vaccine_names(code)[0]
    if not found:
        who = f"（{manufacturer}）" if manufacturer else ""
        raise NotFoundError(f"库存中没有疫苗 {abbr}{who} 的产品")
    if len(found) > 1:
        names = "、".join(f"{p.manufacturer or '未填企业'} {p.specification}".strip() for p in found)
        raise ValidationError(f"疫苗 {abbr} 有多个产品（{names}），请指定生产企业或规格")
    return found[0]


def _find_batch(
    s: Session, vaccine: str, batch_no: str, manufacturer: str | None = None, specification: str | None = None
) -> StockBatch:
    code = resolve_vaccine(vaccine)
    bno = rules.normalize_batch_no(batch_no)
    q = select(StockBatch).join(StockProduct).where(StockProduct.vaccine_code == code, StockBatch.batch_no == bno)
    if manufacturer and manufacturer.strip():
        q = q.where(StockProduct.manufacturer == manufacturer.strip())
    if specification and specification.strip():
        q = q.where(StockProduct.specification == specification.strip())
    found = list(s.scalars(q))
    abbr = _vaccine_names(code)[0]
    if not found:
        raise NotFoundError(f"库存中没有 {abbr} 批号 {bno}")
    if len(found) > 1:
        raise ValidationError(f"{abbr} 批号 {bno} 属于多个产品，请指定生产企业或规格")
    return found[0]


def _state(b: StockBatch) -> VialState:
    return VialState(b.quantity, b.open_remaining, b.opened_at)


def _set_state(b: StockBatch, st: VialState) -> None:
    b.quantity = st.quantity
    b.open_remaining = st.open_remaining
    b.opened_at = st.opened_at


def _balance_floor(s: Session, batch_id: int, on: date) -> int:
    """The lowest end-of-day balance from ``on`` onwards (by the ledger)."""
    rows = s.execute(
        select(StockMovement.date, func.sum(StockMovement.delta))
        .where(StockMovement.batch_id == batch_id)
        .group_by(StockMovement.date)
        .order_by(StockMovement.date)
    ).all()
    running = sum(int(t) for d, t in rows if d <= on)
    floor = running
    for d, t in rows:
        if d > on:
            running += int(t)
            floor = min(floor, running)
    return floor


def _short_error(b: StockBatch, available: int, needed: int, note: str = "") -> ValidationError:
    abbr = _vaccine_names(b.product.vaccine_code)[0]
    return ValidationError(
        f"库存不足：{abbr} 批号 {b.batch_no} 可用 {available} 人份{note}，"
        f"需要 {needed} 人份，缺少 {needed - available} 人份"
    )


def _check_floor(s: Session, b: StockBatch, delta: int, on: date) -> None:
    """Refuse a decrease that would make any end-of-day balance from ``on`` negative."""
    if delta >= 0:
        return
    s.flush()
    floor = _balance_floor(s, b.id, on)
    if floor + delta < 0:
        note = f"（按 {on.isoformat()} 起的结存）" if floor < b.quantity else ""
        raise _short_error(b, floor, -delta, note)


def _add_movement(
    s: Session,
    b: StockBatch,
    *,
    subtype: str,
    delta: int,
    on: date,
    now: datetime,
    user: str | None,
    document_no: str | None = None,
    supplier: str | None = None,
    counterparty: str | None = None,
    reason: str | None = None,
    dose_uuid: str | None = None,
    vial_opened_at: datetime | None = None,
) -> StockMovement:
    kind = rules.SUBTYPES[subtype][0]
    m = StockMovement(
        batch=b,
        kind=kind.value,
        subtype=subtype,
        delta=delta,
        date=on,
        at=now,
        document_no=_blank_to_none(document_no),
        supplier=_blank_to_none(supplier),
        counterparty=_blank_to_none(counterparty),
        reason=_blank_to_none(reason),
        user=user,
        dose_uuid=dose_uuid,
        vial_opened_at=vial_opened_at,
    )
    s.add(m)
    s.flush()
    return m


def _write_off_open_vial(s: Session, b: StockBatch, now: datetime, user: str | None) -> StockMovement | None:
    """损耗 for the remainder of an open vial past its hours (None when it is still good)."""
    hours = effective_open_vial_hours(b.product)
    st = _state(b)
    if not st.open_expired(hours, now):
        return None
    assert st.opened_at is not None
    expired_at = rules.open_vial_expires_at(st.opened_at, hours)
    n = st.open_remaining
    _set_state(b, rules.take(st, n, open_first=True))
    return _add_movement(
        s,
        b,
        subtype="open_vial",
        delta=-n,
        on=min(expired_at.date(), now.date()),
        now=now,
        user=user,
        reason=f"开启于 {st.opened_at:%Y-%m-%d %H:%M}，超过 {hours:g} 小时未用完",
    )


# ---------------------------------------------------------------- products


def add_product(
    db: Database,
    *,
    vaccine: str,
    manufacturer: str = "",
    specification: str = "",
    doses_per_vial: int = 1,
    form: str | None = None,
    price_fen: int | None = None,
    free: bool = True,
    min_quantity: int = 0,
    open_vial_hours: float | None = None,
) -> ProductRecord:
    """Register a product (vaccine + manufacturer + specification)."""
    code = resolve_vaccine(vaccine)
    _check_product_numbers(doses_per_vial, price_fen, min_quantity, open_vial_hours)
    with db.transaction() as s:
        manufacturer, specification = manufacturer.strip(), specification.strip()
        exists = s.scalar(
            select(StockProduct.id).where(
                StockProduct.vaccine_code == code,
                StockProduct.manufacturer == manufacturer,
                StockProduct.specification == specification,
            )
        )
        if exists is not None:
            raise ValidationError(f"产品已存在：{_vaccine_names(code)[0]} {manufacturer} {specification}".strip())
        p = _new_product(s, code, manufacturer, specification, doses_per_vial)
        p.form = _blank_to_none(form)
        p.price_fen = price_fen
        p.free = free
        p.min_quantity = min_quantity
        p.open_vial_hours = open_vial_hours
        s.flush()
        return _product_record(s, p)


def _check_product_numbers(
    doses_per_vial: int | None, price_fen: int | None, min_quantity: int | None, open_vial_hours: float | None
) -> None:
    problems = []
    if doses_per_vial is not None and not 1 <= doses_per_vial <= 100:
        problems.append("每瓶人份数应在 1–100 之间")
    if price_fen is not None and price_fen < 0:
        problems.append("价格不能为负数")
    if min_quantity is not None and min_quantity < 0:
        problems.append("最低库存不能为负数")
    if open_vial_hours is not None and not 0 < open_vial_hours <= 24 * 28:
        problems.append("开启后可用时间应大于0小时且不超过28天")
    if problems:
        raise ValidationError(problems)


def _new_product(s: Session, code: str, manufacturer: str, specification: str, doses_per_vial: int) -> StockProduct:
    p = StockProduct(
        vaccine_code=code,
        manufacturer=manufacturer,
        specification=specification,
        doses_per_vial=doses_per_vial,
        free=True,
        min_quantity=0,
        created_at=datetime.now(),
    )
    s.add(p)
    s.flush()
    return p


def update_product(
    db: Database,
    product_id: int,
    *,
    min_quantity: int | None = None,
    open_vial_hours: float | None = None,
    price_fen: int | None = None,
    free: bool | None = None,
    form: str | None = None,
) -> ProductRecord:
    """Change a product's settings (minimum level, open-vial hours, price, …)."""
    _check_product_numbers(None, price_fen, min_quantity, open_vial_hours)
    with db.transaction() as s:
        p = s.get(StockProduct, product_id)
        if p is None:
            raise NotFoundError(f"找不到产品（{product_id}）")
        if min_quantity is not None:
            p.min_quantity = min_quantity
        if open_vial_hours is not None:
            p.open_vial_hours = open_vial_hours
        if price_fen is not None:
            p.price_fen = price_fen
        if free is not None:
            p.free = free
        if form is not None:
            p.form = _blank_to_none(form)
        s.flush()
        return _product_record(s, p)


def find_product(
    db: Database, vaccine: str, manufacturer: str | None = None, specification: str | None = None
) -> ProductRecord:
    code = resolve_vaccine(vaccine)
    with db.session() as s:
        return _product_record(s, _one_product(s, code, manufacturer, specification))


def list_products(db: Database) -> list[ProductRecord]:
    with db.session() as s:
        ps = s.scalars(
            select(StockProduct).order_by(
                StockProduct.vaccine_code, StockProduct.manufacturer, StockProduct.specification
            )
        )
        return [_product_record(s, p) for p in ps]


def get_batch(
    db: Database, vaccine: str, batch_no: str, manufacturer: str | None = None, specification: str | None = None
) -> BatchRecord:
    with db.session() as s:
        return batch_record(_find_batch(s, vaccine, batch_no, manufacturer, specification))


def _learn_code(s: Session, product: StockProduct, code: str, kind: str) -> None:
    row = s.get(StockProductCode, (code, kind))
    if row is None:
        s.add(StockProductCode(code=code, kind=kind, product_id=product.id))
        return
    if row.product_id != product.id:
        other = s.get(StockProduct, row.product_id)
        assert other is not None
        label = "药品标识码" if kind == TRACE7 else "GTIN"
        raise ValidationError(
            f"{label} {code} 已对应产品 {_vaccine_names(other.vaccine_code)[0]} {other.manufacturer}，"
            f"不能再对应 {_vaccine_names(product.vaccine_code)[0]} {product.manufacturer}"
        )


# ---------------------------------------------------------------- movements


def receive(
    db: Database,
    *,
    vaccine: str,
    batch_no: str,
    expiry: date,
    quantity: int,
    manufacturer: str | None = None,
    specification: str | None = None,
    doses_per_vial: int | None = None,
    lot_release_no: str | None = None,
    supplier: str | None = None,
    document_no: str | None = None,
    trace_code: str | None = None,
    gtin: str | None = None,
    on: date | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> MovementRecord:
    """入库: receive ``quantity`` 人份 of a batch (the product is created on first receipt).

    A traceability code or GTIN given with the receipt teaches which product
    it stands for (by the code's first 7 digits / the GTIN).
    """
    now = now or datetime.now()
    on = on or now.date()
    code = resolve_vaccine(vaccine)
    bno = rules.normalize_batch_no(batch_no or "")
    problems = []
    if not bno:
        problems.append("批号不能为空")
    elif len(bno) > 40:
        problems.append("批号过长（最多40个字符）")
    if quantity <= 0:
        problems.append("入库数量应大于0")
    if on > now.date():
        problems.append(f"日期 {on.isoformat()} 晚于今天")
    if expiry < on:
        problems.append(f"批号 {bno} 已于 {expiry.isoformat()} 失效，不能入库")
    trace = _blank_to_none(trace_code)
    if trace is not None and not ids.is_trace_code(trace):
        problems.append("追溯码应为以8开头的20位数字")
    gtin = _blank_to_none(gtin)
    if gtin is not None and not is_valid_gtin(gtin):
        problems.append(f"GTIN 不正确：{gtin}")
    if problems:
        raise ValidationError(problems)
    _check_product_numbers(doses_per_vial, None, None, None)
    with db.transaction() as s:
        found = _find_products(s, code, manufacturer, specification)
        if len(found) > 1:
            product = _one_product(s, code, manufacturer, specification)  # raises: ambiguous
        elif found:
            product = found[0]
            if doses_per_vial is not None and doses_per_vial != product.doses_per_vial:
                raise ValidationError(
                    f"产品 {_vaccine_names(code)[0]} {product.manufacturer} 已登记为每瓶 "
                    f"{product.doses_per_vial} 人份，与本次 {doses_per_vial} 人份不符"
                )
        else:
            product = _new_product(
                s, code, (manufacturer or "").strip(), (specification or "").strip(), doses_per_vial or 1
            )
        b = s.scalar(select(StockBatch).where(StockBatch.product_id == product.id, StockBatch.batch_no == bno))
        if b is None:
            b = StockBatch(
                product=product,
                batch_no=bno,
                expiry=expiry,
                lot_release_no=_blank_to_none(lot_release_no),
                quantity=0,
                open_remaining=0,
                created_at=now,
            )
            s.add(b)
            s.flush()
        else:
            if b.expiry != expiry:
                raise ValidationError(
                    f"批号 {bno} 已登记失效期 {b.expiry.isoformat()}，与本次 {expiry.isoformat()} 不符"
                )
            if lot_release_no and not b.lot_release_no:
                b.lot_release_no = lot_release_no.strip()
        if trace is not None:
            _learn_code(s, product, rules.trace_product_id(trace), TRACE7)
        if gtin is not None:
            _learn_code(s, product, gtin, GTIN)
        _set_state(b, rules.put(_state(b), quantity))
        m = _add_movement(
            s,
            b,
            subtype="receipt",
            delta=quantity,
            on=on,
            now=now,
            user=user,
            document_no=document_no,
            supplier=supplier,
        )
        return movement_record(m, b.quantity)


def issue(
    db: Database,
    *,
    vaccine: str,
    batch_no: str,
    quantity: int,
    subtype: str = "use",
    manufacturer: str | None = None,
    specification: str | None = None,
    counterparty: str | None = None,
    document_no: str | None = None,
    reason: str | None = None,
    on: date | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> MovementRecord:
    """出库: use, return (退回) or transfer (调拨) ``quantity`` 人份 of a batch.

    Returns and transfers take whole, unopened vials only.
    """
    if subtype not in rules.ISSUE_SUBTYPES:
        raise ValidationError(f"出库类型不正确：{subtype}")
    if subtype == "transfer" and not _blank_to_none(counterparty):
        raise ValidationError("调拨出库需填写调入单位")
    return _take_out(
        db,
        vaccine=vaccine,
        batch_no=batch_no,
        quantity=quantity,
        subtype=subtype,
        manufacturer=manufacturer,
        specification=specification,
        counterparty=counterparty,
        document_no=document_no,
        reason=reason,
        on=on,
        user=user,
        now=now,
    )


def waste(
    db: Database,
    *,
    vaccine: str,
    batch_no: str,
    quantity: int,
    subtype: str,
    reason: str | None = None,
    manufacturer: str | None = None,
    specification: str | None = None,
    document_no: str | None = None,
    on: date | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> MovementRecord:
    """损耗: broken, expired, cold-chain failure, opened vial discarded, or other (reason required)."""
    if subtype not in rules.WASTE_SUBTYPES:
        raise ValidationError(f"损耗类型不正确：{subtype}")
    if subtype == "other" and not _blank_to_none(reason):
        raise ValidationError("其他损耗需填写原因")
    return _take_out(
        db,
        vaccine=vaccine,
        batch_no=batch_no,
        quantity=quantity,
        subtype=subtype,
        manufacturer=manufacturer,
        specification=specification,
        counterparty=None,
        document_no=document_no,
        reason=reason,
        on=on,
        user=user,
        now=now,
    )


def _take_out(
    db: Database,
    *,
    vaccine: str,
    batch_no: str,
    quantity: int,
    subtype: str,
    manufacturer: str | None,
    specification: str | None,
    counterparty: str | None,
    document_no: str | None,
    reason: str | None,
    on: date | None,
    user: str | None,
    now: datetime | None,
) -> MovementRecord:
    now = now or datetime.now()
    on = on or now.date()
    if quantity <= 0:
        raise ValidationError("数量应大于0")
    _check_date(on, now.date())
    with db.transaction() as s:
        b = _find_batch(s, vaccine, batch_no, manufacturer, specification)
        _write_off_open_vial(s, b, now, user)
        closed_only = subtype in ("return", "transfer")
        try:
            new = rules.take(_state(b), quantity, closed_only=closed_only, open_first=subtype == "open_vial")
        except ShortStock as exc:
            note = "（未开启的）" if closed_only else ""
            raise _short_error(b, exc.available, exc.needed, note) from None
        _check_floor(s, b, -quantity, on)
        _set_state(b, new)
        m = _add_movement(
            s,
            b,
            subtype=subtype,
            delta=-quantity,
            on=on,
            now=now,
            user=user,
            document_no=document_no,
            counterparty=counterparty,
            reason=reason,
        )
        return movement_record(m, b.quantity)


def count(
    db: Database,
    *,
    vaccine: str,
    batch_no: str,
    counted: int,
    reason: str | None = None,
    manufacturer: str | None = None,
    specification: str | None = None,
    on: date | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> MovementRecord:
    """盘点: the batch holds ``counted`` 人份 at the end of ``on``; the difference is an adjustment.

    A difference needs a reason.  A count with no difference is recorded too
    (a ledger line of 0), so the count itself is on file.
    """
    now = now or datetime.now()
    on = on or now.date()
    if counted < 0:
        raise ValidationError("盘点数量不能为负数")
    _check_date(on, now.date())
    with db.transaction() as s:
        b = _find_batch(s, vaccine, batch_no, manufacturer, specification)
        _write_off_open_vial(s, b, now, user)
        s.flush()
        at_on = int(
            s.scalar(
                select(func.coalesce(func.sum(StockMovement.delta), 0)).where(
                    StockMovement.batch_id == b.id, StockMovement.date <= on
                )
            )
            or 0
        )
        delta = counted - at_on
        if delta != 0 and not _blank_to_none(reason):
            raise ValidationError(f"盘点数量 {counted} 与账面 {at_on} 不符（差 {delta:+d} 人份），请填写原因")
        _check_floor(s, b, delta, on)
        _set_state(b, rules.counted(_state(b), b.quantity + delta))
        m = _add_movement(s, b, subtype="count", delta=delta, on=on, now=now, user=user, reason=reason)
        return movement_record(m, b.quantity)


def expire_open_vials(db: Database, *, now: datetime | None = None, user: str | None = None) -> list[MovementRecord]:
    """Write off (损耗, 开启后废弃) the remainder of every open vial past its hours."""
    now = now or datetime.now()
    with db.transaction() as s:
        out = []
        for b in s.scalars(select(StockBatch).where(StockBatch.open_remaining > 0).order_by(StockBatch.id)):
            m = _write_off_open_vial(s, b, now, user)
            if m is not None:
                out.append(movement_record(m, b.quantity))
        return out


# ---------------------------------------------------------------- doses


def _dose_batch(s: Session, dose: Dose) -> StockBatch | None:
    """The stock batch a dose draws on, or None when stock does not apply."""
    if dose.deleted or not dose.batch_no or not dose.batch_no.strip():
        return None
    # a dose that is one component of a combination product: the product's own dose carries the stock
    if dose.combination_code and dose.combination_code != dose.vaccine_code:
        return None
    own = get_config(s, OWN_UNIT_KEY)
    if own is None or dose.unit_code != own:
        return None
    bno = rules.normalize_batch_no(dose.batch_no)
    found = list(
        s.scalars(
            select(StockBatch)
            .join(StockProduct)
            .where(StockProduct.vaccine_code == dose.vaccine_code, StockBatch.batch_no == bno)
            .order_by(StockBatch.expiry, StockBatch.id)
        )
    )
    if len(found) > 1 and dose.manufacturer:
        same = [b for b in found if b.product.manufacturer == dose.manufacturer.strip()]
        found = same or found
    if not found:
        return None
    b = next((b for b in found if b.quantity > 0), found[0])
    first = s.scalar(
        select(func.min(StockMovement.date)).where(
            StockMovement.batch_id == b.id, StockMovement.kind == MovementKind.IN.value
        )
    )
    if first is None or dose.date < first:
        return None  # the clinic did not yet hold this batch: back-entry
    return b


def consume_for_dose(
    s: Session, dose: Dose, *, user: str | None = None, now: datetime | None = None, fill: bool = True
) -> MovementRecord | None:
    """Take one 人份 for a dose from its batch, in the caller's transaction.

    Returns None when stock does not apply to the dose.  Refuses (ValidationError)
    an expired batch, a trace code of another product, or a batch with no dose left.
    With ``fill`` (a new dose) the dose's empty expiry and manufacturer are
    filled from the batch.
    """
    b = _dose_batch(s, dose)
    if b is None:
        return None
    p = b.product
    abbr = _vaccine_names(p.vaccine_code)[0]
    if b.expiry < dose.date:
        raise ValidationError(f"{abbr} 批号 {b.batch_no} 已于 {b.expiry.isoformat()} 失效，不能用于接种")
    if dose.trace_code:
        owner = s.scalar(
            select(StockProductCode.product_id).where(
                StockProductCode.code == rules.trace_product_id(dose.trace_code), StockProductCode.kind == TRACE7
            )
        )
        if owner is not None and owner != p.id:
            other = s.get(StockProduct, owner)
            assert other is not None
            raise ValidationError(
                f"追溯码对应的产品是 {_vaccine_names(other.vaccine_code)[0]} {other.manufacturer}，"
                f"与批号 {b.batch_no}（{abbr} {p.manufacturer}）不符"
            )
    if fill and dose.expiry is None:
        dose.expiry = b.expiry
    if fill and not dose.manufacturer and p.manufacturer:
        dose.manufacturer = p.manufacturer
    now = now or datetime.now()
    _write_off_open_vial(s, b, now, user)
    try:
        new, drawn_from = rules.draw_dose(_state(b), p.doses_per_vial, now)
    except ShortStock as exc:
        raise _short_error(b, exc.available, exc.needed) from None
    _check_floor(s, b, -1, dose.date)
    _set_state(b, new)
    m = _add_movement(
        s,
        b,
        subtype="dose",
        delta=-1,
        on=dose.date,
        now=now,
        user=user,
        dose_uuid=dose.uuid,
        vial_opened_at=drawn_from,
    )
    return movement_record(m, b.quantity)


def release_for_dose(
    s: Session,
    dose: Dose,
    *,
    user: str | None = None,
    reason: str = "删除接种记录",
    now: datetime | None = None,
) -> list[MovementRecord]:
    """Put back what a dose took from stock (dose deleted or its batch changed).

    The return is dated like the use it cancels, so the month the dose was
    counted in nets to zero.
    """
    now = now or datetime.now()
    rows = s.execute(
        select(StockMovement.batch_id, func.sum(StockMovement.delta))
        .where(StockMovement.dose_uuid == dose.uuid, StockMovement.kind == MovementKind.OUT.value)
        .group_by(StockMovement.batch_id)
    ).all()
    out = []
    for batch_id, net in rows:
        if int(net) >= 0:
            continue
        b = s.get(StockBatch, batch_id)
        assert b is not None
        last = s.scalars(
            select(StockMovement)
            .where(StockMovement.dose_uuid == dose.uuid, StockMovement.batch_id == batch_id, StockMovement.delta < 0)
            .order_by(StockMovement.id.desc())
            .limit(1)
        ).one()
        st = _state(b)
        for _ in range(-int(net)):
            st = rules.return_dose(st, b.product.doses_per_vial, last.vial_opened_at)
        _set_state(b, st)
        m = _add_movement(
            s,
            b,
            subtype="dose",
            delta=-int(net),
            on=last.date,
            now=now,
            user=user,
            reason=reason,
            dose_uuid=dose.uuid,
            vial_opened_at=last.vial_opened_at,
        )
        out.append(movement_record(m, b.quantity))
    return out


def rebind_dose(
    s: Session, dose: Dose, *, user: str | None = None, now: datetime | None = None
) -> MovementRecord | None:
    """After a dose's vaccine, batch, date or place changed: move its 人份 to the right batch."""
    target = _dose_batch(s, dose)
    bound = s.execute(
        select(StockMovement.batch_id, func.sum(StockMovement.delta), func.max(StockMovement.date))
        .where(StockMovement.dose_uuid == dose.uuid, StockMovement.kind == MovementKind.OUT.value)
        .group_by(StockMovement.batch_id)
        .having(func.sum(StockMovement.delta) < 0)
    ).all()
    if (
        target is not None
        and len(bound) == 1
        and bound[0][0] == target.id
        and int(bound[0][1]) == -1
        and bound[0][2] == dose.date
    ):
        return None  # still bound to the same batch on the same day
    release_for_dose(s, dose, user=user, reason="修改接种记录", now=now)
    # an edit is audited field by field by the caller: do not change other fields here
    return consume_for_dose(s, dose, user=user, now=now, fill=False)


# ---------------------------------------------------------------- proposals, codes, alerts


def _options(s: Session, batches: Sequence[StockBatch], on: date, now: datetime) -> list[BatchOption]:
    opts: list[tuple[tuple[int, date, str], BatchOption]] = []
    for b in batches:
        if b.expiry < on or b.quantity <= 0:
            continue
        p = b.product
        hours = effective_open_vial_hours(p)
        st = _state(b)
        good_open = st.open_remaining > 0 and not st.open_expired(hours, now)
        usable = st.quantity if good_open else st.closed
        if usable <= 0:
            continue
        until = rules.open_vial_expires_at(b.opened_at, hours) if good_open and b.opened_at else None
        opt = BatchOption(
            batch_id=b.id,
            vaccine_code=p.vaccine_code,
            vaccine_abbr=_vaccine_names(p.vaccine_code)[0],
            manufacturer=p.manufacturer,
            batch_no=b.batch_no,
            expiry=b.expiry,
            quantity=usable,
            open_remaining=st.open_remaining if good_open else 0,
            open_until=until,
            doses_per_vial=p.doses_per_vial,
            days_to_expiry=(b.expiry - on).days,
        )
        opts.append(((0 if good_open else 1, b.expiry, b.batch_no), opt))
    opts.sort(key=lambda t: t[0])
    return [o for _, o in opts]


def propose_batches(
    db: Database, vaccine_code: str, on: date | None = None, *, now: datetime | None = None
) -> list[BatchOption]:
    """Usable batches of a vaccine, best first (FEFO).

    Usable = not expired on ``on`` and with doses left.  An open vial still
    within its hours comes first (its doses would otherwise be wasted), then
    the earliest expiry.
    """
    now = now or datetime.now()
    on = on or now.date()
    code = resolve_vaccine(vaccine_code)
    with db.session() as s:
        batches = s.scalars(
            select(StockBatch)
            .join(StockProduct)
            .where(StockProduct.vaccine_code == code, StockBatch.quantity > 0, StockBatch.expiry >= on)
        ).all()
        return _options(s, batches, on, now)


def product_for_trace_code(db: Database, trace_code: str) -> ProductRecord | None:
    """The product a 20-digit traceability code stands for (first 7 digits), once learned from a receipt."""
    code = trace_code.strip()
    if not ids.is_trace_code(code):
        raise ValidationError("追溯码应为以8开头的20位数字")
    with db.session() as s:
        return _product_by_code(s, rules.trace_product_id(code), TRACE7)


def _product_by_code(s: Session, code: str, kind: str) -> ProductRecord | None:
    row = s.get(StockProductCode, (code, kind))
    if row is None:
        return None
    p = s.get(StockProduct, row.product_id)
    return _product_record(s, p) if p else None


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
                options = tuple(_options(s, bs, on, now))
            return ScanResult(kind="trace", trace_code=t, product=prod, options=options)
        if not looks_like_gs1(text):
            raise ValidationError(f"无法识别的扫码内容：“{t}”（应为20位追溯码或 GS1 二维码）")
        try:
            data = parse_gs1(text, today=on)
        except Gs1Error as exc:
            raise ValidationError(str(exc)) from None
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
                    prod = _product_record(s, found[0].product)
        return ScanResult(
            kind="gs1",
            gtin=data.gtin,
            batch_no=data.lot,
            expiry=data.expiry,
            serial=data.serial,
            product=prod,
            batch=batch,
        )


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
        return [LowStock(_product_record(s, p), int(q), p.min_quantity) for p, q in rows]
