"""Classifying what was typed into the quick-search box."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epimanager.domain.search.query import next_prefix, normalize_pinyin, parse_date_word, parse_query


@pytest.mark.parametrize(
    ("text", "pinyin"),
    [
        ("zhanghao", "zhanghao"),
        ("zhangh", "zhangh"),
        ("zhang hao", "zhanghao"),
        ("Zhang Hao", "zhanghao"),
        ("lpp", "lpp"),
        ("LPP", "lpp"),
        ("lvxue", "lvxue"),
        ("lüxue", "lvxue"),
        ("xi'an", "xian"),
        ("ｚｈａｎｇ", "zhang"),  # full-width letters from a Chinese IME
        ("张hr", "zhanghr"),
        ("单l", "shanl"),
        ("zhang浩", "zhanghao"),
    ],
)
def test_pinyin_forms(text: str, pinyin: str) -> None:
    q = parse_query(text)
    assert q.pinyin == pinyin
    assert q.hanzi is None and q.dates is None and q.codes == ()


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("2013", date(2013, 1, 1), date(2014, 1, 1), "year"),
        ("2013-01", date(2013, 1, 1), date(2013, 2, 1), "month"),
        ("201301", date(2013, 1, 1), date(2013, 2, 1), "month"),
        ("2013-1", date(2013, 1, 1), date(2013, 2, 1), "month"),
        ("2013.12", date(2013, 12, 1), date(2014, 1, 1), "month"),
        ("2013年1月", date(2013, 1, 1), date(2013, 2, 1), "month"),
        ("2013-01-05", date(2013, 1, 5), date(2013, 1, 6), "day"),
        ("20130105", date(2013, 1, 5), date(2013, 1, 6), "day"),
        ("2013/1/5", date(2013, 1, 5), date(2013, 1, 6), "day"),
        ("2012-02-29", date(2012, 2, 29), date(2012, 3, 1), "day"),
    ],
)
def test_dates(text: str, start: date, end: date, precision: str) -> None:
    q = parse_query(text)
    assert q.dates is not None
    assert (q.dates.start, q.dates.end, q.dates.precision) == (start, end, precision)
    assert q.pinyin is None and q.hanzi is None


@pytest.mark.parametrize("text", ["2013-13", "2013-02-30", "201313", "1234", "3000"])
def test_not_dates(text: str) -> None:
    assert parse_date_word(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("320102010120130001", "320102010120130001"),
        ("11010519491231002x", "11010519491231002X"),
        ("13812345678", "13812345678"),
        ("q440012345", "Q440012345"),
    ],
)
def test_codes(text: str, code: str) -> None:
    q = parse_query(text)
    assert q.codes == (code,)
    assert q.pinyin is None and q.dates is None


def test_eight_digits_are_a_day_and_maybe_a_code() -> None:
    q = parse_query("20130105")
    assert q.dates is not None and q.codes == ("20130105",)


def test_chinese() -> None:
    assert parse_query("张浩").hanzi == "张浩"
    assert parse_query(" 张 浩 ").hanzi == "张浩"
    assert parse_query("买买提·艾力").hanzi == "买买提·艾力"


def test_name_with_date_filter() -> None:
    q = parse_query("zhanghao 2013")
    assert q.pinyin == "zhanghao"
    assert q.dates is not None and q.dates.start == date(2013, 1, 1)
    q = parse_query("2013-01 张浩")
    assert q.hanzi == "张浩" and q.dates is not None and q.dates.precision == "month"


@pytest.mark.parametrize("text", ["", "   ", "·", "!!", "\t"])
def test_empty(text: str) -> None:
    assert parse_query(text).empty


def test_helpers() -> None:
    assert normalize_pinyin("Lü Xue") == "lvxue"
    assert next_prefix("lpp") == "lpq"
    assert next_prefix("zz") == "z{"
    assert next_prefix("张") > "张浩然"


@given(st.text(max_size=40))
def test_never_raises(text: str) -> None:
    q = parse_query(text)
    if q.pinyin:
        assert q.pinyin.isascii() and q.pinyin.isalnum() and q.pinyin == q.pinyin.lower()
