from datetime import date

import pytest

from epimanager.domain.dates import add_months, age_in_months, parse_date


@pytest.mark.parametrize(
    ("born", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year clamp
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2023, 8, 31), 1, date(2023, 9, 30)),
        (date(2023, 3, 15), 12, date(2024, 3, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2023, 5, 10), 0, date(2023, 5, 10)),
    ],
)
def test_month_steps_clamp_to_month_end(born: date, months: int, expected: date) -> None:
    assert add_months(born, months) == expected


def test_age_in_months_agrees_with_add_months() -> None:
    born = date(2024, 1, 31)
    assert age_in_months(born, date(2024, 2, 28)) == 0
    assert age_in_months(born, date(2024, 2, 29)) == 1
    assert age_in_months(born, date(2025, 1, 30)) == 11
    assert age_in_months(born, date(2025, 1, 31)) == 12


@pytest.mark.parametrize(
    ("born", "on", "months"),
    [
        (date(2026, 1, 31), date(2026, 2, 27), 0),
        (date(2026, 1, 31), date(2026, 2, 28), 1),  # the engine's 1 month of age: February has no 31st
        (date(2024, 2, 29), date(2025, 2, 27), 11),
        (date(2024, 2, 29), date(2025, 2, 28), 12),  # born on 29 Feb: one year old on 28 Feb
        (date(2024, 2, 29), date(2024, 3, 29), 1),
        (date(2026, 3, 31), date(2026, 4, 29), 0),
        (date(2026, 3, 31), date(2026, 4, 30), 1),
        (date(2026, 3, 31), date(2026, 5, 31), 2),
        (date(2026, 3, 31), date(2026, 3, 31), 0),
    ],
)
def test_age_in_months_at_month_ends(born: date, on: date, months: int) -> None:
    assert age_in_months(born, on) == months
    # the schedule engine's rule: a child is N months old from the day N calendar months are up
    assert add_months(born, months) <= on
    assert add_months(born, months + 1) > on


@pytest.mark.parametrize("text", ["2013-01-05", "2013/1/5", "20130105", " 2013-01-05 "])
def test_parse_date_forms(text: str) -> None:
    assert parse_date(text) == date(2013, 1, 5)


@pytest.mark.parametrize("text", ["2013-02-30", "05/01/2013", "", "2013-1"])
def test_parse_date_rejects_with_chinese_message(text: str) -> None:
    with pytest.raises(ValueError, match="日期格式不正确"):
        parse_date(text)


def test_report_age_groups_use_the_same_age() -> None:
    """个案统计分析月报 puts a child born on 29 Feb in 1岁 on 28 Feb of the next year, as the engine does."""
    from epimanager.domain.reports import age_group

    assert age_group(date(2024, 2, 29), date(2025, 2, 27)) == "<1岁"
    assert age_group(date(2024, 2, 29), date(2025, 2, 28)) == "1岁"
    assert age_group(date(2023, 3, 31), date(2026, 2, 28)) == "2岁"  # 34 months
    assert age_group(date(2023, 2, 28), date(2026, 2, 28)) == "3-6岁"
