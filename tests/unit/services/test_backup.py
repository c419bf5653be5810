from __future__ import annotations

import gzip
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import DatabaseError, EpiError
from epimanager.services import backup as bk
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.services.units import init_database
from epimanager.store.database import Database, open_database
from epimanager.store.models import Child, Dose

TODAY = date(2026, 11, 26)
#: the standalone file's backups (a clinic server's pg_dump backups: test_server.py)
BACKENDS = ("sqlite",)


def add_child(db: Database, name: str) -> str:
    return create_child(db, ChildInput(name, "1", date(2025, 1, 1), mother_name="李梅"), today=TODAY).code


def names(path: Path) -> list[str]:
    db = open_database(path)
    try:
        with db.session() as s:
            return sorted(s.scalars(select(Child.name)).all())
    finally:
        db.close()


def test_backup_is_named_verified_compressed_and_pruned(db: Database, tmp_path: Path) -> None:
    add_child(db, "张浩")
    folder = tmp_path / "bk"
    made = [bk.backup(db, folder, keep=2, now=datetime(2026, 11, d, 18, 0)) for d in (20, 21, 22)]
    assert made[-1].path.name == "3201020101-20261122-180000.epibak.gz"
    assert sorted(p.name for p in folder.iterdir()) == [
        "3201020101-20261121-180000.epibak.gz",
        "3201020101-20261122-180000.epibak.gz",
    ]
    with gzip.open(made[-1].path) as f:
        assert f.read(16) == b"SQLite format 3\x00"
    st = bk.status(db)
    assert st.last_ok == datetime(2026, 11, 22, 18, 0) and st.last_failed is None


def test_restore_round_trip_keeps_a_safety_copy(db_path: Path, tmp_path: Path) -> None:
    db = open_database(db_path)
    add_child(db, "张浩")
    info = bk.backup(db, tmp_path / "bk")
    add_child(db, "李萍萍")
    safety = bk.restore(db, info.path)
    assert names(db_path) == ["张浩"]
    assert names(safety) == ["张浩", "李萍萍"]


def test_restore_refuses_bad_files_and_changes_nothing(db_path: Path, tmp_path: Path) -> None:
    db = open_database(db_path)
    add_child(db, "张浩")
    good = bk.backup(db, tmp_path / "bk").path
    truncated = tmp_path / "truncated.epibak.gz"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    not_gzip = tmp_path / "x.epibak.gz"
    not_gzip.write_bytes(b"hello")
    db.close()
    before = db_path.read_bytes()
    for bad, message in [(truncated, "已损坏"), (not_gzip, "已损坏"), (tmp_path / "missing.gz", "找不到备份文件")]:
        db = open_database(db_path)
        with pytest.raises(EpiError, match=message):
            bk.restore(db, bad)
        db.close()
        assert db_path.read_bytes() == before


