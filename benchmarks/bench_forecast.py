"""Forecasts per second for a realistic child, against a naive baseline.

Run: ``.venv/bin/python benchmarks/bench_forecast.py [--seconds 3]``

* ``same child``: one 3-year-old with a typical on-time history (20 doses).
* ``varied``: 200 distinct children (birth dates spread over 0–7 years, doses on
  time with a little jitter), the shape of a 6-1 report run.
* ``baseline``: the naive way — read and compile the schedule files for every
  forecast (what a report would do without a cached engine).

Each line also gives the process CPU time per forecast, which a machine shared
with other work changes much less than the rate.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from epimanager.domain.dates import add_months
from epimanager.domain.schedule import Given, ScheduleEngine
from epimanager.resources import catalog
from epimanager.services.forecast import build_engine, engine, load_schedule_data

# (code, months of age) of an on-time history up to 3 years
TYPICAL = [
    ("0201", 0), ("0101", 0), ("0201", 1), ("0303", 2), ("0401", 2), ("0303", 3),
    ("0401", 4), ("0311", 4), ("0201", 6), ("0401", 6), ("1601", 6), ("1201", 8),
    ("1801", 8), ("1601", 9), ("1201", 18), ("0401", 18), ("1901", 18), ("1801", 24),
    ("2101", 10), ("2201", 13),
]  # fmt: skip


def child(birth: date, rng: random.Random | None = None) -> list[Given]:
    out = []
    for code, months in TYPICAL:
        jitter = rng.randint(0, 20) if rng else 0
        out.append(Given(code, add_months(birth, months) + timedelta(days=jitter)))
    return out


def rate(fn: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Calls per second (wall clock) and process CPU µs per call."""
    n = 0
    start = time.perf_counter()
    cpu = time.process_time()
    deadline = start + seconds
    while True:
        for _ in range(100):
            fn()
        n += 100
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start), (time.process_time() - cpu) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()

    eng: ScheduleEngine = engine()
    as_of = date(2026, 7, 1)
    birth = date(2023, 5, 31)
    doses = child(birth)

    same, same_cpu = rate(lambda: eng.forecast(birth, as_of, doses, sex="2"), args.seconds)

    rng = random.Random(42)
    kids = []
    for _ in range(200):
        b = as_of - timedelta(days=rng.randint(30, 7 * 365))
        kids.append((b, [d for d in child(b, rng) if d.date <= as_of]))
    it = iter(range(1 << 62))

    def varied_one() -> None:
        b, ds = kids[next(it) % len(kids)]
        eng.forecast(b, as_of, ds, sex="1")

    varied, varied_cpu = rate(varied_one, args.seconds)

    cat = catalog()

    def naive() -> None:
        build_engine(load_schedule_data(), cat).forecast(birth, as_of, doses, sex="2")

    baseline, baseline_cpu = rate(naive, min(args.seconds, 2.0))
    print(f"same child : {same:10,.0f} forecasts/s  ({1e6 / same:.1f} µs each, CPU {same_cpu:.1f} µs)")
    print(f"varied     : {varied:10,.0f} forecasts/s  ({1e6 / varied:.1f} µs each, CPU {varied_cpu:.1f} µs)")
    print(f"baseline   : {baseline:10,.0f} forecasts/s  (re-read + compile schedules each, CPU {baseline_cpu:.0f} µs)")
    print(f"ratio      : {varied / baseline:10,.0f}× faster than the baseline (varied)")
    print("target     :     20,000 forecasts/s → " + ("met" if min(same, varied) >= 20_000 else "NOT met"))


if __name__ == "__main__":
    main()
