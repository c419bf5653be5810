"""Vaccine stock rules (疫苗出入库), pure: movement kinds, vials, months.

Quantities are 人份 (doses).  A batch of a multi-dose product holds closed
vials plus, at most, one open vial whose remaining doses are usable until
``open_vial_hours`` after it was opened.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class MovementKind(StrEnum):
    IN = "in"
    OUT = "out"
    WASTE = "waste"
    COUNT = "count"

    @property
    def label(self) -> str:
        return {"in": "入库", "out": "出库", "waste": "损耗", "count": "盘点"}[self.value]


#: subtype code -> (kind, Chinese label)
SUBTYPES: dict[str, tuple[MovementKind, str]] = {
    "receipt": (MovementKind.IN, "领取入库"),
    "dose": (MovementKind.OUT, "接种使用"),
    "use": (MovementKind.OUT, "使用"),
    "return": (MovementKind.OUT, "退回"),
    "transfer": (MovementKind.OUT, "调拨"),
    "broken": (MovementKind.WASTE, "破损"),
    "expired": (MovementKind.WASTE, "过期"),
    "cold_chain": (MovementKind.WASTE, "冷链故障"),
    "open_vial": (MovementKind.WASTE, "开启后废弃"),
    "other": (MovementKind.WASTE, "其他损耗"),
    "count": (MovementKind.COUNT, "盘点调整"),
}

ISSUE_SUBTYPES = ("use", "return", "transfer")
WASTE_SUBTYPES = ("broken", "expired", "cold_chain", "open_vial", "other")


def subtype_label(code: str) -> str:
    return SUBTYPES[code][1] if code in SUBTYPES else code


def parse_subtype(text: str, allowed: tuple[str, ...]) -> str:
    """A subtype code from its code or Chinese label (``破损`` → ``broken``)."""
    t = text.strip()
    for code in allowed:
        if t.lower() == code or t == SUBTYPES[code][1]:
            return code
    # short labels people type: 过期 / 破损 / 冷链 / 开启 / 退回 / 调拨 / 使用
    for code in allowed:
        if t and SUBTYPES[code][1].startswith(t):
            return code
    choices = " / ".join(f"{SUBTYPES[c][1]}({c})" for c in allowed)
    raise ValueError(f"类型不正确：“{text}”（应为 {choices}）")


#: 预防接种工作规范: an opened ampoule of a live vaccine not used within half an
#: hour, or an inactivated vaccine within one hour, is discarded.
LIVE_OPEN_VIAL_HOURS = 0.5
INACTIVATED_OPEN_VIAL_HOURS = 1.0


def default_open_vial_hours(live: bool) -> float:
    return LIVE_OPEN_VIAL_HOURS if live else INACTIVATED_OPEN_VIAL_HOURS


def open_vial_expires_at(opened_at: datetime, hours: float) -> datetime:
    return opened_at + timedelta(hours=hours)


class ShortStock(Exception):
    """Not enough doses: ``available`` of ``needed``."""

    def __init__(self, available: int, needed: int) -> None:
        super().__init__(f"available {available}, needed {needed}")
        self.available = available
        self.needed = needed

    @property
    def shortfall(self) -> int:
        return self.needed - self.available


@dataclass(frozen=True)
class VialState:
    """A batch's doses: ``quantity`` in all, ``open_remaining`` of them in the open vial."""

    quantity: int
    open_remaining: int = 0
    opened_at: datetime | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.open_remaining <= self.quantity:
            raise ValueError(f"bad vial state {self}")

    @property
    def closed(self) -> int:
        """Doses in unopened vials."""
        return self.quantity - self.open_remaining

    def open_expired(self, hours: float, now: datetime) -> bool:
        return (
            self.open_remaining > 0
            and self.opened_at is not None
            and open_vial_expires_at(self.opened_at, hours) <= now
        )


def _open(quantity: int, remaining: int, opened_at: datetime | None) -> VialState:
    return VialState(quantity, remaining, opened_at if remaining > 0 else None)


def draw_dose(state: VialState, doses_per_vial: int, now: datetime) -> tuple[VialState, datetime | None]:
    """Take one dose for a vaccination: from the open vial, else open a new one.

    Returns the new state and the opening time of the vial the dose came from
    (None for single-dose products).  The caller has written off an expired
    open vial first.
    """
    if state.quantity < 1:
        raise ShortStock(state.quantity, 1)
    if doses_per_vial <= 1:
        return VialState(state.quantity - 1, 0, None), None
    if state.open_remaining > 0:
        return _open(state.quantity - 1, state.open_remaining - 1, state.opened_at), state.opened_at
    remaining = min(doses_per_vial, state.quantity) - 1
    return _open(state.quantity - 1, remaining, now), now


def return_dose(state: VialState, doses_per_vial: int, vial_opened_at: datetime | None) -> VialState:
    """Put back one dose that was drawn for a vaccination now deleted or moved.

    It goes back to the vial it was drawn from when that vial is still the
    open one (or was used up); a vial that is full again counts as closed.
    """
    same_vial = state.open_remaining == 0 or state.opened_at == vial_opened_at
    if doses_per_vial > 1 and vial_opened_at is not None and same_vial:
        remaining = state.open_remaining + 1
        if remaining >= doses_per_vial:
            return VialState(state.quantity + 1, 0, None)
        return VialState(state.quantity + 1, remaining, vial_opened_at)
    return VialState(state.quantity + 1, state.open_remaining, state.opened_at)


def take(state: VialState, n: int, *, closed_only: bool = False, open_first: bool = False) -> VialState:
    """Take ``n`` doses out (issue, wastage): closed vials first unless ``open_first``."""
    if n < 0:
        raise ValueError("n must not be negative")
    available = state.closed if closed_only else state.quantity
    if n > available:
        raise ShortStock(available, n)
    if open_first:
        from_open = min(n, state.open_remaining)
    else:
        from_open = max(0, n - state.closed)
    return _open(state.quantity - n, state.open_remaining - from_open, state.opened_at)


def put(state: VialState, n: int) -> VialState:
    """Add ``n`` doses in closed vials (receipt)."""
    return VialState(state.quantity + n, state.open_remaining, state.opened_at)


def counted(state: VialState, quantity: int) -> VialState:
    """The state after a stock count found ``quantity`` doses."""
    if quantity < 0:
        raise ValueError("盘点数量不能为负数")
    return _open(quantity, min(state.open_remaining, quantity), state.opened_at)


def trace_product_id(code: str) -> str:
    """药品标识码: the first 7 digits of a 20-digit traceability code."""
    return code[:7]


_MONTH_RE = re.compile(r"^(\d{4})-?(\d{1,2})$")


def parse_month(text: str) -> tuple[int, int]:
    """``2026-11`` / ``202611`` → (2026, 11); ValueError with a Chinese message."""
    m = _MONTH_RE.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"月份格式应为 YYYY-MM：“{text}”")
    return int(m.group(1)), int(m.group(2))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First day of the month and first day of the next month."""
    start = date(year, month, 1)
    end = start + timedelta(days=calendar.monthrange(year, month)[1])
    return start, end


def parse_price_fen(text: str) -> int:
    """A price in 元 (``12.5``) as integer 分 (1250)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"价格格式不正确：“{text}”") from None
    fen = value * 100
    if value < 0 or fen != fen.to_integral_value():
        raise ValueError(f"价格格式不正确：“{text}”（元，最多两位小数）")
    return int(fen)


def normalize_batch_no(text: str) -> str:
    """Batch numbers compare without surrounding blanks and case."""
    return text.strip().upper()
