"""``epimanager stock … --syringe TYPE``: syringes received, listed and reported beside vaccines."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from tests.helpers.cli import run_cli


def ok(*args: str, db: Path) -> str:
    r = run_cli(*args, db=db)
    assert r.returncode == 0, r.stderr
    return r.stdout


def receive(db: Path, what: str, name: str, batch: str, n: int, *extra: str) -> str:
    args = ["stock", "receive", what, name, "--batch", batch, "--expiry", "2029-01-31", "--quantity", str(n)]
    return ok(*args, "--date", "2026-11-02", *extra, db=db)


def test_syringes_received_used_by_a_dose_listed_and_reported(db_path: Path, tmp_path: Path) -> None:
    out = receive(db_path, "--syringe", "AD-0.5", "s05", 100, "--manufacturer", "山东威高")
    assert out.strip() == "已入库：AD-0.5 批号 S05（失效期 2029-01-31）领取入库 +100 支，结存 100 支"
    receive(db_path, "--syringe", "0.1ml", "S01", 20)  # by its size
    receive(db_path, "--vaccine", "HepB", "B1", 10)
    child = json.loads(
        ok(
            "child", "add", "--name", "张浩", "--sex", "男", "--birth-date", "2026-03-01", "--mother", "李梅", "--json",
            db=db_path,
        )
    )["code"]  # fmt: skip
    ok("dose", "add", child, "--vaccine", "HepB", "--dose", "1", "--date", "2026-11-20", "--batch", "B1", db=db_path)
    ok(
        "stock",
        "waste",
        "--syringe",
        "AD-0.5",
        "--batch",
        "S05",
        "--quantity",
        "2",
        "--type",
        "broken",
        "--date",
        "2026-11-21",
        db=db_path,
    )
    r = run_cli("stock", "issue", "--syringe", "AD-0.1", "--batch", "S01", "--quantity", "21", db=db_path)
    assert r.returncode == 2 and "AD-0.1 批号 S01 可用 20 支，需要 21 支，缺少 1 支" in r.stderr
    on_hand = ok("stock", "on-hand", "--date", "2026-11-26", db=db_path).splitlines()
    assert on_hand == [
        "HepB  批号 B1  失效期 2029-01-31  9 人份",
        "AD-0.1  批号 S01  失效期 2029-01-31  20 支",
        "AD-0.5  山东威高  批号 S05  失效期 2029-01-31  97 支",
    ]
    report = json.loads(ok("stock", "report", "--month", "2026-11", db=db_path))
    assert [(v["vaccine_abbr"], v["closing"], v["doses_given"]) for v in report["vaccines"]] == [("HepB", 9, 1)]
    assert [(v["vaccine_abbr"], v["received"], v["issued"], v["wasted"], v["closing"]) for v in report["syringes"]] == [
        ("AD-0.1", 20, 0, 0, 20),
        ("AD-0.5", 100, 1, 2, 97),
    ]
    csv = ok("stock", "report", "--month", "2026-11", "--format", "csv", "--part", "syringe", db=db_path)
    assert (
        csv.splitlines()[0]
        == "注射器编码,注射器,名称,生产企业,规格,批号,失效期,期初,入库,出库,损耗,盘点调整,期末,其中接种使用"
    )
    assert csv.splitlines()[3] == "AD05,AD-0.5,自毁型注射器 0.5ml,山东威高,,S05,2029-01-31,0,100,1,2,0,97,1"
    xlsx = tmp_path / "nov.xlsx"
    ok("stock", "report", "--month", "2026-11", "--format", "xlsx", "--out", str(xlsx), db=db_path)
    wb = openpyxl.load_workbook(xlsx)
    assert [ws["A1"].value for ws in wb.worksheets] == [
        "2026年11月 疫苗出入库汇总",
        "2026年11月 注射器出入库汇总",
        "2026年11月 出入库明细",
    ]
    # a BCG dose finds no 0.1 ml syringe left: saved, and the shortage is listed
    ok(
        "stock",
        "issue",
        "--syringe",
        "AD-0.1",
        "--batch",
        "S01",
        "--quantity",
        "20",
        "--date",
        "2026-11-21",
        db=db_path,
    )
    receive(db_path, "--vaccine", "BCG", "C1", 5)
    ok("dose", "add", child, "--vaccine", "BCG", "--dose", "1", "--date", "2026-11-22", "--batch", "C1", db=db_path)
    alerts = ok("stock", "alerts", "--date", "2026-11-26", db=db_path).splitlines()
    assert alerts == ["注射器短缺：自毁型注射器 0.1ml（AD-0.1）1 剂次接种时库存无此注射器（2026-11-22～2026-11-22）"]
    products = ok("stock", "product", "list", db=db_path).splitlines()
    assert "AD05 自毁型注射器 0.5ml 山东威高  免费  最低库存 0 支" in products
