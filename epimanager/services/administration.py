"""Scan-verified administration (接种台扫码核对): what a scanned code lets the nurse give, or why not.

A scanned 20-digit 追溯码 or GS1 DataMatrix string is checked against the vaccine to give (one item
of 今日接种安排, or the vaccine the nurse chose) before the dose is saved.  A hard stop
(:class:`ScanRefused`, every reason in Chinese) for: another product than the order's, a product
the stock does not know, an expired batch, a batch on the county's recall/lock list
(:mod:`epimanager.services.recalls`), a trace code already recorded as many times as its package
holds doses, an open multi-dose vial past its hours, no consent, 预检 not passed.  Otherwise the
dose takes batch, expiry and manufacturer from the code (:class:`ScanVerdict`).

An override exists only for a 业务管理员 (``permissions`` action ``scan_override``) with a reason;
it is audited (``scan_override``) with the dose it let through.  :func:`verify_scan` only reads
(the 接种台's scan field); :func:`epimanager.services.doses.add_dose` runs the same checks
(:func:`check_for_dose`) in its write transaction when a scan or trace code is given.

GS1 strings carry no per-package code this database stores (``dose.trace_code`` is the 20-digit
追溯码), so the use count and the open-vial hours are checked for trace codes only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epimanager.domain import identifiers as ids
from epimanager.domain import stock as rules
from epimanager.domain.validation import DoseInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.resources import catalog
from epimanager.services import audit, permissions, recalls
from epimanager.services.consent import consent_block
from epimanager.services.order_check import planned_items
from epimanager.services.precheck import precheck_block
from epimanager.services.stock.proposals import batch_options
from epimanager.services.stock.records import GTIN, TRACE7, effective_open_vial_hours, vaccine_names
from epimanager.services.stock.scan import product_by_code, read_gs1
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose
from epimanager.store.models_stock import StockBatch, StockMovement, StockProduct
from epimanager.store.models_visit_order import VisitOrderItem


@dataclass(frozen=True)
class ScanVerdict:
    """What the scanned package gives the dose, and which refusals a 业务管理员 overrode."""

    vaccine_code: str
    #: "trace" (20-digit 追溯码) or "gs1"
    kind: str
    trace_code: str | None
    batch_no: str | None
    expiry: date | None
    manufacturer: str | None
    #: doses already recorded with this trace code, and how many its package holds
    uses: int = 0
    doses_per_vial: int | None = None
    #: the refusals this verdict carries (empty = the scan passed)
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["expiry"] = self.expiry.isoformat() if self.expiry else None
        d["reasons"] = list(self.reasons)
        return d


class ScanRefused(ValidationError):
    """A hard stop at the 接种台: the scanned package must not be given (``reasons`` in Chinese)."""

    def __init__(self, reasons: list[str], verdict: ScanVerdict | None = None) -> None:
        self.reasons = list(reasons)
        self.verdict = verdict
        ValidationError.__init__(self, "扫码核对未通过：" + "；".join(self.reasons))
        self.problems = list(self.reasons)


# ---------------------------------------------------------------- the other parts' checks (consent, 预检)


def consent_and_precheck(s: Session, child_id: int, vaccine_code: str, day: date) -> list[str]:
    """Refusals of the other clinic-safety parts, each in Chinese: 预检 not passed (a 暂缓 or 禁忌 in
    force, or the visit not yet through a 预检 step the clinic runs: ``precheck_block``), and no
    consent (``consent_block``) for a vaccine on the child's order of the day — consent is taken at
    登记 for the order's vaccines, so a clinic that gives a dose with no order asks none."""
    found = [precheck_block(s, child_id, vaccine_code, day)]
    planned = planned_items(s, child_id, day)
    if planned is not None and any(p.vaccine_code == vaccine_code for p in planned[1]):
        found.append(consent_block(s, child_id, vaccine_code, day))
    return [r for r in found if r]


# ---------------------------------------------------------------- reading the package


def _label(p: StockProduct) -> str:
    return " ".join(x for x in (vaccine_names(p.vaccine_code)[0], p.manufacturer) if x)


def _trace_uses(s: Session, trace: str) -> tuple[int, datetime | None, str | None]:
    """(doses recorded with the code, when its vial was opened, the batch they took)."""
    rows = s.execute(
        select(Dose.uuid, Dose.created_at, Dose.batch_no)
        .where(Dose.trace_code == trace, Dose.deleted.is_(False))
        .order_by(Dose.created_at, Dose.id)
    ).all()
    if not rows:
        return 0, None, None
    opened = s.scalar(
        select(func.min(StockMovement.vial_opened_at)).where(StockMovement.dose_uuid.in_([r[0] for r in rows]))
    )
    return len(rows), opened or rows[0][1], rows[0][2]


