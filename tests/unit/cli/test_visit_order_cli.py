"""``epimanager visit order`` and ``dose add --confirm-off-order`` in a subprocess."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli


def baby(db_path: Path) -> str:
    """67 days old today (past 2 months) with HepB 1 and BCG at birth: HepB 2, IPV 1, DTaP 1 are due."""
    born = date.today() - timedelta(days=67)
    db = open_database(db_path)
    try:
        birth = [DoseInput("HepB", 1, born), DoseInput("BCG", 1, born)]
        return create_child(
            db, ChildInput("王小宝", "1", born, mother_name="李梅", committee="东风村"), birth_doses=birth
        ).code
    finally:
        db.close()


def test_order_set_shown_replaced_and_refused(db_path: Path) -> None:
    code = baby(db_path)
    assert run_cli("visit", "take", code, db=db_path).returncode == 0
    r = run_cli(
        "visit", "order", "A001", "--item", "HepB:2:右上臂", "--item", "IPV:1", "--desk", "登记台", "--json", db=db_path
    )
    assert r.returncode == 0, r.stderr
    order = json.loads(r.stdout)
    got = [(i["vaccine"], i["dose_number"], i["site"], i["given"]) for i in order["items"]]
    # IPV's usual site, the left upper arm, is free
    assert got == [("HepB", 2, "右上臂", False), ("IPV", 1, "左上臂", False)]
    assert (order["ticket"], order["version"], order["desk"]) == ("A001", 1, "登记台")
    r = run_cli("visit", "order", "A001", "--show", db=db_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "A001 王小宝（预检·等候）今日接种安排：",
        "  1. 乙肝疫苗 第2剂 右上臂",
        "  2. 脊灰灭活疫苗 第1剂 左上臂",
    ]
    # a stale version and a dose not due are refused; nothing changes
    r = run_cli("visit", "order", "A001", "--item", "DTaP:1", "--expected-version", "0", db=db_path)
    assert r.returncode == 6 and r.stderr.startswith("错误：另一台电脑刚刚改了 A001 号的今日接种安排")
    r = run_cli("visit", "order", "A001", "--item", "MMR:1", db=db_path)
    assert r.returncode == 2 and r.stderr.strip() == "错误：第1项：麻腮风疫苗 第1剂今天接种评价为“首针提前”，不能安排"
    r = run_cli("visit", "order", "A001", "--item", "IPV", db=db_path)
    assert r.returncode == 2 and "安排项应为 疫苗:剂次[:部位]" in r.stderr
    assert len(json.loads(run_cli("visit", "order", "A001", "--show", "--json", db=db_path).stdout)["items"]) == 2
    r = run_cli("visit", "order", "A001", "--clear", "--expected-version", "1", db=db_path)
    assert r.returncode == 0 and r.stdout.strip() == "A001 王小宝（预检·等候）今日接种安排：无"


def test_a_dose_off_the_order_needs_the_flag(db_path: Path) -> None:
    code = baby(db_path)
    today = date.today().isoformat()
    run_cli("visit", "take", code, db=db_path)
    assert run_cli("visit", "order", "A001", "--item", "IPV:1", db=db_path).returncode == 0
    r = run_cli("dose", "add", code, "--vaccine", "DTaP", "--dose", "1", "--date", today, db=db_path)
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "错误：百白破疫苗 第1剂不在 A001 号的今日接种安排中（今日安排：脊灰灭活疫苗 第1剂（左上臂））；"
        "需确认后才能保存（确需登记请加 --confirm-off-order）"
    )
    r = run_cli(
        "dose", "add", code, "--vaccine", "DTaP", "--dose", "1", "--date", today, "--confirm-off-order", db=db_path
    )
    assert r.returncode == 0, r.stderr
    r = run_cli("dose", "add", code, "--vaccine", "IPV", "--dose", "1", "--date", today, db=db_path)
    assert r.returncode == 0, r.stderr
    shown = json.loads(run_cli("visit", "order", "A001", "--show", "--json", db=db_path).stdout)
    assert [i["given"] for i in shown["items"]] == [True]
