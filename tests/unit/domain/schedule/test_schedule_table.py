"""Every dose of every series: earliest date, complete-before date and product.

Dates are worked out by hand from shared/domain/README.md §1.2.  For dose n the
child has had doses 1..n-1 on time (on their own earliest dates); the forecast
is made on dose n's earliest date, where it must be ``due``, and giving it that
day must be judged valid and 及时.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from epimanager.domain.schedule import Forecast

ForecastFn = Callable[..., Forecast]

# Girl born 2025-03-15, forecasts in the 2025/2026 era (DTaP at 2, 4, 6, 18 m, 6 y).
B25 = "2025-03-15"
# Each series: (product, earliest, complete_before or None) per dose, in order.
TABLE_2025: dict[str, list[tuple[str, str, str | None]]] = {
    "HepB": [
        ("0201", "2025-03-15", "2025-03-17"),  # birth; within 24 h (birth day or next)
        ("0201", "2025-04-15", "2026-03-15"),  # 1 m; inherits D3's <12 m
        ("0201", "2025-09-15", "2026-03-15"),  # 6 m (D2+60 d = 06-14, D1+4 m = 07-15)
    ],
    "BCG": [("0101", "2025-03-15", "2025-06-15")],
    "Polio": [
        ("0303", "2025-05-15", "2026-03-15"),  # IPV 2 m
        ("0303", "2025-06-15", "2026-03-15"),  # IPV 3 m
        ("0311", "2025-07-15", "2026-03-15"),  # bOPV 4 m, <12 m
        ("0311", "2029-03-15", "2030-03-15"),  # bOPV 4 y, <5 y
    ],
    "DTaP": [
        ("0401", "2025-05-15", "2026-03-15"),  # 2 m
        ("0401", "2025-07-15", "2026-03-15"),  # 4 m
        ("0401", "2025-09-15", "2026-03-15"),  # 6 m, <12 m
        ("0401", "2026-09-15", "2027-03-15"),  # 18 m (D3+6 m = 2026-03-15), <24 m
        ("0401", "2031-03-15", "2032-03-15"),  # 6 y DTaP (not DT), <7 y
    ],
    "MMR": [
        ("1201", "2025-11-15", "2026-03-15"),  # 8 m, <12 m
        ("1201", "2026-09-15", "2027-03-15"),  # 18 m, <24 m
    ],
    "JE": [
        ("1801", "2025-11-15", "2026-03-15"),  # JE-L 8 m
        ("1801", "2027-03-15", "2028-03-15"),  # JE-L 2 y (D1+12 m = 2026-11-15), <3 y
    ],
    "MenA": [
        ("1601", "2025-09-15", "2026-03-15"),  # 6 m, <12 m
        ("1601", "2025-12-15", "2026-09-15"),  # 9 m; forecast in 2025 → 2021 rule <18 m
    ],
    "MenAC": [
        ("1701", "2028-03-15", "2029-03-15"),  # 3 y (MenA2+12 m = 2026-12-15), <4 y
        ("1701", "2031-03-15", "2032-03-15"),  # 6 y (AC1+3 y), <7 y
    ],
    "HepA": [("1901", "2026-09-15", "2027-03-15")],  # HepA-L 18 m, <24 m
    "HPV": [
        ("5901", "2038-03-15", "2039-03-15"),  # 13 y, <14 y
        ("5901", "2038-09-15", "2039-03-15"),  # D1+6 m, within 12 m of D1
    ],
}

# Same child's JE-I and HepA-I alternatives (unit configured for inactivated vaccines).
TABLE_2025_INACTIVATED: dict[str, list[tuple[str, str, str | None]]] = {
    "JE": [
        ("1802", "2025-11-15", "2026-03-15"),  # 8 m; inherits D2's <12 m
        ("1802", "2025-11-22", "2025-11-25"),  # D1+7 d, at most D1+10 d
        ("1802", "2027-03-15", "2028-03-15"),  # 2 y, <3 y
        ("1802", "2031-03-15", "2032-03-15"),  # 6 y (D3+3 y = 2030-03-15), <7 y
    ],
    "HepA": [
        ("1903", "2026-09-15", "2027-03-15"),  # 18 m, <24 m
        ("1903", "2027-03-15", "2028-03-15"),  # 2 y (D1+6 m), <3 y
    ],
}

# Boy born on a month end in the 2021 era: 2021-08-31.
B21 = "2021-08-31"
TABLE_2021: dict[str, list[tuple[str, str, str | None]]] = {
    "HepB": [
        ("0201", "2021-08-31", "2021-09-02"),
        ("0201", "2021-09-30", "2022-08-31"),  # 1 m (09-31 → 09-30)
        ("0201", "2022-02-28", "2022-08-31"),  # 6 m clamps to Feb 28
    ],
    "Polio": [
        ("0303", "2021-10-31", "2022-08-31"),
        ("0303", "2021-11-30", "2022-08-31"),  # 3 m; D1+28 d = 11-28
        ("0311", "2021-12-31", "2022-08-31"),
        ("0311", "2025-08-31", "2026-08-31"),
    ],
    "DTaP": [
        ("0401", "2021-11-30", "2022-08-31"),  # 2021 rule: 3 m
        ("0401", "2021-12-31", "2022-08-31"),  # 4 m
        ("0401", "2022-01-31", "2022-08-31"),  # 5 m
        ("0401", "2023-02-28", "2023-08-31"),  # 18 m
        ("0401", "2027-08-31", "2028-08-31"),  # 6 y, forecast in 2027: DTaP (2025 rule)
    ],
    "MMR": [
        ("1201", "2022-04-30", "2022-08-31"),
        ("1201", "2023-02-28", "2023-08-31"),
    ],
    "MenA": [
        ("1601", "2022-02-28", "2022-08-31"),
        ("1601", "2022-05-31", "2023-02-28"),  # 9 m; 2021 rule <18 m
    ],
    "HepA": [("1901", "2023-02-28", "2023-08-31")],
}


def _rows(
    birth: str, sex: str, table: dict[str, list[tuple[str, str, str | None]]], prefs: dict[str, str]
) -> list[tuple[str, str, str, int, list[tuple[str, str, str | None]], dict[str, str]]]:
    return [(birth, sex, series, n, doses, prefs) for series, doses in table.items() for n in range(1, len(doses) + 1)]


ROWS = (
    _rows(B25, "2", TABLE_2025, {})
    + _rows(B25, "2", TABLE_2025_INACTIVATED, {"JE": "JE-I", "HepA": "HepA-I"})
    + _rows(B21, "1", TABLE_2021, {})
)


@pytest.mark.parametrize(
    ("birth", "sex", "series", "n", "doses", "prefs"),
    ROWS,
    ids=[f"{r[0][:4]}-{r[2]}{'-' + '-'.join(r[5].values()) if r[5] else ''}-dose{r[3]}" for r in ROWS],
)
def test_each_dose_due_on_its_earliest_date(
    fc: ForecastFn,
    birth: str,
    sex: str,
    series: str,
    n: int,
    doses: list[tuple[str, str, str | None]],
    prefs: dict[str, str],
) -> None:
    product, earliest, complete_before = doses[n - 1]
    # prior doses of the series, plus MenA for MenAC (the hand-over needs them)
    history = [(p, d) for p, d, _ in doses[: n - 1]]
    if series == "MenAC":
        history += [("1601", "2025-09-15"), ("1601", "2025-12-15")]
    s = fc(birth, earliest, history, sex=sex, prefs=prefs).for_series(series)
    assert s is not None
    assert (s.next_dose, s.vaccine, s.status.value) == (n, product, "due")
    assert s.earliest is not None and s.earliest.isoformat() == earliest
    got_cb = s.complete_before.isoformat() if s.complete_before else None
    assert got_cb == complete_before
    # the day before it is not yet due (unless due at birth)
    if earliest != birth:
        before = fc(birth, _day_before(earliest), history, sex=sex, prefs=prefs).for_series(series)
        assert before is not None and before.status.value == "not_yet"
    # given that day it counts as dose n, valid and 及时
    after = fc(birth, earliest, [*history, (product, earliest)], sex=sex, prefs=prefs)
    ev = [d for d in after.doses if d.series == series and d.date.isoformat() == earliest]
    assert [(d.dose_number, d.valid, d.evaluation and d.evaluation.value) for d in ev] == [(n, True, "及时")]


def _day_before(iso: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(iso) - timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("series", "doses"),
    [(s, d) for s, d in TABLE_2025.items() if s != "MenAC"],
)
def test_series_complete_after_all_doses(fc: ForecastFn, series: str, doses: list[tuple[str, str, str | None]]) -> None:
    history = [(p, d) for p, d, _ in doses]
    s = fc(B25, "2039-06-01", history).for_series(series)
    assert s is not None
    assert (s.status.value, s.doses_counted, s.next_dose, s.earliest) == (
        "complete",
        len(doses),
        None,
        None,
    )


def test_mena_dose2_limit_moves_to_24_months_with_2026_edition(fc: ForecastFn) -> None:
    history = [("1601", "2025-09-15")]
    before = fc(B25, "2026-06-16", history).for_series("MenA")
    after = fc(B25, "2026-06-17", history).for_series("MenA")
    assert before is not None and after is not None
    assert before.complete_before is not None and before.complete_before.isoformat() == "2026-09-15"
    assert after.complete_before is not None and after.complete_before.isoformat() == "2027-03-15"
    assert fc(B25, "2026-06-17").schedule == "CN-NIP-2026"
    assert fc(B25, "2026-06-16").schedule == "CN-NIP-2025-HPV"
