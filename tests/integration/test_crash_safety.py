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


def spawn(args: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen(
        [sys.executable, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_killed_import_keeps_whole_chunks_and_a_rerun_finishes_it_exactly(tmp_path: Path) -> None:
    """An import commits chunks of 500 rows (another desk can save between them): a kill leaves
    whole chunks, never part of one, and the same command run again imports exactly the rest."""
    db = tmp_path / "a.sqlite"
    assert (
        run_cli("init", "--unit", "3201020101", "--unit-name", "测试", "--committee", "东风村", db=db).returncode == 0
    )
    n, chunk = 4000, 500  # eight chunks: the kills land in different ones
    rng = random.Random(11)
    outcomes = []
    for round_ in range(8):
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
