"""知情告知 and consent: the 告知书 text, the guardian's choice and the signature hash (pure rules).

A 告知书 (:class:`ConsentText`) is one vaccine's information sheet — 疫苗品种、作用、禁忌、可能的
不良反应、注意事项 — with a version; its canonical text (:attr:`ConsentText.body`) and that text's
SHA-256 identify exactly what the guardian was shown.  A vaccine without a sheet of its own gets
the generic one (:attr:`ConsentText.generic`), with the vaccine's name filled in.

The guardian chooses 同意 / 不同意 / 到点再议 (:class:`Choice`).  同意 and 不同意 are signed — on the
screen (strokes: lists of ``(x, y, pressure)`` points) or on paper (纸质签字, marked by the nurse,
no strokes); 不同意 needs a reason; 到点再议 is not a decision and needs no signature.

:func:`signature_hash` is SHA-256 over one canonical JSON document of the strokes (rounded to
0.1 px and 1/1000 of pressure, so the same signature always gives the same hash), the text's
version and hash, the child's uuid, the order (vaccine, dose number, visit day), the choice and
whether it was signed on paper: a signature cannot be moved to another text, child or order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

#: The headings every 告知书 has, in this order.
SECTIONS = ("疫苗品种", "作用", "禁忌", "可能的不良反应", "注意事项")
#: In a generic text, replaced by the vaccine's name.
VACCINE_PLACEHOLDER = "{疫苗}"
REASON_LENGTH = 200
MAX_STROKES = 200
MAX_POINTS = 20_000

Point = tuple[float, float, float]
Stroke = Sequence[Point]


class Choice(StrEnum):
    AGREE = "同意"
    REFUSE = "不同意"
    DEFER = "到点再议"


_CHOICE_WORDS = {
    "同意": Choice.AGREE,
    "agree": Choice.AGREE,
    "不同意": Choice.REFUSE,
    "拒绝": Choice.REFUSE,
    "refuse": Choice.REFUSE,
    "到点再议": Choice.DEFER,
    "到接种点再考虑": Choice.DEFER,
    "defer": Choice.DEFER,
}


class ConsentError(ValueError):
    """A 告知书 file or a consent that breaks the rules (message in Chinese)."""


def parse_choice(text: str) -> Choice:
    """同意 / 不同意 / 到点再议, or agree / refuse / defer."""
    found = _CHOICE_WORDS.get(text.strip().lower())
    if found is None:
        raise ConsentError(f"选择应为 同意、不同意 或 到点再议（agree / refuse / defer），收到“{text}”")
    return found


@dataclass(frozen=True)
class ConsentText:
    """One 告知书: for the products in ``vaccines`` (abbreviations or codes; empty for the generic one)."""

    key: str
    version: str
    title: str
    sections: tuple[tuple[str, str], ...]
    vaccines: tuple[str, ...] = ()
    generic: bool = False

    @property
    def body(self) -> str:
        """The canonical text: the title, then each section as 【heading】text, one per line."""
        return "\n".join([self.title, *(f"【{h}】{t}" for h, t in self.sections)])

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()

    def for_vaccine(self, name: str) -> ConsentText:
        """The generic text with ``name`` filled in (a specific text is returned as it is)."""
        if not self.generic:
            return self

        def fill(text: str) -> str:
            return text.replace(VACCINE_PLACEHOLDER, name)

        sections = tuple((h, fill(t)) for h, t in self.sections)
        return ConsentText(self.key, self.version, fill(self.title), sections, self.vaccines, True)


def parse_text(key: str, data: Mapping[str, Any]) -> ConsentText:
    """A 告知书 file's content (see ``resources/consent/README.md``); :class:`ConsentError` if unusable."""
    try:
        version = str(data["version"]).strip()
        title = str(data["title"]).strip()
        raw = data["sections"]
        sections = tuple((str(s["heading"]).strip(), str(s["text"]).strip()) for s in raw)
        vaccines = tuple(str(v).strip() for v in data.get("vaccines", ()))
        generic = bool(data.get("generic", False))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConsentError(f"告知书 {key} 缺少字段或格式不对（{exc}）") from None
    if not version or len(version) > 20:
        raise ConsentError(f"告知书 {key} 的版本号应为 1–20 个字符")
    if not title:
        raise ConsentError(f"告知书 {key} 没有标题")
    headings = tuple(h for h, _t in sections)
    if headings != SECTIONS:
        raise ConsentError(f"告知书 {key} 的段落应依次为 {'、'.join(SECTIONS)}（现为 {'、'.join(headings) or '无'}）")
    empty = [h for h, t in sections if not t]
    if empty:
        raise ConsentError(f"告知书 {key} 的段落“{'、'.join(empty)}”是空的")
    if not generic and not vaccines:
        raise ConsentError(f"告知书 {key} 没有写明适用的疫苗（vaccines）")
    return ConsentText(key, version, title, sections, vaccines, generic)


