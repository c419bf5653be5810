"""Where printed text may break (no Qt): numbers never, lists of vaccines between items, Han anywhere."""

from __future__ import annotations

import re
from collections.abc import Callable

_WIDE = "\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"  # Han, CJK punctuation, full-width forms
_HAN_OR_SPACE = re.compile(rf"[\s{_WIDE}]")
_TOKEN = re.compile(rf"[{_WIDE}]|[^\s{_WIDE}]+")


def unbreakable(text: str) -> bool:
    """True for text printed on one line whatever the column: no Han characters and no spaces."""
    return not _HAN_OR_SPACE.search(text)


def tokens(text: str) -> list[str]:
    """The pieces a line may break between: each Han character, each run of other non-space text."""
    return _TOKEN.findall(text)


_PIECE = re.compile(r"[^、，,；;\s]*[、，,；;\s]*")


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` in lines no wider than ``width``: broken after 、，; or a space when possible (a list of
    vaccines breaks between vaccines), else between Han characters; an unbreakable run is never cut."""
    width *= 1 + 1e-9  # a column made exactly as wide as its text keeps it on one line
    if measure(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for piece in _PIECE.findall(text):
        if not piece:
            continue
        if line and measure(line + piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
        while measure(line.rstrip()) > width:  # one piece wider than the line: between its tokens
            parts = tokens(line)
            if len(parts) < 2:
                break
            cut = parts[0]
            for part in parts[1:]:
                if measure(cut + part) > width:
                    break
                cut += part
            rest = line[line.index(cut) + len(cut) :] if cut in line else ""
            if not rest.strip():
                break
            lines.append(cut)
            line = rest.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    return lines or [text]


def wrap_even(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """As :func:`wrap`, in as many lines, but of even length (a header: 白破/疫苗, not 白破疫/苗)."""
    lines = wrap(text, width, measure)
    if len(lines) < 2:
        return lines
    even = wrap(text, narrowest(text, len(lines), measure), measure)
    return even if len(even) == len(lines) else lines


def narrowest(text: str, lines: int, measure: Callable[[str], float]) -> float:
    """The least width that wraps ``text`` into at most ``lines`` lines (白破/疫苗 rather than 白破疫/苗)."""
    lo, hi = measure(text) / lines, measure(text)
    for _ in range(16):
        mid = (lo + hi) / 2
        if len(wrap(text, mid, measure)) <= lines:
            hi = mid
        else:
            lo = mid
    return hi
