"""``epimanager recall add|remove|list`` and ``dose add --trace-code`` (issue #19 items 3 and 5), in a
subprocess on a real database: a refused scan exits 2 naming the reason and writes nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import select

from epimanager.domain.validation import ChildInput
from epimanager.services import users
from epimanager.services.children import create_child
from epimanager.services.stock import catalog, movements
from epimanager.store.database import open_database
from epimanager.store.models import AuditLog
from tests.helpers.cli import run_cli

TRACE = "81234560000000000001"


def _clinic(db_path: Path) -> str:
    db = open_database(db_path)
    try:
        code = create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅")).code
        movements.receive(
            db, vaccine="HepB", batch_no="B1", expiry=date(2030, 6, 30), quantity=10, on=date(2026, 10, 1),
            manufacturer="深圳康泰", doses_per_vial=1, trace_code=TRACE,
        )  # fmt: skip
    finally:
        db.close()
    return code


def on_hand(db_path: Path) -> int:
    db = open_database(db_path)
    try:
        return catalog.get_batch(db, "HepB", "B1").quantity
    finally:
        db.close()


def dose_add(db: Path, code: str, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    today = date.today().isoformat()
    args = ["dose", "add", code, "--vaccine", "HepB", "--dose", "1", "--date", today, "--confirm-invalid", *extra]
    return run_cli(*args, db=db, env=env)


def test_recall_list_and_the_trace_code_refusal(db_path: Path) -> None:
    code = _clinic(db_path)
    r = run_cli("recall", "add", "b1", "--reason", "县疾控通知：冷链温度超标", "--product", "乙肝", db=db_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("已加入清单：B1  召回  HepB  县疾控通知：冷链温度超标")
    r = run_cli("recall", "list", "--json", db=db_path)
    [entry] = json.loads(r.stdout)
    assert (entry["batch_no"], entry["kind_label"], entry["active"]) == ("B1", "召回", True)

    r = dose_add(db_path, code, "--trace-code", TRACE)
    assert r.returncode == 2
    assert r.stderr.strip() == "错误：扫码核对未通过：" + (
        f"批号 B1 已被召回：县疾控通知：冷链温度超标（{date.today().isoformat()}，本地录入）"
    )
    r = run_cli("child", "show", code, "--json", db=db_path)
    assert json.loads(r.stdout)["doses"] == []
    assert on_hand(db_path) == 10

    r = run_cli("recall", "remove", "B1", "--reason", "复检合格", db=db_path)
    assert r.returncode == 0 and r.stdout.startswith("已解除：B1  召回")
    assert run_cli("recall", "list", db=db_path).stdout.strip() == "召回/封存清单为空"
    r = dose_add(db_path, code, "--trace-code", TRACE, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert (d["batch_no"], d["manufacturer"], d["expiry"], d["trace_code"]) == ("B1", "深圳康泰", "2030-06-30", TRACE)
    # the single-dose package is used up: the same code again is refused
    r = dose_add(db_path, code, "--trace-code", TRACE, "--confirm-duplicate")
    assert r.returncode == 2 and f"追溯码 {TRACE} 已登记 1 剂，该包装只有 1 人份" in r.stderr
    r = run_cli("recall", "list", "--all", db=db_path)
    assert "已解除" in r.stdout and "复检合格" in r.stdout


def test_only_a_business_admin_keeps_the_list_and_overrides(db_path: Path) -> None:
    code = _clinic(db_path)
    db = open_database(db_path)
    try:
        users.add_user(db, "admin", "admin-pass-1", "系统管理员")
        users.login(db, "admin", "admin-pass-1")
        users.add_user(db, "boss", "biz-pass-1", "业务管理员")
        users.add_user(db, "nurse", "nurse-pass-1", "普通用户")
    finally:
        db.close()
    nurse = {"EPIMANAGER_PASSWORD": "nurse-pass-1"}
    boss = {"EPIMANAGER_PASSWORD": "biz-pass-1"}
    r = run_cli("--user", "nurse", "recall", "add", "B1", "--reason", "x", db=db_path, env=nurse)
    assert r.returncode == 5 and "业务管理员" in r.stderr
    r = run_cli("--user", "boss", "recall", "add", "B1", "--reason", "待检", "--lock", db=db_path, env=boss)
    assert r.returncode == 0, r.stderr
    r = dose_add(
        db_path, code, "--trace-code", TRACE, "--override-reason", "急用", env={**nurse, "EPIMANAGER_USER": "nurse"}
    )
    assert r.returncode == 5 and "强制通过扫码核对需要业务管理员" in r.stderr
    r = dose_add(db_path, code, "--trace-code", TRACE, env={**boss, "EPIMANAGER_USER": "boss"})
    assert r.returncode == 2 and "批号 B1 已被封存：待检" in r.stderr
    r = dose_add(
        db_path, code, "--trace-code", TRACE, "--override-reason", "县疾控同意", env={**boss, "EPIMANAGER_USER": "boss"}
    )
    assert r.returncode == 0, r.stderr
    assert on_hand(db_path) == 9
    db = open_database(db_path)
    try:
        with db.session() as s:
            entry = s.scalars(select(AuditLog).where(AuditLog.kind == "scan_override")).one()
    finally:
        db.close()
    assert (entry.user, entry.old_value, entry.new_value) == ("boss", "批号 B1 已被封存：待检（boss " + (
        f"{date.today().isoformat()}，本地录入）"), "强制通过扫码核对：县疾控同意")  # fmt: skip
