"""Cold start of the desktop client to a usable main window, and the UI-thread calls of a visit.

Run (on the 1M-child demo database, built once by bench_search.py / ``epimanager demo``)::

    nice -n 10 .venv/bin/python benchmarks/bench_startup.py                    # 1M database
    .venv/bin/python benchmarks/bench_startup.py --db benchmarks/.cache/demo-20000.sqlite --runs 3

Each run is a fresh Python process (``QT_QPA_PLATFORM=offscreen``): import Qt and the app,
open (and migrate) the database, build and show the main window, and wait until the event
loop has painted it.  "usable" = the first event-loop turn after ``show()``; the counts on the
empty screen and the upload count arrive later from worker threads and are reported apart.
``--drop-cache`` evicts the database file from the OS page cache first (``posix_fadvise``
DONTNEED, this file only), the closest to a cold clinic PC we can get without a reboot.

Then, in the same process, it times what runs on the UI thread during a visit on that
database: open a child (read + forecast + fill both views) and the duplicate check of the
new-child form; and, for reference, the calls the GUI runs on worker threads (batch
proposals of the dose form, quick search).
Target: cold start ≤ 2 s; every UI-thread call ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DB = REPO / "benchmarks" / ".cache" / "demo-1m.sqlite"

CHILD = r"""
import json, os, sys, time
t0 = time.time()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from epimanager.ui.fonts import apply_cjk_font
apply_cjk_font(app)
t_qt = time.time()
from epimanager.store.database import open_database
from epimanager.ui.main_window import MainWindow
from epimanager import settings
t_import = time.time()
db = open_database(__import__("pathlib").Path(sys.argv[1]))
t_db = time.time()
w = MainWindow(db, settings.load())
w.show()
t_shown = time.time()
marks = {}
def ready():
    marks["usable"] = time.time()
QTimer.singleShot(0, ready)
def poll():
    if "usable" in marks and "—" not in w.status.pending_label.text() and "儿童个案" in w.summary.text():
        marks["counts"] = time.time()
        app.quit()
timer = QTimer(); timer.timeout.connect(poll); timer.start(10)
QTimer.singleShot(60000, app.quit)
app.exec()
print(json.dumps({"t0": t0, "qt": t_qt, "imports": t_import, "db": t_db, "shown": t_shown, **marks}))
"""


def schema_current(db: Path) -> bool:
    from epimanager.store.engine import make_engine
    from epimanager.store.migrate import schema_state

    engine = make_engine(db)
    try:
        return schema_state(engine).current
    finally:
        engine.dispose()


def drop_cache(db: Path) -> None:
    for p in (db, db.with_name(db.name + "-wal")):
        if p.exists():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def one_run(db: Path, data_dir: Path, cold: bool) -> dict[str, float]:
    if cold:
        drop_cache(db)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", EPIMANAGER_DATA_DIR=str(data_dir))
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(db)], env=env, cwd=REPO, capture_output=True, text=True, check=True
    )
    marks = json.loads(out.stdout.strip().splitlines()[-1])
    res = {
        "python+Qt": marks["qt"] - start,
        "imports": marks["imports"] - marks["qt"],
        "open db": marks["db"] - marks["imports"],
        "window": marks["shown"] - marks["db"],
        "usable": marks["usable"] - start,
    }
    if "counts" in marks:
        res["counts shown"] = marks["counts"] - start
    return res


def ui_thread_calls(db_path: Path) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from datetime import date

    from PySide6.QtWidgets import QApplication

    from epimanager.services.children import get_child
    from epimanager.services.search import search
    from epimanager.services.ui_support import batch_proposals, find_duplicates
    from epimanager.settings import Settings
    from epimanager.store.database import open_database
    from epimanager.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    db = open_database(db_path)
    w = MainWindow(db, Settings())
    w.show()
    app.processEvents()
    rows = search(db, "zhang", limit=50).rows
    codes = [r.child_code for r in rows][:20]
    times: dict[str, list[float]] = {
        "open child": [],
        "duplicate check": [],
        "batch proposals (worker)": [],
        "search (worker)": [],
    }
    today = date.today()
    for code in codes:
        t = time.perf_counter()
        w.current.open(code)
        app.processEvents()
        times["open child"].append(time.perf_counter() - t)
        child = get_child(db, code)
        t = time.perf_counter()
        batch_proposals(db, "0201", today)
        times["batch proposals (worker)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        find_duplicates(db, child.name, child.birth_date, child.mother_name, child.id_number)
        times["duplicate check"].append(time.perf_counter() - t)
    for q in ("zhanghao", "lpp", "2013-01", "王", "liu"):
        t = time.perf_counter()
        search(db, q)
        times["search (worker)"].append(time.perf_counter() - t)
    w.close()
    db.close()
    return {k: max(v) for k, v in times.items()} | {f"{k} (median)": statistics.median(v) for k, v in times.items()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, default=DEFAULT_DB)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--drop-cache", action="store_true", help="evict the database file from the page cache first")
    ap.add_argument("--migrate", action="store_true", help="migrate an out-of-date database first (backs it up)")
    args = ap.parse_args()
    if not args.db.exists():
        print(f"no database at {args.db}; build it with: epimanager --db {args.db} init … && … demo --children N")
        return 2
    if not args.migrate and not schema_current(args.db):
        print(
            f"{args.db} is not at the current schema: opening it would back it up (a full copy) and migrate it.\n"
            "Run again with --migrate to do that once, untimed."
        )
        return 2
    data_dir = REPO / "benchmarks" / ".cache" / "startup-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"database: {args.db} ({args.db.stat().st_size / 1e9:.1f} GB)")
    one_run(args.db, data_dir, cold=False)  # first open (migrates with --migrate); not timed
    for label, cold in (("warm page cache", False), ("database evicted from page cache", True)):
        if cold and not args.drop_cache:
            continue
        runs = [one_run(args.db, data_dir, cold) for _ in range(args.runs)]
        print(f"\ncold process start, {label}: {args.runs} runs, median (max) seconds")
        for key in runs[0]:
            vals = [r[key] for r in runs if key in r]
            print(f"  {key:14s} {statistics.median(vals):6.3f}  ({max(vals):.3f})")
        usable = statistics.median(r["usable"] for r in runs)
        print(f"  usable main window: {usable:.2f} s — target 2.0 s, ratio {usable / 2.0:.2f}")
    print("\nCalls during a visit (max / median of 20 children), ms — UI-thread target 100 ms")
    calls = ui_thread_calls(args.db)
    for key, v in calls.items():
        print(f"  {key:26s} {v * 1000:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
