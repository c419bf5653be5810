"""#16 items 1, 16, 24: a restore under another writer, of a backup without users, of a gzip bomb."""

from __future__ import annotations

import gzip
import os
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from epimanager.domain.validation import ChildInput
from epimanager.errors import DatabaseError, EpiError, PermissionDenied
from epimanager.services import backup as bk
from epimanager.services import users
from epimanager.services.children import create_child
from epimanager.services.units import init_database
from epimanager.store.database import Database, open_database
from tests.helpers.cli import REPO, run_cli, spawn_python

TODAY = date(2026, 11, 26)
#: the standalone file's restore (a server database is restored with `server restore`: test_server_cli.py)
BACKENDS = ("sqlite",)
ADMIN_PW, BIZ_PW = "Admin-Pass-2026", "Biz-Pass-2026"


def add(db: Database, name: str, born: date = date(2025, 1, 1)) -> str:
    return create_child(db, ChildInput(name, "1", born, mother_name="李梅"), today=TODAY).code


def names(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in con.execute("SELECT name FROM child"))
    finally:
        con.close()


def dose_uuids(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT uuid FROM dose")}
    finally:
        con.close()


class Writer:
    """Another desk: a real process registering newborns and their HepB 1 one by one, printing each
    saved dose's UUID (every child and dose new, so no rule about repeated doses is involved)."""

    SCRIPT = """
import sys
from datetime import date
from pathlib import Path
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.store.database import open_database
db = open_database(Path(sys.argv[1]))
chars = "浩宇轩涵博文杰欣怡佳雨萱萍佩"
n = len(chars)
for i in range(n**3):  # more than the test ever waits for (it stops the process)
    name = "王" + chars[i // n // n] + chars[i // n % n] + chars[i % n]
    code = create_child(db, ChildInput(name, "1", date(2026, 1, 1), mother_name="李梅")).code
    dose = add_dose(db, code, DoseInput("HepB", 1, date(2026, 1, 1)))
    print(dose.uuid, flush=True)
"""

    def __init__(self, db_path: Path) -> None:
        # a process of its own, forked from one that imported the program already
        self.proc = spawn_python("-c", self.SCRIPT, str(db_path))
        self.saved: list[str] = []
        assert self.proc.stdout is not None
        out = self.proc.stdout
        self.reader = threading.Thread(target=lambda: self.saved.extend(line.strip() for line in out), daemon=True)
        self.reader.start()

    def wait_for(self, n: int) -> None:  # a condition, not a clock
        deadline = time.monotonic() + 60
        while len(self.saved) < n and self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.saved) >= n, self.proc.stderr.read() if self.proc.stderr else "the writer stopped"

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.reader.join()


def test_restore_while_another_process_writes_is_refused_and_no_saved_dose_vanishes(
    db_path: Path, tmp_path: Path
) -> None:
    """Item 1: the restore replaced the file under the writer's open connection; every dose saved
    afterwards vanished.  Now it is refused (service and CLI, exit 4) and changes nothing."""
    db = open_database(db_path)
    add(db, "张浩")
    saved = bk.backup(db, tmp_path / "bk").path
    writer = Writer(db_path)
    try:
        writer.wait_for(5)
        with pytest.raises(DatabaseError, match=r"正被其他程序使用.*恢复未进行"):
            bk.restore(db, saved)
        r = run_cli("restore", saved, db=db_path)
        assert r.returncode == 4 and "错误：数据库正被其他程序使用" in r.stderr
        writer.wait_for(len(writer.saved) + 5)  # the other desk keeps saving after the refusals
    finally:
        writer.stop()
    assert set(writer.saved) <= dose_uuids(db_path)
    assert len(writer.saved) >= 10
    assert not list((db_path.parent / "backups").glob("*before-restore*"))  # nothing was done
    # once the other desk has closed, the same restore goes through
    db = open_database(db_path)
    bk.restore(db, saved)
    assert dose_uuids(db_path) == set() and names(db_path) == ["张浩"]


@pytest.fixture
def no_user_backup(tmp_path: Path) -> Path:
    """A backup of this unit taken before any user was created (login off)."""
    old = tmp_path / "old" / "epi.sqlite"
    old.parent.mkdir()
    init_database(old, "3201020101", "测试接种门诊", ["东风村"])
    odb = open_database(old)
    add(odb, "旧儿童")
    file = bk.backup(odb, tmp_path / "bk").path
    odb.close()
    return file


@pytest.fixture
def with_users(db_path: Path) -> Path:
    db = open_database(db_path)
    users.add_user(db, "admin", ADMIN_PW, "系统管理员")
    users.login(db, "admin", ADMIN_PW)
    users.add_user(db, "业务员", BIZ_PW, "业务管理员")
    add(db, "张浩")
    db.close()
    return db_path


def test_a_backup_without_users_needs_a_system_administrators_confirmation(
    with_users: Path, no_user_backup: Path
) -> None:
    """Item 16: restoring a backup without users silently turned login off (anyone could then
    create a 系统管理员).  Now refused with the reason; a 业务管理员 cannot confirm it; a
    系统管理员 can, and the users are then those of the backup (none)."""
    before = with_users.read_bytes()
    db = open_database(with_users)
    users.login(db, "业务员", BIZ_PW)
    with pytest.raises(bk.NoUsersInBackup, match=r"没有任何用户账号.*不再需要登录.*用户就是备份中的用户"):
        bk.restore(db, no_user_backup)
    with pytest.raises(PermissionDenied, match="系统管理员"):
        bk.restore(db, no_user_backup, allow_no_users=True)
    assert with_users.read_bytes() == before and names(with_users) == ["张浩"]
    db.close()  # the refused restores left the handle open and usable

    db = open_database(with_users)
    users.login(db, "admin", ADMIN_PW)
    bk.restore(db, no_user_backup, allow_no_users=True)
    assert names(with_users) == ["旧儿童"]
    db = open_database(with_users)
    assert not users.has_users(db)
    db.close()