def test_restore_refuses_another_units_backup_unless_confirmed(db_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    init_database(other, "3201040101", "别的门诊")
    odb = open_database(other)
    add_child(odb, "外单位儿童")
    their = bk.backup(odb, tmp_path / "theirs").path
    odb.close()
    db = open_database(db_path)
    with pytest.raises(EpiError, match="属于接种单位 3201040101"):
        bk.restore(db, their)
    db.close()
    assert names(db_path) == []
    db = open_database(db_path)
    bk.restore(db, their, allow_other_unit=True)
    assert names(db_path) == ["外单位儿童"]


def test_restore_refuses_a_backup_from_a_newer_version(db: Database, tmp_path: Path) -> None:
    import sqlite3

    info = bk.backup(db, tmp_path / "bk")
    raw = tmp_path / "raw.sqlite"
    raw.write_bytes(gzip.decompress(info.path.read_bytes()))
    con = sqlite3.connect(raw)
    con.execute("INSERT INTO alembic_version (version_num) VALUES ('9999_future')")
    con.commit()
    con.close()
    newer = tmp_path / "newer.epibak.gz"
    newer.write_bytes(gzip.compress(raw.read_bytes()))
    with pytest.raises(DatabaseError, match="更新版本"):
        bk.restore(db, newer)


def test_failed_backup_is_logged_for_the_reminders(db: Database, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(EpiError, match="备份失败"):
        bk.backup(db, blocker)
    st = bk.status(db)
    assert st.last_ok is None and st.last_failed is not None and st.last_error


def test_backup_if_due_only_when_the_last_one_is_old(db: Database, tmp_path: Path) -> None:
    assert bk.backup_if_due(db, to_dir=tmp_path) is not None
    assert bk.backup_if_due(db, to_dir=tmp_path) is None
    assert bk.backup_if_due(db, max_age=timedelta(0), to_dir=tmp_path) is not None


def test_backup_taken_during_writes_holds_every_record_committed_before_it(db_path: Path, tmp_path: Path) -> None:
    db = open_database(db_path)
    code = add_child(db, "张浩")
    committed: list[tuple[float, str]] = []
    stop = threading.Event()

    def writer() -> None:
        wdb = open_database(db_path)
        i = 0
        while not stop.is_set():
            inp = DoseInput("HepB", 1 + i % 3, date(2025, 1, 1) + timedelta(days=i % 600))
            # storage test: validity and repeated dose numbers aside
            d = add_dose(wdb, code, inp, today=TODAY, confirm_invalid=True, confirm_duplicate=True)
            committed.append((time.monotonic(), d.uuid))
            i += 1
            # a desk saves in a process of its own: here a thread, which lets the backup (same
            # interpreter) take the GIL after each save instead of waiting out the 5 ms switch interval
            time.sleep(0)
        wdb.close()

    def written_at_least(n: int) -> None:  # wait for a condition, not a clock
        deadline = time.monotonic() + 60
        while len(committed) < n and t.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(committed) >= n, "the writer stopped"

    t = threading.Thread(target=writer)
    t.start()
    written_at_least(20)
    started = time.monotonic()
    info = bk.backup(db, tmp_path / "bk")
    written_at_least(len(committed) + 10)  # and the writer went on while and after the backup ran
    stop.set()
    t.join()
    before = {u for ts, u in committed if ts < started}
    assert len(before) > 10
    total_written = len(committed)
    bk.restore(db, info.path)
    rdb = open_database(db_path)
    with rdb.session() as s:
        stored = set(s.scalars(select(Dose.uuid)).all())
        n = s.scalar(select(func.count()).select_from(Dose))
    rdb.close()
    assert before <= stored
    assert n is not None and len(before) <= n <= total_written


def test_a_unit_code_is_never_a_path_in_a_backup_name(db: Database, tmp_path: Path) -> None:
    """#16 item 15: a restored backup's unit code went into file names unchecked (``../../…``)."""
    from epimanager.store.database import set_config

    folder = tmp_path / "bk"
    with db.transaction() as s:
        set_config(s, "own_unit_code", "../../escaped")
    info = bk.backup(db, folder)
    assert info.path.parent == folder and info.path.name.startswith("unknown-")
    assert not (tmp_path.parent / "escaped").exists() and list(tmp_path.parent.glob("escaped*")) == []

    # that backup carries the bad code: restoring it is refused and changes nothing
    before = db.path.read_bytes()
    with pytest.raises(EpiError, match="接种单位编码无效"):
        bk.restore(db, info.path, allow_other_unit=True)
    assert db.path.read_bytes() == before


def test_a_change_of_any_kind_since_the_last_backup_is_noticed(db: Database, tmp_path: Path) -> None:
    """#21 item 8: the exit backup asks "changed since the last backup?", not "older than a day?"."""
    from epimanager.services import reminders, users
    from epimanager.services.children import create_child
    from epimanager.services.stock import movements

    assert bk.changed_since_backup(db)  # never backed up
    bk.backup(db, tmp_path)
    assert not bk.changed_since_backup(db)
    create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=date(2026, 11, 26))
    assert bk.changed_since_backup(db)
    bk.backup(db, tmp_path, now=datetime(2030, 1, 1, 8, 0))
    assert not bk.changed_since_backup(db)
    for change in (
        lambda: movements.receive(db, vaccine="HepB", batch_no="B1", expiry=date(2027, 1, 1), quantity=5),
        lambda: reminders.add_reminder(db, "冷链温度检查", date(2026, 12, 1)),
        lambda: users.create_first_admin(db, "admin", "Admin-Secret-21", "王海生"),
    ):
        change()
        assert bk.changed_since_backup(db)
        bk.backup(db, tmp_path, now=datetime.now())
        assert not bk.changed_since_backup(db)
    users.login(db, "admin", "Admin-Secret-21")  # a login alone is not a change worth a backup
    assert not bk.changed_since_backup(db)
