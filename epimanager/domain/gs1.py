"""GS1 element strings as printed in the DataMatrix on a vaccine box (pure).

A scanner in keyboard mode types the element string followed by Enter.  The
variable-length fields are ended by the group separator (FNC1, ASCII 29,
``\\x1d``); a scanner may also prefix the symbology identifier (``]d2`` for
DataMatrix, ``]C1`` for GS1-128, ``]Q3`` for QR).  The human-readable form
puts each application identifier (AI) in brackets: ``(01)…(17)…(10)…``.

Understood AIs: 01 GTIN (14 digits, check digit verified), 10 lot (≤ 20),
11 production date and 17 expiry (YYMMDD; DD = 00 means the month's last
day), 21 serial (≤ 20).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

GS = "\x1d"

#: AI -> length for fixed-length fields
_FIXED = {"01": 14, "11": 6, "17": 6}
#: AI -> maximum length for variable-length fields (ended by GS or the end)
_VARIABLE = {"10": 20, "21": 20}
_SYMBOLOGY_RE = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_BRACKETED_RE = re.compile(r"\((\d{2,4})\)([^()]*)")


class Gs1Error(ValueError):
    """The text is not a GS1 element string we can read (message in Chinese)."""


@dataclass(frozen=True)
class Gs1Data:
    gtin: str | None = None
    lot: str | None = None
    expiry: date | None = None
    production_date: date | None = None
    serial: str | None = None


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits ``body`` (without the check digit)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_valid_gtin(gtin: str) -> bool:
    return len(gtin) in (8, 12, 13, 14) and gtin.isdigit() and gtin_check_digit(gtin[:-1]) == int(gtin[-1])


def gs1_date(yymmdd: str, today: date | None = None) -> date:
    """YYMMDD to a date.  DD = 00 is the last day of the month.

    The century follows the GS1 General Specifications (§7.12) when ``today``
    is given: a year more than 50 years ahead is in the previous century, one
    50 or more years behind in the next; without ``today`` it is 20YY.
    """
    if len(yymmdd) != 6 or not yymmdd.isdigit():
        raise Gs1Error(f"GS1 日期应为6位数字 YYMMDD：“{yymmdd}”")
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if today is None:
        year = 2000 + yy
    else:
        century, cur = divmod(today.year, 100)
        diff = yy - cur
        if diff >= 51:
            century -= 1
        elif diff <= -50:
            century += 1
        year = century * 100 + yy
    if not 1 <= mm <= 12:
        raise Gs1Error(f"GS1 日期的月份不正确：“{yymmdd}”")
    if dd == 0:
        dd = calendar.monthrange(year, mm)[1]
    try:
        return date(year, mm, dd)
    except ValueError:
        raise Gs1Error(f"GS1 日期不正确：“{yymmdd}”") from None


def looks_like_gs1(text: str) -> bool:
    """Whether a scanned text is plausibly a GS1 element string (starts with AI 01)."""
    t = _clean(text)
    return t.startswith("(01)") or bool(re.match(r"^01\d{14}", t))


def _clean(text: str) -> str:
    t = text.strip().strip("\r\n")
    t = _SYMBOLOGY_RE.sub("", t)
    return t.lstrip(GS)


def parse_gs1(text: str, today: date | None = None) -> Gs1Data:
    """Read GTIN, lot, expiry, production date and serial from a GS1 element string."""
    t = _clean(text)
    if not t:
        raise Gs1Error("扫码内容为空")
    pairs = _bracketed_pairs(t) if t.startswith("(") else _raw_pairs(t)
    fields: dict[str, str] = {}
    for ai, value in pairs:
        if ai in fields and fields[ai] != value:
            raise Gs1Error(f"GS1 应用标识符 ({ai}) 出现两次且内容不同")
        fields[ai] = value
    gtin = fields.get("01")
    if gtin is not None and not is_valid_gtin(gtin):
        raise Gs1Error(f"GTIN 校验位不正确：{gtin}")
    expiry = gs1_date(fields["17"], today) if "17" in fields else None
    made = gs1_date(fields["11"], today) if "11" in fields else None
    return Gs1Data(gtin=gtin, lot=fields.get("10"), expiry=expiry, production_date=made, serial=fields.get("21"))


def _bracketed_pairs(t: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    pos = 0
    for m in _BRACKETED_RE.finditer(t):
        if t[pos : m.start()].strip(GS + " "):
            raise Gs1Error(f"无法识别的 GS1 内容：“{t[pos : m.start()]}”")
        pos = m.end()
        ai, value = m.group(1), m.group(2).strip(GS + " ")
        _check_value(ai, value)
        pairs.append((ai, value))
    if not pairs or t[pos:].strip(GS + " "):
        raise Gs1Error(f"无法识别的 GS1 内容：“{t}”")
    return pairs


def _raw_pairs(t: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    pos = 0
    while pos < len(t):
        if t[pos] == GS:
            pos += 1
            continue
        ai = t[pos : pos + 2]
        pos += 2
        if ai in _FIXED:
            n = _FIXED[ai]
            value = t[pos : pos + n]
            pos += n
        elif ai in _VARIABLE:
            end = t.find(GS, pos)
            end = len(t) if end < 0 else end
            value = t[pos:end]
            pos = end
        else:
            raise Gs1Error(f"无法识别的 GS1 应用标识符：({ai})")
        _check_value(ai, value)
        pairs.append((ai, value))
    return pairs


def _check_value(ai: str, value: str) -> None:
    if ai in _FIXED:
        n = _FIXED[ai]
        if len(value) != n or not value.isdigit():
            raise Gs1Error(f"GS1 ({ai}) 应为{n}位数字：“{value}”")
    elif ai in _VARIABLE:
        if not value or len(value) > _VARIABLE[ai]:
            raise Gs1Error(f"GS1 ({ai}) 的长度应为 1–{_VARIABLE[ai]}：“{value}”")
    else:
        raise Gs1Error(f"无法识别的 GS1 应用标识符：({ai})")
