"""Benchmark of the F3 quick search on a big demo database.

Builds (once, then reuses) a demo database with ``epimanager init`` +
``epimanager demo``, then reports:

* p50 / p99 latency of :func:`epimanager.services.search.search` per query
  type (initials of 2–3 letters, full pinyin, as-you-type pinyin prefixes,
  Chinese names, mothers' names, birth year / year-month, codes), over
  queries sampled from the data itself;
* the same for a raw ``sqlite3`` indexed lookup (the floor: one index range
  or probe, first 50 rows of ``id, name, birth_date``, no ranking);
* the time to build the search index for every child (``bulk_index``, caches
  cold) and to create the three name indexes;
* the size of the search index (``child_search_key`` + its child_id index +
  the name indexes) as a share of the database file (``dbstat``).

Usage::

    nice -n 10 .venv/bin/python benchmarks/bench_search.py                 # 1,000,000 children
    .venv/bin/python benchmarks/bench_search.py --children 20000 --queries 50   # quick check

The database is cached under ``benchmarks/.cache/`` (git-ignored) or at
``--db`` / ``$EPIMANAGER_BENCH_DB``.  ``--no-rebuild`` skips the index-build
timing (which rewrites every key of the cached database).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from epimanager.domain.search import keys as keymod  # noqa: E402
from epimanager.domain.search.query import next_prefix, normalize_pinyin  # noqa: E402
from epimanager.services.search import search  # noqa: E402
from epimanager.services.search_index import bulk_index  # noqa: E402
from epimanager.store.database import Database, open_database  # noqa: E402

SEARCH_OBJECTS = (
    "child_search_key",
    "ix_child_search_key_child_id",
    "ix_child_name",
    "ix_child_mother_name",
    "ix_child_father_name",
)


def _default_db(children: int) -> Path:
    env = os.environ.get("EPIMANAGER_BENCH_DB")
    if env:
        return Path(env)
    label = f"{children // 1_000_000}m" if children % 1_000_000 == 0 else str(children)
    return REPO / "benchmarks" / ".cache" / f"demo-{label}.sqlite"


def _cli(db: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "epimanager", "--db", str(db), *args]
    subprocess.run(cmd, check=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))


def build_database(db: Path, children: int, seed: int) -> float | None:
    """Create the demo database unless it exists; returns seconds spent (None = reused)."""
    if db.exists():
        return None
    db.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    _cli(db, "init", "--unit", "3201020101", "--unit-name", "测试接种门诊")
    _cli(db, "demo", "--children", str(children), "--seed", str(seed), "--quiet")
    return time.perf_counter() - t


def _initials(name: str) -> str:
    return "".join(u[0][0][0] for u in keymod.name_units(name))


def sample_queries(db: Database, per_type: int, seed: int) -> dict[str, list[str]]:
    """Realistic queries taken from random children of the database."""
    rng = random.Random(seed)
    with db.session() as s:
        max_id = s.execute(text("SELECT MAX(id) FROM child")).scalar_one()
        ids = rng.sample(range(1, max_id + 1), min(max_id, per_type * 3))
        rows = list(
            s.execute(
                text(
                    "SELECT name, mother_name, birth_date, code, phone, id_number FROM child "
                    "WHERE id IN (SELECT value FROM json_each(:ids))"
                ),
                {"ids": json.dumps(ids)},
            ).all()
        )
    rng.shuffle(rows)
    rows = rows[:per_type]
    q: dict[str, list[str]] = {k: [] for k in _TYPES}
    for name, mother, birth, code, phone, idn in rows:
        ini = _initials(name)
        full = keymod.primary_pinyin(name)
        q["initials-2"].append(ini[:2])
        q["initials-3"].append(ini[:3] if len(ini) >= 3 else ini + "x")
        q["full pinyin"].append(full)
        q["pinyin as typed"].append(full[: rng.randint(3, max(3, len(full) - 1))])
        q["hanzi name"].append(name)
        q["mother hanzi"].append(mother or name)
        q["mother pinyin"].append(keymod.primary_pinyin(mother or name))
        q["birth year-month"].append(str(birth)[:7])
        q["birth year"].append(str(birth)[:4])
        q["codes"].append(rng.choice([c for c in (code, phone, idn) if c]))
        q[PART].append(name[-2:] if len(name) >= 3 else name[-1])
    return q


#: A part of the name (the given name): the unindexed fallback, reported apart.
PART = "hanzi part (scan)"
_TYPES = (
    "initials-2",
    "initials-3",
    "full pinyin",
    "pinyin as typed",
    "hanzi name",
    "mother hanzi",
    "mother pinyin",
    "birth year-month",
    "birth year",
    "codes",
    PART,
)
#: The issue's benchmark mix.
SPEC_MIX = ("initials-2", "initials-3", "full pinyin", "birth year-month", "codes")


def baseline_runner(path: Path) -> Callable[[str, str], int]:
    """A raw sqlite3 lookup for each query type: one index range / probe, 50 rows."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA query_only=1")

    def run(kind: str, q: str) -> int:
        if kind in ("initials-2", "initials-3", "full pinyin", "pinyin as typed", "mother pinyin"):
            p = normalize_pinyin(q)
            sql = (
                "SELECT c.id, c.name, c.birth_date FROM child_search_key k JOIN child c ON c.id = k.child_id "
                "WHERE k.key >= ? AND k.key < ? LIMIT 50"
            )
            return len(con.execute(sql, (p, next_prefix(p))).fetchall())
        if kind == PART:
            sql = "SELECT id, name, birth_date FROM child WHERE name LIKE ? LIMIT 50"
            return len(con.execute(sql, (f"%{q}%",)).fetchall())
        if kind in ("hanzi name", "mother hanzi"):
            col = "name" if kind == "hanzi name" else "mother_name"
            sql = f"SELECT id, name, birth_date FROM child WHERE {col} >= ? AND {col} < ? LIMIT 50"
            return len(con.execute(sql, (q, next_prefix(q))).fetchall())
        if kind.startswith("birth"):
            start = q + ("-01" if len(q) == 7 else "-01-01")
            end = (f"{int(q) + 1}-01-01") if len(q) == 4 else _next_month(q)
            sql = "SELECT id, name, birth_date FROM child WHERE birth_date >= ? AND birth_date < ? LIMIT 50"
            return len(con.execute(sql, (start, end)).fetchall())
        sql = (
            "SELECT id, name, birth_date FROM child WHERE code = ? UNION SELECT id, name, birth_date FROM child "
            "WHERE phone = ? UNION SELECT id, name, birth_date FROM child WHERE id_number = ?"
        )
        return len(con.execute(sql, (q, q, q)).fetchall())

    return run


