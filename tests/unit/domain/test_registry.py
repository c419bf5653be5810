"""Pure 在册变更, duplicate and data-quality rules."""

from __future__ import annotations

from datetime import date

from epimanager.domain.codes import Status
from epimanager.domain.registry import (
    BAD_ID,
    DOSE_BEFORE_BIRTH,
    DOSE_ORDER,
    MISSING,
    MOVEOUT_REASONS,
    OVER_18,
    ChildFacts,
    DoseFacts,
    Person,
    child_quality,
    dose_quality,
    duplicate_match,
    edit_distance,
    pinyin_close,
    status_change_problems,
)

BIRTH = date(2024, 5, 1)
TODAY = date(2026, 11, 26)


def problems(new: int, reason: str | None = None, remark: str | None = None, on: date = TODAY) -> list[str]:
    return status_change_problems(Status.LOCAL, new, on, reason, remark, birth_date=BIRTH, today=TODAY)


def test_move_out_needs_a_reason_from_the_list() -> None:
    assert any("迁出时必须选择迁出原因" in p for p in problems(Status.MOVED_OUT))
    assert any("迁出原因“搬家”无效" in p for p in problems(Status.MOVED_OUT, "搬家"))
    assert problems(Status.MOVED_OUT, "迁往外地") == []
    assert "其他" in MOVEOUT_REASONS


def test_reason_other_needs_a_remark() -> None:
    assert problems(Status.MOVED_OUT, "其他") == ["迁出原因为“其他”时必须填写备注"]
    assert problems(Status.MOVED_OUT, "其他", "   ") == ["迁出原因为“其他”时必须填写备注"]
    assert problems(Status.MOVED_OUT, "其他", "随父母务工") == []


def test_other_statuses_need_no_reason_but_dates_and_codes_are_checked() -> None:
    assert problems(Status.DEAD) == []
    assert problems(Status.LOCAL) == ["在册情况已经是“本地”，无需变更"]
    assert any("删除个案" in p for p in problems(Status.DELETED))
    assert problems(99) == ["在册情况代码无效"]
    assert any("晚于今天" in p for p in problems(Status.DEAD, on=date(2026, 11, 27)))
    assert any("早于出生日期" in p for p in problems(Status.DEAD, on=date(2024, 4, 30)))


def test_duplicate_rules() -> None:
    a = Person(1, "张浩", BIRTH, "李梅", None)
    assert duplicate_match(a, Person(2, "张浩", BIRTH, "李梅", None)).score == 90  # type: ignore[union-attr]
    m = duplicate_match(a, Person(3, "章浩", BIRTH, "李梅", None))
    assert m is not None and m.score == 70 and "zhanghao" in m.reason
    m = duplicate_match(a, Person(4, "张昊", BIRTH, "李玫", None))
    assert m is not None and "母亲姓名拼音相同" in m.reason
    # different birth date, different mother, or two different ID numbers: not the same child
    assert duplicate_match(a, Person(5, "张浩", date(2024, 5, 2), "李梅", None)) is None
    assert duplicate_match(a, Person(6, "张浩", BIRTH, "王芳", None)) is None
    assert duplicate_match(Person(7, "张浩", BIRTH, "李梅", "X1"), Person(8, "张浩", BIRTH, "李梅", "X2")) is None
    # twins with different names are not duplicates
    assert duplicate_match(Person(9, "张浩然", BIRTH, "李梅", None), Person(10, "张浩宇", BIRTH, "李梅", None)) is None
    # the same ID number wins whatever else differs
    same = duplicate_match(
        Person(11, "甲", BIRTH, None, "11010519491231002x"), Person(12, "乙", BIRTH, None, "11010519491231002X")
    )
    assert same is not None and same.score == 100


