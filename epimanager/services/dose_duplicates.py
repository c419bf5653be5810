"""Which stored dose a new one repeats — the matching half of the duplicate-dose rule.

The rule itself (refuse unless confirmed as a correction/补录, audit the confirmation) is enforced
by :mod:`epimanager.services.doses` on its write path and by the importer, both inside their write
transaction; this module only finds the clash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from epimanager.domain.schedule import ChildFacts
from epimanager.resources import catalog


@dataclass(frozen=True, slots=True)
class Clash:
    """The stored dose a new one repeats."""

    vaccine_name: str
    dose_number: int
    day: dt.date
    #: the same product on the same day (else: a valid dose of the series with the same number)
    same_day: bool

    @property
    def existing(self) -> str:
        """The stored dose in words: 百白破疫苗 第3剂（2026-05-01）"""
        return f"{self.vaccine_name} 第{self.dose_number}剂（{self.day.isoformat()}）"


def find_clash(
    birth: dt.date,
    sex: str,
    others: Iterable[Any],
    code: str,
    number: int,
    day: dt.date,
    *,
    facts: Callable[[], ChildFacts] | None = None,
) -> Clash | None:
    """The stored dose a new dose (``code``, ``number``, ``day``) repeats, among the child's other
    doses (rows or records with ``vaccine_code``, ``dose_number``, ``date``); None when none.

    A clash is the same product on the same day, or a dose the engine counts as valid in a series
    the new one counts for, with the same dose number (a combination product such as 五联 only
    clashes with the same product: its numbers are its own).  Vaccines outside the schedule (流感,
    狂犬病 …) are numbered per course, so only the same-day rule applies to them.  ``facts`` gives
    the child's clinical facts, read only when the engine has to judge an existing dose.
    """
    cat = catalog()
    doses = list(others)
    for d in doses:
        if d.vaccine_code == code and d.date == day:
            return Clash(_name(d.vaccine_code), d.dose_number, d.date, same_day=True)
    vac = cat.get(code)
    series = set(vac.counts_for) if vac else set()
    if not series:
        return None

    def clashes(d: Any) -> bool:
        other = cat.get(d.vaccine_code)
        if d.dose_number != number or other is None or not series & set(other.counts_for):
            return False
        return d.vaccine_code == code or (len(other.counts_for) == 1 and len(series) == 1)

    candidates = [d for d in doses if clashes(d)]
    if not candidates:
        return None
    from epimanager.services.forecast import engine

    last = max(d.date for d in doses)
    fc = engine().forecast(birth, max(last, birth), doses, sex, facts=facts() if facts else None)
    valid = {(ev.vaccine, ev.date) for ev in fc.doses if ev.valid and ev.series in series}
    for d in sorted(candidates, key=lambda d: d.date):
        if (d.vaccine_code, d.date) in valid:
            return Clash(_name(d.vaccine_code), d.dose_number, d.date, same_day=False)
    return None


def _name(code: str) -> str:
    vac = catalog().get(code)
    return vac.name if vac else code
