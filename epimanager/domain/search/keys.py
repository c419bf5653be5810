"""Search keys for a person's name: pinyin, initials and mixed forms (pure).

Every key is lower-case ASCII (``v`` for ü) and is looked up by prefix, so
one full-pinyin key ``zhanghaoran`` answers ``zhang``, ``zhangh``,
``zhanghao`` …  For each name we store, over the reading combinations of its
characters (surname readings from :mod:`.surnames`, compound surnames first;
every pypinyin reading of a polyphonic given-name character, capped):

* full pinyin (``zhanghaoran``; with ü also the ``u`` spelling: ``lvxue`` and
  ``luxue``),
* initials (``zhr``),
* initials with a two-letter zh/ch/sh surname initial (``zhhr``),
* full surname + initials of the given name (``zhanghr``), for given names of
  two or more characters.

Readings are computed per character and cached, so indexing a million names
costs a few microseconds each (pypinyin on a whole name is ~25 µs).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from itertools import product

from epimanager.domain.search.surnames import COMPOUND_SURNAMES, SINGLE_SURNAMES

KIND_CHILD, KIND_MOTHER, KIND_FATHER = 1, 2, 3
#: Added to the person kind to tell what form a key has.
FORM_FULL, FORM_INITIALS, FORM_MIXED = 0, 10, 20

#: At most this many readings of one given-name character are used.
MAX_CHAR_READINGS = 3
#: Reading combinations per name (the all-primary one comes first).
MAX_COMBOS_CHILD = 8
MAX_COMBOS_PARENT = 3
#: Keys are cut to this length (the column is ``String(60)``).
MAX_KEY_LEN = 60

#: One way to read one unit of a name (a character, or a compound surname).
Reading = tuple[str, ...]
#: The alternative readings of one unit, usual one first.
Unit = tuple[Reading, ...]


def person_of(kind: int) -> int:
    """The person (:data:`KIND_CHILD`, mother, father) a key kind refers to."""
    return kind % 10


@lru_cache(maxsize=20000)
def char_readings(ch: str) -> tuple[str, ...]:
    """Toneless readings of one character, usual reading first (may be empty).

    ASCII letters and digits read as themselves; punctuation such as ``·`` and
    characters pypinyin does not know have no reading.
    """
    if ch.isascii():
        return (ch.lower(),) if ch.isalnum() else ()
    # pypinyin loads its dictionary on import (without phrases: see epimanager/__init__.py): only when read
    from pypinyin import Style, pinyin

    found = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    if not found:
        return ()
    out: list[str] = []
    for reading in found[0]:
        r = reading.lower().replace("ü", "v")
        if r.isascii() and r.isalpha() and r not in out:
            out.append(r)
    return tuple(out[:MAX_CHAR_READINGS])


def _single_unit(ch: str) -> Unit:
    return tuple((r,) for r in char_readings(ch))


def name_units(name: str) -> list[Unit]:
    """Split a name into units with their readings; the first unit is the surname.

    Surnames in the table read every listed way; other surnames only their
    usual reading; given-name characters every reading pypinyin knows (at most
    :data:`MAX_CHAR_READINGS`).  Characters without a reading are skipped.
    """
    name = name.strip()
    units: list[Unit] = []
    rest = name
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        units.append(tuple(tuple(r.split()) for r in COMPOUND_SURNAMES[name[:2]]))
        rest = name[2:]
    elif len(name) >= 2 and name[0] in SINGLE_SURNAMES:
        units.append(tuple((r,) for r in SINGLE_SURNAMES[name[0]]))
        rest = name[1:]
    elif len(name) >= 2:
        # A surname outside the table reads its usual way only (许 xu, not hu).
        first = char_readings(name[0])
        if first:
            units.append(((first[0],),))
        rest = name[1:]
    for ch in rest:
        u = _single_unit(ch)
        if u:
            units.append(u)
    return units


def _combos(units: list[Unit], cap: int) -> Iterator[tuple[Reading, ...]]:
    """Reading combinations: all-usual first, then one change at a time, then the rest."""
    primary = tuple(u[0] for u in units)
    yield primary
    if all(len(u) == 1 for u in units):
        return
    seen = {primary}
    for i, u in enumerate(units):
        for alt in u[1:]:
            c = (*primary[:i], alt, *primary[i + 1 :])
            if c not in seen:
                seen.add(c)
                yield c
                if len(seen) >= cap:
                    return
    for c in product(*units):
        if c not in seen:
            seen.add(c)
            yield c
            if len(seen) >= cap:
                return


def _u_spelling(key: str) -> str:
    """``lv`` → ``lu``, ``nve`` → ``nue``: ü typed as u."""
    return key.replace("v", "u")


def combo_keys(combo: tuple[Reading, ...], *, all_forms: bool = True) -> list[tuple[str, int]]:
    """Keys of one reading combination, as ``(key, form)``.

    With ``all_forms=False`` (a rarer reading of a given-name character) only
    the full pinyin and the initials are made.
    """
    surname = combo[0]
    given = [s for r in combo[1:] for s in r]
    syllables = list(surname) + given
    full = "".join(syllables)
    out = [(full, FORM_FULL)]
    if "v" in full:
        out.append((_u_spelling(full), FORM_FULL))
    initials = "".join(s[0] for s in syllables)
    out.append((initials, FORM_INITIALS))
    if not all_forms:
        return out
    first = syllables[0]
    if len(syllables) >= 2 and first[:2] in ("zh", "ch", "sh"):
        out.append((first[:2] + initials[1:], FORM_INITIALS))
    if len(given) >= 2:
        mixed = "".join(surname) + "".join(s[0] for s in given)
        out.append((mixed, FORM_MIXED))
        if "v" in mixed:
            out.append((_u_spelling(mixed), FORM_MIXED))
    return out


# ~0.7 KB an entry: 32,768 names (~23 MB) keep the common names of a clinic; 262,144 held ~180 MB
# (a 200,000-row import peaked at 319 MB for it)
@lru_cache(maxsize=32768)
def _name_key_forms(name: str, cap: int, mixed: bool) -> tuple[tuple[str, int], ...]:
    units = name_units(name)
    if not units:
        return ()
    keys: dict[str, int] = {}
    usual_given = tuple(u[0] for u in units[1:])
    for combo in _combos(units, cap):
        for full_key, form in combo_keys(combo, all_forms=mixed and combo[1:] == usual_given):
            key = full_key[:MAX_KEY_LEN]
            if key not in keys or form < keys[key]:
                keys[key] = form
    return tuple(keys.items())


def name_key_forms(name: str, *, cap: int = MAX_COMBOS_CHILD, mixed: bool = True) -> tuple[tuple[str, int], ...]:
    """All search keys of ``name`` with their form (:data:`FORM_FULL` …).

    ``mixed=False`` leaves out the mixed forms (``zhanghr``, ``zhhr``): used
    for parents' names, to keep the index small.
    """
    return _name_key_forms(name, cap, mixed)


def name_keys(name: str) -> set[str]:
    """All search keys of ``name`` (lower-case ASCII)."""
    return {k for k, _ in name_key_forms(name)}


def primary_pinyin(text: str) -> str:
    """The usual full pinyin of ``text`` (surname-aware), e.g. 单丽 → ``shanli``."""
    return "".join(s for u in name_units(text) for s in u[0])


def person_keys(name: str | None, person: int) -> dict[str, int]:
    """Keys of one person's name mapped to their kind (person + form)."""
    if not name:
        return {}
    if person == KIND_CHILD:
        forms = name_key_forms(name, cap=MAX_COMBOS_CHILD)
    else:
        forms = name_key_forms(name, cap=MAX_COMBOS_PARENT, mixed=False)
    return {k: person + form for k, form in forms}


def _better(kind: int, other: int) -> bool:
    return (kind % 10, kind // 10) < (other % 10, other // 10)


def child_keys(name: str, mother: str | None, father: str | None) -> dict[str, int]:
    """Every key of a child: own name, mother's and father's, key → kind.

    When names share a key, the child's own name wins, then the mother's.
    """
    keys = person_keys(name, KIND_CHILD)
    for person, pname in ((KIND_MOTHER, mother), (KIND_FATHER, father)):
        for k, kind in person_keys(pname, person).items():
            old = keys.get(k)
            if old is None or _better(kind, old):
                keys[k] = kind
    return keys
