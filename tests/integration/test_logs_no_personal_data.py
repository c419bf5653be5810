"""A full CLI workflow writes a log with child codes and counts, never names, ID numbers or phones."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.helpers.cli import run_cli

UNIT = "3201020101"
ADMIN_PW = "Log-Admin-Pass-1"
PASSPHRASE = "log test passphrase"


def with_check_digit(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


CHILD_ID = with_check_digit("32010220250301123")  # 123: odd → 男
PHONE = "13812345678"
IMPORT_PHONE = "15987654321"
IMPORT_ID = with_check_digit("32010220240715004")  # 004: even → 女
NAMES = ("欧阳晨曦", "林淑芬", "司马静怡", "赵美兰")


def test_full_workflow_log_has_codes_but_no_personal_data(tmp_path: Path) -> None:
    db = tmp_path / "data" / "epimanager.sqlite"
    env = {"EPIMANAGER_USER": "", "EPIMANAGER_PASSWORD": ADMIN_PW, "EPIMANAGER_NEW_PASSWORD": ADMIN_PW,
           "EPIMANAGER_BACKUP_PASSPHRASE": PASSPHRASE}  # fmt: skip

    def ok(*args: str) -> str:
        r = run_cli(*args, db=db, stdin="", env=env)
        assert r.returncode in (0, 1), (args, r.stderr)
        return r.stdout

    ok("init", "--unit", UNIT, "--unit-name", "测试门诊", "--committee", "东风村")
    ok("user", "add", "admin", "--role", "系统管理员")
    out = ok("--user", "admin", "child", "add", "--name", NAMES[0], "--sex", "男", "--birth-date", "2025-03-01",
             "--mother", NAMES[1], "--phone", PHONE, "--id-number", CHILD_ID, "--json")  # fmt: skip
    child_code = json.loads(out)["code"]
    ok("--user", "admin", "dose", "add", child_code, "--vaccine", "HepB", "--dose", "1", "--date", "2025-03-01")
    csv = tmp_path / "children.csv"
    csv.write_text(
        "name,sex,birth_date,mother_name,father_name,phone,id_number,address,committee,residence\n"
        f"{NAMES[2]},女,2024-07-15,{NAMES[3]},,{IMPORT_PHONE},{IMPORT_ID},玄武区某路1号,东风村,本地\n"
        f"{NAMES[2]}X,女,not-a-date,{NAMES[3]},,{IMPORT_PHONE},,,,本地\n",
        encoding="utf-8",
    )
    ok("--user", "admin", "import", "children", str(csv))
    ok("--user", "admin", "child", "show", child_code)
    ok("--user", "admin", "search", NAMES[0])
    ok("--user", "admin", "backup", "--encrypt", "--to", str(tmp_path / "bk"))
    [backup_file] = (tmp_path / "bk").glob("*.epibak.enc")
    ok("--user", "admin", "restore", str(backup_file))
    ok("--user", "admin", "registry", "delete", child_code, "--reason", "测试删除")
    bad = run_cli(
        "--user", "admin", "child", "show", child_code, db=db, stdin="", env={**env, "EPIMANAGER_PASSWORD": "nope"}
    )
    assert bad.returncode == 5

    logs = sorted((db.parent / "logs").glob("epimanager.log*"))
    assert logs
    text = "".join(p.read_text(encoding="utf-8") for p in logs)
    # what a support person needs is there …
    assert f"child created: {child_code}" in text
    assert f"dose added: child={child_code}" in text
    assert "import children: 2 rows, 1 imported, 1 rejected" in text
    assert "backup written" in text and "database restored" in text
    assert "login ok: admin" in text and "login failed: admin" in text
    # … and none of the personal data or secrets used
    for secret in (*NAMES, CHILD_ID, IMPORT_ID, PHONE, IMPORT_PHONE, ADMIN_PW, PASSPHRASE, "玄武区某路"):
        assert secret not in text, secret
    assert not re.search(r"[\u4e00-\u9fff]", text)  # no Chinese text at all (names are Chinese)
