"""``epimanager user`` and the global ``--user`` login, in a subprocess."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli

ADMIN_PW = "Admin-Cli-Pass-1"
NURSE_PW = "Nurse-Cli-Pass-1"


def cli(
    *args: str, db: Path, password: str | None = None, new: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    full = dict(env)
    full["EPIMANAGER_PASSWORD"] = password or ""
    full["EPIMANAGER_NEW_PASSWORD"] = new or ""
    full.setdefault("EPIMANAGER_USER", "")
    return run_cli(*args, db=db, stdin="", env=full)


def staff(db_path: Path) -> None:
    r = cli("user", "add", "admin", "--role", "系统管理员", db=db_path, new=ADMIN_PW)
    assert r.returncode == 0 and "已添加用户 admin（系统管理员）" in r.stdout, r.stderr
    r = cli("--user", "admin", "user", "add", "小李", "--role", "普通用户", db=db_path, password=ADMIN_PW, new=NURSE_PW)
    assert r.returncode == 0, r.stderr


def test_first_admin_then_login_is_required(db_path: Path) -> None:
    r = cli("user", "add", "nurse", "--role", "普通用户", db=db_path, new=NURSE_PW)
    assert r.returncode == 2 and "第一个用户必须是系统管理员" in r.stderr
    staff(db_path)
    r = cli("user", "list", db=db_path)
    assert r.returncode == 5 and r.stderr.startswith("错误：此数据库已启用用户登录"), r.stderr
    r = cli("--user", "admin", "user", "list", "--json", db=db_path, password=ADMIN_PW)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(u["name"], u["role"], u["active"]) for u in rows] == [
        ("admin", "系统管理员", True),
        ("小李", "普通用户", True),
    ]
    assert rows[0]["last_login"] is not None
    # EPIMANAGER_USER works as well as --user
    r = cli("user", "list", db=db_path, password=ADMIN_PW, EPIMANAGER_USER="admin")
    assert r.returncode == 0 and "小李\t普通用户\t启用" in r.stdout


def test_ordinary_user_is_refused_protected_actions_with_exit_5(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        code = create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅")).code
    finally:
        db.close()
    staff(db_path)
    r = cli("--user", "小李", "registry", "delete", code, db=db_path, password=NURSE_PW)
    assert r.returncode == 5
    assert r.stderr.strip() == "错误：删除个案需要业务管理员或以上角色；当前用户 小李 是普通用户"
    r = cli("--user", "小李", "user", "add", "x", "--role", "普通用户", db=db_path, password=NURSE_PW, new=NURSE_PW)
    assert r.returncode == 5 and "系统管理员" in r.stderr
    # the ordinary user still works with children (child show)
    r = cli("--user", "小李", "child", "show", code, db=db_path, password=NURSE_PW)
    assert r.returncode == 0 and "张浩" in r.stdout
    # the command's own --user names the login for operator commands
    r = cli("registry", "delete", code, "--user", "admin", db=db_path, password=ADMIN_PW)
    assert r.returncode == 0, r.stderr


def test_wrong_password_then_lockout_and_unlock(db_path: Path) -> None:
    staff(db_path)
    for _ in range(4):  # the same words as for an unknown name (no count of tries left)
        r = cli("--user", "小李", "user", "passwd", db=db_path, password="wrong-one")
        assert r.returncode == 5 and r.stderr.strip() == "错误：用户名或密码错误", r.stderr
    r = cli("--user", "小李", "user", "passwd", db=db_path, password="wrong-one")
    assert r.returncode == 5 and "已锁定 5 分钟" in r.stderr
    r = cli("--user", "小李", "child", "show", "1", db=db_path, password=NURSE_PW)
    assert r.returncode == 5 and "请 5 分钟后再试" in r.stderr
    r = cli("--user", "admin", "user", "unlock", "小李", db=db_path, password=ADMIN_PW)
    assert r.returncode == 0 and "已解除" in r.stdout
    r = cli("--user", "小李", "user", "passwd", db=db_path, password=NURSE_PW, new="Nurse-New-Pass-2")
    assert r.returncode == 0 and "密码已修改" in r.stdout, r.stderr
    r = cli("--user", "小李", "user", "list", db=db_path, password=NURSE_PW)
    assert r.returncode == 5 and "用户名或密码错误" in r.stderr


def test_admin_resets_disables_and_changes_roles(db_path: Path) -> None:
    staff(db_path)
    r = cli("--user", "admin", "user", "passwd", "小李", db=db_path, password=ADMIN_PW, new="Reset-Pass-3")
    assert r.returncode == 0, r.stderr
    r = cli("--user", "admin", "user", "role", "小李", "业务管理员", db=db_path, password=ADMIN_PW)
    assert r.returncode == 0 and "业务管理员" in r.stdout
    r = cli("--user", "admin", "user", "disable", "小李", db=db_path, password=ADMIN_PW)
    assert r.returncode == 0
    r = cli("--user", "小李", "user", "list", db=db_path, password="Reset-Pass-3")
    assert r.returncode == 5 and "已停用" in r.stderr
    r = cli("--user", "admin", "user", "disable", "admin", db=db_path, password=ADMIN_PW)
    assert r.returncode == 2 and "至少要保留" in r.stderr


def test_no_password_without_a_terminal_is_a_clear_error(db_path: Path) -> None:
    staff(db_path)
    r = cli("--user", "admin", "user", "list", db=db_path)
    assert r.returncode != 0 and "EPIMANAGER_PASSWORD" in r.stderr


def test_passwords_never_appear_in_output_or_log(db_path: Path) -> None:
    staff(db_path)
    outputs = [cli("--user", "admin", "user", "list", db=db_path, password=ADMIN_PW)]
    outputs.append(cli("--user", "admin", "user", "list", db=db_path, password="Wrong-Admin-Pw"))
    log = (db_path.parent / "logs" / "epimanager.log").read_text(encoding="utf-8")
    assert "login ok: admin" in log and "login failed: admin" in log
    for secret in (ADMIN_PW, NURSE_PW, "Wrong-Admin-Pw"):
        assert secret not in log
        for r in outputs:
            assert secret not in r.stdout + r.stderr


def test_encrypted_backup_and_restore_from_the_cli(db_path: Path, tmp_path: Path) -> None:
    env = {"EPIMANAGER_BACKUP_PASSPHRASE": "clinic passphrase"}
    r = cli("backup", "--encrypt", "--to", str(tmp_path / "bk"), db=db_path, **env)
    assert r.returncode == 0 and "已加密" in r.stdout, r.stderr
    [file] = list((tmp_path / "bk").glob("*.epibak.enc"))
    r = cli("restore", str(file), db=db_path, EPIMANAGER_BACKUP_PASSPHRASE="not it")
    assert r.returncode == 1 and r.stderr.strip() == "错误：密码错误或备份已损坏"
    r = cli("restore", str(file), db=db_path)
    assert r.returncode == 1 and "EPIMANAGER_BACKUP_PASSPHRASE" in r.stderr
    r = cli("restore", str(file), db=db_path, **env)
    assert r.returncode == 0 and "已从" in r.stdout, r.stderr
    # once users exist, only a 业务管理员 or above restores
    staff(db_path)
    r = cli("--user", "小李", "restore", str(file), db=db_path, password=NURSE_PW, **env)
    assert r.returncode == 5 and "从备份恢复需要业务管理员" in r.stderr


def test_init_can_create_the_first_admin(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"
    r = cli("init", "--unit", "3201020101", "--unit-name", "测试门诊", "--admin", "站长", db=db, new=ADMIN_PW)
    assert r.returncode == 0 and "已创建系统管理员 站长" in r.stdout, r.stderr
    r = cli("--user", "站长", "user", "list", db=db, password=ADMIN_PW)
    assert r.returncode == 0 and r.stdout.startswith("站长\t系统管理员\t启用")
    # a re-run of init on a database in use needs a login (and the unit-config right)
    r = cli("init", "--unit", "3201020101", "--unit-name", "测试门诊", db=db)
    assert r.returncode == 5


def test_ordinary_user_cannot_repoint_the_platform(db_path: Path) -> None:
    """Whoever sets the platform address decides where the clinic's personal data goes: 业务管理员 only."""
    staff(db_path)
    r = cli(
        "--user",
        "admin",
        "sync",
        "config",
        "--url",
        "https://nip.example.cn",
        "--token",
        "unit-secret-1",
        db=db_path,
        password=ADMIN_PW,
    )
    assert r.returncode == 0, r.stderr
    for change in (["--url", "https://evil.example.com"], ["--token", "stolen"], ["--interval", "0"]):
        r = cli("--user", "小李", "sync", "config", *change, db=db_path, password=NURSE_PW)
        assert r.returncode == 5, r.stderr
        assert "业务管理员" in r.stderr
    r = cli("--user", "小李", "sync", "config", "--json", db=db_path, password=NURSE_PW)  # looking is fine
    assert r.returncode == 0
    shown = json.loads(r.stdout)
    assert (shown["url"], shown["token"], shown["interval_s"]) == ("https://nip.example.cn", "un…-1", 300)
    r = cli("--user", "小李", "sync", "upload", "--url", "https://evil.example.com", db=db_path, password=NURSE_PW)
    assert r.returncode == 5 and "业务管理员" in r.stderr
