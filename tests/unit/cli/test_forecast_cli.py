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