def _next_month(ym: str) -> str:
    y, m = int(ym[:4]), int(ym[5:7])
    return f"{y + (m == 12)}-{m % 12 + 1:02d}-01"


def _time(fn: Callable[[], Any]) -> float:
    t = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - t) / 1e6


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def measure(db: Database, path: Path, queries: dict[str, list[str]]) -> dict[str, Any]:
    """p50 / p99 (ms) per query type, service and baseline; queries run twice, second pass timed."""
    base = baseline_runner(path)
    out: dict[str, Any] = {}
    all_service: list[float] = []
    all_base: list[float] = []
    spec_service: list[float] = []
    spec_base: list[float] = []
    for kind, qs in queries.items():
        for q in qs[:20]:  # warm the page cache a little (a clinic PC has the DB in its cache after use)
            search(db, q)
            base(kind, q)
        svc = [_time(partial(search, db, q)) for q in qs]
        raw = [_time(partial(base, kind, q)) for q in qs]
        rows = [len(search(db, q).rows) for q in qs[:50]]
        more = sum(search(db, q).more for q in qs[:50])
        out[kind] = {
            "n": len(qs),
            "service_p50": _pct(svc, 50),
            "service_p99": _pct(svc, 99),
            "baseline_p50": _pct(raw, 50),
            "baseline_p99": _pct(raw, 99),
            "avg_rows": statistics.mean(rows) if rows else 0,
            "more_share": more / max(1, min(50, len(qs))),
            "example": qs[0] if qs else "",
        }
        if kind in SPEC_MIX:
            spec_service += svc
            spec_base += raw
        if kind != PART:
            all_service += svc
            all_base += raw
    for label, svc, raw in (("MIX (issue types)", spec_service, spec_base), ("ALL but scan", all_service, all_base)):
        out[label] = {
            "n": len(svc),
            "service_p50": _pct(svc, 50),
            "service_p99": _pct(svc, 99),
            "baseline_p50": _pct(raw, 50),
            "baseline_p99": _pct(raw, 99),
            "avg_rows": 0,
            "more_share": 0,
            "example": "",
        }
    return out