# --- strokes and the signature hash -----------------------------------------------------------


def canonical_strokes(strokes: Iterable[Stroke]) -> list[list[list[int]]]:
    """Strokes as integers: x and y in 0.1 px, pressure in 1/1000 (0–1000)."""
    out = []
    for stroke in strokes:
        points = []
        for x, y, p in stroke:
            points.append([round(float(x) * 10), round(float(y) * 10), round(min(max(float(p), 0.0), 1.0) * 1000)])
        out.append(points)
    return out


def signature_hash(
    strokes: Iterable[Stroke],
    *,
    text_version: str,
    text_sha256: str,
    child_uuid: str,
    vaccine_code: str,
    dose_number: int | None,
    day: date,
    choice: Choice,
    paper: bool,
) -> str:
    """SHA-256 (hex) tying the signature to the text shown, the child and the order (see the module doc)."""
    doc = {
        "child": child_uuid,
        "choice": choice.value,
        "day": day.isoformat(),
        "dose": dose_number,
        "paper": paper,
        "strokes": canonical_strokes(strokes),
        "text": {"sha256": text_sha256, "version": text_version},
        "vaccine": vaccine_code,
    }
    blob = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def signed(strokes: Sequence[Stroke]) -> bool:
    """Something that can be a signature: a stroke of at least two points."""
    return any(len(s) >= 2 for s in strokes)


def problems(choice: Choice, *, paper: bool, strokes: Sequence[Stroke], reason: str | None) -> list[str]:
    """Why this consent cannot be stored (Chinese), empty when it can."""
    out: list[str] = []
    if choice is Choice.DEFER:
        if paper or strokes:
            out.append("到点再议不是决定，不需要签字；监护人决定后再签")
    elif paper and strokes:
        out.append("已勾选纸质签字，屏幕上就不要再签名（请清除签名或取消纸质签字）")
    elif not paper and not signed(strokes):
        out.append(f"{choice.value}需要监护人签名：请在签名板上签字，或勾选纸质签字")
    if choice is Choice.REFUSE and not (reason or "").strip():
        out.append("不同意接种需要填写原因")
    if reason and len(reason.strip()) > REASON_LENGTH:
        out.append(f"原因最长 {REASON_LENGTH} 个字")
    if len(strokes) > MAX_STROKES or sum(len(s) for s in strokes) > MAX_POINTS:
        out.append("签名的笔画太多，请清除后重签")
    return out


def block_reason(vaccine_name: str, choice: Choice | None, reason: str | None) -> str | None:
    """Why a dose may not be given yet for want of consent (None: 同意 is on record)."""
    if choice is None:
        return f"{vaccine_name}今天还没有监护人的知情同意（请先在登记台完成知情告知和签字）"
    if choice is Choice.REFUSE:
        return f"监护人不同意接种{vaccine_name}" + (f"（原因：{reason}）" if reason else "")
    if choice is Choice.DEFER:
        return f"监护人对{vaccine_name}选择到点再议，尚未同意接种（请先完成签字）"
    return None