def test_the_exact_duplicate_rules_leave_out_close_pinyin() -> None:
    """The check while a new child is typed: the same rule, without the close-pinyin part."""
    a = Person(1, "张浩", BIRTH, "李梅", None)
    assert duplicate_match(a, Person(2, "张浩", BIRTH, "李梅", None), close_names=False).score == 90  # type: ignore[union-attr]
    assert duplicate_match(a, Person(3, "章浩", BIRTH, "李梅", None), close_names=False) is None
    assert duplicate_match(a, Person(4, "张浩", BIRTH, "李玫", None), close_names=False) is None
    twins = Person(7, "张浩", BIRTH, "李梅", "X1"), Person(8, "张浩", BIRTH, "李梅", "X2")
    assert duplicate_match(*twins, close_names=False) is None
    same = duplicate_match(Person(11, "甲", BIRTH, None, "X1"), Person(12, "乙", BIRTH, None, "x1"), close_names=False)
    assert same is not None and same.score == 100


def test_pinyin_closeness() -> None:
    assert edit_distance("zhanghao", "zhanhao") == 1
    assert pinyin_close("zhanghao", "zhanhao")
    assert not pinyin_close("lili", "lulu")
    assert not pinyin_close("", "")


def facts(**kw: object) -> ChildFacts:
    base: dict[str, object] = {
        "name": "张浩",
        "sex": "1",
        "birth_date": BIRTH,
        "mother_name": "李梅",
        "father_name": None,
        "phone": "13800000000",
        "committee": "东风村",
        "id_number": None,
        "status": Status.LOCAL,
    }
    base.update(kw)
    return ChildFacts(**base)  # type: ignore[arg-type]


def test_child_quality() -> None:
    assert child_quality(facts(), TODAY) == []
    assert child_quality(facts(phone=None, committee=" "), TODAY) == [(MISSING, "缺少：联系电话、区域划分")]
    assert child_quality(facts(mother_name=None), TODAY) == [(MISSING, "缺少：母亲或父亲姓名")]
    assert [k for k, _ in child_quality(facts(id_number="130402198207290622"), TODAY)] == [BAD_ID]
    # valid ID of someone born 1949: birth date disagrees
    assert child_quality(facts(id_number="11010519491231002X"), TODAY)[0][0] == BAD_ID
    old = facts(birth_date=date(2008, 11, 26))
    assert [k for k, _ in child_quality(old, TODAY)] == [OVER_18]
    assert child_quality(facts(birth_date=date(2008, 11, 26), status=Status.MOVED_OUT), TODAY) == []
    assert child_quality(facts(birth_date=date(2008, 11, 27)), TODAY) == []


def test_dose_quality() -> None:
    ok = [DoseFacts("0201", "HepB", 1, BIRTH), DoseFacts("0201", "HepB", 2, date(2024, 6, 1))]
    assert dose_quality(BIRTH, ok) == []
    early = [DoseFacts("0201", "HepB", 1, date(2024, 4, 30))]
    assert dose_quality(BIRTH, early) == [(DOSE_BEFORE_BIRTH, "HepB 第1剂 2024-04-30")]
    swapped = [DoseFacts("0201", "HepB", 2, date(2024, 6, 1)), DoseFacts("0201", "HepB", 1, date(2024, 7, 1))]
    assert [k for k, _ in dose_quality(BIRTH, swapped)] == [DOSE_ORDER]
    twice = [DoseFacts("0201", "HepB", 1, BIRTH), DoseFacts("0202", "HepB", 1, date(2024, 6, 1))]
    assert "重复" in dose_quality(BIRTH, twice)[0][1]
    # polio counts across IPV (0304) and bOPV (0311): IPV1, IPV2, bOPV3 in order is fine
    polio = [
        DoseFacts("0304", "IPV", 1, date(2024, 7, 1)),
        DoseFacts("0304", "IPV", 2, date(2024, 8, 1)),
        DoseFacts("0311", "bOPV", 3, date(2024, 9, 1)),
    ]
    assert dose_quality(BIRTH, polio) == []
