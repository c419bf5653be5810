"""``epimanager registry`` in a subprocess."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli


def make_child(db_path: Path, name: str = "张浩", committee: str = "东风村") -> str:
    db = open_database(db_path)
    try:
        return create_child(db, ChildInput(name, "1", date(2025, 3, 1), mother_name="李梅", committee=committee)).code
    finally:
        db.close()


def test_move_out_needs_reason_and_remark_then_shows_in_history(db_path: Path) -> None:
    code = make_child(db_path)
    make_child(db_path, "李娜", "红旗村")
    r = run_cli("registry", "change", code, "--status", "迁出", "--date", "2025-06-01", db=db_path)
    assert r.returncode == 2 and r.stderr.startswith("错误：迁出时必须选择迁出原因"), r.stderr
    r = run_cli("registry", "change", code, "--status", "迁出", "--date", "2025-06-01", "--reason", "其他", db=db_path)
    assert r.returncode == 2 and "迁出原因为“其他”时必须填写备注" in r.stderr
    r = run_cli(
        "registry", "change", code, "--status", "迁出", "--date", "2025-06-01", "--reason", "其他",
        "--remark", "随父母务工", "--user", "王医生", db=db_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "本地 → 迁出" in r.stdout
    r = run_cli("registry", "history", "--from", "2025-06-01", "--to", "2025-06-30", "--status", "迁出",
                "--committee", "东风村", "--json", db=db_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["count"] == 1
    row = out["changes"][0]
    assert (row["儿童编码"], row["原在册情况"], row["新在册情况"], row["原因"], row["备注"], row["操作员"]) == (
        code, "本地", "迁出", "其他", "随父母务工", "王医生",
    )  # fmt: skip
    r = run_cli("registry", "history", "--committee", "红旗村", db=db_path)
    assert "共 0 条" in r.stdout


def test_delete_and_restore_a_child(db_path: Path) -> None:
    code = make_child(db_path)
    assert run_cli("registry", "delete", code, "--reason", "重复建档", db=db_path).returncode == 0
    assert run_cli("child", "show", code, db=db_path).returncode == 3
    r = run_cli("registry", "deleted", "--json", db=db_path)
    assert [c["code"] for c in json.loads(r.stdout)] == [code]
    assert run_cli("registry", "restore", code, db=db_path).returncode == 0
    assert run_cli("child", "show", code, db=db_path).returncode == 0


def test_temporary_child_and_backfill(db_path: Path) -> None:
    r = run_cli("registry", "temp", "--name", "刘洋", "--sex", "男", "--birth-date", "2025-01-10",
                "--mother", "陈红", "--home-unit", "5224240101", "--json", db=db_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    child = json.loads(r.stdout)
    assert child["status_label"] == "临时接种"
    r = run_cli("registry", "backfill", child["code"], "--vaccine", "HepB", "--dose", "1", "--date", "2025-01-10",
                "--json", db=db_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    dose = json.loads(r.stdout)
    assert (dose["unit_code"], dose["place_text"]) == (None, "外地")


def test_backfill_refuses_a_dose_the_child_already_has_unless_confirmed(db_path: Path) -> None:
    """补录 of a HepB 第1剂 that is already on record as valid (a month earlier): exit 2, nothing
    written; --confirm-duplicate enters it."""
    made = run_cli(
        "child", "add", "--name", "王小明", "--sex", "男", "--birth-date", "2026-03-01", "--mother", "李梅", "--json",
        db=db_path,
    )  # fmt: skip
    code = json.loads(made.stdout)["code"]
    assert (
        run_cli("dose", "add", code, "--vaccine", "HepB", "--dose", "1", "--date", "2026-03-01", db=db_path).returncode
        == 0
    )
    args = ("registry", "backfill", code, "--vaccine", "HepB", "--dose", "1", "--date", "2026-04-01")
    refused = run_cli(*args, db=db_path)
    assert refused.returncode == 2
    assert "该儿童已有有效的乙肝疫苗 第1剂（2026-03-01）" in refused.stderr and "--confirm-duplicate" in refused.stderr
    assert len(json.loads(run_cli("child", "show", code, "--json", db=db_path).stdout)["doses"]) == 1
    ok = run_cli(*args, "--confirm-duplicate", db=db_path)
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(run_cli("child", "show", code, "--json", db=db_path).stdout)["doses"]) == 2
