"""What the reference platform refuses, and why."""

from __future__ import annotations

from datetime import date

from epimanager.platform_sim.validate import data_problems, envelope_problem

TODAY = date(2026, 11, 26)
CHILD = {
    "chil_code": "320102010120260001",
    "chil_name": "张浩",
    "chil_sex": "1",
    "chil_birthday": "2026-03-01",
    "chil_here": "1",
    "chil_curdepartment": "3201020101",
}


def test_a_good_child_and_dose_pass() -> None:
    assert data_problems("child", CHILD, TODAY) == []
    dose = {"chil_uuid": "u", "inoc_bact_code": "0201", "inoc_time": 1, "inoc_date": "2026-03-01"}
    assert data_problems("dose", dose, TODAY) == []


def test_reasons_are_given_per_rule() -> None:
    assert data_problems("child", {**CHILD, "chil_birthday": None}, TODAY) == ["缺少出生日期或格式错误"]
    assert data_problems("child", {**CHILD, "chil_no": "130402198207290622"}, TODAY) == [
        "身份证号无效：130402198207290622"
    ]
    bad = {"chil_uuid": "u", "inoc_bact_code": "9999", "inoc_time": 11, "inoc_date": "2027-01-01"}
    assert data_problems("dose", bad, TODAY) == ["疫苗编码无效：9999", "接种日期晚于今天", "剂次应在 1–10 之间"]


def test_a_unit_cannot_upload_another_units_record() -> None:
    rec = {"kind": "child", "uuid": "0190-uuid-x", "version": 1, "owner_unit": "3201020202", "data": CHILD}
    assert "不能由单位 3201020101 上传" in (envelope_problem(rec, "3201020101") or "")
    assert envelope_problem({**rec, "version": 0}, "3201020202") == "版本号应为正整数"
    assert envelope_problem({**rec, "kind": "stock"}, "3201020202") == "未知的记录类型：'stock'"
