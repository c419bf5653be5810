"""``epimanager aefi`` in a subprocess: add from a child's dose, list, report, export the card as xlsx."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from openpyxl import load_workbook

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli

DAY = date.today() - timedelta(days=1)


def child_with_dose(db_path: Path, name: str = "王小明", mother: str = "李梅", batch: str = "B202611") -> str:
    db = open_database(db_path)
    try:
        code = create_child(db, ChildInput(name, "1", date(2026, 3, 1), mother_name=mother)).code
        add_dose(db, code, DoseInput("DTaP", 1, DAY, batch_no=batch, manufacturer="武汉生物"))
        return code
    finally:
        db.close()


def onset(hour: int) -> str:
    return f"{DAY.isoformat()} {hour:02d}:00"


def test_add_list_report_export(db_path: Path, tmp_path: Path) -> None:
    code = child_with_dose(db_path)
    found = f"{DAY.isoformat()} 16:00"
    r = run_cli(
        "aefi", "add", code, "--vaccine", "DTaP", "--onset", onset(15), "--discovered", found,
        "--symptom", "103", "--symptom", "过敏性皮疹", "--severity", "严重", "--text", "注射后 2 小时高热、全身皮疹",
        "--json", db=db_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    case = json.loads(r.stdout)
    assert (case["child_name"], case["vaccine_code"], case["batch_no"], case["dose_number"]) == (
        "王小明",
        "0401",
        "B202611",
        1,
    )
    assert case["symptom_names"] == ["发热 ≥38.6 °C", "过敏性皮疹"]
    # 严重, discovered 16:00: due 18:00 the same day
    assert case["deadline"] == f"{DAY.isoformat()} 18:00:00" and case["cluster"] == []
    listed = run_cli("aefi", "list", "--unreported", "--json", db=db_path)
    assert [c["uuid"] for c in json.loads(listed.stdout)] == [case["uuid"]]
    text = run_cli("aefi", "list", "--unreported", db=db_path).stdout
    assert "王小明" in text and "已超时" in text  # yesterday 18:00 has passed

    out = tmp_path / "card.xlsx"
    r = run_cli("aefi", "export", case["uuid"], "--out", out, db=db_path)
    assert r.returncode == 0, r.stderr
    assert "已导出 1 份个案报告卡" in r.stdout
    wb = load_workbook(out)
    assert wb.sheetnames == ["一览", "1-王小明"]
    card = {row[0]: row[1] for row in wb["1-王小明"].iter_rows(min_row=2, values_only=True)}
    assert wb["1-王小明"]["A1"].value == "疑似预防接种异常反应个案报告卡"
    assert card["姓名"] == "王小明" and card["儿童编码"] == code
    assert card["疫苗批号"] == "B202611" and card["接种剂次"] == "第1剂"
    assert card["主要临床症状（体征）"] == "发热 ≥38.6 °C；过敏性皮疹"
    assert card["严重程度"] == "严重"
    assert card["报告时限"] == f"严重 AEFI：发现后 2 小时内报告（{DAY.isoformat()} 18:00 前）"
    assert card["报告时间"].startswith("未报告（已超时")
    listing = list(wb["一览"].iter_rows(min_row=3, values_only=True))
    assert [(row[2], row[6], row[11]) for row in listing] == [("王小明", "B202611", "严重")]

    r = run_cli("aefi", "report", case["uuid"], "--version", "1", "--json", db=db_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["reported_at"] is not None
    again = run_cli("aefi", "report", case["uuid"], db=db_path)
    assert again.returncode == 2 and "已于" in again.stderr
    assert json.loads(run_cli("aefi", "list", "--unreported", "--json", db=db_path).stdout) == []


def test_refusals_exit_non_zero_and_write_nothing(db_path: Path, tmp_path: Path) -> None:
    code = child_with_dose(db_path)
    no_symptom = run_cli(
        "aefi", "add", code, "--vaccine", "DTaP", "--onset", onset(15), "--severity", "一般", db=db_path
    )
    assert no_symptom.returncode == 2 and "请至少选择一个主要症状" in no_symptom.stderr
    unknown = run_cli(
        "aefi", "add", code, "--vaccine", "DTaP", "--onset", onset(15), "--symptom", "头晕眼花", "--severity", "一般",
        db=db_path,
    )  # fmt: skip
    assert unknown.returncode == 2 and "未知的症状：头晕眼花" in unknown.stderr
    no_dose = run_cli(
        "aefi", "add", code, "--vaccine", "MMR", "--onset", onset(15), "--symptom", "101", "--severity", "一般",
        db=db_path,
    )  # fmt: skip
    assert no_dose.returncode == 3 and "没有" in no_dose.stderr
    assert json.loads(run_cli("aefi", "list", "--json", db=db_path).stdout) == []
    both = run_cli("aefi", "export", "x", "--month", "2026-11", "--out", tmp_path / "a.xlsx", db=db_path)
    assert both.returncode == 2 and not (tmp_path / "a.xlsx").exists()


def test_a_second_case_of_the_batch_warns_of_a_cluster(db_path: Path, tmp_path: Path) -> None:
    first, second = child_with_dose(db_path), child_with_dose(db_path, "周小红", "王芳")
    for code in (first, second):
        r = run_cli(
            "aefi", "add", code, "--vaccine", "百白破", "--onset", onset(10), "--symptom", "202", "--severity", "一般",
            db=db_path,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
    assert "同批号 30 天内另有 1 例异常反应：王小明" in r.stdout
    month = DAY.strftime("%Y-%m")
    out = tmp_path / "month.xlsx"
    assert run_cli("aefi", "export", "--month", month, "--out", out, db=db_path).returncode == 0
    assert load_workbook(out).sheetnames == ["一览", "1-王小明", "2-周小红"]
