"""Ages and intervals as data ("18m", "6y", "28d", "1y6m") and fast date offsets.

An offset is a pair ``(months, days)``: first a calendar-month step with
end-of-month clamping (:func:`epimanager.domain.dates.add_months`), then plain
days.  Dates inside the engine are proleptic ordinals (``date.toordinal()``) so
that a forecast is integer arithmetic; month steps are memoised.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from epimanager.domain.dates import add_months


class Offset(NamedTuple):
    """An age or interval: ``months`` calendar months, then ``days`` days."""

    months: int
    days: int

    def __str__(self) -> str:
        parts = []
        years, months = divmod(self.months, 12)
        if years:
            parts.append(f"{years}y")
        if months:
            parts.append(f"{months}m")
        if self.days or not parts:
            parts.append(f"{self.days}d")
        return "".join(parts)


ZERO = Offset(0, 0)

_OFFSET_RE = re.compile(r"^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)w)?(?:(\d+)d)?$")


def parse_offset(text: str) -> Offset:
    """Parse ``"6y"``, ``"18m"``, ``"28d"``, ``"2w"`` or a combination (``"1y6m"``).

    Raises ``ValueError`` with a Chinese message.
    """
    t = str(text).strip().lower()
    m = _OFFSET_RE.match(t)
    if not t or m is None or not any(m.groups()):
        raise ValueError(f"年龄/间隔格式不正确：“{text}”（例：6y、18m、28d、1y6m）")
    y, mo, w, d = (int(g) if g else 0 for g in m.groups())
    return Offset(12 * y + mo, 7 * w + d)


_MONTH_CACHE: dict[int, int] = {}
_MONTH_CACHE_LIMIT = 1_000_000


def shift(ordinal: int, offset: Offset) -> int:
    """The ordinal of ``date.fromordinal(ordinal)`` + ``offset`` (month end clamped)."""
    months = offset[0]
    if months:
        key = (ordinal << 11) | months
        r = _MONTH_CACHE.get(key)
        if r is None:
            r = add_months(date.fromordinal(ordinal), months).toordinal()
            if len(_MONTH_CACHE) >= _MONTH_CACHE_LIMIT:
                _MONTH_CACHE.clear()
            _MONTH_CACHE[key] = r
        ordinal = r
    return ordinal + offset[1]


def shift_date(d: date, offset: Offset) -> date:
    """``d`` + ``offset`` as a date."""
    return date.fromordinal(shift(d.toordinal(), offset))
