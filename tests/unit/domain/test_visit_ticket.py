"""Masked names, call sentences, the ticket's QR payload, and notes on a visit."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from epimanager.domain import visit as dv
from epimanager.domain.visit import Event, Flow, Status, Step, TransitionError
from epimanager.domain.visit_ticket import (
    call_sentence,
    desk_place,
    mask_name,
    parse_payload,
    payload,
    spoken_call,
)

T0 = datetime(2026, 12, 7, 8, 0)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("徐晓瑶", "徐*瑶"),
        ("欧阳娜娜", "欧*娜"),  # one star however long the name
        ("徐瑶", "徐*"),  # two characters: the last one would tell the whole name
        ("瑶", "*"),
        (" 徐 晓 瑶 ", "徐*瑶"),  # spaces typed into a name do not count
        ("", ""),
        ("Anna Li", "A*i"),
    ],
)
def test_mask_name_keeps_first_and_last_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_call_sentence_reads_as_on_a_chinese_calling_screen() -> None:
    assert call_sentence("A012", "徐晓瑶", "接种台 2") == "请 A012 号 徐*瑶 到 2 号接种台"
    assert call_sentence("Y003", "李四", "预检台1") == "请 Y003 号 李* 到 1 号预检台"
    assert call_sentence("A001", "王小明", "综合") == "请 A001 号 王*明 到 综合"
    assert call_sentence("A001", "", None) == "请 A001 号"
    assert desk_place("接种台 12 号") == "12 号接种台"


def test_the_voice_reads_the_ticket_digit_by_digit_without_the_name() -> None:
    assert spoken_call("A012", "接种台 2") == "请 A 零一二 号，到 2 号接种台"
    assert spoken_call("Y1000", None) == "请 Y 一零零零 号"


def test_payload_round_trip_and_what_is_not_a_payload() -> None:
    text = payload(date(2026, 11, 26), "a012")
    assert text == "EPIV:2026-11-26:A012"
    assert parse_payload(text) == (date(2026, 11, 26), "A012")
    assert parse_payload("  epiv:2026-11-26:y1001\n") == (date(2026, 11, 26), "Y1001")
    assert parse_payload("EPIV:2026-02-30:A012") is None  # no such day
    assert parse_payload("EPIV:2026-11-26:B012") is None
    assert parse_payload("徐晓瑶") is None
    assert parse_payload("") is None


def _observing() -> dv.Visit:
    flow = Flow()
    v = dv.take("A001", Event("take", T0), flow)
    for i, kind in enumerate(("call", "finish", "call", "finish", "call", "finish"), start=1):
        v = dv.apply(v, Event(kind, T0 + timedelta(minutes=i), "王护士", "1号台"), flow)
    assert (v.step, v.status) == (Step.OBSERVE, Status.IN_PROGRESS)
    return v


def test_a_note_keeps_the_state_and_needs_text() -> None:
    v = _observing()
    later = T0 + timedelta(minutes=10)
    noted = dv.apply(v, Event("note", later, "王护士", "留观台", reason="注射部位红肿 1 cm"), Flow())
    assert (noted.step, noted.status, noted.queued_at, noted.misses) == (v.step, v.status, v.queued_at, v.misses)
    assert noted.last_at == later
    with pytest.raises(TransitionError, match="记录内容不能为空"):
        dv.apply(v, Event("note", later, reason="  "), Flow())
    with pytest.raises(TransitionError, match="不能超过 200 字"):
        dv.apply(v, Event("note", later, reason="红" * 201), Flow())
    with pytest.raises(TransitionError, match="早于上一次操作"):
        dv.apply(noted, Event("note", T0, reason="发热"), Flow())


def test_a_note_may_follow_the_end_of_the_visit() -> None:
    v = _observing()
    done = dv.apply(v, Event("finish", T0 + timedelta(minutes=40)), Flow())
    assert done.step is Step.DONE
    noted = dv.apply(done, Event("note", T0 + timedelta(minutes=41), reason="离开时面色苍白"), Flow())
    assert noted.step is Step.DONE
    with pytest.raises(TransitionError, match="不能再改动"):
        dv.apply(done, Event("call", T0 + timedelta(minutes=42)), Flow())
