"""The file-wide memory of an import: which line had a key first."""

from __future__ import annotations

import tracemalloc

from epimanager.services.import_seen import SeenKeys


def test_every_key_is_found_at_the_line_that_had_it_first_across_growth() -> None:
    seen = SeenKeys()
    start = seen.capacity
    for line in range(2, 60_002):
        assert seen.first(("id", f"32010220200101{line:04d}"), line) is None
    assert len(seen) == 60_000
    assert seen.capacity > start  # the tables grew on the way
    for line in (2, 777, 30_000, 60_001):
        assert seen.first(("id", f"32010220200101{line:04d}"), 99_999) == line
        assert ("id", f"32010220200101{line:04d}") in seen
    assert ("id", "not in the file") not in seen
    assert seen.first(("row", "a", "b"), 5) is None and seen.first(("row", "a", "b"), 9) == 5


def test_growing_never_holds_much_more_than_the_tables_themselves() -> None:
    # what keeps a million-row import under its memory limit: no moment where the whole table
    # exists twice (old and new arrays of one big table)
    tracemalloc.start()
    try:
        seen = SeenKeys()
        for line in range(100_000):
            seen.first(line, line)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    final = seen.capacity * 12  # 8-byte hash + 4-byte line per slot
    assert peak < final * 1.2, (peak, final)
