"""Understand what a nurse typed into the F3 quick-search box (pure).

One box, many forms::

    zhanghao  zhangh  zhang hao  lpp  zhhr  lvxue   pinyin / initials / mixed
    张浩  浩然  王丽                                 Chinese characters (child, mother, father)
    2013  2013-01  201301  2013-01-05  20130105     birth year / month / day
    320102010120130001  11010519491231002X          child code / ID number
    13812345678  Q440012345                         phone / birth-certificate number

Words are separated by spaces.  Date words filter by birth date, so
``zhanghao 2013`` means "zhanghao born in 2013"; the other words together
form the name (``zhang hao`` = ``zhanghao``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from epimanager.domain.search.keys import MAX_KEY_LEN, char_readings, name_units

#: Largest number of results a search may be asked for.
MAX_LIMIT = 1000

_DATE_RE = re.compile(r"^(\d{4})(?:[-./年](\d{1,2})(?:[-./月](\d{1,2})日?)?月?)?[-./年]?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")
_CODE_RE = re.compile(r"^[0-9A-Z][0-9A-Z-]{3,29}$")
_MIN_YEAR, _MAX_YEAR = 1900, 2100


@dataclass(frozen=True)
class DateRange:
    """Birth dates ``start <= d < end``; ``precision`` is 'year', 'month' or 'day'."""

    start: date
    end: date
    precision: str


@dataclass(frozen=True)
class ParsedQuery:
    """The parts of a quick-search query.  Empty parts are None / ()."""

    text: str
    #: lower-case ASCII pinyin / initials to look up by key prefix
    pinyin: str | None = None
    #: Chinese characters to look up as a name prefix (child, mother, father)
    hanzi: str | None = None
    #: birth-date range (a filter when there is also a name)
    dates: DateRange | None = None
    #: identifiers to look up exactly (child code, ID number, birth cert, phone)
    codes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing searchable was typed."""
        return not (self.pinyin or self.hanzi or self.dates or self.codes)


def is_hanzi(ch: str) -> bool:
    """A CJK ideograph (incl. extension blocks)."""
    return unicodedata.category(ch) == "Lo" and not ch.isascii() and "CJK" in unicodedata.name(ch, "")


def normalize_pinyin(text: str) -> str:
    """``Zhang Hao`` → ``zhanghao``; ü / u: → ``v``; drops separators and spaces."""
    t = text.lower().replace("ü", "v").replace("u:", "v")
    return "".join(ch for ch in t if "a" <= ch <= "z")


def next_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def parse_date_word(word: str) -> DateRange | None:
    """``2013`` / ``2013-01`` / ``201301`` / ``2013-01-05`` / ``20130105`` → range, else None."""
    m = _COMPACT_DATE_RE.match(word) if word.isdigit() and len(word) in (6, 8) else _DATE_RE.match(word)
    if not m:
        return None
    y = int(m.group(1))
    mo = int(m.group(2)) if m.group(2) else None
    d = int(m.group(3)) if m.group(3) else None
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        return None
    try:
        if mo is None:
            return DateRange(date(y, 1, 1), date(y + 1, 1, 1), "year")
        if d is None:
            start = date(y, mo, 1)
            end = date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1)
            return DateRange(start, end, "month")
        day = date(y, mo, d)
    except ValueError:
        return None
    return DateRange(day, date.fromordinal(day.toordinal() + 1), "day")


def hanzi_to_pinyin(text: str) -> str:
    """Usual pinyin of Chinese characters at the start of a name (surname reading first)."""
    units = name_units(text + "之") if len(text) == 1 else name_units(text)
    syllables = [s for u in units for s in u[0]]
    if len(text) == 1:
        syllables = syllables[: len(units[0][0])] if units else []
    return "".join(syllables)


def mixed_to_pinyin(text: str) -> str:
    """``张hr`` → ``zhanghr``, ``单l`` → ``shanl``: characters read as the start of a name."""
    chars = [ch for ch in text if is_hanzi(ch) or ("a" <= ch.lower() <= "z") or ch == "ü"]
    head = ""
    for ch in chars:
        if not is_hanzi(ch):
            break
        head += ch
    out = [hanzi_to_pinyin(head)] if head else []
    for ch in chars[len(head) :]:
        if is_hanzi(ch):
            readings = char_readings(ch)
            out.append(readings[0] if readings else "")
        else:
            out.append(normalize_pinyin(ch))
    return "".join(out)


def parse_query(text: str) -> ParsedQuery:
    """Split what was typed into name, date and identifier parts."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    words = raw.split()
    dates: DateRange | None = None
    codes: list[str] = []
    name_words: list[str] = []
    for w in words:
        dr = parse_date_word(w)
        if dr is not None and dates is None:
            dates = dr
            if len(w) == 8 and w.isdigit():
                codes.append(w)  # 8 digits might also be a birth-certificate number
            continue
        if any(ch.isdigit() for ch in w):
            up = w.upper()
            if _CODE_RE.match(up):
                codes.append(up)
            continue
        name_words.append(w)
    name = "".join(name_words)
    pinyin: str | None = None
    hanzi: str | None = None
    if name:
        han = "".join(ch for ch in name if is_hanzi(ch))
        latin = normalize_pinyin(name)
        if han and not latin:
            hanzi = "".join(ch for ch in name if is_hanzi(ch) or ch == "·")
        elif han and latin:
            pinyin = mixed_to_pinyin(name)
        elif latin:
            pinyin = latin
    if pinyin:
        pinyin = pinyin[:MAX_KEY_LEN]  # keys are cut to this length too
    return ParsedQuery(raw, pinyin or None, hanzi, dates, tuple(dict.fromkeys(codes)))
