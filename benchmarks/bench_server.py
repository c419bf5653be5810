"""Benchmark of the clinic server (PostgreSQL) against the standalone file (SQLite) on the same data.

Starts its own throwaway PostgreSQL cluster (durable settings: fsync and synchronous_commit on, as a
clinic server runs), builds (once, then reuses) a SQLite demo clinic of ``--children`` children, and
reports:

* ``server migrate`` of that clinic onto the server: seconds and rows/s;
* F3 search p50 / p99 on PostgreSQL over loopback for the issue's query mix, and the ratio to SQLite
  on the same data (same queries, same process);
* dose save p50 / p99 on PostgreSQL (one desk), and saves/s of 4 desk processes at once;
* 表6-1 on the server, cold (first run: stores each child's rows) and warm.

Usage::

    nice -n 10 .venv/bin/python benchmarks/bench_server.py --children 200000
    .venv/bin/python benchmarks/bench_server.py --children 1000000 --queries 300 --no-report

A clinic of 200,000 or 1,000,000 children takes hours through ``epimanager demo``: make it from the
20,000-child one with ``benchmarks/build_replica.py`` (``--times 10`` / ``--times 50``) first.
"""

from __future__ import annotations

import argparse
import inspect
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_search import SPEC_MIX, _default_db, _pct, _time, build_database, sample_queries  # noqa: E402

from epimanager.domain.validation import DoseInput  # noqa: E402
from epimanager.paths import ServerUrl, parse_db  # noqa: E402
from epimanager.services.doses import add_dose  # noqa: E402
from epimanager.services.reports.report_6_1 import report_6_1  # noqa: E402
from epimanager.services.search import search  # noqa: E402
from epimanager.services.server import move_to_server  # noqa: E402
from epimanager.services.stock.movements import receive  # noqa: E402
from epimanager.store.database import Database, open_database  # noqa: E402
from tests.helpers.pg import Cluster, bin_dir  # noqa: E402

#: the saves are about speed, not the schedule: confirmed as the service asks
CONFIRM = {"confirm_invalid": True}
if "confirm_duplicate" in inspect.signature(add_dose).parameters:
    CONFIRM["confirm_duplicate"] = True


def search_figures(db: Database, queries: dict[str, list[str]]) -> tuple[float, float]:
    mix = [q for kind in SPEC_MIX for q in queries[kind]]
    for q in mix[:100]:  # warm
        search(db, q)
    times = [_time(partial(search, db, q)) for q in mix]
    return _pct(times, 50), _pct(times, 99)


def dose_saves(db: Database, n: int) -> tuple[float, float]:
    with db.session() as s:
        from sqlalchemy import text

        codes = [
            r[0]
            for r in s.execute(
                text("SELECT code FROM child WHERE deleted = false AND birth_date < '2015-01-01' ORDER BY id LIMIT 200")
            )
        ]
    times = []
    for i in range(n):
        inp = DoseInput("HepB", 1, date(2016, 1, 2) + timedelta(days=i))
        times.append(
            _time(partial(add_dose, db, codes[i % len(codes)], inp, confirm_invalid=True, confirm_duplicate=True))
        )
    return _pct(times, 50), _pct(times, 99)


def desks_per_second(location: ServerUrl, desks: int, saves: int) -> float:
    db = open_database(location)
    # the desks draw on one batch in stock, as a clinic's 接种台 do
    receive(db, vaccine="HepB", batch_no="B-DESKS", expiry=date(2030, 1, 1), quantity=desks * saves + 10,
            manufacturer="北京天坛", on=date(2019, 1, 1))  # fmt: skip
    with db.session() as s:
        from sqlalchemy import text

        shared = [
            r[0]
            for r in s.execute(
                text(
                    "SELECT code FROM child WHERE deleted = false AND birth_date < '2015-01-01' "
                    f"ORDER BY id DESC LIMIT {desks * saves}"
                )
            )
        ]
    db.close()
    go = Path(tempfile.mkdtemp()) / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.helpers.desk",
                location.url,
                f"desk{k}",
                "0",
                str(saves),
                str(k * saves),
                ",".join(shared),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            # each save: today's dose for a child no other save touches, as a clinic's desks record them
            env=dict(os.environ, PYTHONPATH=str(REPO), EPIMANAGER_DESK_GO=str(go), EPIMANAGER_DESK_TODAY="1"),
        )
        for k in range(desks)
    ]
    for p in procs:  # every desk started (interpreter, imports, connection): not part of the figure
        assert p.stdout is not None
        if p.stdout.readline().strip() != "ready":
            raise SystemExit("a desk process failed to start")
    started = time.perf_counter()
    go.touch()
    for p in procs:
        p.communicate()
        if p.returncode != 0:
            raise SystemExit("a desk process failed")
    return desks * saves / (time.perf_counter() - started)


