from datetime import date

from epimanager.domain.validation import ChildInput, DoseInput, child_problems, dose_problems

TODAY = date(2026, 11, 26)


def child(**kw: object) -> ChildInput:
    base: dict[str, object] = {"name": "张浩", "sex": "1", "birth_date": date(2025, 3, 1), "mother_name": "李梅"}
    base.update(kw)
    return ChildInput(**base)  # type: ignore[arg-type]


def test_a_complete_child_is_valid() -> None:
    assert child_problems(child(phone="13912345678"), TODAY) == []


def test_birth_date_in_the_future_is_refused() -> None:
    assert child_problems(child(birth_date=date(2026, 11, 27)), TODAY) == ["出生日期 2026-11-27 晚于今天"]


def test_name_and_a_parent_are_required() -> None:
    problems = child_problems(child(name=" ", mother_name=None), TODAY)
    assert "姓名不能为空" in problems
    assert "母亲姓名和父亲姓名至少填写一个" in problems


def test_id_number_must_match_birth_date_and_sex() -> None:
    # valid ID of a girl born 2025-03-01 in county 320102
    first17 = "32010220250301002"
    from epimanager.domain.identifiers import id_check_char

    girl_id = first17 + id_check_char(first17)
    assert child_problems(child(sex="2", id_number=girl_id), TODAY) == []
    problems = child_problems(child(sex="1", id_number=girl_id, birth_date=date(2025, 3, 2)), TODAY)
    assert "身份证号中的出生日期 2025-03-01 与出生日期 2025-03-02 不符" in problems
    assert "身份证号显示性别为女，与填写的性别不符" in problems


def test_bad_check_digit_is_reported() -> None:
    assert child_problems(child(id_number="320102202503010020"), TODAY) == ["身份证号校验位错误"]


def test_bad_phone_is_reported() -> None:
    assert child_problems(child(phone="12345"), TODAY) == ["电话号码格式不正确：“12345”（手机11位，或区号-号码）"]


def test_dose_before_birth_or_after_today_is_refused() -> None:
    born = date(2025, 3, 1)
    assert dose_problems(DoseInput("HepB", 1, date(2025, 2, 28)), born, TODAY) == [
        "接种日期 2025-02-28 早于出生日期 2025-03-01"
    ]
    assert dose_problems(DoseInput("HepB", 1, date(2026, 11, 27)), born, TODAY) == ["接种日期 2026-11-27 晚于今天"]
    assert dose_problems(DoseInput("HepB", 1, date(2025, 3, 1)), born, TODAY) == []


def test_expired_vaccine_and_bad_trace_code_are_refused() -> None:
    born = date(2025, 3, 1)
    d = DoseInput("HepB", 1, date(2025, 4, 1), expiry=date(2025, 3, 31), trace_code="123")
    problems = dose_problems(d, born, TODAY)
    assert "疫苗已过期（失效期 2025-03-31 早于接种日期）" in problems
    assert "追溯码应为以8开头的20位数字" in problems


def test_control_characters_are_refused_in_names_and_text_fields() -> None:
    """#16 item 12: NUL, ESC and U+202E (right-to-left override) are refused on input."""
    from epimanager.domain.validation import ChildInput, child_problems

    born = date(2026, 3, 1)
    for bad, code in (("张\x00浩", "U+0000"), ("张\x1b浩", "U+001B"), ("\u202e浩张", "U+202E")):
        problems = child_problems(ChildInput(bad, "1", born, mother_name="李梅"), date(2026, 4, 1))
        assert f"姓名含有不可见的控制字符（{code}）" in "；".join(problems)
    problems = child_problems(ChildInput("张浩", "1", born, mother_name="李\x07梅"), date(2026, 4, 1))
    assert any("母亲姓名含有不可见的控制字符（U+0007）" in p for p in problems)
    assert child_problems(ChildInput("阿依古丽·买买提", "2", born, mother_name="李梅"), date(2026, 4, 1)) == []


def test_an_id_number_born_in_the_future_is_one_clear_error() -> None:
    """#21 item 5: a valid ID whose birth date is after today is one error, not also a mismatch."""
    from epimanager.domain.identifiers import id_check_char
    from epimanager.domain.validation import child_field_problems

    first17 = "32010220271115001"  # born 2027-11-15, a boy
    future = first17 + id_check_char(first17)
    assert child_field_problems(child(id_number=future), TODAY) == [
        ("id_number", "身份证号中的出生日期 2027-11-15 晚于今天，请核对身份证号")
    ]
    mother17 = "32010219900101002"
    assert child_problems(child(mother_id_number=future), TODAY) == [
        "母亲身份证号中的出生日期 2027-11-15 晚于今天，请核对母亲身份证号"
    ]
    assert child_problems(child(mother_id_number=mother17 + id_check_char(mother17)), TODAY) == []


def test_each_problem_names_its_field() -> None:
    from epimanager.domain.validation import child_field_problems

    got = child_field_problems(child(birth_date=date(2027, 3, 1), phone="12345"), TODAY)
    assert got == [
        ("birth_date", "出生日期 2027-03-01 晚于今天"),
        ("phone", "电话号码格式不正确：“12345”（手机11位，或区号-号码）"),
    ]


def test_a_dose_date_before_birth_has_its_own_reason() -> None:
    from epimanager.domain.validation import dose_date_problem

    born = date(2025, 3, 1)
    assert dose_date_problem(date(2025, 2, 28), born, TODAY) == "接种日期 2025-02-28 早于出生日期 2025-03-01"
    assert dose_date_problem(date(2027, 3, 1), born, TODAY) == "接种日期 2027-03-01 晚于今天"
    assert dose_date_problem(TODAY, born, TODAY) is None
