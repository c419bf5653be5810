"""表6-1 speed on the 200,000-child demo database (target ≤ 3 s for one month).

Usage: python benchmarks/bench_report.py [--children 200000] [--db PATH] [--month YYYY-MM]

Builds the demo database once (cached under benchmarks/.cache/), then times
``report_6_1`` for one month (by default the previous one, so the demo's
doses of the current month are "after the month"):

* cold: first run with no stored rows (after installing or after a schedule
  upgrade) — every child is forecast and its rows are stored;
* warm: later runs (best and median);
* first run of the month: each child's rows stored, but not the cells of the children vaccinated in
  the month (kept by a report of that month, as the warm runs use them) — they are all forecast;
* after a day's work: 100 children's rows dropped by the triggers (as when
  their doses are recorded), then one run.

Baseline: a plain SQL count of the month's doses by vaccine (what any report
must at least read).  Prints the figures and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import text

from epimanager.domain.dates import add_months
from epimanager.services.reports.report_6_1 import report_6_1
from epimanager.store.database import open_database

HERE = Path(__file__).resolve().parent


def build(db: Path, children: int) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    run = [sys.executable, "-m", "epimanager", "--db", str(db)]
    subprocess.run([*run, "init", "--unit", "3201020101", "--unit-name", "基准测试门诊"], check=True)
    t = time.perf_counter()
    subprocess.run([*run, "demo", "--children", str(children), "--seed", "1", "--quiet"], check=True)
    print(f"demo database built in {time.perf_counter() - t:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=200_000)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--month")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    db_path = a.db or HERE / ".cache" / f"demo-{a.children}.sqlite"
    if not db_path.exists():
        build(db_path, a.children)
    month = a.month or add_months(date.today().replace(day=1), -1).strftime("%Y-%m")
    db = open_database(db_path)
    with db.transaction() as s:
        s.execute(text("DELETE FROM report_due"))
        s.execute(text("DELETE FROM report_state"))
        s.execute(text("DELETE FROM report_cells"))
    t = time.perf_counter()
    report = report_6_1(db, month)
    cold = time.perf_counter() - t
    times = []
    for _ in range(a.runs):
        t = time.perf_counter()
        again = report_6_1(db, month)
        times.append(time.perf_counter() - t)
        assert again["rows"] == report["rows"]
    firsts = []
    for _ in range(a.runs):
        with db.transaction() as s:
            s.execute(text("DELETE FROM report_cells"))
        t = time.perf_counter()
        again = report_6_1(db, month)
        firsts.append(time.perf_counter() - t)
        assert again["rows"] == report["rows"]
    with db.transaction() as s:  # touching a dose's date fires the same triggers as recording one
        s.execute(
            text("UPDATE dose SET date = date WHERE id IN (SELECT max(id) FROM dose GROUP BY child_id LIMIT 100)")
        )
    t = time.perf_counter()
    report_6_1(db, month)
    day = time.perf_counter() - t
    start, end = f"{month}-01", f"{month}-31"
    base = []
    for _ in range(a.runs):
        t = time.perf_counter()
        with db.session() as s:
            s.connection().exec_driver_sql(
                "SELECT vaccine_code, count(*) FROM dose WHERE deleted = 0 AND date >= ? AND date <= ? "
                "GROUP BY vaccine_code",
                (start, end),
            ).all()
        base.append(time.perf_counter() - t)
    db.close()
    due = sum(report["total"]["due"].values())
    given = sum(report["total"]["given"].values())
    best, med = min(times), statistics.median(times)
    print(f"6-1 {month} on {a.children:,} children (应种 {due:,} doses, 实种 {given:,}):")
    print(f"  cold (computes and stores every child's rows): {cold:.2f} s")
    print(f"  warm: best {best:.2f} s, median {med:.2f} s of {a.runs}")
    print(
        f"  first run of the month (children's rows stored, the month's vaccinated forecast): best {min(firsts):.2f} s,"
        f" median {statistics.median(firsts):.2f} s of {a.runs}"
    )
    print(f"  after 100 children's doses changed: {day:.2f} s")
    print(f"baseline (SQL count of the month's doses): {min(base) * 1000:.1f} ms; warm ratio {best / min(base):.0f}x")


if __name__ == "__main__":
    main()