def move(cluster: Cluster, path: Path) -> ServerUrl:
    import psycopg

    with psycopg.connect(cluster.url(), autocommit=True) as con:
        con.execute("CREATE DATABASE clinic")
    location = parse_db(cluster.url("clinic"))
    assert isinstance(location, ServerUrl)
    moved = move_to_server(path, location)
    print(f"server migrate: {moved.rows:,} rows in {moved.seconds:.1f} s = {moved.rows / moved.seconds:,.0f} rows/s")
    return location


def report_figures(server: Database, children: int) -> None:
    from sqlalchemy import text

    period = date.today().replace(day=1) - timedelta(days=1)
    t = time.perf_counter()
    report_6_1(server, period.strftime("%Y-%m"))
    cold = time.perf_counter() - t
    warm = []
    for _ in range(3):
        t = time.perf_counter()
        report_6_1(server, period.strftime("%Y-%m"))
        warm.append(time.perf_counter() - t)
    first = []
    for _ in range(3):  # each child's rows stored, the cells of the month's vaccinated children not kept yet
        with server.transaction() as s:
            s.execute(text("DELETE FROM report_cells"))
        t = time.perf_counter()
        report_6_1(server, period.strftime("%Y-%m"))
        first.append(time.perf_counter() - t)
    print(
        f"表6-1 on PostgreSQL, {children:,} children: cold {cold:.1f} s (stores each child's rows), "
        f"warm {min(warm):.2f} s best of 3 (all: {', '.join(f'{w:.2f}' for w in warm)}), "
        f"first run of the month {min(first):.2f} s best of 3 (all: {', '.join(f'{w:.2f}' for w in first)})"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200, help="queries per type")
    ap.add_argument("--saves", type=int, default=200)
    ap.add_argument("--desks-only", action="store_true", help="only the dose saves (one desk, then 4 at once)")
    ap.add_argument("--keep", action="store_true", help="leave the cluster running at the end (its URL is printed)")
    ap.add_argument("--move-only", action="store_true", help="only the move; the cluster is kept (as --keep)")
    ap.add_argument("--server", metavar="URL", help="a server database the clinic was already moved to (no move)")
    ap.add_argument("--no-report", action="store_true", help="leave out 表6-1 (its cold run stores every child's rows)")
    args = ap.parse_args()
    bindir = bin_dir()
    if bindir is None:
        raise SystemExit("PostgreSQL 15+ is needed (installer/bootstrap-debian.sh --dev)")
    path = _default_db(args.children)
    built = build_database(path, args.children, seed=1)
    print(
        f"SQLite demo clinic: {path} ({args.children:,} children){'' if built is None else f', built in {built:.0f} s'}"
    )
    cluster = None if args.server else Cluster(bindir, durable=True).start()
    try:
        if cluster is None:
            location = parse_db(args.server)
            assert isinstance(location, ServerUrl)
        else:
            location = move(cluster, path)
            if args.move_only:
                args.keep = True
                return 0
        lite = open_database(path)
        server = open_database(location)
        if args.desks_only:
            d50, d99 = dose_saves(server, args.saves)
            print(f"dose save, one desk on PostgreSQL: p50 {d50:.1f} ms p99 {d99:.1f} ms")
            rate = desks_per_second(location, 4, args.saves)
            print(f"4 desk processes at once on PostgreSQL: {rate:.0f} dose saves/s in all")
            return 0
        queries = sample_queries(lite, args.queries, seed=7)
        s50, s99 = search_figures(lite, queries)
        p50, p99 = search_figures(server, queries)
        print(f"F3 search (issue mix, {sum(len(queries[k]) for k in SPEC_MIX)} queries): "
              f"PostgreSQL p50 {p50:.2f} ms p99 {p99:.2f} ms; SQLite p50 {s50:.2f} ms p99 {s99:.2f} ms; "
              f"ratio PG/SQLite p50 {p50 / s50:.1f}x p99 {p99 / s99:.1f}x")  # fmt: skip
        d50, d99 = dose_saves(server, args.saves)
        print(f"dose save, one desk on PostgreSQL: p50 {d50:.1f} ms p99 {d99:.1f} ms")
        rate = desks_per_second(location, 4, args.saves)
        print(f"4 desk processes at once on PostgreSQL: {rate:.0f} dose saves/s in all")
        if not args.no_report:
            report_figures(server, args.children)
        lite.close()
        server.close()
    finally:
        if cluster is not None and args.keep:
            print(f"cluster left running: {cluster.url('clinic')} (data {cluster.data}; stop with pg_ctl -D … stop)")
        elif cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
