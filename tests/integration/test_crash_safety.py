"""SIGKILL in the middle of work: nothing committed is lost, nothing half-done remains."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.helpers.cli import Forked, run_cli, spawn_python

pytestmark = pytest.mark.slow

HEADER = "name,sex,birth_date,mother_name,father_name,phone,id_number,address,committee,residence\n"


def integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def children(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM child").fetchone()[0]
    finally:
        con.close()


def big_csv(path: Path, n: int, mothers: str = "母") -> Path:
    rng = random.Random(5)
    surnames = "王李张刘陈杨黄赵吴周单曾解"
    given = "浩宇轩涵博文杰欣怡佳雨萱萍佩"
    lines = [HEADER]
    for i in range(n):
        name = rng.choice(surnames) + rng.choice(given) + rng.choice(given)
        lines.append(
            f"{name},{'男' if i % 2 else '女'},20{10 + i % 15:02d}-0{1 + i % 9}-1{i % 9},{mothers}{i},,,,,东风村,本地\n"
        )
    path.write_text("".join(lines), encoding="utf-8")
    return path


def spawn(args: list[str]) -> Forked | subprocess.Popen[str]:
    """A process of its own, forked from one that imported the program already (each round used to start
    a fresh interpreter: ~0.5 s of CPU before its first row or dose)."""
    return spawn_python(*args)


def test_killed_import_keeps_whole_chunks_and_a_rerun_finishes_it_exactly(tmp_path: Path) -> None:
    """An import commits chunks of 500 rows (another desk can save between them): a kill leaves
    whole chunks, never part of one, and the same command run again imports exactly the rest."""
    db = tmp_path / "a.sqlite"
    assert (
        run_cli("init", "--unit", "3201020101", "--unit-name", "测试", "--committee", "东风村", db=db).returncode == 0
    )
    n, chunk = 2000, 500  # four chunks: the kills land in different ones
    rng = random.Random(11)
    outcomes = []
    for round_ in range(4):
        csv = big_csv(tmp_path / f"round{round_}.csv", n, mothers=f"母{round_}-")
        before = children(db)
        p = spawn(["-m", "epimanager", "--db", str(db), "import", "children", str(csv)])
        # kill once a varying part of the rows is committed (a condition, not a clock)
        target = before + int(n * rng.uniform(0.05, 0.6))
        deadline = time.monotonic() + 120
        while p.poll() is None and time.monotonic() < deadline:
            try:
                if children(db) >= target:
                    break
            except sqlite3.OperationalError:  # the importer holds the lock for a moment
                pass
            time.sleep(0.01)
        assert p.poll() is None, "the import ended before it could be killed"
        p.send_signal(signal.SIGKILL)
        p.communicate()
        assert integrity(db) == "ok"
        done = children(db) - before
        assert 0 < done < n and done % chunk == 0, f"part of a chunk: {done} rows"
        outcomes.append(done)
        rerun = run_cli("import", "children", csv, db=db)
        assert rerun.returncode == 0, rerun.stderr
        assert f"第 {done + 1} 行及以前的 {done} 行已在上次未完成的导入" in rerun.stdout
        assert children(db) == before + n
    # the kills landed at different points
    assert len(set(outcomes)) > 1


def test_killed_stream_of_dose_saves_keeps_every_committed_dose(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    run_cli("init", "--unit", "3201020101", "--unit-name", "测试", db=db)
    code = (
        run_cli(
            "child", "add", "--name", "张浩", "--sex", "男", "--birth-date", "2019-06-01", "--mother", "李梅", db=db
        )
        .stdout.split()[0]
        .split("：")[1]
    )
    rng = random.Random(3)
    confirmed: list[str] = []
    for _ in range(10):
        p = spawn(["-m", "tests.helpers.dose_writer", str(db), code])
        got: list[str] = []
        assert p.stdout is not None
        out = p.stdout

        def reader(stream=out, sink=got) -> None:
            for line in stream:
                sink.append(line.strip())

        t = threading.Thread(target=reader)
        t.start()
        # kill after a varying number of acknowledged saves (a condition, not a clock)
        target = rng.randint(5, 40)
        deadline = time.monotonic() + 60
        while len(got) < target and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert p.poll() is None, p.stderr.read() if p.stderr else "the writer died"
        p.send_signal(signal.SIGKILL)
        p.wait()
        t.join()
        confirmed.extend(u for u in got if u)
        assert integrity(db) == "ok"
        con = sqlite3.connect(db)
        stored = {r[0] for r in con.execute("SELECT uuid FROM dose")}
        con.close()
        missing = [u for u in confirmed if u not in stored]
        assert missing == [], f"{len(missing)} committed doses lost"
    assert len(confirmed) > 50


def _clinic_at_0003(path: Path, n: int) -> None:
    """An older clinic (schema 0003, before the upload queue) with ``n`` children and a dose each."""
    from alembic import command
    from sqlalchemy import text

    from epimanager.store.engine import make_engine
    from epimanager.store.migrate import alembic_config

    engine = make_engine(path)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003_stock")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO unit (code, name, level, county_code) VALUES ('3201020101', '门诊', 4, '320102')")
        )
        conn.execute(text("INSERT INTO app_config (key, value) VALUES ('own_unit_code', '3201020101')"))
        conn.execute(
            text(
                "INSERT INTO child (uuid, code, name, sex, birth_date, residence, status, managing_unit, created_unit,"
                " mother_hbsag, created_at, updated_at, version, deleted) VALUES (:u, :c, '张浩', '1', '2020-05-01',"
                " 1, 1, '3201020101', '3201020101', '0', '2020-05-01 10:00:00', '2020-05-01 10:00:00', 1, 0)"
            ),
            [{"u": f"u-{i}", "c": f"32010201012020{i:04d}"} for i in range(1, n + 1)],
        )
        conn.execute(
            text(
                "INSERT INTO dose (uuid, child_id, vaccine_code, dose_number, date, attribute, free, created_at,"
                " updated_at, version, deleted) SELECT 'd-' || id, id, '0201', 1, '2020-05-01', 0, 1,"
                " '2020-05-01 10:00:00', '2020-05-01 10:00:00', 1, 0 FROM child"
            )
        )
    engine.dispose()


def _write_lock_held(db: Path) -> bool:
    """Whether another connection holds the database's write lock (a write transaction is open)."""
    con = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return True
    finally:
        con.close()
    return False


