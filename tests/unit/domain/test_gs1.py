"""GS1 element strings from a vaccine box's DataMatrix, as a keyboard-mode scanner types them."""

from __future__ import annotations

from datetime import date

import pytest

from epimanager.domain.gs1 import GS, Gs1Data, Gs1Error, gs1_date, gtin_check_digit, looks_like_gs1, parse_gs1

# GS1's own example GTIN: 0950600013435 + check digit 2
GTIN = "09506000134352"


def test_gtin_check_digit_is_the_gs1_mod_10() -> None:
    # 0·3+9·1+5·3+0·1+6·3+0·1+0·3+0·1+1·3+3·1+4·3+3·1+5·3 = 78 → (10 − 8) = 2
    assert gtin_check_digit(GTIN[:-1]) == 2


def test_raw_string_with_group_separator_after_the_lot() -> None:
    text = f"01{GTIN}17270331" + f"10B2026{GS}21SN0001"
    assert parse_gs1(text) == Gs1Data(gtin=GTIN, lot="B2026", expiry=date(2027, 3, 31), serial="SN0001")


def test_symbology_identifier_and_leading_fnc1_are_ignored() -> None:
    assert parse_gs1(f"]d2{GS}01{GTIN}10A1{GS}17261231\r\n") == Gs1Data(gtin=GTIN, lot="A1", expiry=date(2026, 12, 31))


def test_human_readable_form_and_day_00_meaning_month_end() -> None:
    data = parse_gs1(f"(01){GTIN}(17)280200(10)202311A(11)251115")
    assert data == Gs1Data(gtin=GTIN, lot="202311A", expiry=date(2028, 2, 29), production_date=date(2025, 11, 15))


def test_century_follows_the_gs1_sliding_window() -> None:
    today = date(2026, 11, 26)
    assert gs1_date("270331", today) == date(2027, 3, 31)
    assert gs1_date("761231", today) == date(2076, 12, 31)  # 50 years ahead: this century
    assert gs1_date("771231", today) == date(1977, 12, 31)  # 51 ahead: previous century
    assert gs1_date("270331") == date(2027, 3, 31)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"01{GTIN[:-1]}3", "校验位"),
        (f"01{GTIN}99ABC", "无法识别的 GS1 应用标识符：\\(99\\)"),
        (f"01{GTIN}17271331", "月份"),
        (f"01{GTIN}172703", "6位数字"),
        ("(01)123", "14位数字"),
        ("", "为空"),
        (f"01{GTIN}10{'X' * 21}", "1–20"),
    ],
)
def test_unreadable_strings_are_refused_in_chinese(text: str, message: str) -> None:
    with pytest.raises(Gs1Error, match=message):
        parse_gs1(text)


def test_looks_like_gs1_tells_it_from_a_trace_code() -> None:
    assert looks_like_gs1(f"01{GTIN}10A")
    assert looks_like_gs1(f"(01){GTIN}(10)A")
    assert not looks_like_gs1("81234560000000000001")
