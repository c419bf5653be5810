from datetime import date

import pytest

from epimanager.domain import identifiers as ids


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "440524188001010014", "120223198902021249", "130132199210293822"]
)
def test_valid_resident_ids_from_the_standard_pass(number: str) -> None:
    assert ids.id_number_problem(number) is None


def test_wrong_check_character_is_named() -> None:
    assert ids.id_number_problem("130402198207290622") == "身份证号校验位错误"


def test_lower_case_x_is_accepted() -> None:
    assert ids.id_number_problem("11010519491231002x") is None


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1101051949123100", "身份证号应为18位（或旧版15位）"),
        ("11010519491331002X", "身份证号中的出生日期无效"),
        ("1101051949123100AX", "身份证号应为17位数字加1位数字或X"),
    ],
)
def test_malformed_ids_say_what_is_wrong(number: str, message: str) -> None:
    assert ids.id_number_problem(number) == message


def test_legacy_15_digit_id_is_accepted_and_read() -> None:
    assert ids.id_number_problem("110105491231002") is None
    assert ids.id_birth_date("110105491231002") == date(1949, 12, 31)
    assert ids.id_sex("110105491231002") == "2"


def test_sex_and_birth_date_come_from_the_id() -> None:
    assert ids.id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert ids.id_sex("11010519491231002X") == "2"  # sequence 002: even = female
    assert ids.id_sex("440524188001010014") == "1"  # sequence 001: odd = male


def test_child_code_is_unit_year_serial() -> None:
    assert ids.make_child_code("3201020101", 2024, 7) == "320102010120240007"
    with pytest.raises(ValueError, match="序号已用完"):
        ids.make_child_code("3201020101", 2024, 10000)


def test_unit_code_must_be_ten_digits() -> None:
    assert ids.unit_code_problem("3201020101") is None
    assert "10位数字" in (ids.unit_code_problem("320102") or "")
    assert ids.county_of("3201020101") == "320102"


@pytest.mark.parametrize("phone", ["13912345678", "025-84561234", "0571-8456123"])
def test_phone_formats_accepted(phone: str) -> None:
    assert ids.phone_problem(phone) is None


@pytest.mark.parametrize("phone", ["12912345678", "1391234567", "abc"])
def test_bad_phone_rejected(phone: str) -> None:
    assert "电话号码格式不正确" in (ids.phone_problem(phone) or "")


def test_trace_code_is_20_digits_starting_with_8() -> None:
    assert ids.is_trace_code("81234567890123456789")
    assert not ids.is_trace_code("71234567890123456789")
    assert not ids.is_trace_code("8123456789012345678")
