"""#16 item 3: an upgrade killed (SIGKILL) during its switch can be rolled back.

The sweep killed ``upgrade apply`` just after the database was switched (while the new file
was being hashed): no history entry was left, so ``upgrade rollback`` said there was nothing
to roll back, a second ``apply`` said the version was already installed, and the previous
program refused the migrated database.  The history is now journalled before the switch.
"""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path

import pytest

from epimanager.upgrade.package import build_package
from tests.helpers.cli import run_cli, spawn_python
from tests.unit.upgrade.conftest import DEV_KEY, UNIT_CSV_2027, Builder, migration_source

pytestmark = pytest.mark.slow

DEV = {"EPIMANAGER_DEV_KEYS": "1"}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package(tmp_path: Path) -> Path:
    src = Builder(tmp_path / "packages").source(
        "0.2.0",
        program={"epimanager": b"#!/bin/sh\necho 0.2.0\n"},
        data={"unit_codes/2027.csv": UNIT_CSV_2027},
        migrations={"9001_upgrade_note.py": migration_source("9001_upgrade_note")},
    )
    out = tmp_path / "EpiManager-0.2.0.zip"
    build_package(src, DEV_KEY, out)
    return out


def killed_at(point: str, db: Path, pkg: Path, root: Path, overrides: Path) -> None:
    env = {"EPIMANAGER_PAUSE_AT": point, **DEV, "EPIMANAGER_RESOURCE_OVERRIDES": str(overrides)}
    # the real CLI, forked from the zygote
    p = spawn_python(
        "-m", "epimanager", "--db", str(db), "upgrade", "apply", str(pkg), "--install-root", str(root), env=env
    )
    assert p.stderr is not None
    line = p.stderr.readline()  # the process is stopped at the point: kill it there
    assert line.strip() == f"paused at {point}", line + p.stderr.read()
    p.send_signal(signal.SIGKILL)
    p.communicate()


@pytest.mark.parametrize("point", ["upgrade-journalled", "upgrade-after-db-switch", "upgrade-after-pointer"])
def test_an_upgrade_killed_during_the_switch_is_rolled_back(tmp_path: Path, point: str) -> None:
    db = tmp_path / "data" / "epi.sqlite"
    db.parent.mkdir()
    assert (
        run_cli("init", "--unit", "3201020101", "--unit-name", "测试", "--committee", "东风村", db=db).returncode == 0
    )
    r = run_cli(
        "child", "add", "--name", "张浩", "--sex", "男", "--birth-date", "2025-06-01", "--mother", "李梅", db=db
    )
    assert r.returncode == 0, r.stderr
    before = sha(db)
    root, overrides = tmp_path / "install", tmp_path / "overrides"
    env = {**DEV, "EPIMANAGER_RESOURCE_OVERRIDES": str(overrides)}
    pkg = package(tmp_path)

    killed_at(point, db, pkg, root, overrides)

    # the history says an upgrade to 0.2.0 was under way and did not finish
    r = run_cli("upgrade", "history", "--install-root", root, "--json", db=db, env=env)
    [entry] = json.loads(r.stdout)["history"]
    assert (entry["action"], entry["to_version"], entry["state"]) == ("apply", "0.2.0", "switching")
    r = run_cli("upgrade", "history", "--install-root", root, db=db, env=env)
    assert "未完成" in r.stdout
    # applying again is refused until it is rolled back
    r = run_cli("upgrade", "apply", pkg, "--install-root", root, db=db, env=env)
    assert r.returncode == 4 and "被中断" in r.stderr and "upgrade rollback" in r.stderr

    r = run_cli("upgrade", "rollback", "--install-root", root, db=db, env=env)
    assert r.returncode == 0, r.stderr
    assert "已从 0.2.0 回滚到 0.1.0" in r.stdout
    assert sha(db) == before  # the database before the upgrade, byte for byte
    r = run_cli("upgrade", "history", "--install-root", root, "--json", db=db, env=env)
    hist = json.loads(r.stdout)
    assert hist["current"] == "0.1.0" and [e["action"] for e in hist["history"]] == ["apply", "rollback"]
    r = run_cli("child", "show", "--json", _first_code(db), db=db, env=env)  # this program opens it again
    assert r.returncode == 0 and "张浩" in r.stdout
    assert not list(db.parent.glob(".*upgrade*")) and not list(root.glob("versions/*.staging"))

    # and the upgrade then goes through
    r = run_cli("upgrade", "apply", pkg, "--install-root", root, db=db, env=env)
    assert r.returncode == 0, r.stderr
    assert "已从 0.1.0 升级到 0.2.0" in r.stdout


def _first_code(db: Path) -> str:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return str(con.execute("SELECT code FROM child").fetchone()[0])
    finally:
        con.close()