def test_the_cli_asks_for_no_users_from_a_system_administrator(with_users: Path, no_user_backup: Path) -> None:
    admin = {"EPIMANAGER_PASSWORD": ADMIN_PW}
    r = run_cli("--user", "admin", "restore", no_user_backup, db=with_users, env=admin)
    assert r.returncode != 0 and "没有任何用户账号" in r.stderr and "--no-users" in r.stderr
    assert names(with_users) == ["张浩"]
    r = run_cli(
        "--user", "业务员", "restore", no_user_backup, "--no-users", db=with_users, env={"EPIMANAGER_PASSWORD": BIZ_PW}
    )
    assert r.returncode == 5 and "系统管理员" in r.stderr
    assert names(with_users) == ["张浩"]
    r = run_cli("--user", "admin", "restore", no_user_backup, "--no-users", db=with_users, env=admin)
    assert r.returncode == 0, r.stderr
    assert names(with_users) == ["旧儿童"]


def test_a_backup_without_users_into_a_database_without_users_needs_no_confirmation(
    db_path: Path, no_user_backup: Path
) -> None:
    db = open_database(db_path)
    bk.restore(db, no_user_backup)  # login was off already: nothing changes about it
    assert names(db_path) == ["旧儿童"]


# -- item 24: gzip bombs ------------------------------------------------------------------------


def zeros_gzip(total: int, member: int = 16 << 20) -> bytes:
    """``total`` bytes of zeros as gzip members (quick to build, ~1 KB per 1 MB)."""
    one = gzip.compress(bytes(member), compresslevel=9)
    return one * (total // member)


def limited(megabytes: int) -> None:
    """In the child process: no file may grow beyond ``megabytes`` (EFBIG instead)."""
    limit = megabytes << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def restore_cli(db: Path, file: Path, fsize_mb: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "epimanager", "--db", str(db), "restore", str(file)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
        preexec_fn=lambda: limited(fsize_mb),
        check=False,
    )


def test_a_gzip_bomb_is_refused_from_its_header_before_anything_big_is_written(db_path: Path, tmp_path: Path) -> None:
    """Item 24: 3 GiB were written before a bomb was refused.  A "backup" of 2 GiB of zeros is
    refused on its first bytes (no database header) — under a 64 MB file-size limit."""
    bomb = tmp_path / "bomb.epibak.gz"
    bomb.write_bytes(zeros_gzip(2 << 30))
    assert bomb.stat().st_size < 4 << 20
    before = db_path.read_bytes()
    r = restore_cli(db_path, bomb, 64)
    assert r.returncode != 0 and "不是 EpiManager 备份" in r.stderr and "File too large" not in r.stderr
    assert db_path.read_bytes() == before
    assert not [p for p in (db_path.parent / "tmp").rglob("*") if p.is_file()]


def test_a_bomb_behind_a_real_database_header_stops_at_the_declared_size(db: Database, tmp_path: Path) -> None:
    """A real backup followed by 1 GiB of zeros: decompression stops at the size the database
    header declares (a few hundred KB), not when the disk is full."""
    real = gzip.decompress(bk.backup(db, tmp_path / "bk").path.read_bytes())
    bomb = tmp_path / "padded.epibak.gz"
    bomb.write_bytes(gzip.compress(real) + zeros_gzip(1 << 30))
    db.close()
    before = db.path.read_bytes()
    r = restore_cli(db.path, bomb, 64)
    assert r.returncode != 0 and "超出其中数据库声明的大小" in r.stderr and "File too large" not in r.stderr
    assert db.path.read_bytes() == before


def test_a_header_declaring_more_than_the_disk_holds_is_refused_at_once(db: Database, tmp_path: Path) -> None:
    real = bytearray(gzip.decompress(bk.backup(db, tmp_path / "bk").path.read_bytes()))
    real[28:32] = (0x7FFFFFFF).to_bytes(4, "big")  # 2^31 pages: terabytes
    huge = tmp_path / "huge.epibak.gz"
    huge.write_bytes(gzip.compress(bytes(real)))
    db.close()
    before = db.path.read_bytes()
    with pytest.raises(EpiError, match=r"磁盘空间不足：恢复此备份需要约 .* MB"):
        bk.restore(db, huge)
    # a real backup that does not fit either (a disk with 1 MB free): known before anything is written
    fine = tmp_path / "bk" / next(p.name for p in (tmp_path / "bk").iterdir())
    with pytest.raises(EpiError, match="磁盘空间不足"):
        bk.restore(db, fine, free_space=lambda _p: 1 << 20)
    assert db.path.read_bytes() == before


def test_safety_copies_are_renamed_into_place_and_pruned(db_path: Path, tmp_path: Path) -> None:
    """Item 13: before-restore copies were never pruned.  Seven restores keep the newest five
    (``SAFETY_KEEP``), each complete, none left under a temporary name."""
    from epimanager.store.sqlite_files import SAFETY_KEEP

    db = open_database(db_path)
    add(db, "张浩")
    saved = bk.backup(db, tmp_path / "bk").path
    made = []
    for _ in range(7):
        made.append(bk.restore(db, saved))
        db = open_database(db_path)
    folder = db_path.parent / "backups"
    kept = sorted(folder.glob("*-before-restore-*.sqlite"))
    assert SAFETY_KEEP == 5 and kept == sorted(made[-5:])
    assert all(names(p) == ["张浩"] for p in kept)
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    db.close()
