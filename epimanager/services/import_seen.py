"""``key -> first line`` over a whole import file, in flat arrays.

An import checks every row against the rows before it (the same child code, ID number, child
or exact row twice) while streaming, so the file-wide memory is one 64-bit hash and one line
number per key in open-addressing tables: ~16 bytes a key at most, where a ``dict`` of
strings took ~150. Two different keys share a 64-bit hash about once in 10^12 files of
a million rows.

The keys are spread over 64 tables by the hash's top bits, each doubling on its own: a doubling
holds the old and the new arrays at once, and with one table that moment came late in a
million-row import with the whole table twice over (25 MB more at the peak); with 64 it is 1/64
of that.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable

_MASK = (1 << 64) - 1
#: Fibonacci hashing: spreads Python's hashes (an int's is the int itself) over all 64 bits
_MIX = 0x9E3779B97F4A7C15
_SHARD_BITS = 6
_SHARD_SHIFT = 64 - _SHARD_BITS


class _Table:
    __slots__ = ("count", "keys", "lines", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.keys = array("Q", bytes(8 * size))
        self.lines = array("I", bytes(4 * size))
        self.count = 0

    def find(self, h: int) -> int:
        """The slot holding ``h``, or the empty slot where it would go."""
        keys, mask = self.keys, self.size - 1
        i = h & mask
        while (k := keys[i]) != 0 and k != h:
            i = (i + 1) & mask
        return i

    def grow(self) -> None:
        old = zip(self.keys, self.lines, strict=True)
        self.size *= 2
        keys, lines = array("Q", bytes(8 * self.size)), array("I", bytes(4 * self.size))
        mask = self.size - 1
        for h, line in old:
            if h:
                i = h & mask
                while keys[i]:
                    i = (i + 1) & mask
                keys[i] = h
                lines[i] = line
        self.keys, self.lines = keys, lines


class SeenKeys:
    def __init__(self, capacity: int = 1 << 14) -> None:
        per = max(capacity >> _SHARD_BITS, 16)
        if per & (per - 1):
            raise ValueError("capacity must be a power of two")
        self._tables = [_Table(per) for _ in range(1 << _SHARD_BITS)]
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def capacity(self) -> int:
        """Slots in all (each table grows when more than 3/4 of its slots are taken)."""
        return sum(t.size for t in self._tables)

    @staticmethod
    def _hash(key: Hashable) -> int:
        return ((hash(key) * _MIX) & _MASK) or 1

    def __contains__(self, key: Hashable) -> bool:
        h = self._hash(key)
        table = self._tables[h >> _SHARD_SHIFT]
        return table.keys[table.find(h)] != 0

    def first(self, key: Hashable, line: int) -> int | None:
        """The line that had ``key`` first, or None (and ``key`` is now recorded at ``line``)."""
        h = self._hash(key)
        table = self._tables[h >> _SHARD_SHIFT]
        i = table.find(h)
        if table.keys[i]:
            return table.lines[i]
        table.keys[i] = h
        table.lines[i] = line
        table.count += 1
        self._count += 1
        if table.count * 4 > table.size * 3:
            table.grow()
        return None
