"""Issue #16 item 14: a full disk is "磁盘空间不足" (exit 4), one line, never a traceback — for an
export, a backup (whose failure is still reported when the database cannot record it either) and a
restore (which must not call a sound backup damaged)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from tests.helpers.cli import run_cli
from tests.helpers.full_disk import fill, small_disk


def clinic(db: Path) -> None:
    assert (
        run_cli("init", "--unit", "3201020101", "--unit-name", "测试门诊", "--committee", "东风村", db=db).returncode
        == 0
    )
    r = run_cli(
        "child", "add", "--name", "张浩", "--sex", "男", "--birth-date", "2025-03-01", "--mother", "李梅", db=db
    )
    assert r.returncode == 0, r.stderr


def children(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM child").fetchone()[0]
    finally:
        con.close()


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_an_export_to_a_full_disk(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    clinic(db)
    r = run_cli("export", "children", "--csv", db=db)  # to stdout: fine
    assert r.returncode == 0
    r = run_cli("query", "managed", "--format", "csv", "--out", "/dev/full", "--force", db=db)
    assert r.returncode == 4
    assert one_line(r.stderr).startswith("错误：磁盘空间不足")


def test_a_backup_to_a_full_disk_is_recorded_as_failed(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    clinic(db)
    with small_disk(tmp_path / "usb", 256) as usb:
        fill(usb)
        r = run_cli("backup", "--to", usb, db=db)
    assert r.returncode == 4
    assert one_line(r.stderr).startswith("错误：备份失败：磁盘空间不足")
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT ok, message FROM backup_log").fetchall() == [(0, one_line(r.stderr)[8:])]
    finally:
        con.close()


def test_a_backup_when_the_database_disk_is_full_too_reports_the_backup_error(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 4096) as disk:
        db = disk / "a.sqlite"
        clinic(db)
        fill(disk)
        r = run_cli("backup", db=db)
        assert r.returncode == 4
        assert "磁盘空间不足" in one_line(r.stderr)
        (disk / "filler.bin").unlink()
        assert children(db) == 1


def test_a_restore_on_a_full_disk_does_not_call_the_backup_damaged(tmp_path: Path) -> None:
    # room for the clinic and the restore's margin (16 MB) once the filler is gone
    with small_disk(tmp_path / "disk", 32768) as disk:
        db = disk / "a.sqlite"
        clinic(db)
        r = run_cli("backup", "--to", tmp_path / "bk", db=db)
        assert r.returncode == 0, r.stderr
        [good] = (tmp_path / "bk").glob("*.epibak.gz")
        r = run_cli(
            "child", "add", "--name", "李萍", "--sex", "女", "--birth-date", "2025-04-01", "--mother", "王芳", db=db
        )
        assert r.returncode == 0
        fill(disk)
        r = run_cli("restore", good, db=db)
        assert r.returncode == 4
        line = one_line(r.stderr)
        assert line.startswith("错误：磁盘空间不足") and "损坏" not in line
        (disk / "filler.bin").unlink()
        assert children(db) == 2  # nothing replaced
        # with room again, the same backup restores (it was sound all along)
        r = run_cli("restore", good, db=db)
        assert r.returncode == 0, r.stderr
        assert children(db) == 1


def test_a_damaged_database_is_one_line_exit_4_for_every_reader(tmp_path: Path) -> None:
    """Pages overwritten with garbage (a failing disk): the quick reader of ``search`` and the ORM path
    both say "数据库文件已损坏" (``search`` printed sqlite3's traceback)."""
    db = tmp_path / "a.sqlite"
    clinic(db)
    assert run_cli("demo", "--children", "200", "--seed", "3", db=db).returncode == 0
    garbage = random.Random(14)
    size = db.stat().st_size
    with db.open("r+b") as f:
        for offset in range(8 * 4096, size, 3 * 4096):
            f.seek(offset)
            f.write(garbage.randbytes(4096))
    for command in (("search", "zh"), ("export", "children", "--json"), ("query", "managed", "--format", "csv")):
        r = run_cli(*command, db=db)
        assert r.returncode == 4, command
        assert one_line(r.stderr) == "错误：数据库文件已损坏或不是有效的数据库，请从备份恢复"
