"""How long one CLI command takes from process start to exit (issue: ≤ 0.3 s for search and child show).

Run::

    .venv/bin/python benchmarks/bench_cli_startup.py                 # builds a 2,000-child demo once
    .venv/bin/python benchmarks/bench_cli_startup.py --db clinic.sqlite --runs 20

Each run is a fresh ``python -m epimanager`` process on an existing database (no users, so no
login prompt). Printed: median and slowest wall time per command, and the ratio to the
baseline ``python -c pass`` (the interpreter alone). ``remind list`` and ``sync status`` are
shown for comparison: they take the ordinary path (SQLAlchemy + ORM models).
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
CACHE = REPO / "benchmarks" / ".cache"


def wall(cmd: list[str], runs: int) -> list[float]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    py = sys.executable
    db = args.db
    if db is None:
        db = CACHE / "cli-demo-2000.sqlite"
        if not db.exists():
            CACHE.mkdir(parents=True, exist_ok=True)
            init = ["init", "--unit", "3201020101", "--unit-name", "测试接种门诊"]
            for argv in (init, ["demo", "--children", "2000"]):
                subprocess.run([py, "-m", "epimanager", "--db", str(db), *argv], cwd=REPO, check=True)
    found = subprocess.run(
        [py, "-m", "epimanager", "--db", str(db), "search", "zh", "--json", "--limit", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    code = json.loads(found)[0]["child_code"]
    base = wall([py, "-c", "pass"], args.runs)
    base_med = statistics.median(base)
    print(f"baseline python -c pass: median {base_med * 1000:.0f} ms")
    commands = {
        "search lpp": ["search", "lpp"],
        "search 2013-01": ["search", "2013-01"],
        f"child show {code}": ["child", "show", code],
        "child show --json": ["child", "show", code, "--json"],
        "remind list (ordinary path)": ["remind", "list"],
        "sync status (ordinary path)": ["sync", "status"],
    }
    for label, argv in commands.items():
        t = wall([py, "-m", "epimanager", "--db", str(db), *argv], args.runs)
        med = statistics.median(t)
        print(f"{label:<36} median {med * 1000:4.0f} ms  max {max(t) * 1000:4.0f} ms  ratio {med / base_med:5.1f}x")


if __name__ == "__main__":
    main()
