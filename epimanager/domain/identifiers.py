"""Identifier formats (shared/domain/README.md §4)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# re.ASCII: ``\d`` is 0-9 only (full-width or Arabic-Indic digits are normalised first, never matched)
_UNIT_RE = re.compile(r"^\d{10}$", re.ASCII)
_CHILD_RE = re.compile(r"^\d{18}$", re.ASCII)
_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$", re.ASCII)
_TRACE_RE = re.compile(r"^8\d{19}$", re.ASCII)


def id_check_char(first17: str) -> str:
    s = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[s % 11]


def ascii_digits(text: str) -> str:
    """``text`` with full-width, superscript, circled and other-script digits (０, ², ①, ٣, ३ …) and
    full-width letters as their ASCII forms (NFKC, then every Unicode decimal digit as 0-9).

    An identifier typed on a Chinese input method or pasted from a spreadsheet is then stored
    and searched as the digits a nurse means."""
    if text.isascii():
        return text
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if not ch.isascii() and ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        else:
            out.append(ch)
    return "".join(out)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def normalize_id_number(text: str) -> str:
    return ascii_digits(text).strip().upper()


def id_number_problem(text: str) -> str | None:
    """Return a Chinese message if ``text`` is not a valid resident ID, else None.

    18-digit numbers are checked with the GB 11643 check character; legacy
    15-digit numbers are accepted when their date is valid.
    """
    t = normalize_id_number(text)
    if len(t) == 18:
        if not (_digits(t[:17]) and (_digits(t[17]) or t[17] == "X")):
            return "身份证号应为17位数字加1位数字或X"
        if id_birth_date(t) is None:
            return "身份证号中的出生日期无效"
        if id_check_char(t[:17]) != t[17]:
            return "身份证号校验位错误"
        return None
    if len(t) == 15:
        if not _digits(t):
            return "15位身份证号应全部为数字"
        if id_birth_date(t) is None:
            return "身份证号中的出生日期无效"
        return None
    return "身份证号应为18位（或旧版15位）"


def id_birth_date(t: str) -> date | None:
    try:
        if len(t) == 18:
            return date(int(t[6:10]), int(t[10:12]), int(t[12:14]))
        if len(t) == 15:
            return date(1900 + int(t[6:8]), int(t[8:10]), int(t[10:12]))
    except ValueError:
        return None
    return None


def id_sex(t: str) -> str | None:
    """'1' male / '2' female from the sequence digit, None if unknown."""
    t = normalize_id_number(t)
    digit = t[16] if len(t) == 18 else t[14] if len(t) == 15 else ""
    if not _digits(digit):
        return None
    return "1" if int(digit) % 2 == 1 else "2"


def is_unit_code(text: str) -> bool:
    return bool(_UNIT_RE.match(text))


def unit_code_problem(text: str) -> str | None:
    if not is_unit_code(text):
        return f"单位编码应为10位数字（6位县级国标码+4位序号）：“{text}”"
    return None


def county_of(unit_code: str) -> str:
    return unit_code[:6]


def make_child_code(unit_code: str, year: int, serial: int) -> str:
    """儿童编码 = 10-digit unit code + 4-digit year + 4-digit serial."""
    if not is_unit_code(unit_code):
        raise ValueError(unit_code_problem(unit_code))
    if not 1 <= serial <= 9999:
        raise ValueError(f"{year}年的儿童编码序号已用完（最多9999个）")
    return f"{unit_code}{year:04d}{serial:04d}"


def is_child_code(text: str) -> bool:
    return bool(_CHILD_RE.match(text))


def child_code_problem(code: str, own_unit: str, birth_date: date) -> str | None:
    """Why ``code`` cannot be one of this unit's child codes for a child born on ``birth_date``.

    儿童编码 = this unit's 10-digit code + the birth year + a serial 0001–9999 (the year as the
    codes this program hands out; a child filed at another unit comes in through the platform,
    not through a file)."""
    if not is_child_code(code):
        return f"儿童编码应为18位数字：“{code}”"
    if code[:10] != own_unit:
        return f"儿童编码 {code} 不是本单位（{own_unit}）的编码"
    if int(code[10:14]) != birth_date.year:
        return f"儿童编码 {code} 中的年份 {code[10:14]} 与出生年份 {birth_date.year} 不符"
    if int(code[14:]) == 0:
        return f"儿童编码 {code} 的序号应在 0001–9999 之间"
    return None


def phone_problem(text: str) -> str | None:
    t = text.strip().replace(" ", "")
    if _PHONE_RE.match(t):
        return None
    return f"电话号码格式不正确：“{text}”（手机11位，或区号-号码）"


def is_trace_code(text: str) -> bool:
    return bool(_TRACE_RE.match(text))
