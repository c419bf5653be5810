"""Exactly once, whatever the network does: faults turned up high, then healed; kill -9 mid-upload.

The platform's own count (``platform-sim --count``) and its stored versions
are compared with the clinic database: every record once, at its latest
version, and nothing left pending.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from epimanager.platform_sim.server import Faults, RunningServer
from epimanager.services.demo import generate
from epimanager.store.database import Database, open_database
from epimanager.store.models import Child, Dose
from epimanager.sync import queue
from epimanager.sync.client import PlatformUnavailable, RetryPolicy
from epimanager.sync.upload import upload
from tests.helpers.cli import REPO, run_cli

TOKEN = "t-3201020101"


def local_versions(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(text("SELECT uuid, version FROM child UNION ALL SELECT uuid, version FROM dose")).all()
        rows += s.execute(text("SELECT uuid, version FROM sync_outbox WHERE kind = 'status'")).all()
    return {u: v for u, v in rows}


def edit_some(db: Database, rng: random.Random, n: int) -> None:
    """Change ``n`` children and ``n`` doses (a new version each), some of them 在册情况."""
    with db.transaction() as s:
        kids = s.scalars(select(Child).order_by(Child.id)).all()
        for c in rng.sample(list(kids), n):
            c.phone = f"139{rng.randrange(10**8):08d}"
            if rng.random() < 0.3:
                c.status = 2 if c.status != 2 else 1
            c.version += 1
        doses = s.scalars(select(Dose).order_by(Dose.id).limit(5000)).all()
        for d in rng.sample(list(doses), n):
            d.batch_no = f"R{rng.randrange(10**6)}"
            d.version += 1


def assert_exactly_once(db: Database, store: Path) -> None:
    counts = json.loads(run_cli("platform-sim", "--store", store, "--count").stdout)
    mine = local_versions(db)
    with db.session() as s:
        kinds = dict(s.execute(text("SELECT kind, COUNT(*) FROM sync_outbox GROUP BY kind")).all())
    assert counts["kinds"] == {
        "child": kinds["child"],
        "dose": kinds["dose"],
        "status": kinds.get("status", 0),
        "aefi": 0,
    }
    assert counts["rows"] == counts["records"] == len(mine)
    con = sqlite3.connect(store)
    theirs = dict(con.execute("SELECT uuid, version FROM record").fetchall())
    con.close()
    assert theirs == mine  # every record, at its latest version
    st = queue.status(db)
    assert (st.waiting, st.rejected) == (0, 0)
    assert queue.unfinished_batches(db) == []


@pytest.mark.slow
def test_ten_thousand_records_through_a_bad_network_then_healed(db: Database, tmp_path: Path) -> None:
    rng = random.Random(5)
    report = generate(db, 500, seed=9)
    assert report.children + report.doses >= 10_000
    edit_some(db, rng, 200)
    store = tmp_path / "platform.sqlite"
    faults = Faults(fail_rate=0.3, drop_rate=0.2, lost_ack_rate=0.2, delay_ms=1, seed=3)
    with RunningServer(store, tokens=[TOKEN], faults=faults) as srv:
        policy = RetryPolicy(max_attempts=5, base=0.002, cap=0.02, max_elapsed=60, rng=random.Random(1))
        for _ in range(3):  # the clinic tries a few times on the bad network, editing in between
            with contextlib.suppress(PlatformUnavailable):
                upload(db, url=srv.url, token=TOKEN, batch_size=250, policy=policy)
            edit_some(db, rng, 50)
        assert srv.store.counts()["batches"] > 0
        srv.faults.heal()
        final = upload(db, url=srv.url, token=TOKEN, batch_size=250)
        assert final.remaining == 0 and final.rejected == 0
    assert_exactly_once(db, store)


def _platform(store: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "epimanager",
            "platform-sim",
            "--port",
            "0",
            "--store",
            str(store),
            "--token",
            TOKEN,
            *extra,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line[line.index("http://") :].split("（")[0]


def _batches(store: Path) -> int:
    try:
        con = sqlite3.connect(store, timeout=10)
        try:
            return int(con.execute("SELECT COUNT(*) FROM batch").fetchone()[0])
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_kill_9_mid_upload_then_resume(db_path: Path, tmp_path: Path) -> None:
    db = open_database(db_path)
    try:
        generate(db, 150, seed=4)
    finally:
        db.close()
    store = tmp_path / "platform.sqlite"
    proc, url = _platform(store, "--delay-ms", "15", "--lost-ack-rate", "0.2", "--seed", "2")
    try:
        cmd = [
            sys.executable,
            "-m",
            "epimanager",
            "--db",
            str(db_path),
            "sync",
            "upload",
            "--url",
            url,
            "--token",
            TOKEN,
            "--batch-size",
            "100",
            "--quiet",
        ]
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        for kill_after in (3, 12):  # kill the client twice, at different points
            client = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while _batches(store) < kill_after and time.monotonic() < deadline and client.poll() is None:
                time.sleep(0.005)
            assert client.poll() is None, "the upload finished before it could be killed"
            os.kill(client.pid, signal.SIGKILL)
            client.wait(10)
        db = open_database(db_path)
        try:
            st = queue.status(db)
            assert st.sent > 0 and st.waiting > 0  # killed mid-way, with some batches done
        finally:
            db.close()
        done = run_cli("sync", "upload", "--url", url, "--token", TOKEN, "--json", db=db_path, timeout=300)
        assert done.returncode == 0, done.stderr
    finally:
        proc.terminate()
        proc.wait(10)
    db = open_database(db_path)
    try:
        assert_exactly_once(db, store)
    finally:
        db.close()
