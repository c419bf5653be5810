"""Hand-off latency of the clinic flow (issue #18: ≤ 1 s): from one desk's 完成本步骤 to the next desk's queue.

This process is the 预检台: it calls a ticket and finishes it (``visits.call`` + ``visits.finish``) and
notes the time the commit returned.  The 登记台 is another process (this script with ``--watch``) that
works as the desk window does: it drains ``db.change_feed()`` every ``--drain-ms`` (400, the window's
``FEED_POLL_MS``) and, when the feed has news, reads its queue (``visits.list_visits(db, "登记")``); it
prints each ticket it sees for the first time with the time.  The latency is the difference; the next
hand-off starts after a random pause of 0.1–0.3 s, so the hand-offs fall anywhere in the timers' cycles.

Baseline: the same 登记台 without the feed, reading its queue every 50 ms — how soon the commit can be
seen at all; the feed's cost is the difference.  Run on a throwaway PostgreSQL cluster (durable settings,
as in ``bench_server.py``) and on a SQLite file; prints p50 / p99 in ms and the ratio of p99 to the goal.

Usage::

    .venv/bin/python benchmarks/bench_handoff.py                  # 40 hand-offs per backend and mode
    .venv/bin/python benchmarks/bench_handoff.py --handoffs 200 --backends sqlite
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from epimanager.domain.validation import ChildInput  # noqa: E402
from epimanager.domain.visit import percentile  # noqa: E402
from epimanager.paths import DbLocation, ServerUrl, parse_db  # noqa: E402
from epimanager.services import visits  # noqa: E402
from epimanager.services.children import create_child  # noqa: E402
from epimanager.services.units import init_database  # noqa: E402
from epimanager.store.database import open_database  # noqa: E402

GOAL_MS = 1000.0
#: the desk window's feed timer (epimanager/ui/main_window.py FEED_POLL_MS)
DRAIN_MS = 400
BASELINE_POLL_MS = 50
#: a hand-off not seen after this long counts as lost
LOST_S = 10.0


def watch(location: str, day: date, every_ms: int, use_feed: bool) -> None:
    """The 登记台: print ``TICKET TIME`` for every ticket that joins its queue."""
    db = open_database(parse_db(location))
    db.desk = "登记台"
    feed = db.change_feed() if use_feed else None
    if feed is not None and db.server is not None:
        while feed.drain().desks is None:  # listening
            time.sleep(0.05)
    seen = {v.ticket for v in visits.list_visits(db, "登记", day=day)}
    print("ready", flush=True)
    try:
        while True:
            time.sleep(every_ms / 1000)
            if feed is not None:
                news = feed.drain()
                if not (news.everything or news.children):
                    continue
            for v in visits.list_visits(db, "登记", day=day):
                if v.ticket not in seen:
                    seen.add(v.ticket)
                    print(f"{v.ticket} {time.time():.6f}", flush=True)
    finally:
        if feed is not None:
            feed.stop()


def prepare(location: DbLocation, n: int, now: datetime) -> None:
    init_database(location, "3201020101", "基准门诊", ["东风村"])
    db = open_database(location)
    try:
        for i in range(n):
            child = create_child(db, ChildInput(f"交接{i}", "1", date(2025, 9, 1), mother_name="李梅"))
            visits.take(db, child.code, now=now)
    finally:
        db.close()


def handoffs(location: DbLocation, n: int, now: datetime, use_feed: bool, every_ms: int) -> list[float]:
    """Latencies (ms) of ``n`` hand-offs 预检 → 登记, seen by a 登记台 in another process."""
    loc = location.url if isinstance(location, ServerUrl) else str(location)
    args = [sys.executable, __file__, "--watch", loc, now.date().isoformat(), str(every_ms)]
    watcher = subprocess.Popen(
        [*args, "feed" if use_feed else "poll"],
        cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    assert watcher.stdout is not None
    out = watcher.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in out], daemon=True).start()
    if lines.get(timeout=60).strip() != "ready":
        raise SystemExit("the watching desk did not start")
    db = open_database(location)
    db.desk = "预检台"
    rng = random.Random(1)
    latencies = []
    try:
        for _ in range(n):
            ticket = visits.call(db, None, "预检", now=now).ticket
            visits.finish(db, ticket, now=now)
            done = time.time()
            try:
                seen, at = lines.get(timeout=LOST_S).split()
            except queue.Empty:
                latencies.append(LOST_S * 1000)
                continue
            assert seen == ticket, (seen, ticket)
            latencies.append((float(at) - done) * 1000)
            time.sleep(rng.uniform(0.1, 0.3))
    finally:
        db.close()
        watcher.kill()
        watcher.wait()
    return latencies


def run_backend(name: str, location: DbLocation, n: int, drain_ms: int) -> None:
    now = datetime.combine(date.today(), datetime.min.time()).replace(hour=9)
    prepare(location, 2 * n, now)
    feed = handoffs(location, n, now, True, drain_ms)
    base = handoffs(location, n, now, False, BASELINE_POLL_MS)
    f50, f99 = percentile(feed, 50) or 0, percentile(feed, 99) or 0
    b50, b99 = percentile(base, 50) or 0, percentile(base, 99) or 0
    lost = sum(1 for x in feed if x >= LOST_S * 1000)
    print(
        f"{name}: hand-off 预检 → 登记 through the change feed ({n}, drained every {drain_ms} ms): "
        f"p50 {f50:.0f} ms, p99 {f99:.0f} ms, max {max(feed):.0f} ms{f', {lost} never seen' if lost else ''}; "
        f"p99/goal {f99 / GOAL_MS:.2f}x; baseline (queue read every {BASELINE_POLL_MS} ms, no feed): "
        f"p50 {b50:.0f} ms, p99 {b99:.0f} ms"
    )


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--watch":
        watch(sys.argv[2], date.fromisoformat(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "feed")
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--handoffs", type=int, default=40)
    ap.add_argument("--drain-ms", type=int, default=DRAIN_MS)
    ap.add_argument("--backends", default="postgresql,sqlite")
    args = ap.parse_args()
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="epim-handoff-") as folder:
                run_backend("SQLite", Path(folder) / "clinic.sqlite", args.handoffs, args.drain_ms)
            continue
        from tests.helpers.pg import Cluster, bin_dir

        bindir = bin_dir()
        if bindir is None:
            print("PostgreSQL: skipped (PostgreSQL 15+ is needed: installer/bootstrap-debian.sh --dev)")
            continue
        cluster = Cluster(bindir, durable=True).start()
        try:
            import psycopg

            with psycopg.connect(cluster.url(), autocommit=True) as con:
                con.execute("CREATE DATABASE clinic")
            run_backend("PostgreSQL", parse_db(cluster.url("clinic")), args.handoffs, args.drain_ms)
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