def test_sigkill_during_the_start_up_migration_leaves_the_old_schema_and_the_next_start_migrates(
    tmp_path: Path,
) -> None:
    """Issue #16 item 2: a kill while a migration runs (e.g. while 0004 fills the upload queue) used to
    leave new tables committed and the version old, so that every later start failed.  Migrations now
    run in one transaction (SQLite's DDL is transactional once the driver stops committing on its
    own): a kill leaves the old schema, and the next start migrates."""
    db = tmp_path / "old.sqlite"
    _clinic_at_0003(db, 9999)
    rng = random.Random(4)
    killed = 0
    for _ in range(6):
        proc = spawn(["-m", "epimanager", "--db", str(db), "search", "zhanghao"])
        # kill while the migration's transaction is open (a condition, not a clock: a fixed sleep of
        # 0.4-2.5 s found the process already done on an idle machine, where the migration holds the
        # write lock for ~50 ms of a 0.5 s start), after a varying number of looks that find it open
        looks = rng.randint(1, 10)
        deadline = time.monotonic() + 60
        while looks and proc.poll() is None and time.monotonic() < deadline:
            if _write_lock_held(db):
                looks -= 1
            time.sleep(0.002)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.communicate()
        con = sqlite3.connect(db)
        try:
            version = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
        if version == "0003_stock":  # killed mid-way: nothing of the later revisions was kept
            assert "sync_outbox" not in tables
        if version != "0003_stock":
            break
    assert killed >= 1
    r = run_cli("search", "320102010120209999", "--json", db=db)
    assert r.returncode == 0, r.stderr
    assert '"320102010120209999"' in r.stdout
    assert integrity(db) == "ok" and children(db) == 9999
