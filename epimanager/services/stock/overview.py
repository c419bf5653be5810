"""The 库存一览 screen's one read: the on-hand list with what F7 warns about marked on its lines.

Nothing is decided here that another service does not already decide: the lines are
:func:`.reports.on_hand` (expired / near expiry by its rule), the marks add
:func:`.alerts.below_minimum` (usable stock under the product's minimum) and
:func:`.syringes.shortages` (doses that found no syringe in the last 30 days) — the same
three sources as the F7 notices.  A product below its minimum with nothing on hand, and a
syringe type short with none in stock, get a line of their own (quantity 0), so every
stock notice has a line to point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from epimanager.services.stock import alerts, reports, syringes
from epimanager.services.stock.records import MovementRecord, unit_of, vaccine_names
from epimanager.services.stock.syringe_types import SYRINGE, SYRINGE_TYPES, VACCINE
from epimanager.store.database import Database

#: the whole life of a batch (``movements`` wants a period)
_FIRST_DAY = date(1900, 1, 1)
_LAST_DAY = date(9999, 12, 31)


@dataclass(frozen=True)
class StockLine:
    """One line of the on-hand list: a batch with stock, or a product / syringe type with a warning."""

    #: vaccine (人份) / syringe (支)
    kind: str
    #: the vaccine's national code or the syringe type's code (``AD05``)
    code: str
    abbr: str
    name: str
    manufacturer: str
    specification: str
    doses_per_vial: int
    #: "" on a line without a batch (nothing on hand)
    batch_no: str
    expiry: date | None
    days_left: int | None
    quantity: int
    #: 0 when the line has no batch / no product
    batch_id: int
    product_id: int
    #: the on-hand list's own status: "已过期" / "近效期" / ""
    status: str = ""
    #: the product's minimum when its usable stock is below it (else None)
    minimum: int | None = None
    #: doses of the last 30 days that found no syringe of this type (syringes only)
    shortage_doses: int = 0

    @property
    def unit(self) -> str:
        return unit_of(self.kind)

    @property
    def is_syringe(self) -> bool:
        return self.kind == SYRINGE

    @property
    def marks(self) -> tuple[str, ...]:
        """The warnings of this line in words, most urgent first."""
        out: list[str] = []
        if self.status == "已过期":
            out.append("已过期")
        elif self.status == "近效期" and self.days_left is not None:
            out.append(f"近效期（{self.days_left}天后过期）")
        if self.minimum is not None:
            out.append(f"低于最低库存 {self.minimum} {self.unit}")
        if self.shortage_doses:
            out.append(f"注射器短缺（{self.shortage_doses} 剂次无库存）")
        return tuple(out)


def overview(db: Database, on: date | None = None) -> list[StockLine]:
    """Vaccines first (by class, then expiry), then syringes (by type); warnings marked on each line."""
    on = on or date.today()
    low = {x.product.id: x for x in alerts.below_minimum(db, on=on)}
    short = {x.syringe_type: x.doses for x in syringes.shortages(db, syringes.shortage_window_start(on))}
    lines: dict[str, list[StockLine]] = {VACCINE: [], SYRINGE: []}
    seen_products: set[int] = set()
    for r in reports.on_hand(db, on):
        seen_products.add(r.product_id)
        lines[r.kind].append(
            StockLine(
                kind=r.kind,
                code=r.vaccine_code,
                abbr=r.vaccine_abbr,
                name=vaccine_names(r.vaccine_code)[1],
                manufacturer=r.manufacturer,
                specification=r.specification,
                doses_per_vial=r.doses_per_vial,
                batch_no=r.batch_no,
                expiry=r.expiry,
                days_left=r.days_left,
                quantity=r.quantity,
                batch_id=r.batch_id,
                product_id=r.product_id,
                status=r.status,
                minimum=low[r.product_id].minimum if r.product_id in low else None,
                shortage_doses=short.get(r.vaccine_code, 0),
            )
        )
    for pid, x in low.items():
        if pid not in seen_products:
            p = x.product
            lines[p.kind].append(
                StockLine(
                    kind=p.kind,
                    code=p.vaccine_code,
                    abbr=p.vaccine_abbr,
                    name=p.vaccine_name,
                    manufacturer=p.manufacturer,
                    specification=p.specification,
                    doses_per_vial=p.doses_per_vial,
                    batch_no="",
                    expiry=None,
                    days_left=None,
                    quantity=x.on_hand,
                    batch_id=0,
                    product_id=pid,
                    minimum=x.minimum,
                    shortage_doses=short.get(p.vaccine_code, 0),
                )
            )
    listed = {ln.code for ln in lines[SYRINGE]}
    for stype, doses in short.items():
        if stype not in listed:
            abbr, name = SYRINGE_TYPES.get(stype, (stype, stype))
            lines[SYRINGE].append(
                StockLine(SYRINGE, stype, abbr, name, "", "", 1, "", None, None, 0, 0, 0, shortage_doses=doses)
            )
    return lines[VACCINE] + lines[SYRINGE]


def batch_ledger(db: Database, batch_id: int) -> list[MovementRecord]:
    """Every movement of one batch, oldest first, with the balance after each."""
    return reports.movements(db, _FIRST_DAY, _LAST_DAY, batch_id=batch_id)
