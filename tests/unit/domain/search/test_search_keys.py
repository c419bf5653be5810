"""Search keys of names: surnames, compound surnames, polyphones, ü, mixed forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epimanager.domain.search.keys import (
    FORM_FULL,
    FORM_INITIALS,
    FORM_MIXED,
    KIND_CHILD,
    KIND_FATHER,
    KIND_MOTHER,
    MAX_KEY_LEN,
    child_keys,
    name_key_forms,
    name_keys,
    person_of,
    primary_pinyin,
)
from epimanager.domain.search.surnames import COMPOUND_SURNAMES, SINGLE_SURNAMES

#: shared/domain/README.md §7: (char, pypinyin's first reading, surname reading)
README_SURNAMES = [
    ("单", "dan", "shan"),
    ("曾", "ceng", "zeng"),
    ("解", "jie", "xie"),
    ("仇", "chou", "qiu"),
    ("区", "qu", "ou"),
    ("朴", "pu", "piao"),
    ("查", "cha", "zha"),
    ("盖", "gai", "ge"),
    ("华", "hua", "hua"),
    ("缪", "mou", "miao"),
    ("乐", "le", "yue"),
    ("翟", "di", "zhai"),
    ("覃", "tan", "qin"),
    ("种", "zhong", "chong"),
    ("繁", "fan", "po"),
    ("员", "yuan", "yun"),
    ("任", "ren", "ren"),
    ("纪", "ji", "ji"),
    ("秘", "mi", "bi"),
    ("燕", "yan", "yan"),
    ("召", "zhao", "shao"),
    ("过", "guo", "guo"),
    ("折", "zhe", "she"),
    ("那", "na", "na"),
    ("重", "zhong", "chong"),
    ("藏", "cang", "zang"),
    ("卜", "bo", "bu"),
    ("薄", "bao", "bo"),
    ("阚", "han", "kan"),
    ("隗", "kui", "wei"),
    ("黑", "hei", "he"),
    ("宁", "ning", "ning"),
]


@pytest.mark.parametrize(("ch", "common", "surname"), README_SURNAMES)
def test_polyphonic_surname_reads_both_ways(ch: str, common: str, surname: str) -> None:
    keys = name_keys(ch + "思远")
    assert surname + "siyuan" in keys
    assert common + "siyuan" in keys
    assert surname[0] + "sy" in keys and common[0] + "sy" in keys
    # the surname reading is the usual one
    assert primary_pinyin(ch + "思远") == surname + "siyuan"


def test_every_table_surname_lists_its_surname_reading_first() -> None:
    for ch, _common, surname in README_SURNAMES:
        assert SINGLE_SURNAMES[ch][0] == surname


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("尉迟恭", "yuchigong", "ycg"),
        ("万俟雪", "moqixue", "mqx"),
        ("欧阳娜娜", "ouyangnana", "oynn"),
        ("诸葛亮", "zhugeliang", "zgl"),
        ("上官婉儿", "shangguanwaner", "sgwe"),
        ("单于天", "chanyutian", "cyt"),
        ("长孙无忌", "zhangsunwuji", "zswj"),
        ("澹台明", "tantaiming", "ttm"),
        ("司马光", "simaguang", "smg"),
        ("令狐冲", "linghuchong", "lhc"),
    ],
)
def test_compound_surnames(name: str, full: str, initials: str) -> None:
    keys = name_keys(name)
    assert full in keys
    assert initials in keys
    assert primary_pinyin(name) == full


def test_every_compound_surname_has_a_two_syllable_reading() -> None:
    for surname, readings in COMPOUND_SURNAMES.items():
        assert len(surname) == 2
        assert all(len(r.split()) == 2 for r in readings)


def test_two_character_name_is_not_a_compound_surname() -> None:
    # 欧阳 alone is surname 欧 + given name 阳
    assert name_keys("欧阳") == {"ouyang", "oy"}


def test_u_umlaut_as_v_and_u() -> None:
    keys = name_keys("吕雪")
    assert {"lvxue", "luxue", "lx"} <= keys
    assert "nvwa" in name_keys("女娲") and "nuwa" in name_keys("女娲")


def test_mixed_forms() -> None:
    forms = dict(name_key_forms("张浩然"))
    assert forms["zhanghaoran"] == FORM_FULL
    assert forms["zhr"] == FORM_INITIALS
    assert forms["zhhr"] == FORM_INITIALS  # zh + initials
    assert forms["zhanghr"] == FORM_MIXED  # full surname + initials
    # one-character given name: the mixed form is a prefix of the full key already
    assert set(dict(name_key_forms("张浩"))) >= {"zhanghao", "zh"}
    assert "zhangh" not in dict(name_key_forms("张浩"))


def test_polyphonic_given_name_matches_each_reading() -> None:
    assert {"zhangle", "zhangyue"} <= name_keys("张乐")
    assert {"lichangqing", "lizhangqing"} <= name_keys("李长青")
    assert {"wangxing", "wanghang"} <= name_keys("王行")
    # the usual reading comes first
    assert name_key_forms("张乐")[0] == ("zhangle", FORM_FULL)


def test_usual_surname_reads_only_its_usual_way() -> None:
    # 许 is also "hu" in pypinyin, never as a surname
    assert not any(k.startswith("hu") for k in name_keys("许昕"))


def test_non_han_characters() -> None:
    assert "maimaitiaili" in name_keys("买买提·艾力")
    assert "zhangasan" in name_keys("张A三")
    assert name_keys("") == set()
    assert name_keys("··") == set()


def test_child_keys_kinds_child_wins() -> None:
    keys = child_keys("王丽", "王丽", "张三")
    assert keys["wangli"] == KIND_CHILD + FORM_FULL
    assert keys["zhangsan"] == KIND_FATHER + FORM_FULL
    assert person_of(keys["zs"]) == KIND_FATHER
    keys = child_keys("张浩", "李萍萍", None)
    assert person_of(keys["lpp"]) == KIND_MOTHER
    assert "liupp" not in child_keys("张浩", "刘佩佩", None)  # no mixed forms for parents


@given(st.text(min_size=0, max_size=30))
def test_keys_are_lowercase_ascii(name: str) -> None:
    for k, kind in child_keys(name, name[:5] or None, None).items():
        assert k and k.isascii() and k == k.lower() and len(k) <= MAX_KEY_LEN
        assert all(ch.isalnum() for ch in k)
        assert person_of(kind) in (KIND_CHILD, KIND_MOTHER, KIND_FATHER)