def index_build(db: Database) -> dict[str, float]:
    """Rebuild every child's search keys with cold caches, and the name indexes; seconds."""
    keymod._name_key_forms.cache_clear()
    keymod.char_readings.cache_clear()
    res: dict[str, float] = {}
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA cache_size=-262144")
        t = time.perf_counter()
        conn.execute(text("DELETE FROM child_search_key"))
        conn.commit()
        res["delete_keys_s"] = time.perf_counter() - t
        t = time.perf_counter()
        children = conn.execute(text("SELECT id, name, mother_name, father_name FROM child ORDER BY id")).all()
        res["key_rows"] = bulk_index(conn, [(r[0], r[1], r[2], r[3]) for r in children])
        conn.commit()
        res["bulk_index_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for ix, col in (
            ("ix_child_name", "name"),
            ("ix_child_mother_name", "mother_name"),
            ("ix_child_father_name", "father_name"),
        ):
            conn.execute(text(f"DROP INDEX {ix}"))
            conn.execute(text(f"CREATE INDEX {ix} ON child ({col})"))
        conn.commit()
        res["name_indexes_s"] = time.perf_counter() - t
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return res


def sizes(path: Path) -> dict[str, float]:
    """MB per object group, via dbstat."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        per = dict(con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
        total = con.execute("PRAGMA page_count").fetchone()[0] * con.execute("PRAGMA page_size").fetchone()[0]
    finally:
        con.close()
    search_bytes = sum(per.get(n, 0) for n in SEARCH_OBJECTS)
    child_bytes = sum(
        v for k, v in per.items() if k == "child" or k.startswith(("ix_child_", "sqlite_autoindex_child_"))
    )
    child_bytes -= sum(per.get(n, 0) for n in SEARCH_OBJECTS if n.startswith("ix_child_") and "search" not in n)
    return {
        "db_mb": total / 1e6,
        "search_index_mb": search_bytes / 1e6,
        "search_index_pct_of_db": 100 * search_bytes / total,
        "child_table_and_indexes_mb": child_bytes / 1e6,
        **{f"{n}_mb": per.get(n, 0) / 1e6 for n in SEARCH_OBJECTS},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--children", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--queries", type=int, default=300, help="queries per type")
    ap.add_argument("--no-rebuild", action="store_true", help="skip the index-build timing")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = ap.parse_args()
    path = args.db or _default_db(args.children)
    built = build_database(path, args.children, args.seed)
    print(f"database: {path}" + (f" (built in {built:.0f} s)" if built else " (reused)"))
    db = open_database(path)
    try:
        with db.session() as s:
            n = s.execute(text("SELECT COUNT(*) FROM child")).scalar_one()
            nk = s.execute(text("SELECT COUNT(*) FROM child_search_key")).scalar_one()
        print(f"children: {n:,}   search keys: {nk:,} ({nk / max(n, 1):.1f} per child)")
        report: dict[str, Any] = {"children": n, "keys": nk}
        if not args.no_rebuild:
            report["build"] = index_build(db)
            b = report["build"]
            print(
                f"index build: bulk_index {b['bulk_index_s']:.1f} s for {int(b['key_rows']):,} keys "
                f"(+ name indexes {b['name_indexes_s']:.1f} s; clearing old keys {b['delete_keys_s']:.1f} s)"
            )
        report["size"] = sizes(path)
        z = report["size"]
        print(
            f"size: database {z['db_mb']:.0f} MB, search index {z['search_index_mb']:.0f} MB "
            f"= {z['search_index_pct_of_db']:.1f} % of the database "
            f"(child table + its other indexes: {z['child_table_and_indexes_mb']:.0f} MB)"
        )
        for name in SEARCH_OBJECTS:
            print(f"    {name:32s} {z[name + '_mb']:8.1f} MB")
        queries = sample_queries(db, args.queries, args.seed)
        report["latency"] = measure(db, path, queries)
    finally:
        db.close()
    print()
    print(
        f"{'query type':18s} {'n':>5s} {'svc p50':>8s} {'svc p99':>8s} {'raw p50':>8s} {'raw p99':>8s} "
        f"{'rows':>5s} {'more':>5s}  example"
    )
    for kind, r in report["latency"].items():
        print(
            f"{kind:18s} {r['n']:5d} {r['service_p50']:8.2f} {r['service_p99']:8.2f} "
            f"{r['baseline_p50']:8.3f} {r['baseline_p99']:8.3f} {r['avg_rows']:5.1f} {r['more_share']:5.0%}  "
            f"{r['example']}"
        )
    print("(ms; svc = epimanager.services.search.search, limit 50, ranked; raw = one sqlite3 index lookup, 50 rows)")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
