"""``demo --stock``: vaccines and syringes received through the stock services, with something for F7."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from epimanager.services.demo_stock import receive_demo_stock
from epimanager.services.reminders import notices
from epimanager.services.stock import overview
from epimanager.store.database import Database
from tests.helpers.cli import run_cli

TODAY = date(2026, 11, 26)


def test_demo_stock_has_vaccines_syringes_and_warnings(db: Database) -> None:
    assert receive_demo_stock(db, TODAY) == 12
    lines = overview.overview(db, TODAY)
    assert [ln.abbr for ln in lines if ln.is_syringe] == ["AD-0.1", "AD-0.5", "AD-1", "MIX-5"]
    assert len([ln for ln in lines if not ln.is_syringe]) == 8
    marked = {ln.abbr: ln.marks for ln in lines if ln.marks}
    assert marked == {
        "BCG": ("近效期（25天后过期）",),
        "IPV": ("低于最低库存 50 人份",),
        "MPSV-A": ("已过期",),
        "MIX-5": ("低于最低库存 60 支",),
    }
    assert len([n for n in notices(db, TODAY) if n.kind == "stock"]) == 4


def test_demo_command_with_stock(db_path: Path) -> None:
    r = run_cli("demo", "--children", "20", "--quiet", "--stock", db=db_path)
    assert r.returncode == 0, r.stderr
    assert "已登记演示库存：12 个批号（疫苗和注射器）" in r.stdout
    on_hand = run_cli("stock", "on-hand", db=db_path)
    assert "AD-0.5" in on_hand.stdout and "HepB" in on_hand.stdout
