"""The pure consent rules: the choice words, what a consent needs, and the signature hash."""

from __future__ import annotations

from datetime import date

import pytest

from epimanager.domain import consent as dc

STROKES = [[(10.0, 20.0, 0.5), (30.0, 25.0, 0.8), (50.0, 22.5, 0.6)], [(60.0, 10.0, 0.4), (61.0, 40.0, 0.4)]]
BASE = dict(
    text_version="2026.1",
    text_sha256="a" * 64,
    child_uuid="0190a6f0-0000-7000-8000-000000000001",
    vaccine_code="0201",
    dose_number=2,
    day=date(2026, 12, 7),
    choice=dc.Choice.AGREE,
    paper=False,
)


def test_choices_in_chinese_and_english() -> None:
    assert [dc.parse_choice(w) for w in ("同意", "agree", "不同意", "Refuse", "到点再议", "defer")] == [
        dc.Choice.AGREE,
        dc.Choice.AGREE,
        dc.Choice.REFUSE,
        dc.Choice.REFUSE,
        dc.Choice.DEFER,
        dc.Choice.DEFER,
    ]
    with pytest.raises(dc.ConsentError, match="选择应为 同意、不同意 或 到点再议"):
        dc.parse_choice("也许")


def test_what_a_consent_needs() -> None:
    A, R, D = dc.Choice.AGREE, dc.Choice.REFUSE, dc.Choice.DEFER
    assert dc.problems(A, paper=False, strokes=STROKES, reason=None) == []
    assert dc.problems(A, paper=True, strokes=[], reason=None) == []  # 纸质签字: no strokes
    assert dc.problems(A, paper=False, strokes=[], reason=None) == [
        "同意需要监护人签名：请在签名板上签字，或勾选纸质签字"
    ]
    # one dot is not a signature
    assert dc.problems(A, paper=False, strokes=[[(1.0, 1.0, 1.0)]], reason=None) != []
    assert dc.problems(A, paper=True, strokes=STROKES, reason=None) == [
        "已勾选纸质签字，屏幕上就不要再签名（请清除签名或取消纸质签字）"
    ]
    assert dc.problems(R, paper=True, strokes=[], reason=" ") == ["不同意接种需要填写原因"]
    assert dc.problems(R, paper=True, strokes=[], reason="担心发热") == []
    assert dc.problems(D, paper=False, strokes=[], reason=None) == []
    assert dc.problems(D, paper=True, strokes=[], reason=None) == ["到点再议不是决定，不需要签字；监护人决定后再签"]


def test_the_hash_ties_the_signature_to_strokes_text_child_and_order() -> None:
    base = dc.signature_hash(STROKES, **BASE)  # type: ignore[arg-type]
    assert len(base) == 64 and base == dc.signature_hash(STROKES, **BASE)  # type: ignore[arg-type]
    # sub-0.05 px jitter and float noise are the same signature (0.1 px, 1/1000 pressure)
    jitter = [[(x + 0.01, y - 0.02, p + 0.0001) for x, y, p in s] for s in STROKES]
    assert dc.signature_hash(jitter, **BASE) == base  # type: ignore[arg-type]
    moved = [[(x + 1, y, p) for x, y, p in s] for s in STROKES]
    changes = {
        "strokes": dc.signature_hash(moved, **BASE),  # type: ignore[arg-type]
        "one stroke less": dc.signature_hash(STROKES[:1], **BASE),  # type: ignore[arg-type]
        "pressure": dc.signature_hash([[(x, y, 0.9) for x, y, _ in s] for s in STROKES], **BASE),  # type: ignore[arg-type]
    }
    for key, value in (
        ("text_version", "2027.1"),
        ("text_sha256", "b" * 64),
        ("child_uuid", "0190a6f0-0000-7000-8000-000000000002"),
        ("vaccine_code", "0303"),
        ("dose_number", 3),
        ("day", date(2026, 12, 8)),
        ("choice", dc.Choice.REFUSE),
        ("paper", True),
    ):
        changes[key] = dc.signature_hash(STROKES, **{**BASE, key: value})  # type: ignore[arg-type]
    assert base not in changes.values()
    assert len(set(changes.values())) == len(changes)


def test_a_text_file_needs_its_five_sections_in_order() -> None:
    sections = [{"heading": h, "text": f"{h}的内容"} for h in dc.SECTIONS]
    t = dc.parse_text("HepB", {"vaccines": ["HepB"], "version": "2026.1", "title": "乙肝", "sections": sections})
    assert t.body.splitlines() == ["乙肝", "【疫苗品种】疫苗品种的内容", "【作用】作用的内容", "【禁忌】禁忌的内容",
                                   "【可能的不良反应】可能的不良反应的内容", "【注意事项】注意事项的内容"]  # fmt: skip
    with pytest.raises(dc.ConsentError, match="段落应依次为 疫苗品种、作用、禁忌、可能的不良反应、注意事项"):
        dc.parse_text("X", {"vaccines": ["HepB"], "version": "1", "title": "x", "sections": sections[::-1]})
    with pytest.raises(dc.ConsentError, match="没有写明适用的疫苗"):
        dc.parse_text("X", {"version": "1", "title": "x", "sections": sections})
    generic = dc.parse_text(
        "_generic",
        {"generic": True, "version": "1", "title": "{疫苗}接种知情告知书（通用）", "sections": sections},
    )
    assert generic.for_vaccine("流感疫苗").title == "流感疫苗接种知情告知书（通用）"