def _stock_batch(s: Session, p: StockProduct, batch_no: str) -> StockBatch | None:
    bno = rules.normalize_batch_no(batch_no)
    return s.scalar(select(StockBatch).where(StockBatch.product_id == p.id, StockBatch.batch_no == bno))


def _trace_batch(
    s: Session, p: StockProduct, hint: str | None, day: date, now: datetime, reasons: list[str]
) -> StockBatch | None:
    """The batch a trace-coded package is drawn from: the one named, else the best usable (FEFO)
    that is not recalled or locked — the code names the product, not the batch; when every usable
    batch is stopped, the first one (named in the refusal)."""
    if hint:
        return _stock_batch(s, p, hint)
    batches = list(s.scalars(select(StockBatch).where(StockBatch.product_id == p.id)))
    usable = [s.get(StockBatch, o.batch_id) for o in batch_options(s, batches, day, now)]
    free = [
        b
        for b in usable
        if b is not None and recalls.active_recall(s, b.batch_no, p.vaccine_code, p.manufacturer) is None
    ]
    if free or usable:
        return (free or usable)[0]
    expired = sorted((b for b in batches if b.quantity > 0 and b.expiry < day), key=lambda b: b.expiry)
    if expired:
        return expired[-1]  # named in the expiry refusal
    reasons.append(f"库存中没有 {_label(p)} 的可用批号")
    return None


def check_scan(
    s: Session,
    child_id: int,
    vaccine_code: str,
    text: str,
    day: date,
    now: datetime,
    *,
    batch_hint: str | None = None,
) -> ScanVerdict:
    """Every check of a scanned ``text`` for a dose of ``vaccine_code`` on ``day`` (in the caller's
    session); the verdict's ``reasons`` lists each refusal (empty: the dose may be given)."""
    t = text.strip()
    vac = catalog().get(vaccine_code)
    wanted = vac.name if vac else vaccine_code
    reasons: list[str] = []
    p: StockProduct | None
    batch: StockBatch | None = None
    uses, per, opened = 0, None, None
    if ids.is_trace_code(t):
        kind, trace, lot, expiry = "trace", t, None, None
        p = product_by_code(s, rules.trace_product_id(t), TRACE7)
        uses, opened, used_batch = _trace_uses(s, t)
        if p is None:
            prefix = rules.trace_product_id(t)
            reasons.append(f"追溯码的产品（药品标识码 {prefix}）尚未入库登记，无法核对是否为{wanted}")
        elif p.vaccine_code != vaccine_code:
            reasons.append(f"追溯码对应的产品是 {_label(p)}，不是本次要接种的{wanted}")
        else:
            batch = _trace_batch(s, p, batch_hint or used_batch, day, now, reasons)
            per = p.doses_per_vial
    else:
        data = read_gs1(t, day)
        kind, trace, lot, expiry = "gs1", None, data.lot, data.expiry
        p = product_by_code(s, data.gtin, GTIN) if data.gtin else None
        if p is None and lot:
            found = list(s.scalars(select(StockBatch).where(StockBatch.batch_no == rules.normalize_batch_no(lot))))
            p = found[0].product if len(found) == 1 else None
        if p is None:
            reasons.append(f"二维码的产品（GTIN {data.gtin}）尚未入库登记，无法核对是否为{wanted}")
        elif p.vaccine_code != vaccine_code:
            reasons.append(f"扫码的产品是 {_label(p)}，不是本次要接种的{wanted}")
        elif lot:
            batch = _stock_batch(s, p, lot)
        if batch_hint and lot and rules.normalize_batch_no(batch_hint) != rules.normalize_batch_no(lot):
            reasons.append(f"扫码的批号 {lot} 与填写的批号 {batch_hint} 不符")
    batch_no = batch.batch_no if batch is not None else (rules.normalize_batch_no(lot) if lot else None)
    expiry = batch.expiry if batch is not None else expiry
    maker = p.manufacturer if p is not None and p.manufacturer else None
    if batch_no and expiry is not None and expiry < day:
        reasons.append(f"{vaccine_names(vaccine_code)[0]} 批号 {batch_no} 已于 {expiry.isoformat()} 失效")
    if batch_no:
        stop = recalls.active_recall(s, batch_no, p.vaccine_code if p else vaccine_code, maker)
        if stop is not None:
            reasons.append(recalls.describe(stop))
    if trace is not None and p is not None and per is not None:
        if uses >= per:
            reasons.append(f"追溯码 {trace} 已登记 {uses} 剂，该包装只有 {per} 人份（一码多用）")
        elif uses and per > 1 and opened is not None:
            hours = effective_open_vial_hours(p)
            if rules.open_vial_expires_at(opened, hours) <= now:
                reasons.append(
                    f"该支疫苗（追溯码 {trace}）开启于 {opened:%Y-%m-%d %H:%M}，开启后限 {hours:g} 小时内用完，"
                    "已超时，应废弃"
                )
    reasons += consent_and_precheck(s, child_id, vaccine_code, day)
    return ScanVerdict(
        vaccine_code=vaccine_code,
        kind=kind,
        trace_code=trace,
        batch_no=batch_no,
        expiry=expiry,
        manufacturer=maker,
        uses=uses,
        doses_per_vial=per,
        reasons=tuple(dict.fromkeys(reasons)),
    )


