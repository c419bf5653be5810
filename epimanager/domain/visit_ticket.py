"""What the calling screen and the ticket show of a visit (pure): masked names, call sentences, QR payload.

* :func:`mask_name` hides a child's name as Chinese calling screens do: the first and the last
  character stay, one ``*`` stands between (徐晓瑶 → 徐*瑶, 欧阳娜娜 → 欧*娜, 徐瑶 → 徐*).
* :func:`call_sentence` is the line on the screen (请 A012 号 徐*瑶 到 2 号接种台);
  :func:`spoken_call` is what the voice says (no name: the ticket digit by digit and the desk).
* :func:`payload` / :func:`parse_payload`: the QR code on the ticket, ``EPIV:<YYYY-MM-DD>:<ticket>``,
  which a scanner types into any desk's quick search.
"""

from __future__ import annotations

import re
from datetime import date

PAYLOAD_PREFIX = "EPIV"
_PAYLOAD = re.compile(r"^\s*EPIV:(\d{4}-\d{2}-\d{2}):([AY]\d{3,4})\s*$", re.IGNORECASE)
_DESK_NUMBER = re.compile(r"^\s*(预检台|登记台|接种台|留观台)\s*(\d+)\s*号?\s*$")
_DIGITS = "零一二三四五六七八九"


def mask_name(name: str) -> str:
    """First and last character kept, one ``*`` between; a one-character name becomes ``*``."""
    text = "".join((name or "").split())
    if not text:
        return ""
    if len(text) == 1:
        return "*"
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" + text[-1]


def desk_place(desk: str | None) -> str:
    """Where the child goes, as said on a calling screen: 接种台 2 → 2 号接种台; other names unchanged."""
    text = (desk or "").strip()
    found = _DESK_NUMBER.match(text)
    if found:
        return f"{found.group(2)} 号{found.group(1)}"
    return text


def call_sentence(ticket: str, name: str, desk: str | None) -> str:
    """请 A012 号 徐*瑶 到 2 号接种台 (the name masked)."""
    masked = mask_name(name)
    who = f"{ticket} 号 {masked}" if masked else f"{ticket} 号"
    place = desk_place(desk)
    return f"请 {who} 到 {place}" if place else f"请 {who}"


def spoken_call(ticket: str, desk: str | None) -> str:
    """What the voice says: 请 A 零一二 号，到 2 号接种台 (digits one by one, as calling systems read them)."""
    letters = "".join(ch for ch in ticket if not ch.isdigit())
    digits = "".join(_DIGITS[int(ch)] for ch in ticket if ch.isdigit())
    place = desk_place(desk)
    text = f"请 {letters} {digits} 号"
    return f"{text}，到 {place}" if place else text


def payload(day: date, ticket: str) -> str:
    """The QR code's text: ``EPIV:2026-11-26:A012``."""
    return f"{PAYLOAD_PREFIX}:{day.isoformat()}:{ticket.strip().upper()}"


def parse_payload(text: str) -> tuple[date, str] | None:
    """(day, ticket) of a scanned ticket, or None when ``text`` is not one."""
    found = _PAYLOAD.match(text or "")
    if not found:
        return None
    try:
        day = date.fromisoformat(found.group(1))
    except ValueError:
        return None
    return day, found.group(2).upper()
