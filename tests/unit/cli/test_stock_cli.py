"""``epimanager stock …`` in a subprocess, on a real database."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from tests.helpers.cli import run_cli


def ok(*args: str, db: Path) -> str:
    r = run_cli(*args, db=db)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_receive_issue_waste_count_and_the_monthly_report(db_path: Path, tmp_path: Path) -> None:
    out = ok(
        "stock",
        "receive",
        "--vaccine",
        "HepB",
        "--batch",
        "b2611",
        "--expiry",
        "2027-06-30",
        "--quantity",
        "100",
        "--manufacturer",
        "深圳康泰",
        "--supplier",
        "玄武区疾控",
        "--doc",
        "RK001",
        "--trace-code",
        "81234560000000000001",
        "--date",
        "2026-11-02",
        db=db_path,
    )
    assert out.strip() == "已入库：HepB 批号 B2611（失效期 2027-06-30）领取入库 +100 人份，结存 100 人份"
    # BCG in 5-dose vials, received by the vial
    ok(
        "stock",
        "receive",
        "--vaccine",
        "BCG",
        "--batch",
        "C1",
        "--expiry",
        "2027-01-31",
        "--vials",
        "4",
        "--doses-per-vial",
        "5",
        "--date",
        "2026-11-02",
        db=db_path,
    )
    # too much: refused in Chinese, exit 2, nothing written
    r = run_cli("stock", "issue", "--vaccine", "HepB", "--batch", "B2611", "--quantity", "120", db=db_path)
    assert r.returncode == 2
    assert r.stderr.strip() == "错误：库存不足：HepB 批号 B2611 可用 100 人份，需要 120 人份，缺少 20 人份"
    ok(
        "stock",
        "issue",
        "--vaccine",
        "HepB",
        "--batch",
        "B2611",
        "--quantity",
        "10",
        "--type",
        "调拨",
        "--to",
        "3201020202",
        "--date",
        "2026-11-05",
        db=db_path,
    )
    ok(
        "stock",
        "waste",
        "--vaccine",
        "HepB",
        "--batch",
        "B2611",
        "--quantity",
        "1",
        "--type",
        "破损",
        "--date",
        "2026-11-06",
        db=db_path,
    )
    r = run_cli("stock", "count", "--vaccine", "HepB", "--batch", "B2611", "--counted", "88", db=db_path)
    assert r.returncode == 2 and "请填写原因" in r.stderr
    ok(
        "stock",
        "count",
        "--vaccine",
        "HepB",
        "--batch",
        "B2611",
        "--counted",
        "88",
        "--reason",
        "少一支",
        "--date",
        "2026-11-07",
        db=db_path,
    )
    # 100 − 10 − 1 = 89 on the books, 88 counted: −1
    report = json.loads(ok("stock", "report", "--month", "2026-11", "--format", "json", db=db_path))
    rows = {r["batch_no"]: r for r in report["rows"]}
    b = rows["B2611"]
    assert (b["opening"], b["received"], b["issued"], b["wasted"], b["adjusted"], b["closing"]) == (
        0,
        100,
        10,
        1,
        -1,
        88,
    )
    assert rows["C1"]["closing"] == 20
    csv_text = ok("stock", "report", "--month", "2026-11", "--format", "csv", db=db_path)
    assert "0201,HepB,深圳康泰,,B2611,2027-06-30,0,100,10,1,-1,88,0" in csv_text
    xlsx = tmp_path / "2026-11.xlsx"
    ok("stock", "report", "--month", "2026-11", "--format", "xlsx", "--out", str(xlsx), db=db_path)
    wb = openpyxl.load_workbook(xlsx)
    assert wb.worksheets[0]["A1"].value == "2026年11月 疫苗出入库汇总"
    assert wb.worksheets[1].max_row == 2 + 5  # two receipts, transfer, wastage, count
    r = run_cli("stock", "report", "--month", "2026-11", "--format", "xlsx", db=db_path)
    assert r.returncode == 2 and "--out" in r.stderr
    # movements and on hand as JSON
    moves = json.loads(ok("stock", "movements", "--month", "2026-11", "--vaccine", "HepB", "--json", db=db_path))
    assert [(m["subtype_label"], m["delta"], m["balance"]) for m in moves] == [
        ("领取入库", 100, 100),
        ("调拨", -10, 90),
        ("破损", -1, 89),
        ("盘点调整", -1, 88),
    ]
    assert moves[1]["counterparty"] == "3201020202"
    on_hand = json.loads(ok("stock", "on-hand", "--json", "--date", "2026-11-26", db=db_path))
    assert [(r["batch_no"], r["quantity"], r["closed_vials"]) for r in on_hand] == [("B2611", 88, 88), ("C1", 20, 4)]
    # the trace code learned at receipt identifies the product
    scan = json.loads(ok("stock", "scan", "81234569999999999999", "--json", db=db_path))
    assert scan["product"]["manufacturer"] == "深圳康泰" and scan["options"][0]["batch_no"] == "B2611"


def test_a_dose_recorded_from_the_cli_takes_stock(db_path: Path) -> None:
    ok(
        "stock",
        "receive",
        "--vaccine",
        "HepB",
        "--batch",
        "B1",
        "--expiry",
        "2027-06-30",
        "--quantity",
        "1",
        "--date",
        "2026-11-02",
        db=db_path,
    )
    child = json.loads(
        ok(
            "child",
            "add",
            "--name",
            "张浩",
            "--sex",
            "男",
            "--birth-date",
            "2026-03-01",
            "--mother",
            "李梅",
            "--json",
            db=db_path,
        )
    )["code"]
    ok("dose", "add", child, "--vaccine", "HepB", "--dose", "1", "--date", "2026-11-20", "--batch", "B1", db=db_path)
    r = run_cli(
        "dose",
        "add",
        child,
        "--vaccine",
        "HepB",
        "--dose",
        "2",
        "--date",
        "2026-11-21",
        "--batch",
        "B1",
        "--confirm-invalid",  # a day after dose 1 it would not count; confirmed, so the stock rule answers
        db=db_path,
    )
    assert r.returncode == 2 and "缺少 1 人份" in r.stderr
    alerts = json.loads(ok("stock", "alerts", "--json", "--date", "2026-11-26", db=db_path))
    assert alerts == {"expiring": [], "below_minimum": [], "syringe_shortages": []}
    ok("stock", "product", "set", "--vaccine", "HepB", "--min", "10", db=db_path)
    alerts = json.loads(ok("stock", "alerts", "--json", "--date", "2026-11-26", db=db_path))
    assert [(x["vaccine_abbr"], x["on_hand"], x["shortfall"]) for x in alerts["below_minimum"]] == [("HepB", 0, 10)]


def test_products_and_bad_input(db_path: Path) -> None:
    out = ok(
        "stock",
        "product",
        "add",
        "--vaccine",
        "MR",
        "--manufacturer",
        "北京天坛",
        "--doses-per-vial",
        "2",
        "--price",
        "0",
        "--min",
        "20",
        db=db_path,
    )
    assert "每瓶2人份" in out and "开启后 0.5 小时" in out
    products = json.loads(ok("stock", "product", "list", "--json", db=db_path))
    assert [(p["vaccine_abbr"], p["doses_per_vial"], p["min_quantity"]) for p in products] == [("MR", 2, 20)]
    r = run_cli("stock", "product", "add", "--vaccine", "MR", "--manufacturer", "北京天坛", db=db_path)
    assert r.returncode == 2 and r.stderr.startswith("错误：产品已存在")
    r = run_cli("stock", "waste", "--vaccine", "MR", "--batch", "X", "--quantity", "1", "--type", "丢了", db=db_path)
    assert r.returncode == 2 and "类型不正确" in r.stderr
    r = run_cli("stock", "issue", "--vaccine", "MR", "--batch", "NOPE", "--quantity", "1", db=db_path)
    assert r.returncode == 3 and r.stderr.strip() == "错误：库存中没有 MR 批号 NOPE"
    r = run_cli(
        "stock", "receive", "--vaccine", "XYZ", "--batch", "1", "--expiry", "2027-01-01", "--quantity", "1", db=db_path
    )
    assert r.returncode == 2 and r.stderr.startswith("错误：")
