"""Import speed and memory: ``epimanager import children`` of a large CSV (issue #16 item 23).

Run::

    .venv/bin/python benchmarks/bench_import.py                  # 200,000 children
    .venv/bin/python benchmarks/bench_import.py --rows 1000000

Writes a realistic file (names from the demo lists, a third with ID numbers, phones, addresses,
birth years 2001–2025) into a temporary folder, creates a fresh clinic database and runs the real CLI
in a fresh process.  A unit has 9,999 serials a year: up to ~250,000 rows all import; in a larger
file each year's later rows are refused one by one with its reason (the whole file is still read and
checked). Printed: the file size, rows/s,
the peak resident memory (max RSS) of the import process, and the baseline: Python's csv module
reading the same file (rows/s) and the RSS of ``epimanager --version`` (the interpreter and the
program's imports alone).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEADER = "name,sex,birth_date,mother_name,father_name,phone,id_number,address,committee,residence\n"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: date, seq: int, male: bool) -> str:
    seq = seq * 2 + (1 if male else 0)
    first = f"320102{birth:%Y%m%d}{seq:03d}"
    return first + "10X98765432"[sum(int(c) * w for c, w in zip(first, _WEIGHTS, strict=True)) % 11]


def write_file(path: Path, rows: int) -> None:
    rng = random.Random(16)
    surnames = list(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    )
    given = list("浩宇轩涵博文杰欣怡佳雨萱萍佩子梓晨一诗思嘉俊明睿泽鑫磊婷颖琪瑶")
    committees = ("东风村", "红旗村", "城关社区")
    start = date(2001, 1, 1)
    per_day: dict[date, int] = {}
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        for i in range(rows):
            male = i % 2 == 0
            birth = start + timedelta(days=rng.randrange(365 * 25))
            surname = rng.choice(surnames)
            name = surname + rng.choice(given) + (rng.choice(given) if rng.random() < 0.8 else "")
            mother = rng.choice(surnames) + rng.choice(given) + rng.choice(given) + str(i)
            idn = ""
            if i % 3 == 0:
                per_day[birth] = per_day.get(birth, 0) + 1
                idn = id_number(birth, per_day[birth], male)
            phone = f"13{rng.randrange(10**9):09d}" if rng.random() < 0.7 else ""
            address = f"某某路{rng.randrange(1, 999)}号" if rng.random() < 0.5 else ""
            fh.write(
                f"{name},{'男' if male else '女'},{birth.isoformat()},{mother},,{phone},{idn},{address},"
                f"{rng.choice(committees)},本地\n"
            )


def run(argv: list[str]) -> tuple[float, int, int]:
    """Wall seconds, exit code and max RSS (KiB) of ``python -m epimanager ARGV`` in a fresh process."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    # files, not pipes: a refused row is a line on stderr, and a pipe nobody reads while we wait
    # stops the import at 64 KB of them (it did, with 10,000 listed refusals)
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "epimanager", *argv], cwd=REPO, env=env, stdout=out_f, stderr=err_f)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        out_f.seek(0)
        err_f.seek(0)
        out = out_f.read().decode("utf-8", "replace")
        err = err_f.read().decode("utf-8", "replace")
    if status != 0:
        print(out[-2000:], err[-2000:], sep="\n")
    else:
        print("  " + out.strip().splitlines()[-1])
    return wall, os.waitstatus_to_exitcode(status), usage.ru_maxrss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        csv_path, db = folder / "children.csv", folder / "clinic.sqlite"
        write_file(csv_path, args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        t0 = time.perf_counter()
        with csv_path.open(encoding="utf-8", newline="") as fh:
            raw = sum(1 for _ in csv.reader(fh)) - 1
        raw_rate = raw / (time.perf_counter() - t0)
        _, _, base_rss = run(["--version"])
        init = ["--db", str(db), "init", "--unit", "3201020101", "--unit-name", "测试接种门诊"]
        run([*init, "--committee", "东风村", "--committee", "红旗村", "--committee", "城关社区"])
        print(f"import children: {args.rows:,} rows, {size_mb:.1f} MB")
        wall, code, rss = run(["--db", str(db), "import", "children", str(csv_path), "--progress-every", "0"])
        rate = args.rows / wall
        mib, mb = rss / 1024, rss * 1024 / 1e6  # ru_maxrss is in KiB
        print(f"  exit {code}; {wall:.1f} s = {rate:,.0f} rows/s; max RSS {mib:.0f} MiB = {mb:.0f} MB")
        print(f"  database {db.stat().st_size / 1e6:.0f} MB")
        print(
            f"baseline: csv.reader alone {raw_rate:,.0f} rows/s (ratio {raw_rate / rate:.0f}×); "
            f"`epimanager --version` max RSS {base_rss / 1024:.0f} MiB"
        )


if __name__ == "__main__":
    main()
