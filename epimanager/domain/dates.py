"""Calendar arithmetic used by the schedule, validation and reports."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(d: date, months: int) -> date:
    """Step ``months`` calendar months from ``d``, clamping to the month end.

    Born 01-31 → 1 month of age is 02-28 (or 02-29 in a leap year).
    """
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    month = month0 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(d.day, last))


def add_years(d: date, years: int) -> date:
    return add_months(d, 12 * years)


def age_in_months(birth: date, on: date) -> int:
    """Completed months of age on ``on`` (consistent with :func:`add_months`)."""
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    if months > 0 and add_months(birth, months) > on:
        months -= 1
    return months


def age_in_years(birth: date, on: date) -> int:
    return age_in_months(birth, on) // 12


def parse_date(text: str) -> date:
    """Parse ``YYYY-MM-DD`` (also ``YYYY/MM/DD`` and ``YYYYMMDD``).

    Raises ``ValueError`` with a Chinese message.
    """
    t = text.strip().replace("/", "-").replace(".", "-")
    try:
        if len(t) == 8 and t.isdigit():
            return date(int(t[:4]), int(t[4:6]), int(t[6:]))
        parts = t.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        pass
    raise ValueError(f"日期格式不正确：“{text}”（应为 YYYY-MM-DD）")
