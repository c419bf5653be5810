"""``epimanager forecast`` and ``epimanager gap`` in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import run_cli


def _case(tmp_path: Path, data: object) -> Path:
    p = tmp_path / "case.json"
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return p


def test_forecast_case_json(tmp_path: Path) -> None:
    case = _case(
        tmp_path,
        {
            "birth_date": "2024-01-31",
            "sex": "F",
            "as_of": "2024-03-15",
            "doses": [
                {"vaccine": "HepB", "date": "2024-02-10"},  # late: 超期 (after 24 h)
                {"vaccine": "0201", "date": "2024-03-01"},  # past 1 m, but 20 days: 间短
                {"vaccine": "BCG", "date": "2024-02-01"},
            ],
        },
    )
    r = run_cli("forecast", "--case", case, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["as_of"], out["schedule"]) == ("2024-03-15", "CN-NIP-2021")
    hepb = next(s for s in out["series"] if s["series"] == "HepB")
    # HepB 2 again from D1 + 28 d = 03-09 (1 m = 02-29, leap year)
    assert {k: hepb[k] for k in ("next_dose", "vaccine", "earliest", "complete_before", "status")} == {
        "next_dose": 2,
        "vaccine": "HepB",
        "earliest": "2024-03-09",
        "complete_before": "2025-01-31",
        "status": "due",
    }
    assert out["doses"][1]["evaluation"] == "超期"
    assert [(d["vaccine"], d["date"], d["dose_number"], d["valid"], d["reason"]) for d in out["doses"]] == [
        ("BCG", "2024-02-01", 1, True, None),
        ("HepB", "2024-02-10", 1, True, None),
        ("HepB", "2024-03-01", None, False, "间短"),
    ]


def test_forecast_on_overrides_as_of_and_text_output(tmp_path: Path) -> None:
    case = _case(tmp_path, {"birth_date": "2025-03-15", "as_of": "2025-03-15"})
    r = run_cli("forecast", "--case", case, "--on", "2025-05-15")
    assert r.returncode == 0, r.stderr
    assert "预测日期 2025-05-15" in r.stdout and "IPV" in r.stdout


def test_forecast_case_errors_are_chinese_and_non_zero(tmp_path: Path) -> None:
    bad = _case(tmp_path, {"birth_date": "2025-02-30", "doses": [{"vaccine": "ZZZ", "date": "2025-03-01"}]})
    r = run_cli("forecast", "--case", bad, "--json")
    assert r.returncode != 0
    assert "未知疫苗" in r.stderr and "出生日期" in r.stderr
    missing = run_cli("forecast", "--case", tmp_path / "nope.json")
    assert missing.returncode != 0 and "无法读取" in missing.stderr


def test_forecast_stored_child_and_gap(db_path: Path) -> None:
    add = run_cli(
        "child", "add", "--name", "张浩", "--sex", "男", "--birth-date", "2025-03-15",
        "--mother", "李梅", "--committee", "东风村", "--json", db=db_path,
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    code = json.loads(add.stdout)["code"]
    dose = run_cli("dose", "add", code, "--vaccine", "HepB", "--dose", "1", "--date", "2025-03-15", db=db_path)
    assert dose.returncode == 0, dose.stderr

    r = run_cli("forecast", "--child", code, "--on", "2025-04-15", "--json", db=db_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    hepb = next(s for s in out["series"] if s["series"] == "HepB")
    assert (hepb["next_dose"], hepb["earliest"], hepb["status"]) == (2, "2025-04-15", "due")
    assert out["doses"][0]["evaluation"] == "及时"

    gap = run_cli("gap", "--on", "2025-04-15", "--series", "HepB", "--committee", "东风村", "--json", db=db_path)
    assert gap.returncode == 0, gap.stderr
    g = json.loads(gap.stdout)
    assert g["count"] == 1 and g["children"][0]["code"] == code
    assert [(d["series"], d["next_dose"], d["status"]) for d in g["children"][0]["due"]] == [("HepB", 2, "due")]
    # BCG not given: overdue from 3 m (2025-06-15)
    later = run_cli("gap", "--on", "2025-07-01", "--series", "BCG", "--json", db=db_path)
    assert json.loads(later.stdout)["children"][0]["due"][0]["status"] == "overdue"
    other = run_cli("gap", "--on", "2025-04-15", "--committee", "红旗村", "--json", db=db_path)
    assert json.loads(other.stdout)["count"] == 0
    missing = run_cli("forecast", "--child", "320102010120259999", db=db_path)
    assert missing.returncode != 0 and "找不到" in missing.stderr


# -- issue #17 rules through the CLI ---------------------------------------------------------


def _forecast(tmp_path: Path, data: object) -> dict:  # type: ignore[type-arg]
    r = run_cli("forecast", "--case", _case(tmp_path, data), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def _series(out: dict, sid: str) -> tuple[object, ...]:  # type: ignore[type-arg]
    s = next(s for s in out["series"] if s["series"] == sid)
    return (s["status"], s["next_dose"], s["vaccine"], s["earliest"], s["complete_before"])


def test_cli_finished_dtap_course_stays_complete(tmp_path: Path) -> None:
    out = _forecast(
        tmp_path,
        {
            "birth_date": "2016-05-10",
            "sex": "M",
            "as_of": "2026-01-05",
            "doses": [
                {"vaccine": "DTaP", "dose": 1, "date": "2016-08-10"},
                {"vaccine": "DTaP", "dose": 2, "date": "2016-09-10"},
                {"vaccine": "DTaP", "dose": 3, "date": "2016-10-10"},
                {"vaccine": "DT", "dose": 4, "date": "2022-06-01"},
            ],
        },
    )
    assert _series(out, "DTaP") == ("complete", None, None, None, None)
    assert [(d["dose_number"], d["evaluation"]) for d in out["doses"]] == [
        (1, "及时"),
        (2, "及时"),
        (3, "及时"),
        (4, "超期"),
    ]


def test_cli_topv_and_bopv_histories(tmp_path: Path) -> None:
    base = {"birth_date": "2015-03-10", "sex": "F", "as_of": "2026-01-10"}
    topv = _forecast(
        tmp_path,
        {
            **base,
            "doses": [
                {"vaccine": "0301", "dose": 1, "date": "2015-05-10"},
                {"vaccine": "bOPV", "dose": 2, "date": "2016-06-10"},
                {"vaccine": "bOPV", "dose": 3, "date": "2016-07-10"},
            ],
        },
    )
    assert _series(topv, "Polio") == ("overdue", 4, "bOPV", "2019-03-10", "2020-03-10")
    assert topv["doses"][0]["vaccine"] == "tOPV" and topv["doses"][0]["dose_number"] == 1
    bopv = _forecast(
        tmp_path,
        {
            **base,
            "doses": [
                {"vaccine": "bOPV", "date": "2016-05-10"},
                {"vaccine": "bOPV", "date": "2016-06-10"},
                {"vaccine": "bOPV", "date": "2016-07-10"},
            ],
        },
    )
    assert _series(bopv, "Polio") == ("overdue", 4, "IPV", "2016-08-07", "2020-03-10")
    # 糖丸 is the tOPV alias
    alias = _forecast(tmp_path, {**base, "doses": [{"vaccine": "糖丸", "date": "2015-05-10"}]})
    assert alias["doses"][0]["code"] == "0301"


def test_cli_hepb_positive_mother_under_2000_g(tmp_path: Path) -> None:
    out = _forecast(
        tmp_path,
        {
            "birth_date": "2025-03-01",
            "sex": "F",
            "as_of": "2025-05-02",
            "mother_hbsag": "positive",
            "birth_weight_g": 1800,
            "doses": [
                {"vaccine": "HepB", "dose": 1, "date": "2025-03-01"},
                {"vaccine": "HepB", "dose": 2, "date": "2025-04-01"},
                {"vaccine": "HepB", "dose": 3, "date": "2025-05-01"},
            ],
        },
    )
    assert _series(out, "HepB") == ("not_yet", 4, "HepB", "2025-10-01", "2026-03-01")
    hepb = [d for d in out["doses"] if d["series"] == "HepB"]
    assert [(d["dose_number"], d["evaluation"]) for d in hepb] == [(1, "及时"), (2, "及时"), (3, "及时")]
    assert "HBIG" in hepb[0]["note"]


def test_cli_immunoglobulin_bcg_note_and_aged_out(tmp_path: Path) -> None:
    out = _forecast(
        tmp_path,
        {
            "birth_date": "2025-01-20",
            "sex": "M",
            "as_of": "2025-09-20",
            "immunoglobulin": [{"product": "IVIG", "date": "2025-08-01"}],
        },
    )
    mmr = next(s for s in out["series"] if s["series"] == "MMR")
    assert (mmr["status"], mmr["earliest"]) == ("not_yet", "2025-11-01")
    assert "IVIG" in mmr["note"] and mmr["notes"] == [mmr["note"]]
    bcg = next(s for s in out["series"] if s["series"] == "BCG")
    assert (bcg["status"], bcg["notes"]) == ("overdue", ["需PPD试验阴性"])
    old = _forecast(tmp_path, {"birth_date": "2021-01-20", "sex": "M", "as_of": "2025-09-20"})
    assert _series(old, "BCG") == ("aged_out", None, None, None, None)


def test_cli_case_clinical_errors_name_the_key(tmp_path: Path) -> None:
    bad = _case(
        tmp_path,
        {"birth_date": "2025-01-01", "mother_hbsag": "yes", "birth_weight_g": "heavy", "immunoglobulin": "IVIG"},
    )
    r = run_cli("forecast", "--case", bad, "--json")
    assert r.returncode != 0
    assert "mother_hbsag" in r.stderr and "birth_weight_g" in r.stderr and "immunoglobulin" in r.stderr


def test_cli_immunoglobulin_entry_moves_a_stored_childs_mmr(db_path: Path) -> None:
    add = run_cli(
        "child", "add", "--name", "孙悦", "--sex", "女", "--birth-date", "2025-01-20",
        "--mother", "钱芳", "--committee", "东风村", "--json", db=db_path,
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    code = json.loads(add.stdout)["code"]
    ig = run_cli("immunoglobulin", "add", code, "--product", "IVIG", "--date", "2025-08-01", db=db_path)
    assert ig.returncode == 0, ig.stderr
    listed = run_cli("immunoglobulin", "list", code, "--json", db=db_path)
    assert json.loads(listed.stdout) == [{"product": "IVIG", "date": "2025-08-01"}]
    r = run_cli("forecast", "--child", code, "--on", "2025-09-20", "--json", db=db_path)
    mmr = next(s for s in json.loads(r.stdout)["series"] if s["series"] == "MMR")
    assert (mmr["status"], mmr["earliest"]) == ("not_yet", "2025-11-01")
    text = run_cli("forecast", "--child", code, "--on", "2025-09-20", db=db_path)
    assert "注：IVIG（2025-08-01）后需间隔3个月" in text.stdout
    bad = run_cli("immunoglobulin", "add", code, "--product", "IVIG", "--date", "2024-01-01", db=db_path)
    assert bad.returncode != 0 and "早于出生日期" in bad.stderr


def test_cli_infant_conjugate_and_dtap_hib_per_insert(tmp_path: Path) -> None:
    out = _forecast(
        tmp_path,
        {
            "birth_date": "2025-01-10",
            "sex": "F",
            "as_of": "2025-07-01",
            "doses": [
                {"vaccine": "MenAC-Conj", "date": "2025-04-10"},
                {"vaccine": "1702", "date": "2025-05-10"},
                {"vaccine": "1702", "date": "2025-06-10"},
                {"vaccine": "四联疫苗", "date": "2025-04-10"},
                {"vaccine": "DTaP-Hib", "date": "2025-05-10"},
                {"vaccine": "4901", "date": "2025-06-10"},
            ],
        },
    )
    assert _series(out, "MenA") == ("complete", None, None, None, None)
    assert _series(out, "MenAC") == ("not_yet", 1, "MPSV-AC", "2028-01-10", "2029-01-10")
    # DTaP 1-3 from the 四联 (D3 at 5 m per its insert); D4 at 18 m
    assert _series(out, "DTaP") == ("not_yet", 4, "DTaP", "2026-07-10", "2027-01-10")
    got = [(d["code"], d["series"], d["dose_number"], d["valid"]) for d in out["doses"]]
    assert got == [
        ("1702", "MenA", 1, True),
        ("4901", "DTaP", 1, True),
        ("1702", "MenA", 2, True),
        ("4901", "DTaP", 2, True),
        ("1702", "MenA", 3, True),
        ("4901", "DTaP", 3, True),
    ]


def test_cli_teenager_with_measles_only_history_one_mpsv_a_and_no_dtap(tmp_path: Path) -> None:
    out = _forecast(
        tmp_path,
        {
            "birth_date": "2012-05-01",
            "sex": "M",
            "as_of": "2026-01-10",
            "doses": [
                {"vaccine": "MV", "date": "2013-01-01"},
                {"vaccine": "麻疹", "date": "2013-11-01"},
                {"vaccine": "MPSV-A", "date": "2012-11-01"},
            ],
        },
    )
    # 2 measles doses, no rubella or mumps: a 3rd dose, MMR, ≥28 d after the last
    assert _series(out, "MMR") == ("due", 3, "MMR", "2013-11-29", None)
    # one MPSV-A and past 24 m: MPSV-AC from 24 m (2014-05-01), before 3 y
    assert _series(out, "MenAC") == ("overdue", 1, "MPSV-AC", "2014-05-01", "2015-05-01")
    # 13 y with no DTaP: Td (adolescent/adult), not DT
    assert _series(out, "DTaP")[:3] == ("overdue", 1, "Td")
