"""#21 items 5–7 on the command line: the CLI refuses what the GUI refuses, with the same words."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from epimanager.domain.identifiers import id_check_char
from tests.helpers.cli import run_cli

ADMIN_PW = "Admin-Cli-Pass-21"
FUTURE_ID = "32010220271115001" + id_check_char("32010220271115001")  # born 2027-11-15


def cli(*args: str, db: Path, password: str = "", new: str = "", user: str = "") -> subprocess.CompletedProcess[str]:
    env = {"EPIMANAGER_PASSWORD": password, "EPIMANAGER_NEW_PASSWORD": new, "EPIMANAGER_USER": user}
    return run_cli(*args, db=db, stdin="", env=env)


def add_child(db: Path, *extra: str, user: str = "", password: str = "") -> subprocess.CompletedProcess[str]:
    return cli(
        "child",
        "add",
        "--name",
        "陈小宝",
        "--sex",
        "男",
        "--birth-date",
        "2026-03-05",
        "--mother",
        "林芳",
        "--json",
        *extra,
        db=db,
        user=user,
        password=password,
    )


def test_an_id_born_in_the_future_and_a_dose_before_birth_are_refused_with_their_reason(db_path: Path) -> None:
    r = add_child(db_path, "--id-number", FUTURE_ID)
    assert r.returncode == 2
    assert r.stderr.strip() == "错误：身份证号中的出生日期 2027-11-15 晚于今天，请核对身份证号"
    r = add_child(db_path)
    code = json.loads(r.stdout)["code"]
    r = cli("dose", "add", code, "--vaccine", "HepB", "--dose", "1", "--date", "2026-03-01", db=db_path)
    assert r.returncode == 2
    # its own reason, not "首针提前 … --confirm-invalid"
    assert r.stderr.strip() == "错误：接种日期 2026-03-01 早于出生日期 2026-03-05"


def test_doses_name_the_nurse_by_her_real_name_and_doses_from_elsewhere_no_local_nurse(db_path: Path) -> None:
    r = cli("user", "add", "wanghs", "--role", "系统管理员", "--display-name", "王海生", db=db_path, new=ADMIN_PW)
    assert r.returncode == 0 and "已添加用户 wanghs（系统管理员，姓名 王海生）" in r.stdout, r.stderr
    code = json.loads(add_child(db_path, user="wanghs", password=ADMIN_PW).stdout)["code"]
    as_wanghs = {"db": db_path, "user": "wanghs", "password": ADMIN_PW}
    r = cli("dose", "add", code, "--vaccine", "HepB", "--dose", "1", "--date", "2026-03-05", "--json", **as_wanghs)  # type: ignore[arg-type]
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["nurse"] == "王海生"  # not the login name "wanghs"
    r = cli(
        "dose", "add", code, "--vaccine", "BCG", "--dose", "1", "--date", "2026-03-05",
        "--unit-code", "3201020202", "--json", **as_wanghs,  # type: ignore[arg-type]
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["nurse"] is None  # given at another unit: no local nurse
    r = cli("user", "display-name", "wanghs", "王海燕", **as_wanghs)  # type: ignore[arg-type]
    assert r.returncode == 0 and "用户 wanghs 的姓名已改为 王海燕" in r.stdout, r.stderr
    r = cli("user", "list", **as_wanghs)  # type: ignore[arg-type]
    assert "wanghs\t系统管理员\t启用" in r.stdout and "姓名：王海燕" in r.stdout


def test_a_report_written_to_a_file_is_done_a_report_on_screen_is_not(db_path: Path, tmp_path: Path) -> None:
    def asked() -> list[str]:
        items = json.loads(cli("remind", "list", "--json", db=db_path).stdout)
        return [i["action"] for i in items if i["action"].startswith("report:6-2:")]

    month = asked()[0].split(":")[2]  # last month, as F7 asks for it
    r = cli("report", "6-2", "--month", month, db=db_path)
    assert r.returncode == 0, r.stderr
    assert asked() == [f"report:6-2:{month}"]  # shown on screen only: still to do
    r = cli("report", "6-2", "--month", month, "--format", "csv", "--out", str(tmp_path / "6-2.csv"), db=db_path)
    assert r.returncode == 0, r.stderr
    assert asked() == []
