"""``epimanager visit`` in a subprocess: a full visit, missed calls, the day summary."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli


def make_children(db_path: Path, *names: str) -> list[str]:
    db = open_database(db_path)
    try:
        mothers = ("李梅", "王芳", "陈静", "周敏")
        return [
            create_child(db, ChildInput(n, "1", date(2025, 3, 1), mother_name=mothers[i], committee="东风村")).code
            for i, n in enumerate(names)
        ]
    finally:
        db.close()


def ok(db_path: Path, *args: str) -> Any:
    r = run_cli("visit", *args, "--json", db=db_path)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_full_visit_through_every_step(db_path: Path) -> None:
    (code,) = make_children(db_path, "张浩")
    took = ok(db_path, "take", code)
    assert (took["ticket"], took["step"], took["status"]) == ("A001", "预检", "等候")
    for step, desk, nxt in (("预检", "预检台", "登记"), ("register", "登记台", "接种"), ("接种", "2号接种台", "留观")):
        called = ok(db_path, "call", "--desk", desk, "--step", step)
        assert (called["ticket"], called["status"], called["desk"]) == ("A001", "已叫号", desk)
        passed = ok(db_path, "pass", "A001", "--desk", desk)
        assert passed["step"] == nxt
    # 留观 has just begun: leaving now needs a reason, and nothing changes without one
    r = run_cli("visit", "pass", "A001", db=db_path)
    assert r.returncode == 2 and r.stderr.startswith("错误：A001 留观未满 30 分钟（已 0 分钟），提前离开需填写原因")
    assert [(v["ticket"], v["step"]) for v in ok(db_path, "list", "--step", "observe")] == [("A001", "留观")]
    done = ok(db_path, "pass", "A001", "--reason", "家长有急事", "--desk", "留观台")
    assert (done["step"], done["status"]) == ("完成", "结束")
    r = run_cli("visit", "list", db=db_path)
    assert r.returncode == 0 and "A001  现场  张浩  完成" in r.stdout and "共 1 个号" in r.stdout
    s = ok(db_path, "summary")
    assert (s["tickets"], s["by_step"]["完成"], s["not_observed_full_time"]) == (1, 1, 1)
    assert s["short_observation"][0]["reason"] == "家长有急事"


def test_a_missed_call_returns_and_three_misses_cancel(db_path: Path) -> None:
    a, b = make_children(db_path, "张浩", "李娜")
    assert ok(db_path, "take", a)["ticket"] == "A001"
    assert ok(db_path, "take", b, "--booked")["ticket"] == "Y001"
    assert ok(db_path, "call", "--desk", "预检台", "--step", "precheck")["ticket"] == "Y001"  # booked first
    missed = ok(db_path, "miss", "Y001")
    assert (missed["step"], missed["status"], missed["misses"]) == ("预检", "等候", 1)
    assert [v["ticket"] for v in ok(db_path, "list", "--step", "预检")] == ["A001", "Y001"]  # back of the queue
    assert ok(db_path, "call", "--desk", "预检台", "--step", "预检")["ticket"] == "A001"
    assert ok(db_path, "miss", "A001")["misses"] == 1
    for n in (2, 3):
        assert ok(db_path, "recall", "A001", "--desk", "预检台")["status"] == "已叫号"  # called out of turn
        r = ok(db_path, "miss", "A001")
        assert r["misses"] == n
    assert (r["step"], r["status"]) == ("取消", "结束")
    assert ok(db_path, "call", "--desk", "预检台", "--step", "预检")["ticket"] == "Y001"  # the only one left
    r = run_cli("visit", "miss", "A001", db=db_path)
    assert r.returncode == 2 and r.stderr.strip() == "错误：A001 已取消，不能再改动"
    s = ok(db_path, "summary")
    assert (s["tickets"], s["booked"], s["walk_in"], s["no_shows"], s["no_show_tickets"]) == (2, 1, 1, 1, ["A001"])
    assert s["by_step"] == {"预检": 1, "登记": 0, "接种": 0, "留观": 0, "完成": 0, "取消": 1}
    assert s["waits"]["预检"]["count"] == 2


def test_errors_are_chinese_exit_non_zero_and_change_nothing(db_path: Path) -> None:
    (code,) = make_children(db_path, "张浩")
    ok(db_path, "take", code)
    before = ok(db_path, "list")
    for args, rc, message in (
        (("take", code), 2, "错误：张浩 今天已取号 A001（预检·等候），每个儿童每天只取一个号"),
        (("take", "320102010120259999"), 3, "错误：没有儿童编码为 320102010120259999 的个案"),
        (("call", "--desk", "1", "--step", "打针"), 2, "错误：未知的步骤：打针"),
        (("call", "--desk", "1", "--step", "登记"), 3, "错误：登记没有等候的号"),
        (("pass", "A001"), 2, "错误：A001 在预检等候，尚未叫号，不能完成本步骤"),
        (("pass", "A001", "--to", "登记", "--reason", "x"), 2, "错误：A001 在预检，只能退回到之前的步骤"),
        (("pass", "A001", "--to", "预检"), 2, "错误：退回需填写原因（--reason）"),
        (("miss", "A009"), 3, "错误：" + date.today().isoformat() + " 没有 A009 号"),
    ):
        r = run_cli("visit", *args, db=db_path)
        assert r.returncode == rc, (args, r.stderr)
        assert r.stderr.startswith(message), (args, r.stderr)
    assert ok(db_path, "list") == before


def test_a_one_pc_clinic_switches_steps_off(db_path: Path) -> None:
    (code,) = make_children(db_path, "张浩")
    cfg = ok(db_path, "config", "--steps", "登记,接种,留观", "--observe", "20")
    assert cfg == {"steps": ["登记", "接种", "留观"], "call_timeout_minutes": 5, "max_misses": 3, "observe_minutes": 20}
    assert ok(db_path, "take", code)["step"] == "登记"
    r = run_cli("visit", "call", "--desk", "综合", "--step", "预检", db=db_path)
    assert r.returncode == 2 and "本门诊没有启用预检步骤" in r.stderr
    assert ok(db_path, "call", "--desk", "综合", "--step", "登记")["ticket"] == "A001"