# ---------------------------------------------------------------- the 接种台 and the dose service


def require_override(db: Database, reason: str | None) -> str:
    """A 业务管理员's reason to let a refused scan through (PermissionDenied for anyone else)."""
    permissions.check(db, "scan_override")
    why = (reason or "").strip()
    if not why:
        raise ValidationError("强制通过扫码核对需要填写原因")
    return why[:200]


def verify_scan(
    db: Database,
    child_code: str,
    text: str,
    *,
    vaccine: str | None = None,
    order_item_id: int | None = None,
    day: date | None = None,
    now: datetime | None = None,
    batch_no: str | None = None,
    override_reason: str | None = None,
) -> ScanVerdict:
    """Check a scan for the vaccine to give (``vaccine``, or the order item ``order_item_id``).

    Raises :class:`ScanRefused` naming every reason, unless ``override_reason`` (业务管理员 only)
    is given: then the verdict carries the reasons, to be audited when the dose is saved.
    Writes nothing (beyond bringing in a newly delivered recall list).
    """
    if override_reason is not None:
        require_override(db, override_reason)
    now = now or datetime.now()
    day = day or now.date()
    with db.transaction() as s:
        recalls.apply_delivered(s)
        child = s.scalar(select(Child).where(Child.code == child_code, Child.deleted.is_(False)))
        if child is None:
            raise NotFoundError(f"找不到儿童编码为 {child_code} 的个案")
        if order_item_id is not None:
            item = s.get(VisitOrderItem, order_item_id)
            if item is None:
                raise NotFoundError("找不到该项今日接种安排")
            code = item.vaccine_code
        elif vaccine:
            try:
                code = catalog().resolve(vaccine).code
            except KeyError as exc:
                raise ValidationError(str(exc.args[0])) from None
        else:
            raise ValidationError("请先选择要接种的疫苗")
        verdict = check_scan(s, child.id, code, text, day, now, batch_hint=batch_no)
    if verdict.reasons and override_reason is None:
        raise ScanRefused(list(verdict.reasons), verdict)
    return verdict


def check_for_dose(
    s: Session, child: Child, code: str, inp: DoseInput, *, scan: str, override: str | None
) -> tuple[DoseInput, ScanVerdict]:
    """:func:`check_scan` inside the dose's write transaction: the input with batch, expiry,
    manufacturer and trace code taken from the code, or :class:`ScanRefused`."""
    recalls.apply_delivered(s)
    verdict = check_scan(s, child.id, code, scan, inp.date, datetime.now(), batch_hint=inp.batch_no)
    if verdict.reasons and override is None:
        raise ScanRefused(list(verdict.reasons), verdict)
    filled = replace(
        inp,
        batch_no=inp.batch_no or verdict.batch_no,
        expiry=inp.expiry or verdict.expiry,
        manufacturer=inp.manufacturer or verdict.manufacturer,
        trace_code=inp.trace_code or verdict.trace_code,
    )
    return filled, verdict


def audit_override(s: Session, dose: Dose, verdict: ScanVerdict, reason: str, user: str | None) -> None:
    """The audit entry of a dose a 业务管理员 let through a refused scan."""
    audit.record(
        s,
        kind="scan_override",
        entity="dose",
        entity_uuid=dose.uuid,
        child_id=dose.child_id,
        user=user,
        old="；".join(verdict.reasons),
        new=f"强制通过扫码核对：{reason}",
    )
