"""``key -> first line`` over a whole import file, in flat arrays.

An import checks every row against the rows before it (the same child code, ID number, child
or exact row twice) while streaming, so the file-wide memory is one 64-bit hash and one line
number per key in an open-addressing table: ~16 bytes a key at most, where a ``dict`` of
strings took ~150. Two different keys share a 64-bit hash about once in 10^12 files of
a million rows.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable

_MASK = (1 << 64) - 1


class SeenKeys:
    def __init__(self, capacity: int = 1 << 14) -> None:
        self._size = capacity
        self._keys = array("Q", bytes(8 * capacity))
        self._lines = array("I", bytes(4 * capacity))
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __contains__(self, key: Hashable) -> bool:
        h = (hash(key) & _MASK) or 1
        keys, mask = self._keys, self._size - 1
        i = h & mask
        while (k := keys[i]) != 0:
            if k == h:
                return True
            i = (i + 1) & mask
        return False

    def first(self, key: Hashable, line: int) -> int | None:
        """The line that had ``key`` first, or None (and ``key`` is now recorded at ``line``)."""
        h = (hash(key) & _MASK) or 1
        keys, mask = self._keys, self._size - 1
        i = h & mask
        while (k := keys[i]) != 0:
            if k == h:
                return self._lines[i]
            i = (i + 1) & mask
        keys[i] = h
        self._lines[i] = line
        self._count += 1
        if self._count * 4 > self._size * 3:
            self._grow()
        return None

    def _grow(self) -> None:
        old = zip(self._keys, self._lines, strict=True)
        self._size *= 2
        keys, lines = array("Q", bytes(8 * self._size)), array("I", bytes(4 * self._size))
        mask = self._size - 1
        for h, line in old:
            if h:
                i = h & mask
                while keys[i]:
                    i = (i + 1) & mask
                keys[i] = h
                lines[i] = line
        self._keys, self._lines = keys, lines
