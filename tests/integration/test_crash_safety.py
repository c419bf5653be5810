"""SIGKILL in the middle of work: nothing committed is lost, nothing half-done remains."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers.cli import REPO, run_cli

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


def big_csv(path: Path, n: int) -> Path:
    rng = random.Random(5)
    surnames = "王李张刘陈杨黄赵吴周单曾解"
    given = "浩宇轩涵博文杰欣怡佳雨萱萍佩"
    lines = [HEADER]
    for i in range(n):
        name = rng.choice(surnames) + rng.choice(given) + rng.choice(given)
        lines.append(
            f"{name},{'男' if i % 2 else '女'},20{10 + i % 15:02d}-0{1 + i % 9}-1{i % 9},母{i},,,,,东风村,本地\n"
        )
    path.write_text("".join(lines), encoding="utf-8")
    return path


def spawn(args: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen(
        [sys.executable, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_killed_import_is_entirely_in_or_entirely_out(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    assert (
        run_cli("init", "--unit", "3201020101", "--unit-name", "测试", "--committee", "东风村", db=db).returncode == 0
    )
    n = 12000  # big enough to write well past the page cache inside one transaction
    csv = big_csv(tmp_path / "big.csv", n)
    # how much a whole import writes, so the kills land inside it whatever the machine's speed
    size0 = db.stat().st_size
    assert run_cli("import", "children", csv, db=db).returncode == 0
    grown = db.stat().st_size - size0
    assert children(db) == n
    wal = db.with_name(db.name + "-wal")
    rng = random.Random(11)
    outcomes = []
    for _ in range(8):
        before = children(db)
        p = spawn(["-m", "epimanager", "--db", str(db), "import", "children", str(csv)])
        # kill once the import has written a varying part of its pages (a condition, not a clock)
        written = int(grown * rng.uniform(0.05, 0.6))
        deadline = time.monotonic() + 120
        while p.poll() is None and time.monotonic() < deadline:
            if wal.exists() and wal.stat().st_size >= written:
                break
            time.sleep(0.002)
        assert p.poll() is None, "the import ended before it could be killed"
        p.send_signal(signal.SIGKILL)
        p.communicate()
        assert integrity(db) == "ok"
        after = children(db)
        assert after in (before, before + n), f"partial import: {before} → {after}"
        outcomes.append(after - before)
    # every kill landed inside the import's one transaction, and none left part of it behind
    # (the whole import going in was shown by the first, unkilled run above)
    assert outcomes == [0] * 8


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
        p = spawn([str(REPO / "tests" / "helpers" / "dose_writer.py"), str(db), code])
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
