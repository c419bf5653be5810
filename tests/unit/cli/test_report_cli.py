from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.helpers.cli import run_cli


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    db = tmp_path / "a.sqlite"
    assert (
        run_cli("init", "--unit", "3201020101", "--unit-name", "测试门诊", "--committee", "东风村", db=db).returncode
        == 0
    )
    out = run_cli(
        "child",
        "add",
        "--name",
        "张一",
        "--sex",
        "男",
        "--birth-date",
        "2026-03-10",
        "--mother",
        "李梅",
        "--committee",
        "东风村",
        "--json",
        db=db,
    )
    code = json.loads(out.stdout)["code"]
    assert (
        run_cli("dose", "add", code, "--vaccine", "HepB", "--dose", "1", "--date", "2026-03-10", db=db).returncode == 0
    )
    return db


def test_6_1_json_shape(clinic: Path) -> None:
    r = run_cli("report", "6-1", "--month", "2026-03", "--format", "json", db=clinic)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["month"] == "2026-03" and data["unit"] == "3201020101"
    assert data["rows"][0]["committee"] == "东风村"
    # born 03-10: HepB1 and BCG fall due; HepB1 given on the birth day (within 24 h)
    assert data["rows"][0]["given"]["HepB1"] == 1 and data["rows"][0]["given"]["HepB1_24h"] == 1
    assert data["total"]["due"]["BCG"] == 1 and data["total"]["given"]["BCG"] == 0
    for key in (
        "HepB1",
        "HepB1_24h",
        "PV4",
        "DTaP5",
        "DT",
        "MMR2",
        "MenAC2",
        "JEL2",
        "JEI4",
        "HepAL",
        "HepAI2",
        "HPV2",
    ):
        assert key in data["total"]["due"]


def test_xlsx_and_csv_exports(clinic: Path, tmp_path: Path) -> None:
    xlsx = tmp_path / "r.xlsx"
    r = run_cli("report", "6-1", "--month", "2026-03", "--format", "xlsx", "--out", xlsx, db=clinic)
    assert r.returncode == 0, r.stderr
    ws = load_workbook(xlsx).active
    assert "表6-1" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert header[:3] == ["区域划分", "项目", "乙肝1"]
    total_rate = next(row for row in ws.iter_rows(values_only=True) if row[0] == "合计" and row[1] == "接种率")
    assert total_rate[2] == "100.0%"  # HepB1: 1 given of 1 due
    csv = run_cli("report", "consumption", "--month", "2026-03", "--format", "csv", db=clinic).stdout
    assert "2026-03-10,0201,乙肝疫苗" in csv


def test_xlsx_needs_out_and_bad_month_fails(clinic: Path) -> None:
    r = run_cli("report", "6-2", "--month", "2026-03", "--format", "xlsx", db=clinic)
    assert r.returncode == 2 and "--out" in r.stderr
    r = run_cli("report", "6-2", "--month", "2026/3", db=clinic)
    assert r.returncode != 0 and "月份格式不正确" in r.stderr


def test_backup_restore_and_reminders_cli(clinic: Path, tmp_path: Path) -> None:
    r = run_cli("backup", "--to", tmp_path / "bk", db=clinic)
    assert r.returncode == 0 and "已校验" in r.stdout
    file = next((tmp_path / "bk").iterdir())
    run_cli(
        "child", "add", "--name", "李二", "--sex", "女", "--birth-date", "2026-01-15", "--mother", "王芳", db=clinic
    )
    r = run_cli("restore", file, db=clinic)
    assert r.returncode == 0, r.stderr
    names = [c["name"] for c in json.loads(run_cli("export", "children", db=clinic).stdout)]
    assert names == ["张一"]
    r = run_cli("remind", "add", "冷链检查", "--due", "2020-01-01", "--repeat", "weekly", db=clinic)
    assert r.returncode == 0
    items = json.loads(run_cli("remind", "list", "--json", db=clinic).stdout)
    assert any(i["text"].startswith("冷链检查") for i in items)
    assert any(i["kind"] == "report" for i in items)
