"""A large benchmark clinic made from a smaller demo clinic, in minutes instead of hours.

``epimanager demo`` wrote ~100–200 children a second on a loaded machine (2026-12-06) and 2,200–2,400
on an idle one (2026-12-07: 200,000 children in 85 s); a 1,000,000-child clinic takes hours when the
machine is shared.  This script copies a built demo
clinic ``--times`` times into one SQLite file:

* every copy's children get **fresh** names, mothers' and fathers' names (drawn from the demo's
  name pools with their weights), ID numbers, phone numbers, 出生证号, uuids and child codes (another
  建档单位 per copy, so codes stay unique with 4-digit serials), and their own search keys (built by
  the program's own indexer);
* their dose histories, birth dates, sexes, statuses, residences and 区域划分 are the original's
  (so every copy has the demo's realistic schedule delays and gaps), with fresh uuids;
* the outbox holds a pending entry for every child and dose, as after the demo; 表6-1's stored
  rows are copied with the doses they were made from.

The report-state triggers and the secondary indexes are dropped during the copy and made again
(from their own stored SQL) at the end.

Usage::

    .venv/bin/python benchmarks/build_replica.py --from benchmarks/.cache/demo-20000.sqlite \\
        --times 50 --to benchmarks/.cache/demo-1m.sqlite
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from epimanager.domain.identifiers import id_check_char  # noqa: E402
from epimanager.resources import load_json  # noqa: E402
from epimanager.services.search_index import bulk_index  # noqa: E402
from epimanager.store.database import open_database  # noqa: E402

#: tables copied with their rows' child ids moved (dose ids and uuids too)
_CHILD_TABLES = ("report_state", "report_due")


def _weighted(pairs: list[list[object]]) -> tuple[list[str], list[int]]:
    return [str(p[0]) for p in pairs], [int(str(p[1])) for p in pairs]


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]


def replicate(source: Path, target: Path, times: int, seed: int = 3) -> None:
    if target.exists():
        raise SystemExit(f"{target} exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    open_database(target).close()  # brings the copy to this program's schema
    con = sqlite3.connect(target, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-524288")
    extras = con.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND ("
        "type = 'trigger' OR (type = 'index' AND tbl_name IN ('dose', 'sync_outbox', 'child')))"
    ).fetchall()
    for kind, name, _ in extras:
        con.execute(f"DROP {kind.upper()} {name}")

    names = load_json("demo_names.json")
    surnames, surname_w = _weighted(names["surnames"])
    boy, girl, common = names["given_boy"], names["given_girl"], names["given_common"]
    rng = random.Random(seed)
    child_cols = _columns(con, "child")
    col = {c: i for i, c in enumerate(child_cols)}
    base = con.execute(f"SELECT {', '.join(child_cols)} FROM child ORDER BY id").fetchall()
    n_child = con.execute("SELECT max(id) FROM child").fetchone()[0]
    n_dose = con.execute("SELECT max(id) FROM dose").fetchone()[0]
    n_out = con.execute("SELECT max(id) FROM sync_outbox").fetchone()[0]
    dose_cols = _columns(con, "dose")
    out_cols = _columns(con, "sync_outbox")
    db = open_database(target)
    started = time.perf_counter()
    for k in range(1, times):
        prefix = f"{k:08x}"
        rows, index_rows = [], []
        for r in base:
            row = list(r)
            cid = r[col["id"]] + k * n_child
            sex = r[col["sex"]]
            surname = rng.choices(surnames, surname_w)[0]
            pool = boy if sex == "1" else girl
            given = rng.choice(pool) + (rng.choice(pool + common) if rng.random() < 0.75 else "")
            name = surname + given
            mother = rng.choices(surnames, surname_w)[0] + rng.choice(girl) + rng.choice(girl)
            father = surname + rng.choice(boy) + (rng.choice(boy) if rng.random() < 0.6 else "")
            row[col["id"]] = cid
            row[col["uuid"]] = prefix + r[col["uuid"]][8:]
            row[col["code"]] = f"{r[col['code']][:6]}92{k:02d}{r[col['code']][10:]}"
            row[col["name"]], row[col["mother_name"]], row[col["father_name"]] = name, mother, father
            if r[col["id_number"]]:
                seq = rng.randrange(0, 500) * 2 + (1 if sex == "1" else 0)
                first17 = f"{r[col['id_number']][:14]}{seq:03d}"
                row[col["id_number"]] = first17 + id_check_char(first17)
            row[col["phone"]] = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            row[col["birth_cert_no"]] = f"{'ABCDEFGHJK'[rng.randrange(10)]}{rng.randrange(10**9):09d}"
            rows.append(row)
            index_rows.append((cid, name, mother, father))
        con.execute("BEGIN")
        con.executemany(f"INSERT INTO child VALUES ({', '.join('?' * len(child_cols))})", rows)
        sel = {c: c for c in dose_cols}
        sel.update(
            id=f"id + {k * n_dose}",
            child_id=f"child_id + {k * n_child}",
            uuid=f"'{prefix}' || substr(uuid, 9)",
        )
        con.execute(
            f"INSERT INTO dose ({', '.join(dose_cols)}) SELECT {', '.join(sel[c] for c in dose_cols)} "
            f"FROM dose WHERE id <= {n_dose}"
        )
        sel = {c: c for c in out_cols}
        sel.update(id=f"id + {k * n_out}", uuid=f"'{prefix}' || substr(uuid, 9)")
        con.execute(
            f"INSERT INTO sync_outbox ({', '.join(out_cols)}) SELECT {', '.join(sel[c] for c in out_cols)} "
            f"FROM sync_outbox WHERE id <= {n_out}"
        )
        for table in _CHILD_TABLES:
            cols = [c for c in _columns(con, table) if c != "id"]  # report_due's own ids: new ones
            sel = {c: c for c in cols}
            sel["child_id"] = f"child_id + {k * n_child}"
            con.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(sel[c] for c in cols)} "
                f"FROM {table} WHERE child_id <= {n_child}"
            )
        con.execute("COMMIT")
        with db.engine.begin() as conn:
            bulk_index(conn, index_rows)
        print(f"\rcopy {k + 1}/{times}: {(k + 1) * len(base):,} children, {time.perf_counter() - started:.0f} s",
              end="", file=sys.stderr, flush=True)  # fmt: skip
    db.close()
    print(file=sys.stderr)
    for _, _, sql in extras:
        con.execute(sql)
    con.execute("ANALYZE")
    con.close()
    db = open_database(target)
    with db.session() as s:
        count = s.execute(text("SELECT count(*) FROM child")).scalar_one()
        doses = s.execute(text("SELECT count(*) FROM dose")).scalar_one()
    db.close()
    print(f"{target}: {count:,} children, {doses:,} doses, {target.stat().st_size / 1e9:.1f} GB, "
          f"built in {time.perf_counter() - started:.0f} s")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="source", type=Path, required=True)
    ap.add_argument("--to", dest="target", type=Path, required=True)
    ap.add_argument("--times", type=int, required=True, help="copies in all (the original included)")
    args = ap.parse_args()
    replicate(args.source, args.target, args.times)


if __name__ == "__main__":
    main()
