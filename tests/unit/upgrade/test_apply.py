"""Applying real packages: good upgrades keep every record; failures change nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from epimanager.resources import resource_path
from epimanager.services.config.unit_codes import load_unit_codes
from epimanager.store.database import open_database
from epimanager.upgrade.install.apply import apply_package
from epimanager.upgrade.install.history import read_history
from epimanager.upgrade.install.layout import Target, UpgradeError, current_version, write_pointer
from epimanager.upgrade.install.rollback import rollback
from epimanager.upgrade.manifest import PackageError
from tests.unit.upgrade.conftest import UNIT_CSV_2027, Builder, migration_source, sha, snapshot


def counts(db_path: Path) -> dict[str, int]:
    con = sqlite3.connect(db_path)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("child", "dose", "committee")}
    finally:
        con.close()


def revisions(db_path: Path) -> set[str]:
    con = sqlite3.connect(db_path)
    try:
        return {r[0] for r in con.execute("SELECT version_num FROM alembic_version")}
    finally:
        con.close()


def test_good_upgrade_with_program_migration_and_data_keeps_every_record(builder: Builder, target: Target) -> None:
    before = counts(target.db_path)
    assert before["child"] == 40 and before["dose"] > 40
    db_sha = sha(target.db_path)
    pkg = builder.build(
        "0.2.0",
        program={"epimanager": b"#!/bin/sh\necho 0.2.0\n", "_internal/lib.txt": b"lib"},
        data={"unit_codes/2027.csv": UNIT_CSV_2027},
        migrations={"9001_upgrade_note.py": migration_source("9001_upgrade_note")},
    )
    steps: list[int] = []
    result = apply_package(pkg, target, progress=lambda p, _m: steps.append(p))

    assert (result.from_version, result.to_version) == ("0.1.0", "0.2.0")
    assert steps[0] == 0 and steps[-1] == 100 and steps == sorted(steps)
    assert current_version(target.install_root) == "0.2.0"
    assert (target.install_root / "versions" / "0.2.0" / "epimanager").read_bytes() == b"#!/bin/sh\necho 0.2.0\n"
    assert (target.install_root / "versions" / "0.2.0" / "_internal" / "lib.txt").read_bytes() == b"lib"
    # every record is still there, the new column is filled, the schema moved on
    assert counts(target.db_path) == before
    con = sqlite3.connect(target.db_path)
    assert {r[0] for r in con.execute("SELECT upgrade_note FROM child")} == {"已升级"}
    con.close()
    assert revisions(target.db_path) == {"9001_upgrade_note"}
    # the backup is byte-identical to the database before the upgrade
    assert result.db_backup is not None and sha(result.db_backup) == db_sha
    # the 2027 list is read before the bundled 2026 one
    assert resource_path("unit_codes", "2027.csv").read_bytes() == UNIT_CSV_2027
    assert load_unit_codes()[0] == 2027
    assert [e.action for e in read_history(target.install_root)] == ["apply"]
    # nothing staged is left behind
    assert not list(target.install_root.glob("versions/*.staging"))
    assert not list(target.db_path.parent.glob(".*upgrade*"))


def test_data_only_upgrade_leaves_a_database_the_program_opens(builder: Builder, target: Target) -> None:
    pkg = builder.build("0.2.0", data={"unit_codes/2027.csv": UNIT_CSV_2027})
    apply_package(pkg, target)
    db = open_database(target.db_path)
    try:
        assert db.own_unit_code() == "3201020101"
    finally:
        db.close()
    assert counts(target.db_path)["child"] == 40


def test_migration_failing_halfway_leaves_the_database_byte_identical(builder: Builder, target: Target) -> None:
    before = snapshot(target)
    pkg = builder.build(
        "0.2.0",
        program={"epimanager": b"new"},
        data={"unit_codes/2027.csv": UNIT_CSV_2027},
        migrations={"9002_broken.py": migration_source("9002_broken", fail_halfway=True)},
    )
    with pytest.raises(UpgradeError, match=r"数据库迁移失败.*模拟：迁移执行到一半失败"):
        apply_package(pkg, target)
    assert snapshot(target) == before
    assert load_unit_codes()[0] == 2026


@pytest.mark.parametrize("fault", ["after-db-switch", "after-pointer"])
def test_failure_during_the_switch_restores_the_exact_previous_state(
    builder: Builder, target: Target, fault: str
) -> None:
    write_pointer(target.install_root / "current", "0.1.0")
    before = snapshot(target)
    pkg = builder.build(
        "0.2.0",
        program={"epimanager": b"new"},
        data={"unit_codes/2027.csv": UNIT_CSV_2027},
        migrations={"9001_upgrade_note.py": migration_source("9001_upgrade_note")},
    )
    with pytest.raises(UpgradeError, match=r"模拟故障"):
        apply_package(pkg, target, fault=fault)
    assert snapshot(target) == before


def test_refuses_a_database_another_program_holds_open(builder: Builder, target: Target) -> None:
    pkg = builder.build("0.2.0", data={"unit_codes/2027.csv": UNIT_CSV_2027})
    other = sqlite3.connect(target.db_path)
    other.execute("SELECT count(*) FROM child").fetchone()
    try:
        before = sha(target.db_path)
        with pytest.raises(UpgradeError, match=r"正被其他程序使用"):
            apply_package(pkg, target)
        assert sha(target.db_path) == before
        assert current_version(target.install_root) == "0.1.0"
    finally:
        other.close()


def test_refuses_downgrade_same_version_and_too_old_a_base(builder: Builder, target: Target) -> None:
    write_pointer(target.install_root / "current", "0.3.0")
    before = snapshot(target)
    with pytest.raises(PackageError, match=r"低于当前版本 0.3.0，不能降级"):
        apply_package(builder.build("0.2.0", data={"a.txt": b"x"}), target)
    with pytest.raises(PackageError, match=r"已经安装"):
        apply_package(builder.build("0.3.0", data={"a.txt": b"x"}), target)
    with pytest.raises(PackageError, match=r"只能从 0.4.0 或更高版本升级，当前版本为 0.3.0"):
        apply_package(builder.build("0.5.0", min_version="0.4.0", data={"a.txt": b"x"}), target)
    assert snapshot(target) == before


def test_refuses_when_the_disk_is_too_full(builder: Builder, target: Target) -> None:
    before = snapshot(target)
    pkg = builder.build("0.2.0", program={"big.bin": b"\0" * 200_000})
    with pytest.raises(UpgradeError, match=r"磁盘空间不足"):
        apply_package(pkg, target, free_space=lambda _p: 1024 * 1024)
    assert snapshot(target) == before


def test_rollback_restores_the_previous_database_version_and_reference_data(builder: Builder, target: Target) -> None:
    before = snapshot(target)
    pkg = builder.build(
        "0.2.0",
        data={"unit_codes/2027.csv": UNIT_CSV_2027},
        migrations={"9001_upgrade_note.py": migration_source("9001_upgrade_note")},
    )
    apply_package(pkg, target)
    result = rollback(target)
    assert (result.from_version, result.to_version, result.db_restored) == ("0.2.0", "0.1.0", True)
    assert sha(target.db_path) == before["db"]
    assert current_version(target.install_root) == "0.1.0"
    assert load_unit_codes()[0] == 2026
    assert [e.action for e in read_history(target.install_root)] == ["apply", "rollback"]
    with pytest.raises(UpgradeError, match=r"没有可以回滚的升级"):
        rollback(target)


def test_rollback_after_new_records_needs_force_and_saves_the_current_database(
    builder: Builder, target: Target
) -> None:
    pkg = builder.build("0.2.0", migrations={"9001_upgrade_note.py": migration_source("9001_upgrade_note")})
    apply_package(pkg, target)
    con = sqlite3.connect(target.db_path)
    con.execute("UPDATE child SET upgrade_note = '升级后修改' WHERE id = 1")
    con.commit()
    con.close()
    after_edit = sha(target.db_path)
    with pytest.raises(UpgradeError, match=r"已有新的录入.*--force"):
        rollback(target)
    assert sha(target.db_path) == after_edit and current_version(target.install_root) == "0.2.0"
    result = rollback(target, force=True)
    assert result.db_saved_as is not None and sha(result.db_saved_as) == after_edit
    assert "upgrade_note" not in {r[1] for r in sqlite3.connect(target.db_path).execute("PRAGMA table_info(child)")}


def test_two_upgrades_in_a_row_accumulate_reference_data(builder: Builder, target: Target) -> None:
    apply_package(builder.build("0.2.0", data={"unit_codes/2027.csv": UNIT_CSV_2027}), target)
    apply_package(builder.build("0.3.0", min_version="0.2.0", data={"extra/readme.txt": b"x"}), target)
    assert current_version(target.install_root) == "0.3.0"
    assert resource_path("unit_codes", "2027.csv").read_bytes() == UNIT_CSV_2027
    assert resource_path("extra", "readme.txt").read_bytes() == b"x"
    rollback(target)
    assert current_version(target.install_root) == "0.2.0"
    assert not resource_path("extra", "readme.txt").exists()
    assert resource_path("unit_codes", "2027.csv").read_bytes() == UNIT_CSV_2027
