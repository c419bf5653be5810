"""Issue #17: the catch-up and counting rules, one child per case, dates worked by hand.

Each case gives birth date, doses and assessment date, and checks the series'
status, next dose, product, earliest and complete-before dates and how each
dose given was judged.  Rule numbers are the issue's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from epimanager.domain.schedule import ChildFacts, Forecast, Immunoglobulin
from tests.unit.domain.schedule.test_schedule_rules import brief, evals, series

ForecastFn = Callable[..., Forecast]


# -- rule 1: a version change never reopens a finished course ------------------------


def test_three_dtap_and_dt_at_6_before_2025_stays_complete(fc: ForecastFn) -> None:
    birth = "2016-05-10"
    doses = [("0401", "2016-08-10"), ("0401", "2016-09-10"), ("0401", "2016-10-10"), ("0601", "2022-06-01")]
    # 2021 rule: DT at 6 y is dose 4 (past D4's <24 m: 超期), dose 5 is skipped (D4 at ≥6 y)
    f = fc(birth, "2026-01-05", [*doses, ("0601", "2025-03-01")], sex="1")
    assert series(f, "DTaP").status.value == "complete"
    assert (series(f, "DTaP").next_dose, series(f, "DTaP").doses_counted) == (None, 4)
    assert evals(f, "DTaP") == [
        ("0401", "2016-08-10", "DTaP", 1, True, "及时"),
        ("0401", "2016-09-10", "DTaP", 2, True, "及时"),
        ("0401", "2016-10-10", "DTaP", 3, True, "及时"),
        ("0601", "2022-06-01", "DTaP", 4, True, "超期"),
        # the 2025 rule would take a 5th dose at 9 y; the finished course does not
        ("0601", "2025-03-01", "DTaP", None, False, "多余剂次"),
    ]


def test_four_dtap_and_dt_at_6_before_2025_complete_in_2026(fc: ForecastFn) -> None:
    doses = [
        ("0401", "2017-07-20"),
        ("0401", "2017-08-20"),
        ("0401", "2017-09-20"),
        ("0401", "2018-10-20"),
        ("0601", "2023-04-20"),
    ]
    f = fc("2017-04-20", "2026-08-01", doses)
    assert brief(series(f, "DTaP")) == ("complete", None, None, None, None)


def test_course_still_open_in_2025_follows_the_new_ages(fc: ForecastFn) -> None:
    # 4 DTaP, 6 y on 2025-03-05 (after the change): dose 5 is DTaP, not DT
    four = [("0401", "2019-06-05"), ("0401", "2019-07-05"), ("0401", "2019-08-05"), ("0401", "2020-09-05")]
    f = fc("2019-03-05", "2025-03-05", four)
    assert brief(series(f, "DTaP")) == ("due", 5, "0401", "2025-03-05", "2026-03-05")


# -- rule 13: next_dose is null when complete or aged out -----------------------------


def test_next_dose_is_null_when_aged_out_or_complete(fc: ForecastFn) -> None:
    f = fc("2022-03-01", "2026-03-01")
    assert brief(series(f, "BCG")) == ("aged_out", None, None, None, None)
    out = {s["series"]: s for s in f.to_dict()["series"]}
    assert (out["BCG"]["status"], out["BCG"]["next_dose"]) == ("aged_out", None)
    done = fc("2023-01-10", "2025-01-01", [("1901", "2024-07-10")]).to_dict()["series"]
    assert next((s["status"], s["next_dose"]) for s in done if s["series"] == "HepA") == ("complete", None)


# -- rule 6: a bOPV-only history needs one IPV ------------------------------------------


def test_three_bopv_under_4_years_get_ipv_now_not_bopv_at_4(fc: ForecastFn) -> None:
    birth = "2020-03-01"
    doses = [("0311", "2020-05-01"), ("0311", "2020-06-01"), ("0311", "2020-07-01")]
    f = fc(birth, "2021-03-01", doses)
    # dose 4 is IPV, as soon as 28 days after dose 3 (2020-07-29); complete before 5 y
    assert brief(series(f, "Polio")) == ("due", 4, "0303", "2020-07-29", "2025-03-01")
    assert [e[3:] for e in evals(f, "Polio")] == [(1, True, "及时"), (2, True, "及时"), (3, True, "及时")]
    after = fc(birth, "2021-03-02", [*doses, ("0303", "2021-03-01")])
    assert evals(after, "Polio")[3] == ("0303", "2021-03-01", "Polio", 4, True, "合格")
    assert brief(series(after, "Polio")) == ("complete", None, None, None, None)


def test_four_bopv_over_4_years_get_one_ipv_never_a_fifth_bopv(fc: ForecastFn) -> None:
    doses = [("0311", "2018-03-15"), ("0311", "2018-04-15"), ("0311", "2018-05-15"), ("0311", "2022-01-15")]
    f = fc("2018-01-15", "2026-01-10", doses)
    assert brief(series(f, "Polio")) == ("due", 5, "0303", "2022-02-12", None)
    done = fc("2018-01-15", "2026-01-11", [*doses, ("0303", "2026-01-10")])
    assert evals(done, "Polio")[4][3:5] == (5, True)
    assert series(done, "Polio").status.value == "complete"
    # a 5th bOPV instead is not counted
    extra = fc("2018-01-15", "2026-01-11", [*doses, ("0311", "2026-01-10")])
    assert evals(extra, "Polio")[4][3:] == (None, False, "多余剂次")
    assert brief(series(extra, "Polio"))[:3] == ("due", 5, "0303")


# -- rule 7: tOPV (糖丸) history ---------------------------------------------------------


def test_topv_history_catches_up_with_bopv_only(fc: ForecastFn) -> None:
    birth = "2015-03-10"
    f = fc(birth, "2026-01-10", [("0301", "2015-05-10"), ("0311", "2016-06-10"), ("0311", "2016-07-10")])
    assert evals(f, "Polio")[0] == ("0301", "2015-05-10", "Polio", 1, True, "及时")
    # dose 4 at 4 y (2019-03-10), before 5 y: bOPV, no IPV
    assert brief(series(f, "Polio")) == ("overdue", 4, "0311", "2019-03-10", "2020-03-10")
    # the same doses without tOPV: IPV, as soon as 28 days after the last
    bopv = fc(birth, "2026-01-10", [("0311", "2016-05-10"), ("0311", "2016-06-10"), ("0311", "2016-07-10")])
    assert brief(series(bopv, "Polio")) == ("overdue", 4, "0303", "2016-08-07", "2020-03-10")


def test_three_topv_and_bopv_at_4_is_complete_without_ipv(fc: ForecastFn) -> None:
    doses = [("0301", "2015-05-10"), ("0301", "2015-06-10"), ("0301", "2015-07-10"), ("0311", "2019-03-10")]
    f = fc("2015-03-10", "2026-01-10", doses)
    assert [e[3] for e in evals(f, "Polio")] == [1, 2, 3, 4]
    assert series(f, "Polio").status.value == "complete"


# -- rule 4: four IPV-containing doses, no bOPV at 4 y ------------------------------------


def test_standalone_ipv_at_2_3_4_18_months_completes_polio(fc: ForecastFn) -> None:
    doses = [("0303", "2025-04-10"), ("0303", "2025-05-10"), ("0303", "2025-06-10"), ("0303", "2026-08-10")]
    f = fc("2025-02-10", "2026-09-01", doses)
    assert evals(f, "Polio")[3] == ("0303", "2026-08-10", "Polio", 4, True, "及时")
    assert brief(series(f, "Polio")) == ("complete", None, None, None, None)


def test_ipv_at_18_months_after_a_bopv_is_not_the_4_year_dose(fc: ForecastFn) -> None:
    doses = [("0303", "2025-04-10"), ("0303", "2025-05-10"), ("0311", "2025-06-10"), ("0303", "2026-08-10")]
    f = fc("2025-02-10", "2026-09-01", doses)
    assert evals(f, "Polio")[3] == ("0303", "2026-08-10", "Polio", None, False, "未到月龄")
    assert brief(series(f, "Polio")) == ("not_yet", 4, "0311", "2029-02-10", "2030-02-10")


# -- rule 5: 四联 at 3, 4, 5 months counts under the 2025 table -----------------------------


def test_dtap_hib_at_3_4_5_months_counts_as_dtap_1_to_3(fc: ForecastFn) -> None:
    doses = [("4901", "2025-05-10"), ("4901", "2025-06-10"), ("4901", "2025-07-10")]
    f = fc("2025-02-10", "2025-08-01", doses)
    # D1 at 3 m is a month after the table's 2 m (合格); D3 at 5 m is valid per the insert
    assert evals(f, "DTaP") == [
        ("4901", "2025-05-10", "DTaP", 1, True, "合格"),
        ("4901", "2025-06-10", "DTaP", 2, True, "及时"),
        ("4901", "2025-07-10", "DTaP", 3, True, "及时"),
    ]
    # D4 at 18 m (2026-08-10; D3 + 6 m = 2026-01-10 is earlier)
    assert brief(series(f, "DTaP")) == ("not_yet", 4, "0401", "2026-08-10", "2027-02-10")
    # plain DTaP at 5 m is still too young under the 2025 table (6 m)
    plain = fc("2025-02-10", "2025-08-01", [("0401", "2025-05-10"), ("0401", "2025-06-10"), ("0401", "2025-07-10")])
    assert evals(plain, "DTaP")[2][3:] == (None, False, "未到月龄")


# -- rule 3: AC conjugate per its insert counts as the MPSV-A doses ------------------------


def test_ac_conjugate_at_3_4_5_months_completes_mena(fc: ForecastFn) -> None:
    doses = [("1702", "2025-04-10"), ("1702", "2025-05-10"), ("1702", "2025-06-10")]
    f = fc("2025-01-10", "2025-07-01", doses)
    assert evals(f, "MenA") == [
        ("1702", "2025-04-10", "MenA", 1, True, "及时"),
        ("1702", "2025-05-10", "MenA", 2, True, "及时"),
        ("1702", "2025-06-10", "MenA", 3, True, "及时"),
    ]
    assert brief(series(f, "MenA")) == ("complete", None, None, None, None)
    # the 3 y MPSV-AC follows (3 y = 2028-01-10; last dose + 12 m is earlier)
    assert brief(series(f, "MenAC")) == ("not_yet", 1, "1701", "2028-01-10", "2029-01-10")


def test_ac_conjugate_started_at_6_months_needs_two_doses(fc: ForecastFn) -> None:
    one = fc("2025-01-10", "2025-07-20", [("1702", "2025-07-10")])
    assert brief(series(one, "MenA")) == ("not_yet", 2, "1702", "2025-08-10", "2026-07-10")
    f = fc("2025-01-10", "2025-09-01", [("1702", "2025-07-10"), ("1702", "2025-08-10")])
    assert [e[3:] for e in evals(f, "MenA")] == [(1, True, "及时"), (2, True, "及时")]
    assert series(f, "MenA").status.value == "complete"


# -- rule 2: MenA → MenAC hand-over ------------------------------------------------------


def test_one_mpsv_a_at_24_months_gets_menac_now(fc: ForecastFn) -> None:
    f = fc("2023-01-10", "2025-03-01", [("1601", "2023-07-10")])
    assert brief(series(f, "MenA")) == ("aged_out", None, None, None, None)
    # from 24 m (2025-01-10), ≥3 m after the MPSV-A (2023-10-10), complete before 3 y
    assert brief(series(f, "MenAC")) == ("due", 1, "1701", "2025-01-10", "2026-01-10")
    # given 2025-03-01: valid; more than a month after its earliest date (2025-02-10), so 合格
    given = fc("2023-01-10", "2025-03-02", [("1601", "2023-07-10"), ("1701", "2025-03-01")])
    assert evals(given, "MenAC") == [("1701", "2025-03-01", "MenAC", 1, True, "合格")]


def test_two_mpsv_a_keep_the_12_month_gap(fc: ForecastFn) -> None:
    # MPSV-A 2 at 23 m: AC1 at 3 y (2026-01-10) and ≥12 m after MPSV-A 2 (2025-12-31)
    f = fc("2023-01-10", "2025-03-01", [("1601", "2023-07-10"), ("1601", "2024-12-31")])
    assert brief(series(f, "MenAC")) == ("not_yet", 1, "1701", "2026-01-10", "2027-01-10")


def test_under_24_months_without_mena_menac_stays_at_3_years(fc: ForecastFn) -> None:
    f = fc("2025-01-10", "2025-06-01")
    assert brief(series(f, "MenA")) == ("not_yet", 1, "1601", "2025-07-10", "2026-01-10")
    assert brief(series(f, "MenAC")) == ("not_yet", 1, "1701", "2028-01-10", "2029-01-10")
    # on the 2nd birthday with no MPSV-A: MPSV-AC now, before 3 y
    assert brief(series(fc("2025-01-10", "2027-01-10"), "MenAC")) == ("due", 1, "1701", "2027-01-10", "2028-01-10")


# -- rule 8: HepB for babies of HBsAg-positive or unknown mothers ---------------------------


def test_under_2000_g_with_unknown_mother_gets_four_doses(fc: ForecastFn) -> None:
    lbw = ChildFacts(mother_hbsag="unknown", birth_weight_g=1800)
    birth = "2025-03-01"
    f0 = fc(birth, birth, facts=lbw)
    assert (series(f0, "HepB").track, *brief(series(f0, "HepB"))) == (
        "HepB-LBW",
        "due",
        1,
        "0201",
        "2025-03-01",
        "2025-03-02",
    )
    doses = [("0201", "2025-03-01"), ("0201", "2025-04-01"), ("0201", "2025-05-01")]
    f = fc(birth, "2025-05-02", doses, facts=lbw)
    assert [e[3:] for e in evals(f, "HepB")] == [(1, True, "及时"), (2, True, "及时"), (3, True, "及时")]
    # dose 4 at 7 m (2025-10-01; D3 + 60 d and D2 + 4 m are earlier), before 12 m
    assert brief(series(f, "HepB")) == ("not_yet", 4, "0201", "2025-10-01", "2026-03-01")
    # a negative mother: the usual 3 doses, the 2 m dose is too early
    neg = fc(birth, "2025-05-02", doses, facts=ChildFacts(mother_hbsag="negative", birth_weight_g=1800))
    assert evals(neg, "HepB")[2][3:] == (None, False, "未到月龄")
    assert brief(series(neg, "HepB")) == ("not_yet", 3, "0201", "2025-09-01", "2026-03-01")


def test_positive_mother_birth_dose_within_12_hours_with_hbig_note(fc: ForecastFn) -> None:
    pos = ChildFacts(mother_hbsag="positive", birth_weight_g=3200)
    birth = "2025-03-01"
    f0 = series(fc(birth, birth, facts=pos), "HepB")
    assert brief(f0) == ("due", 1, "0201", "2025-03-01", "2025-03-02")
    assert any("HBIG" in n for n in f0.notes)
    f = fc(birth, "2025-03-05", [("0201", "2025-03-01")], facts=pos)
    d = next(d for d in f.doses if d.series == "HepB")
    assert (d.dose_number, d.evaluation and d.evaluation.value) == (1, "及时")
    assert d.note is not None and "HBIG" in d.note
    # the next day is past 12 h: 超期 (still counted)
    late = fc(birth, "2025-03-05", [("0201", "2025-03-02")], facts=pos)
    assert evals(late, "HepB") == [("0201", "2025-03-02", "HepB", 1, True, "超期")]
    assert brief(series(late, "HepB")) == ("not_yet", 2, "0201", "2025-04-01", "2026-03-01")


# -- rule 9: DT catch-up ≥7 y, Td from 12 y ------------------------------------------------


def test_td_from_12_years_with_6_to_12_months_before_dose_3(fc: ForecastFn) -> None:
    birth = "2012-01-15"
    assert brief(series(fc(birth, "2026-03-01", sex="1"), "DTaP"))[:4] == ("overdue", 1, "0602", "2012-03-15")
    doses = [("0602", "2026-03-01"), ("0602", "2026-04-01")]
    f = fc(birth, "2026-04-02", doses, sex="1")
    assert [e[3:5] for e in evals(f, "DTaP")] == [(1, True), (2, True)]
    assert brief(series(f, "DTaP"))[:4] == ("not_yet", 3, "0602", "2026-10-01")
    done = fc(birth, "2026-10-02", [*doses, ("0602", "2026-10-01")], sex="1")
    assert brief(series(done, "DTaP")) == ("complete", None, None, None, None)


def test_dt_between_7_and_12_years(fc: ForecastFn) -> None:
    # 8 y with one infant DTaP: DT for dose 2, then D3 6 months after D2
    f = fc("2018-02-01", "2026-02-01", [("0401", "2018-05-01")], sex="1")
    assert brief(series(f, "DTaP"))[:3] == ("overdue", 2, "0601")
    g = fc("2018-02-01", "2026-02-02", [("0401", "2018-05-01"), ("0601", "2026-02-01")], sex="1")
    assert brief(series(g, "DTaP"))[:4] == ("not_yet", 3, "0601", "2026-08-01")


# -- rule 10: measles-containing history from before MMR ---------------------------------------


def test_two_mv_need_one_mmr(fc: ForecastFn) -> None:
    f = fc("2012-05-01", "2026-01-10", [("0901", "2013-01-01"), ("0901", "2013-11-01")])
    assert [e[3:] for e in evals(f, "MMR")] == [(1, True, "及时"), (2, True, "及时")]
    # rubella and mumps missing: a 3rd dose, MMR, ≥28 d after the last
    assert brief(series(f, "MMR")) == ("due", 3, "1201", "2013-11-29", None)
    done = fc("2012-05-01", "2026-01-11", [("0901", "2013-01-01"), ("0901", "2013-11-01"), ("1201", "2026-01-10")])
    assert evals(done, "MMR")[2][3:5] == (3, True)
    assert series(done, "MMR").status.value == "complete"


def test_mr_and_mm_cover_measles_rubella_and_mumps(fc: ForecastFn) -> None:
    f = fc("2012-05-01", "2026-01-10", [("1401", "2013-01-01"), ("1301", "2013-11-01")])
    assert brief(series(f, "MMR")) == ("complete", None, None, None, None)
    two_mr = fc("2012-05-01", "2026-01-10", [("1401", "2013-01-01"), ("1401", "2013-11-01")])
    assert brief(series(two_mr, "MMR")) == ("due", 3, "1201", "2013-11-29", None)


def test_one_mv_is_made_up_with_mmr(fc: ForecastFn) -> None:
    f = fc("2012-05-01", "2026-01-10", [("0901", "2013-01-01")])
    assert brief(series(f, "MMR")) == ("overdue", 2, "1201", "2013-11-01", "2014-05-01")


# -- rule 11: immunoglobulin or blood products ----------------------------------------------------


def test_live_injectables_wait_3_months_after_ivig(fc: ForecastFn) -> None:
    ivig = ChildFacts(immunoglobulin=(Immunoglobulin("IVIG", date(2025, 8, 1)),))
    birth = "2025-01-20"
    f = fc(birth, "2025-09-20", facts=ivig)
    mmr = series(f, "MMR")
    assert brief(mmr) == ("not_yet", 1, "1201", "2025-11-01", "2026-01-20")
    assert any("IVIG" in n and "3个月" in n for n in mmr.notes)
    assert brief(series(f, "JE"))[:4] == ("not_yet", 1, "1801", "2025-11-01")
    # inactivated and oral vaccines, and BCG, have no wait
    assert brief(series(f, "Polio"))[:4] == ("due", 1, "0303", "2025-03-20")
    assert brief(series(f, "BCG"))[:4] == ("overdue", 1, "0101", "2025-01-20")
    # JE-I waits 1 month: 2025-09-01 is before 8 m, so no later date and no note
    jei = series(fc(birth, "2025-09-20", prefs={"JE": "JE-I"}, facts=ivig), "JE")
    assert (brief(jei)[:4], jei.notes) == (("due", 1, "1802", "2025-09-20"), ())
    # an MMR given 2 months after the IVIG does not count
    g = fc(birth, "2025-10-02", [("1201", "2025-10-01")], facts=ivig)
    assert evals(g, "MMR") == [("1201", "2025-10-01", "MMR", None, False, "免疫球蛋白间隔不足")]


def test_je_i_waits_one_month_after_ivig(fc: ForecastFn) -> None:
    ivig = ChildFacts(immunoglobulin=(Immunoglobulin("IVIG", date(2025, 9, 15)),))
    jei = series(fc("2025-01-20", "2025-09-20", prefs={"JE": "JE-I"}, facts=ivig), "JE")
    assert brief(jei)[:4] == ("not_yet", 1, "1802", "2025-10-15")
    assert any("1个月" in n for n in jei.notes)


# -- rule 12: BCG at 3 months–3 years ------------------------------------------------------------


def test_bcg_after_3_months_says_ppd_test_first(fc: ForecastFn) -> None:
    birth = "2025-01-01"
    assert series(fc(birth, "2025-03-01"), "BCG").notes == ()
    late = series(fc(birth, "2025-05-01"), "BCG")
    assert (brief(late), late.notes) == (("overdue", 1, "0101", "2025-01-01", "2025-04-01"), ("需PPD试验阴性",))
    assert series(fc(birth, "2028-12-31"), "BCG").notes == ("需PPD试验阴性",)
    assert brief(series(fc(birth, "2029-01-01"), "BCG")) == ("aged_out", None, None, None, None)
