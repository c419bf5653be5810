"""Behaviour a nurse would notice, one rule at a time (dates worked by hand)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from epimanager.domain.schedule import DoseEvaluation, Forecast, SeriesForecast

ForecastFn = Callable[..., Forecast]


def series(f: Forecast, sid: str) -> SeriesForecast:
    s = f.for_series(sid)
    assert s is not None, f"{sid} missing"
    return s


def brief(s: SeriesForecast) -> tuple[object, ...]:
    return (
        s.status.value,
        s.next_dose,
        s.vaccine,
        s.earliest.isoformat() if s.earliest else None,
        s.complete_before.isoformat() if s.complete_before else None,
    )


def evals(f: Forecast, sid: str | None = None) -> list[tuple[object, ...]]:
    return [
        (d.vaccine, d.date.isoformat(), d.series, d.dose_number, d.valid, _label(d))
        for d in f.doses
        if sid is None or d.series == sid
    ]


def _label(d: DoseEvaluation) -> str | None:
    return d.evaluation.value if d.evaluation is not None else None


# -- month-end births ---------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "hepb2", "polio1"),
    [
        ("2024-01-31", "2024-02-29", "2024-03-31"),  # leap year: 1 m → Feb 29
        ("2023-01-31", "2023-02-28", "2023-03-31"),  # 1 m → Feb 28
        ("2023-12-31", "2024-01-31", "2024-02-29"),  # 2 m → Feb 29
        ("2024-03-31", "2024-04-30", "2024-05-31"),  # 1 m → Apr 30
        ("2024-02-29", "2024-03-29", "2024-04-29"),
    ],
)
def test_month_end_births_clamp_to_month_end(fc: ForecastFn, birth: str, hepb2: str, polio1: str) -> None:
    f = fc(birth, birth, [("0201", birth)])
    assert series(f, "HepB").earliest is not None
    assert series(f, "HepB").earliest.isoformat() == hepb2  # type: ignore[union-attr]
    assert series(f, "Polio").earliest.isoformat() == polio1  # type: ignore[union-attr]


def test_born_feb_29_first_birthday_limit_is_feb_28(fc: ForecastFn) -> None:
    # HepB1 "within 24 h": the birth day or the next (03-01); from 03-02 overdue
    assert brief(series(fc("2024-02-29", "2024-03-01"), "HepB"))[0] == "due"
    f = fc("2024-02-29", "2024-03-02")
    assert brief(series(f, "HepB")) == ("overdue", 1, "0201", "2024-02-29", "2024-03-02")
    assert brief(series(f, "Polio"))[4] == "2025-02-28"  # <12 m
    # 4 y lands on a leap day again
    f4 = fc("2024-02-29", "2028-01-01", [("0303", "2024-04-29"), ("0303", "2024-05-29"), ("0311", "2024-06-29")])
    assert brief(series(f4, "Polio"))[:4] == ("not_yet", 4, "0311", "2028-02-29")


# -- evaluation labels --------------------------------------------------------


def test_hepb1_timely_only_on_birth_day_or_next(fc: ForecastFn) -> None:
    birth = "2025-05-10"
    assert evals(fc(birth, "2025-06-01", [("0201", "2025-05-10")]), "HepB")[0][5] == "及时"
    assert evals(fc(birth, "2025-06-01", [("0201", "2025-05-11")]), "HepB")[0][5] == "及时"
    assert evals(fc(birth, "2025-06-01", [("0201", "2025-05-12")]), "HepB")[0][4:] == (True, "超期")


def test_timely_eligible_late_labels(fc: ForecastFn) -> None:
    # born 2025-05-10: HepB2 earliest 06-10; 及时 before 07-10; 合格 until 12 m (2026-05-10)
    birth = "2025-05-10"
    h1 = ("0201", "2025-05-10")
    assert evals(fc(birth, "2026-06-01", [h1, ("0201", "2025-07-09")]), "HepB")[1][5] == "及时"
    assert evals(fc(birth, "2026-06-01", [h1, ("0201", "2025-07-10")]), "HepB")[1][5] == "合格"
    assert evals(fc(birth, "2026-06-01", [h1, ("0201", "2026-05-10")]), "HepB")[1][5] == "超期"


def test_invalid_doses_and_their_reasons(fc: ForecastFn) -> None:
    birth = "2025-05-10"
    f = fc(
        birth,
        "2026-01-01",
        [
            ("0401", "2025-06-10"),  # DTaP at 1 m: before 2 m → 首针提前
            ("0401", "2025-09-01"),  # valid dose 1 (earliest 07-10, so 合格)
            ("0401", "2025-09-20"),  # past 4 m (09-10) but 19 d later → 间短
            ("0201", "2025-05-10"),
            ("0201", "2025-06-10"),
            ("0201", "2025-10-09"),  # D2+60 d ok, D1+4 m ok, but before 6 m → 未到月龄
        ],
    )
    assert evals(f, "DTaP") == [
        ("0401", "2025-06-10", "DTaP", None, False, "首针提前"),
        ("0401", "2025-09-01", "DTaP", 1, True, "合格"),
        ("0401", "2025-09-20", "DTaP", None, False, "间短"),
    ]
    assert evals(f, "HepB")[2] == ("0201", "2025-10-09", "HepB", None, False, "未到月龄")
    # the invalid doses are not counted: DTaP 2 from D1 + 28 d (4 m = 09-10 is earlier)
    assert brief(series(f, "DTaP")) == ("due", 2, "0401", "2025-09-29", "2026-05-10")
    assert brief(series(f, "HepB")) == ("due", 3, "0201", "2025-11-10", "2026-05-10")


def test_reason_is_null_for_valid_doses_in_json(fc: ForecastFn) -> None:
    d = fc("2025-05-10", "2025-06-01", [("0201", "2025-05-10")]).to_dict()["doses"][0]
    assert (d["valid"], d["reason"], d["evaluation"]) == (True, None, "及时")


def test_extra_dose_is_not_counted(fc: ForecastFn) -> None:
    f = fc("2023-01-10", "2025-01-01", [("1901", "2024-07-10"), ("1901", "2024-09-10")])
    assert evals(f, "HepA")[1][3:] == (None, False, "多余剂次")
    assert series(f, "HepA").status.value == "complete"


# -- the two DTaP eras ----------------------------------------------------------


def test_dtap_at_2_months_before_2025_was_too_early(fc: ForecastFn) -> None:
    # born 2024-10-01: 2 m = 2024-12-01 under the 2021 rule (3 m) → 首针提前
    f = fc("2024-10-01", "2025-02-01", [("0401", "2024-12-01")])
    assert evals(f, "DTaP") == [("0401", "2024-12-01", "DTaP", None, False, "首针提前")]
    # forecast on 2025-02-01 uses the 2025 rule: dose 1 from 2 m, so due now
    assert brief(series(f, "DTaP")) == ("due", 1, "0401", "2024-12-01", "2025-10-01")


def test_dtap_at_2_months_from_2025_is_timely(fc: ForecastFn) -> None:
    f = fc("2024-11-01", "2025-02-01", [("0401", "2025-01-01")])
    assert evals(f, "DTaP") == [("0401", "2025-01-01", "DTaP", 1, True, "及时")]
    assert brief(series(f, "DTaP")) == ("not_yet", 2, "0401", "2025-03-01", "2025-11-01")


def test_dtap_dose5_is_dt_before_2025_and_dtap_after(fc: ForecastFn) -> None:
    birth = "2019-03-05"
    four = [("0401", "2019-06-05"), ("0401", "2019-07-05"), ("0401", "2019-08-05"), ("0401", "2020-09-05")]
    old = fc(birth, "2024-12-31", four)
    assert brief(series(old, "DTaP")) == ("not_yet", 5, "0601", "2025-03-05", "2026-03-05")
    new = fc(birth, "2025-03-05", four)
    assert brief(series(new, "DTaP")) == ("due", 5, "0401", "2025-03-05", "2026-03-05")


def test_dt_at_6_years_before_2025_completes_the_series(fc: ForecastFn) -> None:
    birth = "2017-04-20"
    doses = [
        ("0401", "2017-07-20"),
        ("0401", "2017-08-20"),
        ("0401", "2017-09-20"),
        ("0401", "2018-10-20"),
        ("0601", "2023-04-20"),
    ]
    f = fc(birth, "2024-06-01", doses)
    assert evals(f, "DTaP")[4] == ("0601", "2023-04-20", "DTaP", 5, True, "及时")
    assert series(f, "DTaP").status.value == "complete"


def test_late_starter_over_7_gets_three_dt_doses(fc: ForecastFn) -> None:
    birth = "2016-03-01"  # 10 y in 2026
    f0 = fc(birth, "2026-03-01", sex="1")
    assert brief(series(f0, "DTaP"))[:4] == ("overdue", 1, "0601", "2016-05-01")
    # issue #17 rule 9: D2 ≥28 d after D1, D3 6–12 months after D2 (D2 given at ≥7 y)
    doses = [("0601", "2026-03-01"), ("0601", "2026-03-29"), ("0601", "2026-09-29")]
    f2 = fc(birth, "2026-03-29", doses[:2], sex="1")
    assert brief(series(f2, "DTaP"))[:4] == ("not_yet", 3, "0601", "2026-09-29")
    early = fc(birth, "2026-05-01", [*doses[:2], ("0601", "2026-04-26")], sex="1")
    assert evals(early, "DTaP")[2] == ("0601", "2026-04-26", "DTaP", None, False, "间短")
    f3 = fc(birth, "2026-10-01", doses, sex="1")
    # dose 3 given at ≥7 y: doses 4 and 5 are skipped, series complete
    assert (series(f3, "DTaP").status.value, series(f3, "DTaP").doses_counted) == ("complete", 3)


def test_three_infant_doses_then_one_dt_over_6_in_2021_rule(fc: ForecastFn) -> None:
    birth = "2016-05-10"  # 6 y in 2022
    doses = [("0401", "2016-08-10"), ("0401", "2016-09-10"), ("0401", "2016-10-10")]
    f = fc(birth, "2022-06-01", doses, sex="1")
    assert brief(series(f, "DTaP")) == ("overdue", 4, "0601", "2017-11-10", "2018-05-10")
    done = fc(birth, "2022-07-01", [*doses, ("0601", "2022-06-01")], sex="1")
    assert series(done, "DTaP").status.value == "complete"


# -- alternatives ---------------------------------------------------------------


def test_je_defaults_to_live_and_follows_unit_preference(fc: ForecastFn) -> None:
    birth = "2025-01-20"
    assert brief(series(fc(birth, "2025-09-20"), "JE"))[:3] == ("due", 1, "1801")
    pref = series(fc(birth, "2025-09-20", prefs={"JE": "JE-I", "HepA": "HepA-I"}), "JE")
    assert (pref.track, pref.vaccine) == ("JE-I", "1802")
    # an unknown preference falls back to the default track
    assert series(fc(birth, "2025-09-20", prefs={"JE": "nonsense"}), "JE").track == "JE-L"


def test_je_follows_the_product_actually_used(fc: ForecastFn) -> None:
    birth = "2025-01-20"
    f = fc(birth, "2025-09-21", [("1802", "2025-09-20")])  # JE-I at 8 m; unit default is JE-L
    s = series(f, "JE")
    assert (s.track, *brief(s)) == ("JE-I", "not_yet", 2, "1802", "2025-09-27", "2025-09-30")
    live = fc(birth, "2025-09-21", [("1801", "2025-09-20")], prefs={"JE": "JE-I"})
    assert brief(series(live, "JE")) == ("not_yet", 2, "1801", "2027-01-20", "2028-01-20")


def test_je_i_four_doses_complete(fc: ForecastFn) -> None:
    doses = [("1802", "2025-09-20"), ("1802", "2025-09-27"), ("1803", "2027-01-20"), ("1802", "2031-01-20")]
    f = fc("2025-01-20", "2031-02-01", doses)
    assert [e[3:] for e in evals(f, "JE")] == [
        (1, True, "及时"),
        (2, True, "及时"),
        (3, True, "及时"),
        (4, True, "及时"),
    ]
    assert series(f, "JE").status.value == "complete"


def test_je_live_after_je_inactivated_is_wrong_product(fc: ForecastFn) -> None:
    f = fc("2025-01-20", "2025-11-01", [("1802", "2025-09-20"), ("1801", "2025-10-20")])
    assert evals(f, "JE")[1][3:] == (None, False, "品种不符")


def test_hepa_live_one_dose_inactivated_two(fc: ForecastFn) -> None:
    birth = "2023-06-15"
    live = fc(birth, "2025-06-15", [("1901", "2024-12-15")])
    assert series(live, "HepA").status.value == "complete"
    inact = fc(birth, "2025-01-01", [("1903", "2024-12-15")])
    assert brief(series(inact, "HepA")) == ("not_yet", 2, "1903", "2025-06-15", "2026-06-15")


def test_hepa_inactivated_finished_with_live_6_months_later(fc: ForecastFn) -> None:
    f = fc("2023-06-15", "2025-07-01", [("1903", "2024-12-15"), ("1901", "2025-06-15")])
    assert evals(f, "HepA")[1][3:] == (2, True, "及时")
    assert series(f, "HepA").status.value == "complete"


# -- polio --------------------------------------------------------------------


def test_polio_counts_across_ipv_bopv_and_pentavalent(fc: ForecastFn) -> None:
    birth = "2025-02-10"
    doses = [("0303", "2025-04-10"), ("5001", "2025-05-10"), ("0305", "2025-06-10")]
    f = fc(birth, "2025-07-01", doses)
    assert [e[2:4] for e in evals(f, "Polio")] == [("Polio", 1), ("Polio", 2), ("Polio", 3)]
    assert brief(series(f, "Polio")) == ("not_yet", 4, "0311", "2029-02-10", "2030-02-10")


def test_polio_born_before_2019_10_gets_one_ipv_then_bopv(fc: ForecastFn) -> None:
    early = fc("2019-09-30", "2019-12-30", [("0303", "2019-11-30")])
    assert brief(series(early, "Polio"))[:4] == ("due", 2, "0311", "2019-12-30")
    later = fc("2019-10-01", "2020-01-01", [("0303", "2019-12-01")])
    assert brief(series(later, "Polio"))[:4] == ("due", 2, "0303", "2020-01-01")


def test_four_ipv_containing_doses_need_no_bopv(fc: ForecastFn) -> None:
    doses = [("5001", "2025-04-10"), ("5001", "2025-05-10"), ("5001", "2025-06-10"), ("0303", "2029-02-10")]
    assert series(fc("2025-02-10", "2029-03-01", doses), "Polio").status.value == "complete"


def test_polio_catch_up_from_4_years_needs_four_doses_28_days_apart(fc: ForecastFn) -> None:
    birth = "2020-06-01"
    f0 = fc(birth, "2024-07-01", sex="1")
    assert brief(series(f0, "Polio")) == ("overdue", 1, "0303", "2020-08-01", "2021-06-01")
    doses = [("0303", "2024-07-01"), ("0303", "2024-07-29"), ("0311", "2024-08-26")]
    f3 = fc(birth, "2024-08-26", doses, sex="1")
    assert brief(series(f3, "Polio")) == ("not_yet", 4, "0311", "2024-09-23", "2025-06-01")


# -- combination vaccines -------------------------------------------------------


def test_pentavalent_counts_for_dtap_and_polio_and_6y_dtap_still_due(fc: ForecastFn) -> None:
    birth = "2025-02-10"
    doses = [("5001", "2025-04-10"), ("5001", "2025-05-10"), ("5001", "2025-06-10"), ("5001", "2026-08-10")]
    f = fc(birth, "2026-09-01", doses)
    e = evals(f)
    assert ("5001", "2025-04-10", "DTaP", 1, True, "及时") in e
    assert ("5001", "2025-04-10", "Polio", 1, True, "及时") in e
    # DTaP 4 on 2026-08-10 = 18 m; D3 + 6 m = 2025-12-10
    assert ("5001", "2026-08-10", "DTaP", 4, True, "及时") in e
    assert series(f, "Polio").status.value == "complete"
    assert brief(series(f, "DTaP")) == ("not_yet", 5, "0401", "2031-02-10", "2032-02-10")


def test_dtap_hib_counts_for_dtap_only(fc: ForecastFn) -> None:
    f = fc("2025-02-10", "2025-05-01", [("4901", "2025-04-10")])
    assert evals(f) == [("4901", "2025-04-10", "DTaP", 1, True, "及时")]
    assert series(f, "Polio").doses_counted == 0


# -- MenA → MenAC ---------------------------------------------------------------


def test_menac_after_two_mena_at_3_years(fc: ForecastFn) -> None:
    f = fc("2022-04-30", "2025-04-30", [("1601", "2022-10-30"), ("1601", "2023-01-30")])
    assert series(f, "MenA").status.value == "complete"
    assert brief(series(f, "MenAC")) == ("due", 1, "1701", "2025-04-30", "2026-04-30")


def test_mena_dose1_at_22_months_then_menac(fc: ForecastFn) -> None:
    birth = "2023-01-10"
    f = fc(birth, "2024-11-20", [("1601", "2024-11-10")])  # 22 m
    # D2 would be 2025-02-10 = 25 m ≥ 24 m: no more MPSV-A
    assert series(f, "MenA").status.value == "aged_out"
    # issue #17 rule 2: one MPSV-A and MPSV-A can no longer be finished → AC1 as soon as
    # possible from 24 m (2025-01-10), ≥3 m after that dose (2025-02-10), before 3 y
    assert brief(series(f, "MenAC")) == ("not_yet", 1, "1701", "2025-02-10", "2026-01-10")


def test_mena_dose2_at_23_months_late_in_2021_rule_eligible_in_2026(fc: ForecastFn) -> None:
    old = fc("2023-01-10", "2025-01-01", [("1601", "2023-07-10"), ("1601", "2024-12-31")])
    assert evals(old, "MenA")[1][3:] == (2, True, "超期")  # < 18 m rule
    # AC1: 3 y = 2026-01-10; last MenA + 12 m = 2025-12-31
    assert brief(series(old, "MenAC"))[:4] == ("not_yet", 1, "1701", "2026-01-10")
    new = fc("2024-08-10", "2026-08-01", [("1601", "2025-02-10"), ("1601", "2026-07-10")])
    assert evals(new, "MenA")[1][3:] == (2, True, "合格")  # < 24 m rule since 2026-06-17


def test_no_mena_after_24_months_gets_menac_now(fc: ForecastFn) -> None:
    f = fc("2023-01-10", "2025-02-10", sex="1")  # 25 m
    assert series(f, "MenA").status.value == "aged_out"
    assert brief(series(f, "MenAC")) == ("due", 1, "1701", "2025-01-10", "2026-01-10")


def test_mpsv_a_after_24_months_is_aged_out(fc: ForecastFn) -> None:
    f = fc("2023-01-10", "2025-03-01", [("1601", "2025-02-10")])
    assert evals(f) == [("1601", "2025-02-10", "MenA", None, False, "超龄")]


def test_conjugate_counts_as_mena_then_as_menac(fc: ForecastFn) -> None:
    birth = "2023-01-10"
    early = fc(birth, "2023-08-01", [("1702", "2023-07-10")])
    assert evals(early) == [("1702", "2023-07-10", "MenA", 1, True, "及时")]
    assert series(early, "MenAC").doses_counted == 0
    late = fc(birth, "2025-03-01", [("1702", "2025-02-10")])  # 25 m, no MenA
    # earliest 24 m (2025-01-10); 及时 until 2025-02-10, so that day is 合格
    assert evals(late) == [("1702", "2025-02-10", "MenAC", 1, True, "合格")]
    assert brief(series(late, "MenAC")) == ("not_yet", 2, "1701", "2029-01-10", "2030-01-10")


# -- live vaccine spacing ---------------------------------------------------------


def test_two_live_injectables_on_the_same_day_are_fine(fc: ForecastFn) -> None:
    f = fc("2025-01-20", "2025-10-01", [("1201", "2025-09-20"), ("1801", "2025-09-20")])
    assert [e[4:] for e in evals(f)] == [(True, "及时"), (True, "及时")]


def test_live_injectable_within_28_days_is_invalid_and_forecast_waits(fc: ForecastFn) -> None:
    birth = "2025-01-20"
    f = fc(birth, "2025-10-01", [("1201", "2025-09-20"), ("1801", "2025-09-30")])
    assert evals(f, "JE") == [("1801", "2025-09-30", "JE", None, False, "活苗间隔不足")]
    # JE-L again: 28 days after the last live injection (the invalid one counts too)
    assert brief(series(f, "JE"))[:4] == ("not_yet", 1, "1801", "2025-10-28")
    # a forecast on the day of the MMR proposes JE-L that same day
    same_day = fc(birth, "2025-09-20", [("1201", "2025-09-20")])
    assert brief(series(same_day, "JE"))[:4] == ("due", 1, "1801", "2025-09-20")
    nextday = fc(birth, "2025-09-21", [("1201", "2025-09-20")])
    assert brief(series(nextday, "JE"))[:4] == ("not_yet", 1, "1801", "2025-10-18")


def test_varicella_counts_for_spacing_but_oral_and_inactivated_do_not(fc: ForecastFn) -> None:
    birth = "2025-01-20"
    f = fc(birth, "2025-10-01", [("2201", "2025-09-10"), ("1201", "2025-09-20"), ("1802", "2025-09-22")])
    assert evals(f)[0] == ("2201", "2025-09-10", None, None, True, None)
    assert evals(f, "MMR")[0][4:] == (False, "活苗间隔不足")
    assert evals(f, "JE")[0][4:] == (True, "及时")  # JE-I is inactivated
    g = fc(birth, "2025-10-01", [("1201", "2025-09-20"), ("0311", "2025-09-25")])
    assert evals(g, "Polio")[0][4] is True  # oral bOPV: no interval


def test_live_spacing_does_not_delay_inactivated_alternative(fc: ForecastFn) -> None:
    f = fc("2025-01-20", "2025-09-21", [("1201", "2025-09-20")], prefs={"JE": "JE-I"})
    assert brief(series(f, "JE"))[:4] == ("due", 1, "1802", "2025-09-20")


# -- catch-up, aged out, sex ---------------------------------------------------------


def test_bcg_overdue_then_aged_out_at_4(fc: ForecastFn) -> None:
    birth = "2022-03-01"
    assert brief(series(fc(birth, "2023-03-01"), "BCG")) == ("overdue", 1, "0101", "2022-03-01", "2022-06-01")
    assert series(fc(birth, "2026-02-28"), "BCG").status.value == "overdue"
    assert series(fc(birth, "2026-03-01"), "BCG").status.value == "aged_out"


def test_catch_up_ends_at_18(fc: ForecastFn) -> None:
    birth = "2008-05-05"
    assert series(fc(birth, "2026-05-04", sex="2"), "HepB").status.value == "overdue"
    at18 = fc(birth, "2026-05-05", sex="2")
    assert {s.status.value for s in at18.series} == {"aged_out"}
    assert evals(fc(birth, "2026-06-01", [("0201", "2026-05-05")]))[0][4:] == (False, "超龄")


def test_hpv_for_girls_only_and_only_from_2025_11_10(fc: ForecastFn) -> None:
    birth = "2012-08-01"  # 13 y in 2025
    assert fc(birth, "2025-11-09").for_series("HPV") is None
    girl = fc(birth, "2025-11-10", sex="2")
    assert brief(series(girl, "HPV")) == ("due", 1, "5901", "2025-08-01", "2026-08-01")
    assert fc(birth, "2025-11-10", sex="1").for_series("HPV") is None
    assert fc(birth, "2025-11-10", sex=None).for_series("HPV") is None
    boy = fc(birth, "2025-12-01", [("5901", "2025-11-20")], sex="1")
    assert evals(boy) == [("5901", "2025-11-20", "HPV", None, False, "不适用")]


def test_hpv_second_dose_overdue_12_months_after_first(fc: ForecastFn) -> None:
    f = fc("2012-08-01", "2026-12-01", [("5901", "2025-11-20")])
    assert brief(series(f, "HPV")) == ("overdue", 2, "5901", "2026-05-20", "2026-11-20")


def test_doses_after_the_forecast_date_are_ignored(fc: ForecastFn) -> None:
    f = fc("2025-01-20", "2025-02-01", [("0201", "2025-01-20"), ("0201", "2025-02-20")])
    assert [d.date.isoformat() for d in f.doses] == ["2025-01-20"]


def test_unknown_and_non_series_vaccines_are_listed_without_series(fc: ForecastFn) -> None:
    f = fc("2025-01-20", "2025-12-01", [("2101", "2025-11-01")])
    assert evals(f) == [("2101", "2025-11-01", None, None, True, None)]


def test_forecast_before_birth_is_refused(fc: ForecastFn) -> None:
    with pytest.raises(ValueError, match="早于出生日期"):
        fc("2025-01-20", "2025-01-19")
