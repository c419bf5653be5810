"""Benchmark of ``epimanager sync upload`` against the reference platform on 127.0.0.1.

Builds a fresh demo database holding about ``--records`` records (children +
doses, all queued in the outbox), starts ``epimanager platform-sim`` in its
own process with an empty store, and reports:

* **client**: records per second of :func:`epimanager.sync.upload.upload`
  (claim a batch and build its JSON from the database, commit; POST with its
  Idempotency-Key; apply the per-record answers, commit), batch size ``--batch``;
* **baseline**: records per second of raw ``requests`` POSTs of the same JSON
  bodies, built beforehand, to a second empty platform store (no outbox, no
  commits on the client): the floor set by HTTP + the platform itself;
* the ratio client / baseline, and that the platform holds every record once.

Usage::

    .venv/bin/python benchmarks/bench_sync.py                      # 100,000 records
    .venv/bin/python benchmarks/bench_sync.py --records 20000      # quick check
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402

from epimanager.services.demo import generate  # noqa: E402
from epimanager.services.units import init_database  # noqa: E402
from epimanager.store.database import open_database  # noqa: E402
from epimanager.sync.queue import _build_records  # noqa: E402
from epimanager.sync.upload import upload  # noqa: E402

UNIT = "3201020101"
TOKEN = "bench-token"
DOSES_PER_CHILD = 20  # the demo's average, roughly


def start_platform(store: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "epimanager", "platform-sim", "--port", "0", "--store", str(store), "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line[line.index("http://") :].split("（")[0]


def count(store: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "epimanager", "platform-sim", "--store", str(store), "--count"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--keep", action="store_true", help="keep the databases (printed path)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    db_path = tmp / "clinic.sqlite"
    init_database(db_path, UNIT, "基准测试门诊", ["东风村"])
    db = open_database(db_path)
    t0 = time.perf_counter()
    rep = generate(db, max(1, -(-args.records // DOSES_PER_CHILD)), seed=1)
    total = rep.children + rep.doses
    print(
        f"demo: {rep.children:,} children + {rep.doses:,} doses = {total:,} records ({time.perf_counter() - t0:.1f} s)"
    )

    # Baseline bodies: the same records, built up front, outside the timing.
    with db.session() as s:
        rows = s.execute(text("SELECT uuid, kind, payload FROM sync_outbox ORDER BY id")).all()
        bodies = []
        for start in range(0, len(rows), args.batch):
            records, _ = _build_records(s, list(rows[start : start + args.batch]), UNIT)
            bodies.append(
                json.dumps(
                    {"protocol": 1, "unit": UNIT, "records": records}, ensure_ascii=False, separators=(",", ":")
                ).encode()
            )

    store = tmp / "platform-client.sqlite"
    proc, url = start_platform(store)
    try:
        t0 = time.perf_counter()
        report = upload(db, url=url, token=TOKEN, batch_size=args.batch)
        client_s = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(10)
    db.close()
    counts = count(store)
    assert report.remaining == 0 and counts["rows"] == counts["records"] == total, (report, counts)

    base_store = tmp / "platform-baseline.sqlite"
    proc, url = start_platform(base_store)
    try:
        session = requests.Session()
        session.trust_env = False
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        t0 = time.perf_counter()
        for body in bodies:
            r = session.post(
                url + "/api/v1/batches", data=body, headers=headers | {"Idempotency-Key": str(uuid.uuid4())}, timeout=60
            )
            r.raise_for_status()
        base_s = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(10)
    assert count(base_store)["records"] == total

    client_rate, base_rate = total / client_s, total / base_s
    print(
        f"client upload:  {total:,} records in {client_s:.2f} s = {client_rate:,.0f} records/s "
        f"({report.batches} batches of {args.batch}, {report.requests} requests)"
    )
    print(f"baseline POSTs: {total:,} records in {base_s:.2f} s = {base_rate:,.0f} records/s")
    print(f"ratio client/baseline: {client_rate / base_rate:.2f}")
    print(f"platform holds: {counts}")
    if args.keep:
        print(f"(files kept in {tmp})")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
